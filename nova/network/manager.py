"""Managers of nova-network: Flat, FlatDHCP and Vlan.

:class:`NetworkManager` holds what the three share: creating networks and
their fixed IPs (``nova-manage network create``), giving an instance a
virtual interface (a unique MAC) and a fixed IP on each of its networks,
taking them back, describing them (``network_info``), the DHCP lease
callbacks of ``nova-dhcpbridge``, and a periodic task freeing addresses
released longer than ``--fixed_ip_disassociate_timeout`` ago.

Addresses are claimed by :func:`nova.db.fixed_ip_associate_pool`, which is
atomic: two concurrent launches never get the same fixed IP.

``network_info`` (what ``allocate_for_instance`` and
``get_instance_nw_info`` return) is a list with one ``(network, info)``
pair per virtual interface; ``network`` has ``id``, ``bridge``, ``cidr``,
``cidr_v6``, ``injected``, ``vlan``, ``bridge_interface``, ``multi_host``;
``info`` has ``label``, ``gateway``, ``dhcp_server``, ``broadcast``,
``mac``, ``vif_uuid``, ``rxtx_cap``, ``dns``, ``ips`` (``{'ip', 'netmask',
'enabled'}``), ``should_create_bridge``, ``should_create_vlan`` and, for
IPv6 networks, ``ip6s`` and ``gateway6``.

Every boot and delete goes through here, so each step reads only what it
uses, in as few statements as it can: which networks an instance already
has (one statement), claiming an address and marking it allocated on the
instance's interface (one UPDATE), its ``network_info`` (one statement
joining interfaces, networks and fixed IPs), and at deallocation its
addresses (one narrow read).
"""

import datetime
import logging
import random
import socket

from nova import db
from nova import exception
from nova import flags
from nova import manager
from nova import rpc
from nova import utils
from nova.network import floating_ips
from nova.network import host as host_network
from nova.network import multinic
from nova.network import subnets

LOG = logging.getLogger('nova.network.manager')
FLAGS = flags.FLAGS

flags.DEFINE_string('flat_network_bridge', None,
                    'bridge of flat networks (formerly br100); required for '
                    'FlatDHCP')
flags.DEFINE_string('flat_network_dns', '8.8.4.4',
                    'DNS server of flat networks')
flags.DEFINE_bool('flat_injected', False,
                  'inject the network configuration into the guest '
                  '(/etc/network/interfaces, Debian-based guests only)')
flags.DEFINE_string('flat_interface', None,
                    'interface FlatDHCP bridges into')
flags.DEFINE_integer('vlan_start', 100, 'first VLAN of private networks')
flags.DEFINE_string('vlan_interface', None,
                    'interface VlanManager binds bridges and VLANs to')
flags.DEFINE_integer('num_networks', 1, 'number of networks to support')
flags.DEFINE_string('vpn_ip', '$my_ip',
                    'public IP of the cloudpipe VPN servers')
flags.DEFINE_integer('vpn_start', 1000,
                     'first port of the cloudpipe VPN servers')
flags.DEFINE_bool('multi_host', False,
                  'run nova-network on every compute host and send network '
                  'commands to the instance\'s host')
flags.DEFINE_integer('network_size', 256,
                     'number of addresses in each private subnet')
flags.DEFINE_integer('cnt_vpn_clients', 0,
                     'number of addresses reserved for VPN clients')
flags.DEFINE_integer('fixed_ip_disassociate_timeout', 600,
                     'seconds after which a deallocated IP is disassociated')
flags.DEFINE_integer('create_unique_mac_address_attempts', 5,
                     'attempts to create a unique MAC address')
# Flags of Diablo features this project lacks (warned about when set).
flags.DEFINE_string('floating_range', '4.4.4.0/24',
                    'floating IP address block',
                    unsupported='floating_range (never read by Diablo)')
flags.DEFINE_string('network_host', socket.gethostname(),
                    'network host to use for IP allocation in flat modes',
                    unsupported='network_host (never read by Diablo)')
flags.DEFINE_bool('fake_call', False,
                  'do not cast to the network host (testing)',
                  unsupported='fake_call (never read by Diablo)')
