"""Floating IPs in the network managers (FlatDHCP and Vlan).

A project allocates an address from the pool (``nova-manage floating
create``), associates it with a fixed IP of one of its instances and later
disassociates and releases it.  Associating happens on the host that does
the instance's NAT (the network's host, or the instance's host for a
multi_host network): the address is added to ``--public_interface`` and
DNAT/SNAT rules map it to the fixed IP; disassociating removes both.
``init_host_floating_ips`` puts them back after a restart.
"""

import logging

from nova import db
from nova import exception
from nova import flags
from nova import quota

LOG = logging.getLogger('nova.network.floating_ips')
FLAGS = flags.FLAGS

flags.DEFINE_bool('auto_assign_floating_ip', False,
                  'give every new instance a floating IP')


class FloatingIPMixin(object):
    """Allocation, association and NAT of floating IPs."""

    def init_host_floating_ips(self, context):
        """Bind and forward the floating IPs this host has associated."""
        for floating_ip in db.floating_ip_get_all_by_host(context,
                                                          self.host):
            fixed_ip = floating_ip['fixed_ip']
            if fixed_ip is None:
                continue
            self.driver.bind_floating_ip(floating_ip['address'],
                                         check_exit_code=False)
            self.driver.ensure_floating_forward(floating_ip['address'],
                                                fixed_ip['address'])

    def allocate_floating_ip(self, context, project_id,
                             auto_assigned=False):
        """Give the project a floating IP; returns its address.

        Raises QuotaError past the project's floating_ips quota and
        NoMoreFloatingIps when the pool is empty.
        """
        if not auto_assigned and \
                quota.allowed_floating_ips(context, 1) < 1:
            LOG.warning('quota exceeded for %s: floating IPs', project_id)
            raise exception.FloatingIpQuotaExceeded()
        return db.floating_ip_allocate_address(
            context.elevated(), project_id, auto_assigned=auto_assigned)

    def associate_floating_ip(self, context, floating_address,
                              fixed_address):
        """Map a floating IP to a fixed IP on this host (NAT + address)."""
        db.floating_ip_fixed_ip_associate(context.elevated(),
                                          floating_address, fixed_address,
                                          self.host)
        try:
            self.driver.bind_floating_ip(floating_address)
            self.driver.ensure_floating_forward(floating_address,
                                                fixed_address)
        except Exception:
            LOG.exception('could not set up floating IP %s; undoing',
                          floating_address)
            db.floating_ip_disassociate(context.elevated(), floating_address)
            self.driver.unbind_floating_ip(floating_address)
            raise

    def disassociate_floating_ip(self, context, floating_address):
        """Remove a floating IP's mapping; returns the fixed address."""
        fixed_address = db.floating_ip_disassociate(context.elevated(),
                                                    floating_address)
        if fixed_address is None:
            raise exception.FloatingIpNotAssociated(address=floating_address)
        self.driver.unbind_floating_ip(floating_address)
        self.driver.remove_floating_forward(floating_address, fixed_address)
        return fixed_address

    def deallocate_floating_ip(self, context, floating_address,
                               project_id=None):
        """Return an unassociated floating IP to the pool."""
        db.floating_ip_deallocate(context.elevated(), floating_address,
                                  project_id=project_id)

    def allocate_for_instance(self, context, instance_id, **kwargs):
        """Allocate, then (``--auto_assign_floating_ip``) a floating IP."""
        network_info = super(FloatingIPMixin, self).allocate_for_instance(
            context, instance_id, **kwargs)
        if FLAGS.auto_assign_floating_ip and network_info:
            ips = network_info[0][1]['ips']
            if ips:
                address = self.allocate_floating_ip(
                    context, kwargs.get('project_id'), auto_assigned=True)
                self.associate_floating_ip(context, address, ips[0]['ip'])
        return network_info

    def deallocate_for_instance(self, context, instance_id, **kwargs):
        """Disassociate the instance's floating IPs, then deallocate."""
        admin = context.elevated()
        for floating_ip in db.floating_ip_get_by_instance(admin, instance_id):
            address = floating_ip['address']
            try:
                self.disassociate_floating_ip(admin, address)
            except exception.NovaException as exc:
                LOG.warning('disassociating %s failed: %s', address, exc)
            if floating_ip['auto_assigned']:
                self.deallocate_floating_ip(admin, address)
        super(FloatingIPMixin, self).deallocate_for_instance(
            context, instance_id, **kwargs)
