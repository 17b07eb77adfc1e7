"""``security_groups``: the project's groups and their ingress rules.

``/os-security-groups`` (index, show, create, delete) and
``/os-security-group-rules`` (create, delete), and the server actions
``addSecurityGroup`` / ``removeSecurityGroup`` (``{"name": group}``, 202).
Groups are confined to the URL's project: another project's group or rule
is a 404.  Rule changes cast a firewall refresh to the hosts concerned
through the compute API.  The ``default`` group is created on first use
and cannot be deleted; neither can a group a live server still uses.
"""

import ipaddress
import urllib.parse

import webob

from nova import db
from nova import exception
from nova.api.openstack import common
from nova.api.openstack.extensions import ResourceExtension
from nova.api.openstack.extensions import util

EXTENSION = {
    'name': 'SecurityGroups',
    'alias': 'security_groups',
    'description': 'Security group support',
    'namespace': 'http://docs.openstack.org/ext/securitygroups/api/v1.1',
    'updated': '2011-07-21T00:00:00+00:00',
}

_PROTOCOLS = ('tcp', 'udp', 'icmp')


def _compute_api():
    from nova.compute import api as compute
    return compute.API()


def _group_of_project(ctxt, group_id, what='Security group'):
    """The live group ``group_id`` of the context's project (404 else)."""
    number = util.to_int(group_id, '%s id' % what)
    try:
        group = db.security_group_get(ctxt, number)
    except exception.NotFound:
        group = None
    if group is None or group['project_id'] != ctxt.project_id:
        raise common.not_found('Security group %s not found' % group_id)
    return group


def _rule_view(ctxt, rule):
    view = {'id': rule['id'], 'parent_group_id': rule['parent_group_id'],
            'ip_protocol': rule['protocol'],
            'from_port': rule['from_port'], 'to_port': rule['to_port'],
            'group': {}, 'ip_range': {}}
    if rule['group_id']:
        try:
            source = db.security_group_get(ctxt.elevated(), rule['group_id'])
            view['group'] = {'name': source['name'],
                             'tenant_id': source['project_id']}
        except exception.NotFound:
            pass
    else:
        view['ip_range'] = {'cidr': rule['cidr']}
    return view


def _group_view(ctxt, group):
    rules = db.security_group_rule_get_by_security_group(ctxt, group['id'])
    return {'id': group['id'], 'name': group['name'],
            'description': group['description'],
            'tenant_id': group['project_id'],
            'rules': [_rule_view(ctxt, r) for r in rules]}


class SecurityGroupController(object):
    """``/os-security-groups``."""

    def index(self, req, **_args):
        """The project's groups (``default`` made on first use)."""
        ctxt = common.context_of(req)
        db.security_group_ensure_default(ctxt)
        groups = db.security_group_get_by_project(ctxt, ctxt.project_id)
        groups = sorted(groups, key=lambda g: g['name'])
        return {'security_groups': [_group_view(ctxt, g) for g in
                                    common.limited(req, groups)]}

    def show(self, req, id, **_args):
        """One group of the project."""
        ctxt = common.context_of(req)
        return {'security_group': _group_view(
            ctxt, _group_of_project(ctxt, id))}

    def create(self, req, body=None, **_args):
        """A new group: ``{"security_group": {name, description}}``."""
        params = util.entity(body, 'security_group')
        name = util.text(params.get('name'), 'Security group name')
        description = util.text(params.get('description'),
                                'Security group description')
        ctxt = common.context_of(req)
        db.security_group_ensure_default(ctxt)
        if db.security_group_exists(ctxt, ctxt.project_id, name):
            raise common.bad_request('Security group %s already exists'
                                     % name)
        group = db.security_group_create(ctxt, {
            'user_id': ctxt.user_id, 'project_id': ctxt.project_id,
            'name': name, 'description': description})
        return {'security_group': _group_view(ctxt, group)}

    def delete(self, req, id, **_args):
        """Delete an unused group other than ``default``: 202."""
        ctxt = common.context_of(req)
        group = _group_of_project(ctxt, id)
        if group['name'] == 'default':
            raise common.bad_request('The default security group cannot '
                                     'be deleted')
        if db.security_group_in_use(ctxt, group['id']):
            raise common.bad_request('Security group %s is in use' % id)
        db.security_group_destroy(ctxt, group['id'])
        return webob.Response(status=202)


def _ports(params, protocol):
    low = -1
    high = 255 if protocol == 'icmp' else 65535
    from_port = util.to_int(params.get('from_port'), 'from_port', low, high)
    to_port = util.to_int(params.get('to_port'), 'to_port', low, high)
    if protocol != 'icmp' and (from_port < 1 or from_port > to_port):
        raise common.bad_request('Invalid port range %s:%s'
                                 % (from_port, to_port))
    return from_port, to_port


