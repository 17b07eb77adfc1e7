"""``nova-manage network``: create, list, modify and delete networks."""

import ipaddress
import math
import sys

from nova import db
from nova import exception
from nova import flags
from nova import utils
from nova.manage.base import CommandError, admin_context, args

FLAGS = flags.FLAGS

LIST_FORMAT = '%-5s\t%-18s\t%-15s\t%-15s\t%-15s\t%-15s\t%-15s\t%-15s\t%-15s'
#: Diablo's ``network quantum_list`` row: uuid, project, priority, v4 , v6.
QUANTUM_FORMAT = '%-32s\t%-10s\t%-10s\t%s , %s'
QUANTUM_UNAVAILABLE = ('QuantumManager is not available (--network_manager=%s):'
                       ' these are nova\'s own networks.')


def _is_integer(value):
    return value is not None and str(value).strip().lstrip('-').isdigit()


def _legacy_order(values):
    """Rearrange the positional words of the pre-Diablo signature.

    The admin manual still shows ``network create LABEL CIDR NUM SIZE
    [vlan_start] [vpn_start] [fixed_range_v6]`` (Cactus's order, without
    ``multi_host``): a number where ``multi_host`` (T/F) belongs means
    that order.
    """
    if not _is_integer(values.get('multi_host')):
        return values
    names = ['multi_host', 'vlan_start', 'vpn_start', 'fixed_range_v6',
             'gateway_v6', 'bridge', 'bridge_interface']
    shifted = dict(values)
    words = [values.get(name) for name in names]
    if values.get('bridge_interface') is not None:
        raise CommandError('too many arguments for the order label, '
                           'fixed_range, num_networks, network_size, '
                           'vlan_start, vpn_start, fixed_range_v6, '
                           'gateway_v6, bridge, bridge_interface')
    shifted['multi_host'] = None
    for name, word in zip(names[1:], words[:-1]):
        shifted[name] = word
    return shifted


def _network_manager():
    return utils.import_object(FLAGS.network_manager)


