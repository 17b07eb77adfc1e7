"""Client side of the administrators' host actions (``os-hosts``) and of
the multinic actions (``addFixedIp``/``removeFixedIp``).

``set_host_enabled`` flips the ``disabled`` flag of the host's
nova-compute row (what the schedulers read, as ``nova-manage service
disable`` does) and tells the host's hypervisor driver with a cast, so a
host that is down can be disabled all the same.  ``host_power_action``
asks the host itself (a call): only an up host can answer, and a driver
that cannot act is an :class:`~nova.exception.HostPowerActionNotSupported`.
"""

import logging

from nova import db
from nova import exception
from nova import flags
from nova import rpc
from nova.rpc import outbox
from nova.utils import servicegroup

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.compute.api_hosts')

#: what ``host_power_action`` accepts (Diablo's member actions).
POWER_ACTIONS = ('startup', 'shutdown', 'reboot')


class HostApiMixin(object):
    """Host administration and multinic for :class:`nova.compute.api.API`
    (needs ``get``, ``_placed``, ``_cast_compute``)."""

    def list_hosts(self, context):
        """``[{'host_name', 'service'}]`` of every registered service
        (``service`` is its topic: compute, network, volume…)."""
        pairs = set((svc['host'], svc['topic'])
                    for svc in db.service_get_all(context.elevated()))
        return [{'host_name': host, 'service': topic}
                for host, topic in sorted(pairs)]

    def _compute_service(self, context, host):
        try:
            return db.service_get_by_args(context.elevated(), host,
                                          'nova-compute')
        except exception.NotFound:
            raise exception.ComputeHostNotFound(host=host)

    def set_host_enabled(self, context, host, enabled):
        """Let ``host`` take new instances or not; ``'enabled'`` or
        ``'disabled'``."""
        service = self._compute_service(context, host)
        enabled = bool(enabled)
        LOG.info('Setting host %s to %s', host,
                 'enabled' if enabled else 'disabled')
        with db.session_scope():
            db.service_update(context.elevated(), service['id'],
                              {'disabled': not enabled})
            outbox.cast(context, '%s.%s' % (FLAGS.compute_topic, host),
                        {'method': 'set_host_enabled',
                         'args': {'host': host, 'enabled': enabled}})
        return 'enabled' if enabled else 'disabled'

    def host_power_action(self, context, host, action):
        """Reboot, shut down or start up ``host`` (its driver's answer)."""
        if action not in POWER_ACTIONS:
            raise exception.InvalidInput(
                reason='unknown host power action %s' % action)
        service = self._compute_service(context, host)
        if not servicegroup.service_is_up(service):
            raise exception.ComputeHostNotUp(host=host)
        return rpc.call(context, '%s.%s' % (FLAGS.compute_topic, host),
                        {'method': 'host_power_action',
                         'args': {'host': host, 'action': action}})

    # -- multinic ---------------------------------------------------------------
    def add_fixed_ip(self, context, instance_id, network_id):
        """Give the instance a fixed IP (and a NIC) on another network;
        its host allocates it and resets the guest's network."""
        instance = self._placed(context, instance_id, 'add_fixed_ip',
                                task_ok=None)
        network = db.network_get(context.elevated(), network_id)
        if network['project_id'] not in (None, instance['project_id']):
            # another project's (VLAN) network is not the caller's to see
            raise exception.NetworkNotFound(network_id=network_id)
        self._cast_compute(context, instance, 'add_fixed_ip_to_instance',
                           network_id=network_id)

    def remove_fixed_ip(self, context, instance_id, address):
        """Take one of its fixed IPs from the instance (on its host)."""
        instance = self._placed(context, instance_id, 'remove_fixed_ip',
                                task_ok=None)
        if address not in db.instance_get_fixed_addresses(
                context.elevated(), instance['id']):
            raise exception.FixedIpNotFoundForSpecificInstance(
                instance_id=instance['id'], ip=address)
        self._cast_compute(context, instance,
                           'remove_fixed_ip_from_instance', address=address)