flags.DEFINE_string('fixed_range_v6', 'fd00::/48',
                    'fixed IPv6 address block (nova-manage network create '
                    'takes --fixed_range_v6)',
                    unsupported='fixed_range_v6 (never read by Diablo)')
flags.DEFINE_string('gateway_v6', None, 'default IPv6 gateway',
                    unsupported='gateway_v6 (never read by Diablo)')

# What an operator gets when neither --bridge nor --flat_network_bridge is
# given (Diablo's fallback), and the VLAN interface the admin manual says
# is the default.
DEFAULT_FLAT_BRIDGE = 'br100'
DEFAULT_VLAN_INTERFACE = 'eth0'


def generate_mac_address():
    """A random MAC in Diablo's range, 02:16:3e:00:00:00-02:16:3e:7f:ff:ff."""
    mac = [0x02, 0x16, 0x3e, random.randint(0x00, 0x7f),
           random.randint(0x00, 0xff), random.randint(0x00, 0xff)]
    return ':'.join('%02x' % octet for octet in mac)


class NetworkManager(multinic.MultiNicMixin,
                     manager.SchedulerDependentManager):
    """Handles the RPC messages of the ``network`` topic.

    Allocation is database work only; the subclasses add the host side
    (bridges, dnsmasq, VLANs) in a later issue.
    """

    SHOULD_CREATE_BRIDGE = False
    SHOULD_CREATE_VLAN = False
    # Whether released addresses stay with their instance until DHCP says
    # so (or the timeout passes).
    timeout_fixed_ips = True

    def __init__(self, network_driver=None, *args, **kwargs):
        kwargs.setdefault('service_name', 'network')
        super(NetworkManager, self).__init__(*args, **kwargs)

    # -- reserved addresses of a new network --------------------------------
    @property
    def bottom_reserved_ips(self):
        """Addresses reserved at the start of a subnet: network, gateway."""
        return 2

    @property
    def top_reserved_ips(self):
        """Addresses reserved at the end of a subnet: broadcast."""
        return 1

    # -- creating and deleting networks ---------------------------------------
    def _network_defaults(self, bridge, bridge_interface):
        """Bridge and interface of new networks, from flags if not given."""
        return bridge or FLAGS.flat_network_bridge or DEFAULT_FLAT_BRIDGE, \
            bridge_interface or FLAGS.flat_interface

    def _plan(self, context, label, cidr, num_networks, network_size,
              cidr_v6, gateway_v6, **kwargs):
        return subnets.plan_networks(
            label, cidr, num_networks, network_size, cidr_v6=cidr_v6,
            gateway_v6=gateway_v6,
            min_size=self.bottom_reserved_ips + self.top_reserved_ips + 1)

    def create_networks(self, context, label, cidr, multi_host=False,
                        num_networks=1, network_size=None, cidr_v6=None,
                        gateway_v6=None, bridge=None, bridge_interface=None,
                        dns1=None, dns2=None, project_id=None, priority=None,
                        uuid=None, progress=None, **kwargs):
        """Create networks and their fixed IPs; returns the networks.

        ``progress(done, total)`` is called while fixed IPs are inserted.

        ``network_size`` defaults to the range split in ``num_networks``,
        at most ``--network_size``.  Everything is checked before anything
        is written, and all of it is written in one transaction.  Raises
        InvalidCidr, InvalidInput, NetworkNotCreated or NetworkExists
        (overlap with a network).
        """
        if network_size is None:
            network_size = FLAGS.network_size
            if cidr:
                each = subnets.parse_cidr(cidr).num_addresses // max(
                    1, int(num_networks))
                network_size = min(each, network_size)
        plan = self._plan(context, label, cidr, num_networks, network_size,
                          cidr_v6, gateway_v6, **kwargs)
        bridge, bridge_interface = self._network_defaults(bridge,
                                                          bridge_interface)
        entries = []
        for row, subnet_v4 in plan:
            values = {'bridge': bridge, 'bridge_interface': bridge_interface,
                      'multi_host': bool(multi_host), 'dns1': dns1,
                      'dns2': dns2, 'project_id': project_id,
                      'priority': priority, 'injected': FLAGS.flat_injected,
                      'uuid': uuid if uuid and len(plan) == 1
                      else str(utils.gen_uuid())}
            values.update(row)
            addresses = subnets.fixed_addresses(
                subnet_v4, self.bottom_reserved_ips,
                self.top_reserved_ips) if subnet_v4 else []
            entries.append((values, addresses))
        return db.network_create_with_fixed_ips(context, entries,
                                                progress=progress)

    def delete_network(self, context, fixed_range, require_disassociated=True):
        """Delete the network of ``fixed_range`` unless addresses are used."""
        network = db.network_get_by_cidr(context, fixed_range)
        db.network_delete_safe(context, network['id'])

    # -- which networks an instance joins ---------------------------------------
    def _get_networks_for_instance(self, context, instance_id, project_id,
                                   requested_networks=None):
        """Flat managers: every network without a VLAN."""
        networks = db.network_get_all_without_vlan(context)
        if requested_networks:
            wanted = set(uuid for uuid, _address in requested_networks)
            networks = [n for n in networks if n['uuid'] in wanted]
        return networks

    # -- allocation ---------------------------------------------------------------
    def set_network_host(self, context, network_id):
        """Make this host the network's host if it has none; returns it."""
        return db.network_set_host(context, network_id, self.host)

    def allocate_for_instance(self, context, instance_id, host=None,
                              project_id=None, instance_type_id=None,
                              vpn=False, requested_networks=None, **kwargs):
        """Give an instance a MAC and a fixed IP on each of its networks.

        Returns its ``network_info``.  On failure, whatever was allocated
        is taken back before the error is raised.  Idempotent: a network
        where the instance already has its VIF or fixed IP (a message
        delivered again, a build resumed) gets no second one.
        """
        admin = context.elevated()
        networks = self._get_networks_for_instance(
            admin, instance_id, project_id,
            requested_networks=requested_networks)
        if not networks:
            raise exception.NoNetworksFound()
        addresses = dict(requested_networks or [])
        LOG.debug('network allocations for instance %s: networks %s',
                  instance_id, [n['id'] for n in networks])
        have_vif, have_ip = db.virtual_interface_get_allocated_networks(
            admin, instance_id)
        try:
            for network in networks:
                if network['id'] not in have_vif:
                    self._add_virtual_interface(admin, instance_id,
                                                network['id'])
            for network in networks:
                if network['id'] in have_ip:
                    continue
                self._allocate_on_network_host(
                    admin, instance_id, network, host, vpn=vpn,
                    address=addresses.get(network['uuid']))
        except Exception:
            LOG.warning('allocation for instance %s failed; taking back '
                        'its addresses', instance_id)
            self.deallocate_for_instance(admin, instance_id)
            raise
        # The host matters only for the DHCP server of a multi_host network
        # (without one, the reads of simultaneous allocations join up).
        if not any(n['multi_host'] for n in networks) and \
                not have_vif - set(n['id'] for n in networks):
            host = None
        return self.get_instance_nw_info(context, instance_id,
                                         instance_type_id, host)

    def _allocate_on_network_host(self, context, instance_id, network, host,
                                  vpn=False, address=None):
        # The network's host, or under multi_host the instance's own host,
        # claims the address: its dnsmasq must learn it (Diablo's
        # RPCAllocateFixedIP), whichever nova-network took the request.
        if not network['multi_host']:
            host = network['host'] or self.set_network_host(context,
                                                            network['id'])
        if host and host != self.host:
            topic = '%s.%s' % (FLAGS.network_topic, host)
            return rpc.call(context, topic, {
                'method': 'allocate_fixed_ip_on_host',
                'args': {'instance_id': instance_id,
                         'network_id': network['id'],
                         'address': address, 'vpn': vpn}})
        return self.allocate_fixed_ip(context, instance_id, network,
                                      vpn=vpn, address=address, host=host)

    def allocate_fixed_ip_on_host(self, context, instance_id, network_id,
                                  address=None, vpn=False):
        """RPC form of :meth:`allocate_fixed_ip` for the network's host."""
        network = db.network_get(context.elevated(), network_id)
        return self.allocate_fixed_ip(context, instance_id, network,
                                      vpn=vpn, address=address)

    def _add_virtual_interface(self, context, instance_id, network_id):
        """Create a VIF with a MAC no other VIF has; returns it."""
        values = {'instance_id': instance_id, 'network_id': network_id,
                  'uuid': str(utils.gen_uuid())}
        for _attempt in range(max(1, FLAGS.create_unique_mac_address_attempts)):
            values['address'] = generate_mac_address()
            try:
                return db.virtual_interface_create(context, values)
            except exception.VirtualInterfaceCreateException:
                LOG.debug('MAC %s taken; trying another', values['address'])
        raise exception.VirtualInterfaceMacAddressException()

    def allocate_fixed_ip(self, context, instance_id, network, vpn=False,
                          address=None, host=None):
        """Claim a fixed IP of ``network`` for the instance; returns it."""
        admin = context.elevated()
        if not network['cidr']:
            return None
        # The claim also marks the address allocated on the instance's
        # interface of the network (one UPDATE).
        if address:
            return db.fixed_ip_associate(admin, address, instance_id,
                                         network['id'], allocate=True)
        # fixed_ips.host marks a multi_host host's own DHCP/gateway
        # address (see nova.network.host), never an instance's.
        return db.fixed_ip_associate_pool(admin, network['id'], instance_id,
                                          allocate=True)

    # -- deallocation -----------------------------------------------------------------
    def deallocate_for_instance(self, context, instance_id, **kwargs):
        """Take back an instance's fixed IPs and virtual interfaces."""
        admin = context.elevated()
        addresses = db.fixed_ip_get_addresses_by_instance(admin, instance_id)
        LOG.debug('network deallocation for instance %s: %s', instance_id,
                  addresses)
        for address in addresses:
            self.deallocate_fixed_ip(admin, address)
        db.virtual_interface_delete_by_instance(admin, instance_id)

    def deallocate_fixed_ip(self, context, address, **kwargs):
        """Return an address to the pool.

        An address a DHCP server has leased stays with its instance until
        the server reports the release (``release_fixed_ip``) or
        ``--fixed_ip_disassociate_timeout`` passes; any other is free now.
        """
        admin = context.elevated()
        if self.timeout_fixed_ips:
            db.fixed_ip_deallocate(admin, address)      # one UPDATE
        else:
            db.fixed_ip_disassociate(admin, address)

    # -- DHCP callbacks (nova-dhcpbridge) --------------------------------------------
    def lease_fixed_ip(self, context, address):
        """dnsmasq leased ``address``: mark it leased."""
        admin = context.elevated()
        fixed_ip = db.fixed_ip_get_by_address(admin, address)
        if fixed_ip['instance_id'] is None:
            LOG.warning('IP %s leased that is not associated', address)
            return
        db.fixed_ip_update(admin, address, {'leased': True,
                                            'updated_at': utils.utcnow()})
        if not fixed_ip['allocated']:
            LOG.warning('IP %s leased that is not allocated', address)

    def release_fixed_ip(self, context, address):
        """dnsmasq released ``address``: free it if the instance is gone."""
        admin = context.elevated()
        fixed_ip = db.fixed_ip_get_by_address(admin, address)
        if fixed_ip['instance_id'] is None:
            LOG.warning('IP %s released that is not associated', address)
            return
        if not fixed_ip['leased']:
            LOG.warning('IP %s released that was not leased', address)
        db.fixed_ip_update(admin, address, {'leased': False})
        if not fixed_ip['allocated']:
            db.fixed_ip_disassociate(admin, address)

    @manager.periodic_task
    def disassociate_stale_fixed_ips(self, context):
        """Free addresses released more than the timeout ago."""
        if not self.timeout_fixed_ips:
            return 0
        before = utils.utcnow() - datetime.timedelta(
            seconds=FLAGS.fixed_ip_disassociate_timeout)
        count = db.fixed_ip_disassociate_all_by_timeout(context, self.host,
                                                        before)
        if count:
            LOG.debug('disassociated %d stale fixed ip(s)', count)
        return count

    # -- describing an instance's networking -----------------------------------------
    def get_instance_nw_info(self, context, instance_id, instance_type_id=None,
                             host=None):
        """The ``network_info`` of an instance (see the module docstring).

        Read in one statement (asked at every boot and delete): its
        interfaces with their networks and fixed IPs, the flavor's
        ``rxtx_cap`` and, on multi_host networks, the address of ``host``
        (the instance's DHCP server there; elsewhere the gateway).
        """
        return self._instance_nw_info(context.elevated(), instance_id,
                                      instance_type_id, host)

    def _instance_nw_info(self, admin, instance_id, instance_type_id, host):
        vifs = db.virtual_interface_get_network_info(
            admin, instance_id, host=host or None,
            instance_type_id=instance_type_id)
        result = []
        for vif in vifs:
            network = vif['network']
            dhcp_server = network['gateway']
            if network['multi_host'] and vif['dhcp_address'] is not None:
                dhcp_server = vif['dhcp_address']
            network_dict = {
                'id': network['id'], 'bridge': network['bridge'],
                'cidr': network['cidr'], 'cidr_v6': network['cidr_v6'],
                'injected': network['injected'], 'vlan': network['vlan'],
                'bridge_interface': network['bridge_interface'],
                'multi_host': network['multi_host']}
            info = {
                'label': network['label'], 'gateway': network['gateway'],
                'dhcp_server': dhcp_server,
                'broadcast': network['broadcast'], 'mac': vif['address'],
                'vif_uuid': vif['uuid'], 'rxtx_cap': vif['rxtx_cap'] or 0,
                'dns': [d for d in (network['dns1'], network['dns2']) if d],
                'ips': [{'ip': address, 'netmask': network['netmask'],
                         'enabled': '1'} for address in vif['addresses']],
                'should_create_bridge': self.SHOULD_CREATE_BRIDGE,
                'should_create_vlan': self.SHOULD_CREATE_VLAN}
            if network['cidr_v6']:
                info['ip6s'] = [{
                    'ip': subnets.mac_to_ipv6(network['cidr_v6'],
                                              vif['address']),
                    'netmask': network['netmask_v6'], 'enabled': '1'}]
            if network['gateway_v6']:
                info['gateway6'] = network['gateway_v6']
            result.append((network_dict, info))
        return result


