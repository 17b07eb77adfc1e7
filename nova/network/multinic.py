"""nova-network side of the multinic actions (``addFixedIp`` /
``removeFixedIp`` of the OpenStack API).

Adding gives the instance a virtual interface on the network (unless it
has one there) and a fixed IP of it, on the network's host as a boot's
allocation does; removing returns one of its addresses to the pool the way
terminating does (a DHCP-leased one waits for its release).  Its virtual
interface stays, as in Diablo.
"""

import logging

from nova import db
from nova import exception

LOG = logging.getLogger('nova.network.multinic')


class MultiNicMixin(object):
    """RPC methods of nova-network for multinic (needs
    ``_add_virtual_interface``, ``_allocate_on_network_host`` and
    ``deallocate_fixed_ip``)."""

    def add_fixed_ip_to_instance(self, context, instance_id, host=None,
                                 network_id=None, **_kwargs):
        """A fixed IP of ``network_id`` for the instance; returns it."""
        admin = context.elevated()
        network = db.network_get(admin, network_id)
        if db.virtual_interface_get_by_instance_and_network(
                admin, instance_id, network['id']) is None:
            self._add_virtual_interface(admin, instance_id, network['id'])
        address = self._allocate_on_network_host(admin, instance_id,
                                                 network, host)
        LOG.info('instance %s: fixed ip %s added from network %s',
                 instance_id, address, network['id'])
        return address

    def remove_fixed_ip_from_instance(self, context, instance_id,
                                      address=None, **_kwargs):
        """Give back ``address``, one of the instance's fixed IPs."""
        admin = context.elevated()
        try:
            fixed_ips = db.fixed_ip_get_by_instance(admin, instance_id)
        except exception.FixedIpNotFoundForInstance:
            fixed_ips = []
        if address not in [ip['address'] for ip in fixed_ips]:
            raise exception.FixedIpNotFoundForSpecificInstance(
                instance_id=instance_id, ip=address)
        self.deallocate_fixed_ip(admin, address)
        LOG.info('instance %s: fixed ip %s removed', instance_id, address)
