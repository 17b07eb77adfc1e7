"""Host networking of nova-network on Linux (the ``--network_driver``).

Bridges (:func:`ensure_bridge`), VLAN interfaces (:func:`ensure_vlan`), the
gateway address on a bridge (:func:`initialize_gateway_device`), NAT
(:func:`init_host`, :func:`metadata_forward`, floating IPs, the cloudpipe
VPN forward) through the process's :data:`iptables_manager`, and dnsmasq /
radvd (:mod:`nova.network.linux_net.dhcp`).

Every command goes through :func:`nova.utils.execute` as root (the
``--root_helper`` is added unless the process is root).  This module never
reads the database or sends messages: the managers hand it every fact.
"""

import logging
import os
import sys

from nova import exception
from nova import flags
from nova import utils
from nova.network.linux_net import dhcp
from nova.network.linux_net import dnsmasq_access
from nova.network.linux_net import iptables

LOG = logging.getLogger('nova.network.linux_net')
FLAGS = flags.FLAGS

flags.DEFINE_string('public_interface', 'eth0',
                    'interface floating IPs are added to')
flags.DEFINE_string('routing_source_ip', '$my_ip',
                    'public IP of the network host; traffic of instances '
                    'without a floating IP is SNATed to it')
flags.DEFINE_string('dmz_cidr', '10.128.0.0/24',
                    'DMZ range that is not SNATed')
flags.DEFINE_string('linuxnet_interface_driver',
                    'nova.network.linux_net.LinuxBridgeInterfaceDriver',
                    'driver that creates the interfaces of networks',
                    importable=True)
flags.DEFINE_bool('send_arp_for_ha', False,
                  'send gratuitous ARPs for HA set-ups')
flags.DEFINE_string('fixed_range', '10.0.0.0/8', 'fixed IP address block')
flags.DEFINE_string('iptables_binary_name', None,
                    'prefix of the iptables chains this process owns '
                    '(default: the program name, e.g. nova-network)')
# Flags of Diablo features this project lacks (warned about when set).
flags.DEFINE_string('input_chain', 'INPUT',
                    'iptables chain for nova rules',
                    unsupported='input_chain (never read by Diablo)')
flags.DEFINE_string('linuxnet_ovs_integration_bridge', 'br-int',
                    'Open vSwitch bridge of the OVS interface driver',
                    unsupported='Open vSwitch interface driver')

METADATA_IP = '169.254.169.254'


def _execute(*cmd, **kwargs):
    """Run a command as root, or only log it under ``--fake_network``."""
    if FLAGS.fake_network:
        LOG.debug('fake_network: not running %s', ' '.join(map(str, cmd)))
        return '', ''
    kwargs.setdefault('run_as_root', True)
    return utils.execute(*cmd, **kwargs)


def _binary_name():
    if FLAGS.iptables_binary_name:
        return FLAGS.iptables_binary_name
    name = os.path.basename(sys.argv[0] or '')
    if name.startswith('nova-'):
        return name[:16]
    return 'nova-network'


class _LazyManager(object):
    """The process's IptablesManager, built on first use (after flags)."""

    _manager = None

    def get(self):
        """The manager (created with the flags of the moment)."""
        if _LazyManager._manager is None:
            _LazyManager._manager = iptables.IptablesManager(
                _binary_name(), _execute, FLAGS.lock_path,
                use_ipv6=FLAGS.use_ipv6)
        return _LazyManager._manager

    def reset(self, binary_name=None):
        """Forget the rules in memory (tests, a new binary name)."""
        _LazyManager._manager = None
        if binary_name:
            _LazyManager._manager = iptables.IptablesManager(
                binary_name, _execute, FLAGS.lock_path,
                use_ipv6=FLAGS.use_ipv6)
        return self.get()

    def __getattr__(self, name):
        return getattr(self.get(), name)


#: The one iptables manager of this process.
iptables_manager = _LazyManager()


# -- devices ----------------------------------------------------------------
def device_exists(device):
    """Whether a network device exists."""
    try:
        _out, err = _execute('ip', 'link', 'show', 'dev', device,
                             check_exit_code=False)
    except exception.ProcessExecutionError:
        return False
    return not err.strip()