class FlatManager(NetworkManager):
    """Networks bridged by hand; addresses from the database.

    Nothing is done on the host: the operator creates the bridge
    (``--flat_network_bridge``), and addresses reach guests by injection
    (``--flat_injected``).  An address is free again as soon as its
    instance is terminated.
    """

    timeout_fixed_ips = False

    def deallocate_fixed_ip(self, context, address, **kwargs):
        """Return an address to the pool at once."""
        db.fixed_ip_disassociate(context.elevated(), address)

    def allocate_floating_ip(self, context, *args, **kwargs):
        """FlatManager has no floating IPs: a clear error, not a 500."""
        raise exception.FloatingIpsUnsupported(manager=type(self).__name__)

    associate_floating_ip = allocate_floating_ip
    disassociate_floating_ip = allocate_floating_ip


class FlatDHCPManager(host_network.HostNetworkMixin,
                      floating_ips.FloatingIPMixin, NetworkManager):
    """Flat networks with a bridge and dnsmasq managed by Nova.

    The network host bridges ``--flat_interface`` into the network's
    bridge, puts the gateway address on it, runs dnsmasq handing out each
    instance its fixed IP (leases come back through ``nova-dhcpbridge``),
    SNATs ``--fixed_range`` and forwards the metadata address and floating
    IPs (see :mod:`nova.network.host` and :mod:`nova.network.floating_ips`).
    """

    SHOULD_CREATE_BRIDGE = True


