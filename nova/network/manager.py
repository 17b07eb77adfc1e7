"""Managers of nova-network: Flat, FlatDHCP and Vlan.

The service runs, registers and heartbeats with these managers; address
allocation and host networking arrive with the issues that build them.
"""

from nova import manager


class NetworkManager(manager.SchedulerDependentManager):
    """Handles the RPC messages sent to the ``network`` topic."""


class FlatManager(NetworkManager):
    """Networks bridged by hand; addresses from the database."""


class FlatDHCPManager(NetworkManager):
    """Flat networks with a bridge and dnsmasq managed by Nova."""


class VlanManager(NetworkManager):
    """One VLAN, bridge and DHCP server per project."""