def _progress(done, total):
    """A progress line on stderr for big ranges (over 100,000 addresses)."""
    if total < 100000:
        return
    sys.stderr.write('\rCreating fixed IPs: %d/%d (%d%%)'
                     % (done, total, done * 100 // total))
    if done >= total:
        sys.stderr.write('\n')
    sys.stderr.flush()


class NetworkCommands(object):
    """Manage the fixed-IP networks (tables networks and fixed_ips)."""

    @args('--label', dest='label', metavar='<label>',
          help='Label for network (ex: public)')
    @args('--fixed_range_v4', '--fixed_range', dest='fixed_range_v4',
          metavar='<x.x.x.x/yy>', help='IPv4 subnet (ex: 10.0.0.0/8)')
    @args('--num_networks', dest='num_networks', metavar='<number>',
          help='Number of networks to create')
    @args('--network_size', dest='network_size', metavar='<number>',
          help='Number of IPs per network')
    @args('--multi_host', dest='multi_host', metavar="<'T'|'F'>",
          help='Multi host')
    @args('--vlan', dest='vlan_start', metavar='<vlan id>', help='vlan id')
    @args('--vpn', dest='vpn_start', metavar='<vpn start>',
          help='vpn start')
    @args('--fixed_range_v6', dest='fixed_range_v6',
          help='IPv6 subnet (ex: fe80::/64)')
    @args('--gateway_v6', dest='gateway_v6', help='ipv6 gateway')
    @args('--bridge', dest='bridge', metavar='<bridge>',
          help='VIFs on this network are connected to this bridge')
    @args('--bridge_interface', dest='bridge_interface',
          metavar='<bridge interface>',
          help='the bridge is connected to this interface')
    @args('--dns1', dest='dns1', metavar='<DNS Address>',
          help='First DNS')
    @args('--dns2', dest='dns2', metavar='<DNS Address>',
          help='Second DNS')
    @args('--uuid', dest='uuid', metavar='<network uuid>',
          help='Network UUID')
    @args('--project_id', dest='project_id', metavar='<project id>',
          help='Project id')
    @args('--priority', dest='priority', metavar='<number>',
          help='Network interface priority')
    def create(self, label=None, fixed_range_v4=None, num_networks=None,
               network_size=None, multi_host=None, vlan_start=None,
               vpn_start=None, fixed_range_v6=None, gateway_v6=None,
               bridge=None, bridge_interface=None, dns1=None, dns2=None,
               project_id=None, priority=None, uuid=None):
        """Create networks and their fixed IPs.

        ``create LABEL CIDR NUM_NETWORKS NETWORK_SIZE [multi_host T|F]
        [vlan_start] [vpn_start] [fixed_range_v6] ...`` or the --options.
        """
        values = _legacy_order(dict(
            multi_host=multi_host, vlan_start=vlan_start, vpn_start=vpn_start,
            fixed_range_v6=fixed_range_v6, gateway_v6=gateway_v6,
            bridge=bridge, bridge_interface=bridge_interface))
        if not label:
            raise exception.NetworkNotCreated(req='--label')
        if not (fixed_range_v4 or values['fixed_range_v6']):
            raise exception.NetworkNotCreated(
                req='--fixed_range_v4 or --fixed_range_v6')
        num_networks = self._number(num_networks, 'num_networks',
                                    FLAGS.num_networks)
        if num_networks < 1:
            raise CommandError('num_networks must be at least 1')
        if fixed_range_v4:
            fixed_range_v4 = self._check_v4(fixed_range_v4)
        network_size = self._network_size(fixed_range_v4, num_networks,
                                          network_size)
        multi = values['multi_host']
        multi = FLAGS.multi_host if multi is None \
            else utils.bool_from_str(multi)
        net_manager = _network_manager()
        vlan_mode = getattr(net_manager, 'SHOULD_CREATE_VLAN', False)
        notes = []
        if not vlan_mode and not (values['bridge'] or
                                  FLAGS.flat_network_bridge):
            notes.append('No --bridge given and --flat_network_bridge is not '
                         'set: using br100.')
        if vlan_mode and not (values['bridge_interface'] or
                              FLAGS.vlan_interface or FLAGS.flat_interface):
            notes.append('No --bridge_interface given and --vlan_interface '
                         'is not set: using eth0.')
        extra = {}
        if vlan_mode:
            extra['vlan_start'] = self._number(values['vlan_start'],
                                               'vlan_start', None)
            extra['vpn_start'] = self._number(values['vpn_start'],
                                              'vpn_start', None)
        net_manager.create_networks(
            admin_context(), label=label, cidr=fixed_range_v4,
            multi_host=multi, num_networks=num_networks,
            network_size=network_size,
            cidr_v6=values['fixed_range_v6'],
            gateway_v6=values['gateway_v6'], bridge=values['bridge'],
            bridge_interface=values['bridge_interface'],
            dns1=dns1 or FLAGS.flat_network_dns or None, dns2=dns2,
            project_id=project_id,
            priority=self._number(priority, 'priority', None),
            uuid=uuid, progress=_progress, **extra)
        for note in notes:
            print(note)

    @staticmethod
    def _number(value, name, default):
        if value is None or value == '':
            return default
        if not _is_integer(value):
            raise CommandError('%s must be a number, not %r' % (name, value))
        return int(value)

    @staticmethod
    def _check_v4(cidr):
        text = str(cidr).strip()
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError as exc:
            raise exception.InvalidCidr(cidr=cidr, reason=str(exc))
        if net.version != 4:
            raise exception.InvalidCidr(cidr=cidr, reason='not an IPv4 range')
        if '/' not in text:
            raise exception.InvalidCidr(
                cidr=cidr, reason='a prefix length (/N) is needed')
        if str(net) != text:
            print('Note: %s is not a network address; using %s.'
                  % (text, net))
        return str(net)

    @staticmethod
    def _network_size(cidr, num_networks, network_size):
        if network_size not in (None, ''):
            if not _is_integer(network_size) or int(network_size) < 1:
                raise CommandError('network_size must be a positive number, '
                                   'not %r' % (network_size,))
            return int(network_size)
        if not cidr:
            return FLAGS.network_size
        each = ipaddress.ip_network(cidr).num_addresses // num_networks
        if each > FLAGS.network_size:
            size = FLAGS.network_size
            if FLAGS.is_set('network_size'):
                # --network_size was given (nova-manage takes it as the
                # flag of that name): nothing to warn about.
                return size
            print('Subnet(s) too large, defaulting to /%s.  To override, '
                  'specify network_size flag.'
                  % (32 - int(math.log(size, 2))))
            return size
        return each

    def list(self):
        """List the networks: id, ranges, DHCP start, DNS, VLAN, project."""
        print(LIST_FORMAT % ('id', 'IPv4', 'IPv6', 'start address', 'DNS1',
                             'DNS2', 'VlanID', 'project', 'uuid'))
        for network in db.network_get_all(admin_context()):
            print(LIST_FORMAT % (network['id'], network['cidr'],
                                 network['cidr_v6'], network['dhcp_start'],
                                 network['dns1'], network['dns2'],
                                 network['vlan'], network['project_id'],
                                 network['uuid']))

    def quantum_list(self):
        """List the networks with the fields Quantum uses (uuid, project,
        priority, IPv4 and IPv6 ranges).

        Diablo printed these columns from the networks table whatever the
        network manager; this cloud has no QuantumManager, so a note on
        stderr says so and the networks listed are nova's own (the rows
        ``network list`` shows).
        """
        print(QUANTUM_UNAVAILABLE % FLAGS.network_manager, file=sys.stderr)
        networks = db.network_get_all(admin_context())
        print(QUANTUM_FORMAT % ('uuid', 'project', 'priority', 'cidr_v4',
                                'cidr_v6'))
        for network in networks:
            print(QUANTUM_FORMAT % (network['uuid'], network['project_id'],
                                    network['priority'], network['cidr'],
                                    network['cidr_v6']))

    @args('--network', dest='fixed_range', metavar='<x.x.x.x/yy>',
          help='Network to delete')
    def delete(self, fixed_range):
        """Delete a network and its addresses (none may be in use)."""
        _network_manager().delete_network(admin_context(), fixed_range)

    @args('--network', dest='fixed_range', metavar='<x.x.x.x/yy>',
          help='Network to modify')
    @args('--project', dest='project', metavar='<project name>',
          help='Project name to associate')
    @args('--host', dest='host', metavar='<host>',
          help='Host to associate')
    @args('--disassociate-project', action='store_true',
          dest='dis_project', default=False,
          help='Disassociate Network from Project')
    @args('--disassociate-host', action='store_true', dest='dis_host',
          default=False, help='Disassociate Host from Project')
    def modify(self, fixed_range, project=None, host=None, dis_project=None,
               dis_host=None):
        """Associate or disassociate a network's project and host."""
        ctxt = admin_context()
        network = db.network_get_by_cidr(ctxt, fixed_range)
        values = {}
        if project:
            values['project_id'] = project
        elif utils.bool_from_str(dis_project or False):
            values['project_id'] = None
        if host:
            values['host'] = host
        elif utils.bool_from_str(dis_host or False):
            values['host'] = None
        if values:
            db.network_update(ctxt, network['id'], values)