def _global_addresses(device):
    """``[(params, label)]`` of the device's global IPv4 addresses."""
    out, _err = _execute('ip', 'addr', 'show', 'dev', device, 'scope',
                         'global')
    result = []
    for line in out.splitlines():
        fields = line.split()
        if fields and fields[0] == 'inet':
            result.append((fields[1:-1], fields[-1]))
    return result


def _default_gateways(device):
    out, _err = _execute('ip', 'route', 'show', 'dev', device,
                         check_exit_code=False)
    gateways = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[0] == 'default' and \
                fields[1] == 'via':
            gateways.append(fields[2])
    return gateways


def _master_of(device):
    out, _err = _execute('ip', '-o', 'link', 'show', 'dev', device)
    fields = out.split()
    if 'master' in fields:
        return fields[fields.index('master') + 1]
    return None


def ensure_bridge(bridge, interface, net_attrs=None):
    """Create ``bridge`` (if missing) and put ``interface`` into it.

    The interface's global addresses and default route move to the bridge,
    so the host keeps its connectivity; calling it again changes nothing.
    Raises ProcessExecutionError when the interface belongs to another
    bridge.  Adds the FORWARD accept rules of the bridge (in memory; they
    reach the kernel with the next ``iptables_manager.apply()``).
    """
    if not device_exists(bridge):
        LOG.debug('creating bridge %s', bridge)
        _execute('ip', 'link', 'add', bridge, 'type', 'bridge',
                 'forward_delay', '0', 'stp_state', '0')
    _execute('ip', 'link', 'set', bridge, 'up')
    if interface:
        master = _master_of(interface)
        if master and master != bridge:
            raise exception.ProcessExecutionError(
                cmd='ip link set %s master %s' % (interface, bridge),
                exit_code=1, stdout='',
                stderr='Failed to add interface: %s is already a member of '
                       'bridge %s' % (interface, master))
        if master is None:
            _execute('ip', 'link', 'set', interface, 'master', bridge)
        _execute('ip', 'link', 'set', interface, 'up')
        gateways = _default_gateways(interface)
        for gateway in gateways:
            _execute('ip', 'route', 'del', 'default', 'via', gateway,
                     'dev', interface, check_exit_code=False)
        for params, _label in _global_addresses(interface):
            _execute('ip', 'addr', 'del', *(params + ['dev', interface]))
            _execute('ip', 'addr', 'add', *(params + ['dev', bridge]))
        for gateway in gateways:
            _execute('ip', 'route', 'replace', 'default', 'via', gateway,
                     'dev', bridge)
    table = iptables_manager.ipv4['filter']
    table.add_rule('FORWARD', '--in-interface %s -j ACCEPT' % bridge)
    table.add_rule('FORWARD', '--out-interface %s -j ACCEPT' % bridge)


def ensure_vlan(vlan_num, bridge_interface, mac_address=None):
    """Create the 802.1Q interface ``vlan<N>`` on ``bridge_interface``.

    Raises VlanUnsupported naming the missing kernel support when the
    kernel cannot create VLAN devices (no ``8021q`` module).
    """
    interface = 'vlan%s' % vlan_num
    if device_exists(interface):
        return interface
    try:
        _execute('ip', 'link', 'add', 'link', bridge_interface, 'name',
                 interface, 'type', 'vlan', 'id', vlan_num)
    except exception.ProcessExecutionError as exc:
        raise exception.VlanUnsupported(
            interface=interface, parent=bridge_interface,
            reason=(exc.stderr or '').strip())
    if mac_address:
        _execute('ip', 'link', 'set', interface, 'address', mac_address)
    _execute('ip', 'link', 'set', interface, 'up')
    return interface


def ensure_vlan_bridge(vlan_num, bridge, bridge_interface, net_attrs=None,
                       mac_address=None):
    """A VLAN interface and a bridge on it; returns the VLAN interface."""
    interface = ensure_vlan(vlan_num, bridge_interface, mac_address)
    ensure_bridge(bridge, interface, net_attrs)
    return interface


