"""The host side of the DHCP network managers (FlatDHCP and Vlan).

:class:`HostNetworkMixin` makes the database's networks real on the network
host through ``--network_driver`` (``nova.network.linux_net``): at start-up
(:meth:`HostNetworkMixin.init_host`) the default SNAT, the metadata address
and DNAT, and for every network this host serves its bridge, gateway
address and dnsmasq; after each allocation or deallocation the network's
dnsmasq hosts file is rewritten and reloaded; with ``--force_dhcp_release``
a deallocated address's lease is dropped at once (``dhcp_release``).
"""

import contextlib
import logging

from nova import db
from nova import flags
from nova import utils
from nova.utils import concurrency

LOG = logging.getLogger('nova.network.host')
FLAGS = flags.FLAGS

#: one network set-up at a time in this nova-network (Diablo's
#: ``synchronized('ensure_bridge')``): under multi_host two allocations
#: for instances of this host arrive together, and the second must find
#: the bridge and gateway address the first made, not add them again
_SETUP_LOCK = concurrency.Semaphore(1)

#: (host, network id) -> Coalescer of its refreshes after allocations: when ten
#: instances of one RunInstances are allocated at once, the set-ups they
#: ask for while one runs (each one iptables-save/restore, ``ip`` commands
#: and a dnsmasq reload) are made once, after all of their addresses were
#: written, instead of once each
_REFRESHES = {}

flags.DEFINE_string('network_driver', 'nova.network.linux_net',
                    'driver to use for network creation', importable=True)
flags.DEFINE_bool('update_dhcp_on_disassociate', False,
                  'update dnsmasq when a fixed IP is disassociated')
flags.DEFINE_bool('force_dhcp_release', False,
                  'send a DHCP release to dnsmasq when an IP is deallocated')


class HostNetworkMixin(object):
    """Bridges, gateway addresses, NAT and dnsmasq for the managers."""

    @property
    def driver(self):
        """The ``--network_driver`` module."""
        if getattr(self, '_driver', None) is None:
            self._driver = utils.import_object(FLAGS.network_driver)
        return self._driver

    def init_host(self):
        """Re-create this host's networking from the database."""
        from nova import context as nova_context
        ctxt = nova_context.get_admin_context()
        check = getattr(self.driver, 'check_dhcp_files_readable', None)
        if check is not None:
            check()
        deferred = getattr(self.driver, 'deferred_apply',
                           contextlib.nullcontext)
        # the rules reach the kernel together at the end: a restart never
        # leaves the host without its bridge, DHCP or metadata rules
        with deferred():
            self.driver.init_host()
            self.driver.ensure_metadata_ip()
            networks = db.network_get_all_by_host(ctxt, self.host)
            for network in networks:
                self._setup_network(ctxt, network)
            init_floating = getattr(self, 'init_host_floating_ips', None)
            if init_floating is not None:
                init_floating(ctxt)
            self.driver.metadata_forward()
        LOG.info('networking of host %s set up (%d networks)', self.host,
                 len(networks))

    # -- one network --------------------------------------------------------
    def _get_dhcp_ip(self, context, network):
        """The address dnsmasq listens on: the gateway, or under multi_host
        this host's own address of the network (taken from the pool once)."""
        if not network['multi_host']:
            return network['gateway']
        fixed_ip = db.fixed_ip_get_by_network_host(context, network['id'],
                                                   self.host)
        if fixed_ip is not None:
            return fixed_ip['address']
        return db.fixed_ip_associate_pool(context.elevated(), network['id'],
                                          host=self.host)

    def _dhcp_hosts(self, context, network):
        """``[{mac, hostname, address}]`` of the network's instances."""
        hosts = []
        for fixed_ip in db.network_get_associated_fixed_ips(
                context.elevated(), network['id']):
            instance = fixed_ip['instance']
            vif = fixed_ip['virtual_interface']
            if instance is None or vif is None:
                continue
            if network['multi_host'] and instance['host'] != self.host:
                continue
            hosts.append({'mac': vif['address'],
                          'hostname': instance['hostname'] or
                          'instance-%d' % instance['id'],
                          'address': fixed_ip['address']})
        return hosts

    def _network_ref(self, context, network):
        ref = {key: network[key] for key in (
            'id', 'cidr', 'cidr_v6', 'gateway', 'broadcast', 'netmask',
            'dhcp_start', 'bridge', 'bridge_interface', 'vlan',
            'multi_host')}
        ref['dhcp_server'] = self._get_dhcp_ip(context, network)
        return ref

    def _setup_network(self, context, network):
        """Bridge, gateway address and dnsmasq of a network on this host."""
        with _SETUP_LOCK:
            return self._setup_network_locked(context, network)

    def _setup_network_locked(self, context, network):
        from nova.network import manager as network_manager
        ref = self._network_ref(context, network)
        dev = self.driver.plug(ref, network_manager.generate_mac_address())
        self.driver.initialize_gateway_device(dev, ref)
        if FLAGS.fake_network:
            return dev
        self.driver.iptables_manager.apply()
        self.driver.start_dhcp(dev, ref, self._dhcp_hosts(context, network))
        if FLAGS.use_ipv6 and ref['cidr_v6']:
            self.driver.update_ra(dev, ref)
            gateway_v6 = self.driver.link_local_address(dev)
            if gateway_v6:
                db.network_update(context.elevated(), network['id'],
                                  {'gateway_v6': gateway_v6})
        return dev

    def _serves(self, network):
        return network['multi_host'] or network['host'] == self.host

    def _refresh_dhcp(self, context, network_id):
        network = db.network_get(context.elevated(), network_id)
        if self._serves(network):
            self._coalesced_setup(context.elevated(), network)

    def _coalesced_setup(self, context, network):
        """:meth:`_setup_network`, made once for the requests of a burst
        (its hosts file is read when it starts: after their changes)."""
        refreshes = _REFRESHES.setdefault((self.host, network['id']),
                                          concurrency.Coalescer())
        return refreshes.run(self._setup_network, context, network)

    # -- hooks of NetworkManager ---------------------------------------------
    def allocate_fixed_ip(self, context, instance_id, network, **kwargs):
        """Allocate, then tell the network's dnsmasq about the address."""
        address = super(HostNetworkMixin, self).allocate_fixed_ip(
            context, instance_id, network, **kwargs)
        if address:
            self._refresh_dhcp(context, network['id'])
        return address

    def deallocate_fixed_ip(self, context, address, **kwargs):
        """Deallocate; the hosts file forgets it, dnsmasq may release it."""
        admin = context.elevated()
        fixed_ip = db.fixed_ip_get_by_address(admin, address)
        vif = fixed_ip['virtual_interface']
        mac = vif['address'] if vif is not None else None
        super(HostNetworkMixin, self).deallocate_fixed_ip(context, address,
                                                          **kwargs)
        network = db.network_get(admin, fixed_ip['network_id'])
        if not self._serves(network) or FLAGS.fake_network:
            return
        dev = self._coalesced_setup(admin, network)
        if FLAGS.force_dhcp_release and mac:
            try:
                self.driver.release_dhcp(dev, address, mac)
            except Exception as exc:
                LOG.warning('dhcp_release of %s failed: %s', address, exc)

    def release_fixed_ip(self, context, address):
        """As NetworkManager's, refreshing dnsmasq if asked to."""
        super(HostNetworkMixin, self).release_fixed_ip(context, address)
        if FLAGS.update_dhcp_on_disassociate:
            fixed_ip = db.fixed_ip_get_by_address(context.elevated(), address)
            self._refresh_dhcp(context, fixed_ip['network_id'])
