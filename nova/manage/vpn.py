"""``nova-manage vpn``: the projects' cloudpipe VPN endpoints.

``list`` shows each project's public VPN endpoint (``vpn_public_address:
vpn_public_port`` of its first network), its VPN instance (the one booted
from ``--vpn_image_id``) and whether the OpenVPN server answers a client
hello; ``run`` launches a project's VPN instance (nova/cloudpipe/pipelib.py)
and ``spawn`` one for every project lacking it; ``change`` sets the public
endpoint of all of a project's networks.
"""

import ipaddress

from nova import db
from nova import exception
from nova import flags
from nova.cloudpipe.ping import vpn_ping
from nova.manage.base import CommandError, admin_context, args

FLAGS = flags.FLAGS

LIST_FORMAT = '%-12s\t%-20s\t%-20s\t%s'
# Seconds between two launches of ``vpn spawn`` (as Diablo).
SPAWN_INTERVAL = 10


def _vpn_instance(ctxt, project_id):
    from nova.cloudpipe import pipelib
    return pipelib.find_vpn_instance(ctxt, project_id)


def _fixed_address(ctxt, instance):
    try:
        fixed_ips = db.fixed_ip_get_by_instance(ctxt, instance['id'])
    except exception.NotFound:
        return None
    return fixed_ips[0]['address'] if fixed_ips else None


def _launch(project_id, user_id=None):
    from nova.cloudpipe import pipelib
    instance = pipelib.CloudPipe().launch_vpn_instance(project_id, user_id)
    print('Launched VPN instance i-%08x of project %s (key pair and security '
          'group %s)' % (instance['id'], project_id,
                         pipelib.vpn_name(project_id)))
    return instance


class VpnCommands(object):
    """Cloudpipe VPN endpoints of projects."""

    @args('--project', dest='project', metavar='<project name>',
          help='Project name')
    def list(self, project=None):
        """Public endpoint, VPN instance and state of each project."""
        from nova.auth import manager
        ctxt = admin_context()
        projects = manager.AuthManager().get_projects()
        if project is not None:
            projects = [p for p in projects if p.id == project]
        print(LIST_FORMAT % ('project', 'ip:port', 'private_ip', 'state'))
        for proj in projects:
            networks = db.project_get_networks(ctxt, proj.id,
                                               associate=False)
            ipport = private_ip = None
            if networks:
                net = networks[0]
                ipport = '%s:%s' % (net['vpn_public_address'],
                                    net['vpn_public_port'])
                private_ip = net['vpn_private_address']
            instance = _vpn_instance(ctxt, proj.id)
            state = 'None'
            if instance is not None:
                up = bool(networks) and networks[0]['vpn_public_address'] \
                    and vpn_ping(networks[0]['vpn_public_address'],
                                 networks[0]['vpn_public_port'])
                state = '%s %s i-%08x %s %s' % (
                    _fixed_address(ctxt, instance), instance['host'],
                    instance['id'], instance['vm_state'],
                    'up' if up else 'down')
            print(LIST_FORMAT % (proj.id, ipport, private_ip, state))

    @args('--project', dest='project_id', metavar='<Project name>',
          help='Project name')
    @args('--user', dest='user_id', metavar='<user name>',
          help='User name (the project manager if not given)')
    def run(self, project_id, user_id=None):
        """Launch the cloudpipe VPN instance of a project."""
        if user_id is None:
            print('WARNING: This method only works with deprecated auth')
        _launch(project_id, user_id)

    def spawn(self):
        """Launch a VPN instance for every project that has none running."""
        from nova.auth import manager
        from nova.cloudpipe import pipelib
        from nova.utils import concurrency
        if not FLAGS.vpn_image_id:
            raise exception.CloudpipeImageNotSet()
        ctxt = admin_context()
        launched = failed = 0
        for proj in reversed(manager.AuthManager().get_projects()):
            if pipelib.find_vpn_instance(ctxt, proj.id) is not None:
                continue
            if launched:
                concurrency.sleep(SPAWN_INTERVAL)
            try:
                _launch(proj.id)
            except exception.NovaException as exc:
                # One project's failure does not stop the others.
                print('ERROR: project %s: %s' % (proj.id, exc))
                failed += 1
                continue
            launched += 1
        if failed:
            raise CommandError('%d VPN launch(es) failed' % failed)
        if not launched:
            print('Every project already has a VPN instance')

    @args('--project', dest='project_id', metavar='<Project name>',
          help='Project name')
    @args('--ip', dest='ip', metavar='<IP Address>', help='IP Address')
    @args('--port', dest='port', metavar='<Port>', help='Port')
    def change(self, project_id, ip, port):
        """Set the public VPN endpoint of all of a project's networks."""
        try:
            ipaddress.IPv4Address(str(ip))
        except ValueError:
            raise CommandError('%s is not an IPv4 address' % ip)
        if not str(port).isdigit() or not 0 < int(port) < 65536:
            raise CommandError('%s is not a port number' % port)
        ctxt = admin_context()
        networks = db.project_get_networks(ctxt, project_id,
                                           associate=False)
        if not networks:
            raise CommandError('project %s has no networks' % project_id)
        for network in networks:
            db.network_update(ctxt, network['id'],
                              {'vpn_public_address': str(ip),
                               'vpn_public_port': int(port)})