def initialize_gateway_device(dev, network_ref):
    """Make the network's DHCP/gateway address the device's first address.

    ``network_ref`` needs ``dhcp_server``, ``cidr`` and ``broadcast`` (and
    ``cidr_v6`` with ``--use_ipv6``).  dnsmasq must own the primary address
    of the bridge, so the others are re-added after it.
    """
    import ipaddress
    prefix = ipaddress.ip_network(network_ref['cidr'],
                                  strict=False).prefixlen
    full_ip = '%s/%s' % (network_ref['dhcp_server'], prefix)
    new = [[full_ip, 'brd', network_ref['broadcast']]]
    old = _global_addresses(dev)
    for params, _label in old:
        if params[0] != full_ip:
            new.append(params)
    if not old or old[0][0][0] != full_ip:
        for params, _label in old:
            _execute('ip', 'addr', 'del', *(params + ['dev', dev]))
        for params in new:
            _execute('ip', 'addr', 'add', *(params + ['dev', dev]))
        if FLAGS.send_arp_for_ha:
            _execute('arping', '-U', network_ref['dhcp_server'], '-A', '-I',
                     dev, '-c', 1, check_exit_code=False)
    if FLAGS.use_ipv6 and network_ref.get('cidr_v6'):
        _execute('ip', '-f', 'inet6', 'addr', 'change',
                 network_ref['cidr_v6'], 'dev', dev)
    if FLAGS.public_interface == dev:
        _execute('ip', 'link', 'set', 'dev', dev, 'promisc', 'on')


class LinuxBridgeInterfaceDriver(object):
    """Networks on Linux bridges (with a VLAN interface under VlanManager)."""

    def plug(self, network, mac_address):
        """Create the network's bridge (and VLAN); returns the device."""
        if network.get('vlan') is not None:
            ensure_vlan_bridge(network['vlan'], network['bridge'],
                               network.get('bridge_interface'), network,
                               mac_address)
        else:
            ensure_bridge(network['bridge'], network.get('bridge_interface'),
                          network)
        return network['bridge']

    def unplug(self, network):
        """Nothing is removed (as in Diablo); returns the device."""
        return self.get_dev(network)

    def get_dev(self, network):
        """The network's device: its bridge."""
        return network['bridge']


def _interface_driver():
    return utils.import_object(FLAGS.linuxnet_interface_driver)


def plug(network, mac_address):
    """Create the network's device with ``--linuxnet_interface_driver``."""
    return _interface_driver().plug(network, mac_address)


def unplug(network):
    """Release the network's device."""
    return _interface_driver().unplug(network)


def get_dev(network):
    """The device of a network."""
    return _interface_driver().get_dev(network)


# -- NAT ----------------------------------------------------------------------
def init_host():
    """Default SNAT of ``--fixed_range`` and its exemptions; applies them."""
    nat = iptables_manager.ipv4['nat']
    nat.add_rule('snat', '-s %s -j SNAT --to-source %s'
                 % (FLAGS.fixed_range, FLAGS.routing_source_ip))
    nat.add_rule('POSTROUTING', '-s %s -d %s -j ACCEPT'
                 % (FLAGS.fixed_range, FLAGS.dmz_cidr))
    nat.add_rule('POSTROUTING', '-s %(range)s -d %(range)s -j ACCEPT'
                 % {'range': FLAGS.fixed_range})
    iptables_manager.apply()


def deferred_apply():
    """A block whose iptables applies are written once, at its end."""
    return iptables_manager.deferred_apply()


def ensure_metadata_ip():
    """Put 169.254.169.254 on ``lo`` (so local requests reach the API)."""
    _execute('ip', 'addr', 'add', '%s/32' % METADATA_IP, 'scope', 'link',
             'dev', 'lo', check_exit_code=False)


def metadata_forward():
    """DNAT 169.254.169.254:80 to ``--ec2_dmz_host:--ec2_port``; applies."""
    iptables_manager.ipv4['nat'].add_rule(
        'PREROUTING', '-s 0.0.0.0/0 -d %s/32 -p tcp -m tcp --dport 80 -j '
        'DNAT --to-destination %s:%s'
        % (METADATA_IP, FLAGS.ec2_dmz_host, FLAGS.ec2_port))
    iptables_manager.apply()


