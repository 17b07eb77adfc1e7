"""Compute-manager side of ``os-hosts`` and of the multinic actions.

``set_host_enabled`` hands the switch to the hypervisor driver (the
services row, what the schedulers read, was flipped by the API); a driver
without a host-level switch needs none.  ``host_power_action`` is the
driver's: one that cannot (libvirt, as in Diablo) is a
:class:`~nova.exception.HostPowerActionNotSupported` (501), never a false
success.  ``add_fixed_ip_to_instance``/``remove_fixed_ip_from_instance``
go through nova-network, then hand the guest its new network settings and
make its agent reset its network (Diablo's order).
"""

import logging

from nova import db
from nova import exception

LOG = logging.getLogger('nova.compute.manager_hosts')


class HostAdminMixin(object):
    """RPC methods of nova-compute for host administration and multinic
    (needs ``driver``, ``host``, ``network_api``, ``_network_info``)."""

    def set_host_enabled(self, context, host=None, enabled=None, **_kwargs):
        """Tell the driver whether this host takes new guests."""
        enabled = bool(enabled)
        try:
            self.driver.set_host_enabled(self.host, enabled)
        except NotImplementedError:
            LOG.debug('the driver has no host switch; the services row '
                      'alone keeps the schedulers away')
        return 'enabled' if enabled else 'disabled'

    def host_power_action(self, context, host=None, action=None,
                          **_kwargs):
        """Reboot, shut down or start up this host (the driver's answer)."""
        LOG.info('Host power action %s on %s', action, self.host)
        try:
            return self.driver.host_power_action(self.host, action)
        except NotImplementedError:
            raise exception.HostPowerActionNotSupported(host=self.host,
                                                        action=action)

    def _renew_guest_network(self, context, instance_id):
        """Hand the guest its network settings and reset its network,
        where the driver can (the addresses changed all the same)."""
        for method in ('inject_network_info', 'reset_network'):
            try:
                getattr(self, method)(context, instance_id)
            except NotImplementedError:
                LOG.debug('the driver cannot %s', method)

    def add_fixed_ip_to_instance(self, context, instance_id, network_id,
                                 **_kwargs):
        """A fixed IP of ``network_id`` for the instance, then its guest
        network renewed."""
        instance = db.instance_get(context.elevated(), instance_id)
        self.network_api.add_fixed_ip_to_instance(
            context.elevated(), instance, network_id)
        self._forget_network_info(instance_id)
        self._renew_guest_network(context, instance_id)

    def remove_fixed_ip_from_instance(self, context, instance_id, address,
                                      **_kwargs):
        """Give back one fixed IP of the instance, then renew its guest
        network."""
        instance = db.instance_get(context.elevated(), instance_id)
        self.network_api.remove_fixed_ip_from_instance(
            context.elevated(), instance, address)
        self._forget_network_info(instance_id)
        self._renew_guest_network(context, instance_id)
