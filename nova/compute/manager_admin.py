"""Compute-manager side of the administrators' instance actions.

``pause``/``unpause``, ``suspend``/``resume``, ``get_diagnostics``,
``reset_network`` and ``inject_network_info`` (Diablo's admin API).  The
state moves are the manager's ``_act``: the API set the task, the driver
acts, the instance ends in the new vm_state with the guest's power state
(or in ``error`` with a fault when the driver fails).
"""

import logging

from nova import db
from nova.compute import vm_states

LOG = logging.getLogger('nova.compute.manager_admin')


class AdminActionsMixin(object):
    """RPC methods of nova-compute for the admin actions (needs
    ``driver``, ``_act``, ``_update`` and ``_network_info``)."""

    def pause_instance(self, context, instance_id, **_kwargs):
        """Freeze the guest; it ends ``paused``."""
        self._act(context, instance_id, 'pause', vm_states.PAUSED,
                  lambda ctx, inst, nw: self.driver.pause(inst))

    def unpause_instance(self, context, instance_id, **_kwargs):
        """Let the guest run again; it ends ``active``."""
        self._act(context, instance_id, 'unpause', vm_states.ACTIVE,
                  lambda ctx, inst, nw: self.driver.unpause(inst))

    def suspend_instance(self, context, instance_id, **_kwargs):
        """Save the guest to disk; it ends ``suspended``."""
        self._act(context, instance_id, 'suspend', vm_states.SUSPENDED,
                  lambda ctx, inst, nw: self.driver.suspend(inst))

    def resume_instance(self, context, instance_id, **_kwargs):
        """Restore a suspended guest; it ends ``active``."""
        self._act(context, instance_id, 'resume', vm_states.ACTIVE,
                  lambda ctx, inst, nw: self.driver.resume(inst))

    def get_diagnostics(self, context, instance_id, **_kwargs):
        """The hypervisor's counters of the guest (a dict)."""
        instance = db.instance_get(context.elevated(), instance_id)
        return self.driver.get_diagnostics(instance)

    def reset_network(self, context, instance_id, **_kwargs):
        """Make the guest's agent reset its network."""
        instance = db.instance_get(context.elevated(), instance_id)
        LOG.info('Instance %s: reset network', instance_id)
        self.driver.reset_network(instance)

    def inject_network_info(self, context, instance_id, **_kwargs):
        """Hand the guest's current network settings to its agent."""
        context = context.elevated()
        instance = db.instance_get(context, instance_id)
        LOG.info('Instance %s: inject network info', instance_id)
        self.driver.inject_network_info(
            instance, self._network_info(context, instance))
