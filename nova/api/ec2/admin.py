"""AdminController: the admin-only actions at ``/services/Admin``.

Users, projects, roles, instance types, hosts and provider firewall rules
(:mod:`nova.api.ec2.admin_firewall`), as euca-style admin tools
and ``nova-adminclient`` call them.
"""

import base64

from nova import db
from nova import exception
from nova import utils
from nova.api.ec2 import admin_firewall
from nova.api.ec2 import ec2utils
from nova.compute import instance_types
from nova.utils import servicegroup


def _auth_manager():
    from nova.auth import manager
    return manager.AuthManager()


def user_dict(user, base64_file=None):
    """The XML shape of a user."""
    if not user:
        return {}
    return {'username': user.id, 'accesskey': user.access,
            'secretkey': user.secret, 'file': base64_file}


def project_dict(project):
    """The XML shape of a project."""
    if not project:
        return {}
    return {'projectname': project.id,
            'projectManagerId': project.project_manager_id,
            'description': project.description}


def _require(value, name):
    if value is None or value == '':
        raise ec2utils.missing(name)
    return str(value)


def _unless_none_text(value):
    """None for a missing value and for boto 2's literal ``None`` text."""
    if value is None or str(value) in ('None', ''):
        return None
    return value


class AdminController(admin_firewall.ProviderFirewallMixin):
    """Admin actions (every one needs an admin context)."""

    def __str__(self):
        return 'AdminController'

    def describe_instance_types(self, context, **_kwargs):
        """DescribeInstanceTypes: the flavors."""
        types = instance_types.get_all_types()
        items = [{'name': t['name'], 'memoryMb': t['memory_mb'],
                  'vcpus': t['vcpus'], 'diskGb': t['local_gb'],
                  'flavorId': t['flavorid']}
                 for t in sorted(types.values(), key=lambda t: t['flavorid'])]
        return {'instanceTypeSet': items}

    def describe_user(self, context, name=None, **_kwargs):
        """DescribeUser."""
        user = _auth_manager().get_user(_require(name, 'Name'))
        if user is None:
            raise exception.UserNotFound(user_id=name)
        return user_dict(user)

    def describe_users(self, context, **_kwargs):
        """DescribeUsers."""
        return {'userSet': [user_dict(u) for u in
                            _auth_manager().get_users()]}

    def register_user(self, context, name=None, **_kwargs):
        """RegisterUser: a new user with random keys."""
        return user_dict(_auth_manager().create_user(_require(name, 'Name')))

    def deregister_user(self, context, name=None, **_kwargs):
        """DeregisterUser."""
        _auth_manager().delete_user(_require(name, 'Name'))
        return True

    def describe_roles(self, context, project_roles=True, **kwargs):
        """DescribeRoles: project roles (or all allowed roles)."""
        roles = _auth_manager().get_roles(
            ec2utils.to_bool(project_roles, 'ProjectRoles'))
        return {'roles': [{'role': r} for r in roles]}

    def describe_user_roles(self, context, user=None, project=None,
                            **kwargs):
        """DescribeUserRoles."""
        roles = _auth_manager().get_user_roles(_require(user, 'User'),
                                               project)
        return {'roles': [{'role': r} for r in roles]}

    def modify_user_role(self, context, user=None, role=None, project=None,
                         operation='add', **kwargs):
        """ModifyUserRole: add or remove a role."""
        user = _require(user, 'User')
        role = _require(role, 'Role')
        manager = _auth_manager()
        if operation == 'add':
            manager.add_role(user, role, project)
        elif operation == 'remove':
            manager.remove_role(user, role, project)
        else:
            raise ec2utils.invalid_value('Operation', operation,
                                         'operation must be add or remove')
        return True

    def generate_x509_for_user(self, context, name=None, project=None,
                               **kwargs):
        """GenerateX509ForUser: the user with a base64 credentials zip."""
        name = _require(name, 'Name')
        project = project or name
        manager = _auth_manager()
        user = manager.get_user(name)
        if user is None:
            raise exception.UserNotFound(user_id=name)
        archive = manager.get_credentials(user, project)
        if isinstance(archive, str):
            archive = archive.encode('latin-1')
        return user_dict(user, base64.b64encode(archive).decode('ascii'))

    def describe_project(self, context, name=None, **kwargs):
        """DescribeProject."""
        project = _auth_manager().get_project(_require(name, 'Name'))
        if project is None:
            raise exception.ProjectNotFound(project_id=name)
        return project_dict(project)

    def describe_projects(self, context, user=None, **kwargs):
        """DescribeProjects (of a user, or all)."""
        return {'projectSet': [project_dict(p) for p in
                               _auth_manager().get_projects(user)]}

    def register_project(self, context, name=None, manager_user=None,
                         description=None, member_users: list = None,
                         **kwargs):
        """RegisterProject (description and members honoured).

        nova-adminclient (boto 2) sends ``Description=None`` and
        ``MemberUsers=None`` as literal text when the caller gave neither;
        Diablo ignored them, and so does this: the text ``None`` is absent.
        """
        description = _unless_none_text(description)
        members = [str(m) for m in ec2utils.as_list(member_users)
                   if _unless_none_text(m) is not None] or None
        project = _auth_manager().create_project(
            _require(name, 'Name'), _require(manager_user, 'ManagerUser'),
            description=description, member_users=members)
        return project_dict(project)

    def modify_project(self, context, name=None, manager_user=None,
                       description=None, **kwargs):
        """ModifyProject (a literal ``None`` description is no change)."""
        _auth_manager().modify_project(_require(name, 'Name'),
                                       _unless_none_text(manager_user),
                                       _unless_none_text(description))
        return True

    def deregister_project(self, context, name=None, **kwargs):
        """DeregisterProject."""
        _auth_manager().delete_project(_require(name, 'Name'))
        return True

    def describe_project_members(self, context, name=None, **kwargs):
        """DescribeProjectMembers."""
        project = _auth_manager().get_project(_require(name, 'Name'))
        if project is None:
            raise exception.ProjectNotFound(project_id=name)
        return {'members': [{'member': m} for m in project.member_ids]}

    def modify_project_member(self, context, user=None, project=None,
                              operation=None, **kwargs):
        """ModifyProjectMember: add or remove a member."""
        user = _require(user, 'User')
        project = _require(project, 'Project')
        manager = _auth_manager()
        if operation == 'add':
            manager.add_to_project(user, project)
        elif operation == 'remove':
            manager.remove_from_project(user, project)
        else:
            raise ec2utils.invalid_value('Operation', operation,
                                         'operation must be add or remove')
        return True

    def describe_hosts(self, context, **_kwargs):
        """DescribeHosts: instance/volume counts and compute/volume state."""
        ctxt = context.elevated()
        now = utils.utcnow()
        hosts = {}
        for service in db.service_get_all(ctxt):
            entry = hosts.setdefault(service['host'], {
                'hostname': service['host'], 'instanceCount': 0,
                'volumeCount': 0})
            if service['topic'] in ('compute', 'volume'):
                up = servicegroup.service_is_up(service, now) and \
                    not service['disabled']
                entry[service['topic']] = 'up' if up else 'down'
        for instance in db.instance_get_all(ctxt):
            if instance['host'] in hosts:
                hosts[instance['host']]['instanceCount'] += 1
        return {'hosts': [hosts[h] for h in sorted(hosts)]}

    def start_vpn(self, context, project=None, **_kwargs):
        """StartVpn: launch the project's cloudpipe unless one exists."""
        from nova.cloudpipe import pipelib
        project = _require(project, 'Project')
        try:
            instance = pipelib.CloudPipe().launch_vpn_instance(project)
        except exception.CloudpipeAlreadyRunning:
            instance = pipelib.find_vpn_instance(context.elevated(), project)
        return {'instanceId': ec2utils.id_to_ec2_id(instance['id'])}

    def describe_vpns(self, context, **_kwargs):
        """DescribeVpns: each project's VPN endpoint and instance."""
        from nova.cloudpipe import pipelib
        from nova.cloudpipe.ping import vpn_ping
        ctxt = context.elevated()
        items = []
        for project in _auth_manager().get_projects():
            networks = db.project_get_networks(ctxt, project.id,
                                               associate=False)
            address = port = None
            if networks:
                address = networks[0]['vpn_public_address']
                port = networks[0]['vpn_public_port']
            item = {'projectId': project.id, 'publicIp': address,
                    'publicPort': port}
            instance = pipelib.find_vpn_instance(ctxt, project.id)
            if instance is None:
                item['state'] = 'pending'
            else:
                item['instanceId'] = ec2utils.id_to_ec2_id(instance['id'])
                item['createdAt'] = utils.isotime(instance['created_at'])
                try:
                    fixed = db.fixed_ip_get_by_instance(ctxt, instance['id'])
                    item['internalIp'] = fixed[0]['address']
                except exception.NotFound:
                    pass
                if not address or not port:
                    item['state'] = 'down - invalid project vpn config'
                else:
                    item['state'] = ('running' if vpn_ping(address, port)
                                     else 'down')
            items.append(item)
        return {'items': items}