def floating_forward_rules(floating_ip, fixed_ip):
    """``[(chain, rule)]`` of the nat table for one floating IP."""
    return [('PREROUTING', '-d %s/32 -j DNAT --to-destination %s'
             % (floating_ip, fixed_ip)),
            ('OUTPUT', '-d %s/32 -j DNAT --to-destination %s'
             % (floating_ip, fixed_ip)),
            ('floating-snat', '-s %s/32 -j SNAT --to-source %s'
             % (fixed_ip, floating_ip))]


def ensure_floating_forward(floating_ip, fixed_ip):
    """Install (and apply) the NAT rules of a floating IP."""
    nat = iptables_manager.ipv4['nat']
    for chain, rule in floating_forward_rules(floating_ip, fixed_ip):
        nat.add_rule(chain, rule)
    iptables_manager.apply()


def remove_floating_forward(floating_ip, fixed_ip):
    """Remove (and apply) the NAT rules of a floating IP."""
    nat = iptables_manager.ipv4['nat']
    for chain, rule in floating_forward_rules(floating_ip, fixed_ip):
        nat.remove_rule(chain, rule)
    iptables_manager.apply()


def bind_floating_ip(floating_ip, check_exit_code=True):
    """Add a floating IP (/32) to ``--public_interface``."""
    _execute('ip', 'addr', 'add', '%s/32' % floating_ip, 'dev',
             FLAGS.public_interface, check_exit_code=check_exit_code)
    if FLAGS.send_arp_for_ha:
        _execute('arping', '-U', floating_ip, '-A', '-I',
                 FLAGS.public_interface, '-c', 1, check_exit_code=False)


def unbind_floating_ip(floating_ip):
    """Remove a floating IP from ``--public_interface`` (if it is there)."""
    _execute('ip', 'addr', 'del', '%s/32' % floating_ip, 'dev',
             FLAGS.public_interface, check_exit_code=[0, 2])


def ensure_vpn_forward(public_ip, port, private_ip):
    """Forward UDP ``public_ip:port`` to the cloudpipe's port 1194."""
    iptables_manager.ipv4['filter'].add_rule(
        'FORWARD', '-d %s -p udp --dport 1194 -j ACCEPT' % private_ip)
    nat = iptables_manager.ipv4['nat']
    for chain in ('PREROUTING', 'OUTPUT'):
        nat.add_rule(chain, '-d %s -p udp --dport %s -j DNAT '
                     '--to-destination %s:1194' % (public_ip, port,
                                                   private_ip))
    iptables_manager.apply()


def add_dhcp_accept_rules(dev):
    """Accept DHCP and DNS on ``dev`` in INPUT (after dnsmasq starts)."""
    table = iptables_manager.ipv4['filter']
    for proto in ('udp', 'tcp'):
        for port in (67, 53):
            table.add_rule('INPUT', '-i %s -p %s -m %s --dport %s -j ACCEPT'
                           % (dev, proto, proto, port))
    iptables_manager.apply()


def check_dhcp_files_readable():
    """Refuse to start (one clear line) if dnsmasq, once it has dropped to
    its unprivileged user, could not re-read its hosts files in
    ``--networks_path`` (see :mod:`nova.network.linux_net.dnsmasq_access`).
    Nothing to check under ``--fake_network``, where no dnsmasq runs."""
    if not FLAGS.fake_network:
        dnsmasq_access.check_networks_path()


def start_dhcp(dev, network_ref, hosts):
    """dnsmasq for a network (reloaded or started) and its INPUT rules."""
    started = dhcp.update_dhcp(dev, network_ref, hosts, _execute)
    add_dhcp_accept_rules(dev)
    return started


def release_dhcp(dev, address, mac_address):
    """Make the network's dnsmasq drop a lease now (``dhcp_release``)."""
    dhcp.release_dhcp(dev, address, mac_address, _execute)


def kill_dhcp(dev):
    """Stop the dnsmasq of ``dev``."""
    dhcp.kill_dhcp(dev, _execute)


def update_ra(dev, network_ref):
    """(Re)start radvd for the network's IPv6 prefix."""
    dhcp.update_ra(dev, network_ref, _execute)


def link_local_address(dev):
    """The first link-local IPv6 address of ``dev`` (None if none)."""
    out, _err = _execute('ip', '-f', 'inet6', '-o', 'addr', 'show', dev)
    for line in out.splitlines():
        if 'scope link' in line:
            return line.split()[3].split('/')[0]
    return None