def _rule_values(ctxt, params, parent):
    """The columns of a new rule; 400 for anything Diablo refused."""
    values = {'parent_group_id': parent['id']}
    if params.get('group_id') not in (None, ''):
        source = _group_of_project(ctxt, params['group_id'])
        if source['id'] == parent['id']:
            raise common.bad_request('Parent group id and group id cannot '
                                     'be same')
        values['group_id'] = source['id']
    else:
        cidr = params.get('cidr') or '0.0.0.0/0'
        if not isinstance(cidr, str):
            raise common.bad_request('Invalid cidr')
        try:
            cidr = str(ipaddress.ip_network(urllib.parse.unquote(cidr),
                                            strict=False))
        except ValueError:
            raise common.bad_request('Invalid cidr %s' % cidr)
        values['cidr'] = cidr
    protocol = params.get('ip_protocol')
    if protocol in (None, ''):
        if 'cidr' in values:
            raise common.bad_request('Not enough parameters to build a '
                                     'valid rule.')
        return values
    if not isinstance(protocol, str) or protocol.lower() not in _PROTOCOLS:
        raise common.bad_request('Invalid IP protocol %s' % protocol)
    protocol = protocol.lower()
    values['protocol'] = protocol
    values['from_port'], values['to_port'] = _ports(params, protocol)
    return values


def _duplicate(ctxt, parent, values):
    for rule in db.security_group_rule_get_by_security_group(ctxt,
                                                             parent['id']):
        if all(rule[key] == values.get(key) for key in
               ('group_id', 'cidr', 'protocol', 'from_port', 'to_port')):
            return True
    return False


class SecurityGroupRulesController(object):
    """``/os-security-group-rules``."""

    def create(self, req, body=None, **_args):
        """Add an ingress rule to a group of the project."""
        params = util.entity(body, 'security_group_rule')
        ctxt = common.context_of(req)
        db.security_group_ensure_default(ctxt)
        parent = _group_of_project(ctxt, params.get('parent_group_id'),
                                   'Parent group')
        values = _rule_values(ctxt, params, parent)
        if _duplicate(ctxt, parent, values):
            raise common.bad_request('This rule already exists in group %s'
                                     % parent['id'])
        rule = db.security_group_rule_create(ctxt, values)
        _compute_api().trigger_security_group_rules_refresh(
            ctxt, security_group_id=parent['id'])
        return {'security_group_rule': _rule_view(ctxt, rule)}

    def delete(self, req, id, **_args):
        """Remove a rule of one of the project's groups: 202."""
        ctxt = common.context_of(req)
        number = util.to_int(id, 'Rule id')
        try:
            rule = db.security_group_rule_get(ctxt, number)
        except exception.NotFound:
            raise common.not_found('Rule (%s) not found' % id)
        try:
            parent = _group_of_project(ctxt, rule['parent_group_id'])
        except webob.exc.HTTPNotFound:
            raise common.not_found('Rule (%s) not found' % id)
        db.security_group_rule_destroy(ctxt, rule['id'])
        _compute_api().trigger_security_group_rules_refresh(
            ctxt, security_group_id=parent['id'])
        return webob.Response(status=202)


def _group_name(args):
    name = args.get('name') if isinstance(args, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise common.bad_request('Missing parameter name')
    return name.strip()


def _named_group(ctxt, name):
    if name == 'default':
        db.security_group_ensure_default(ctxt)
    try:
        return db.security_group_get_by_name(ctxt, ctxt.project_id, name)
    except exception.NotFound:
        raise common.not_found('Security group %s not found' % name)


def _member_ids(ctxt, instance):
    return [g['id'] for g in db.security_group_get_by_instance(
        ctxt, instance['id'])]


def add_security_group(controller, req, instance, args):
    """``addSecurityGroup``: put the server into a group of its project."""
    ctxt = common.context_of(req)
    group = _named_group(ctxt, _group_name(args))
    if group['id'] in _member_ids(ctxt, instance):
        raise common.bad_request('Server is already in security group %s'
                                 % group['name'])
    db.instance_add_security_group(ctxt, instance['id'], group['id'])
    controller.compute_api.trigger_security_group_members_refresh(
        ctxt, [group['id']])
    controller.compute_api.trigger_security_group_rules_refresh(
        ctxt, security_group_id=group['id'])
    return webob.Response(status=202)


def remove_security_group(controller, req, instance, args):
    """``removeSecurityGroup``: take the server out of a group."""
    ctxt = common.context_of(req)
    group = _named_group(ctxt, _group_name(args))
    if group['id'] not in _member_ids(ctxt, instance):
        raise common.bad_request('Server is not in security group %s'
                                 % group['name'])
    db.instance_remove_security_group(ctxt, instance['id'], group['id'])
    controller.compute_api.trigger_security_group_members_refresh(
        ctxt, [group['id']])
    remaining = _member_ids(ctxt, instance)
    if remaining:
        # A refresh of a group the server is still in rebuilds its chain
        # (without the removed group's rules) on its host.
        controller.compute_api.trigger_security_group_rules_refresh(
            ctxt, security_group_id=remaining[0])
    return webob.Response(status=202)


def resources():
    """``os-security-groups`` and ``os-security-group-rules``."""
    return [
        ResourceExtension('os-security-groups', SecurityGroupController(),
                          ('index', 'show', 'create', 'delete')),
        ResourceExtension('os-security-group-rules',
                          SecurityGroupRulesController(),
                          ('create', 'delete')),
    ]


def actions():
    """``addSecurityGroup`` and ``removeSecurityGroup``."""
    return {'addSecurityGroup': add_security_group,
            'removeSecurityGroup': remove_security_group}