class VlanManager(host_network.HostNetworkMixin,
                  floating_ips.FloatingIPMixin, NetworkManager):
    """One VLAN, bridge and DHCP server per project.

    A project gets the first network without a project on its first
    launch, and its instances addresses of that network (the cloudpipe VPN
    instance the network's ``vpn_private_address``).  On the host each
    network gets its VLAN interface on ``--vlan_interface`` (which needs the
    kernel's 802.1Q support), a bridge, a gateway address, a dnsmasq and
    the forward of ``vpn_public_address:vpn_public_port`` to its VPN.
    """

    SHOULD_CREATE_BRIDGE = True
    SHOULD_CREATE_VLAN = True

    @property
    def bottom_reserved_ips(self):
        """Network, gateway and the project's VPN server."""
        return super(VlanManager, self).bottom_reserved_ips + 1

    @property
    def top_reserved_ips(self):
        """Broadcast and ``--cnt_vpn_clients`` addresses."""
        return super(VlanManager, self).top_reserved_ips + \
            FLAGS.cnt_vpn_clients

    def _network_defaults(self, bridge, bridge_interface):
        return bridge, bridge_interface or FLAGS.vlan_interface or \
            FLAGS.flat_interface or DEFAULT_VLAN_INTERFACE

    def _plan(self, context, label, cidr, num_networks, network_size,
              cidr_v6, gateway_v6, vlan_start=None, vpn_start=None,
              **kwargs):
        existing = db.network_get_all(context)
        return subnets.plan_networks(
            label, cidr, num_networks, network_size, cidr_v6=cidr_v6,
            gateway_v6=gateway_v6,
            vlan_start=FLAGS.vlan_start if vlan_start is None else vlan_start,
            vpn_start=FLAGS.vpn_start if vpn_start is None else vpn_start,
            used_vlans=[n['vlan'] for n in existing if n['vlan']],
            used_vpn_ports=[n['vpn_public_port'] for n in existing
                            if n['vpn_public_port']],
            min_size=self.bottom_reserved_ips + self.top_reserved_ips + 1)

    def create_networks(self, context, label, cidr, multi_host=False,
                        num_networks=1, network_size=None, cidr_v6=None,
                        gateway_v6=None, bridge=None, bridge_interface=None,
                        dns1=None, dns2=None, **kwargs):
        """Create project networks, each with its VLAN, bridge and VPN."""
        networks = super(VlanManager, self).create_networks(
            context, label, cidr, multi_host=multi_host,
            num_networks=num_networks, network_size=network_size,
            cidr_v6=cidr_v6, gateway_v6=gateway_v6, bridge=None,
            bridge_interface=bridge_interface, dns1=dns1, dns2=dns2,
            **kwargs)
        if bridge and len(networks) == 1:
            networks = [db.network_update(context, networks[0]['id'],
                                          {'bridge': bridge})]
        return networks

    def _get_networks_for_instance(self, context, instance_id, project_id,
                                   requested_networks=None):
        """The project's networks, giving it a free one on first use."""
        networks = db.project_get_networks(context, project_id)
        if requested_networks:
            wanted = set(uuid for uuid, _address in requested_networks)
            networks = [n for n in networks if n['uuid'] in wanted]
        return networks

    def allocate_fixed_ip(self, context, instance_id, network, vpn=False,
                          address=None, host=None):
        """As NetworkManager's; the VPN instance gets the VPN address."""
        if vpn and network['vpn_private_address']:
            admin = context.elevated()
            address = db.fixed_ip_associate(
                admin, network['vpn_private_address'], instance_id,
                network['id'], reserved=True, allocate=True)
            self._refresh_dhcp(context, network['id'])
            return address
        return super(VlanManager, self).allocate_fixed_ip(
            context, instance_id, network, address=address, host=host)

    def _setup_network(self, context, network):
        """As FlatDHCP's, plus the VPN address and its forward."""
        if not network['vpn_public_address']:
            network = db.network_update(context.elevated(), network['id'],
                                        {'vpn_public_address': FLAGS.vpn_ip})
        dev = super(VlanManager, self)._setup_network(context, network)
        if network['vpn_public_address'] == FLAGS.vpn_ip and \
                network['vpn_private_address'] and not FLAGS.fake_network:
            self.driver.ensure_vpn_forward(FLAGS.vpn_ip,
                                           network['vpn_public_port'],
                                           network['vpn_private_address'])
        return dev
