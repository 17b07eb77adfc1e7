"""The libvirt driver's firewall drivers (``--firewall_driver``).

Diablo's default is ``nova.virt.libvirt.firewall.IptablesFirewallDriver``:
security groups and provider rules as iptables chains
(:class:`nova.virt.firewall.IptablesFirewallDriver`) plus, as in Diablo,
libvirt nwfilter base filtering on every guest NIC: the anti-spoofing
filters of :mod:`nova.virt.libvirt.nwfilter`, which libvirt applies with
ebtables.  The libvirt connection builds it with ``get_connection`` (a
function returning its open libvirt connection).

``NoopFirewallDriver`` enforces nothing.  A driver this module does not
provide (Diablo's ``NWFilterFirewall``) fails to load with a clear error
from the libvirt connection.
"""

from nova.virt import firewall as _firewall
from nova.virt.libvirt import nwfilter

FirewallDriver = _firewall.FirewallDriver
NoopFirewallDriver = _firewall.NoopFirewallDriver


class IptablesFirewallDriver(_firewall.IptablesFirewallDriver):
    """iptables security groups plus nwfilter anti-spoofing (Diablo's)."""

    #: the domain XML's NICs carry a ``<filterref>`` to the NIC filters.
    uses_nwfilter = True

    def __init__(self, get_connection=None, iptables_manager=None):
        super(IptablesFirewallDriver, self).__init__(iptables_manager)
        if get_connection is None:
            raise TypeError('the libvirt IptablesFirewallDriver needs '
                            'get_connection (the libvirt connection)')
        self.nwfilter = nwfilter.NWFilterBase(get_connection)

    def setup_basic_filtering(self, instance, network_info):
        """NIC anti-spoofing filters, then the shared iptables chains."""
        self.nwfilter.setup_basic_filtering(instance, network_info)
        super(IptablesFirewallDriver, self).setup_basic_filtering(
            instance, network_info)

    def unfilter_instance(self, instance, network_info):
        """Remove the iptables chain, then the NIC filters."""
        super(IptablesFirewallDriver, self).unfilter_instance(instance,
                                                              network_info)
        self.nwfilter.unfilter_instance(instance, network_info)

    def instance_filter_exists(self, instance, network_info):
        """Whether the chain and every NIC filter are in place."""
        return super(IptablesFirewallDriver, self).instance_filter_exists(
            instance, network_info) and \
            self.nwfilter.instance_filter_exists(instance, network_info)
