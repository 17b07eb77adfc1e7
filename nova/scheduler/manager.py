"""Manager of nova-scheduler: picks hosts and forwards requests to them.

RPC methods (``method(context, **args)``):

* ``run_instance(topic, instance_id, request_spec=None,
  availability_zone=None, **kwargs)`` — place an instance; on failure the
  instance goes to vm_state ``error`` with a fault saying why.
* ``show_host_resources(host)`` — a compute host's resources and its use
  per project (``nova-manage service describe_resource``).
* ``update_service_capabilities(service_name, host, capabilities)``,
  ``get_host_list()``, ``get_service_capabilities()`` — what services report.
* anything else, ``<method>(topic, **kwargs)``: the driver's
  ``schedule_<method>`` if it has one, else its generic ``schedule``; the
  message is then cast to ``<topic>.<chosen host>`` (Diablo's fallthrough).

A periodic task puts instances whose scheduling message was lost (still in
task_state ``scheduling`` with no host after ``--instance_scheduling_timeout``
seconds) in ``error``; another rescues builds stranded on a compute host
that stopped reporting (:mod:`nova.scheduler.stranded`).
"""

import datetime
import functools
import logging
import traceback

from nova import db
from nova import exception
from nova import flags
from nova import manager
from nova import utils
from nova.compute import build_retry
from nova.compute import fault_reasons
from nova.compute import task_states
from nova.compute import vm_states
from nova.rpc import outbox
from nova.scheduler import driver
from nova.scheduler import host_states
from nova.scheduler import stranded

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.scheduler.manager')

flags.DEFINE_string('scheduler_driver',
                    'nova.scheduler.multi.MultiScheduler',
                    'Default driver to use for the scheduler',
                    importable=True)
flags.DEFINE_integer('instance_scheduling_timeout', 600,
                     'seconds an instance may stay in task_state '
                     '"scheduling" with no host before it is put in error '
                     '(its message was lost); 0 = never.  Once on a host, '
                     '--instance_build_timeout of nova-compute applies')


class SchedulerManager(manager.Manager):
    """Chooses hosts through the driver named by ``--scheduler_driver``."""

    def __init__(self, scheduler_driver=None, *args, **kwargs):
        self.driver = utils.import_object(scheduler_driver or
                                          FLAGS.scheduler_driver)
        self.host_states = host_states.HostStates()
        self.driver.set_host_states(self.host_states)
        self._placing = set()   # instance ids being placed right now
        super(SchedulerManager, self).__init__(*args, **kwargs)

    def __getattr__(self, key):
        """Unknown public methods are scheduled generically."""
        if key.startswith('_'):
            raise AttributeError(key)
        return functools.partial(self._schedule, key)

    # -- generic scheduling ------------------------------------------------------
    def _schedule(self, method, context, topic, *args, **kwargs):
        """Find a host for ``method`` and cast the request to it."""
        driver_method = getattr(self.driver, 'schedule_%s' % method, None)
        if driver_method is not None:
            host = driver_method(context, *args, **kwargs)
        else:
            host = self.driver.schedule(context, topic, method, *args,
                                        **kwargs)
        if not host:
            LOG.debug('%s was sent by the driver itself', method)
            return
        # Through the outbox: a broker away at this moment delays the
        # request (the relay sends it later) instead of failing it.
        outbox.cast(context, driver.queue_for(topic, host),
                    {'method': method, 'args': kwargs})
        LOG.debug('casted %s to %s', method, driver.queue_for(topic, host))

    # -- instances -------------------------------------------------------------
    def run_instance(self, context, topic, instance_id, request_spec=None,
                     availability_zone=None, **kwargs):
        """Place instance ``instance_id`` and cast ``run_instance`` to it.

        When no host can take it (or scheduling fails otherwise) the
        instance goes to vm_state ``error``, task_state None, with an
        instance fault holding the reason; it never stays in scheduling.

        Idempotent under redelivery: an instance already past scheduling
        (or gone) is left alone, and one that already has its host (the
        message came again after the cast) is sent to that same host again,
        never to a second one.  A copy that comes while the first is still
        being placed (its acknowledgement was lost with a broker node, and
        handlers run concurrently) is dropped: the first one places it.
        """
        if instance_id in self._placing:
            LOG.info('instance %s is being placed already; dropping a '
                     'second copy of its message', instance_id)
            return
        self._placing.add(instance_id)
        try:
            self._run_instance(context, topic, instance_id, request_spec,
                               availability_zone, **kwargs)
        finally:
            self._placing.discard(instance_id)

    def _run_instance(self, context, topic, instance_id, request_spec,
                      availability_zone, **kwargs):
        placed = self._placed_host(context, instance_id)
        if placed is False:
            return
        if placed:
            LOG.info('instance %s already has host %s; sending it there '
                     'again', instance_id, placed)
            self.driver.cast_to_compute_host(
                context, placed, 'run_instance', instance_id=instance_id,
                request_spec=request_spec, **kwargs)
            return
        try:
            self._schedule('run_instance', context, topic,
                           instance_id=instance_id, request_spec=request_spec,
                           availability_zone=availability_zone, **kwargs)
        except exception.NoValidHost as exc:
            LOG.warning('instance %s cannot be scheduled: %s', instance_id,
                        exc)
            self._set_instance_error(context, instance_id, str(exc),
                                     code=exc.code,
                                     reason=fault_reasons.NO_VALID_HOST)
        except Exception as exc:
            LOG.exception('scheduling instance %s failed', instance_id)
            self._set_instance_error(
                context, instance_id,
                'Error during scheduling: %s' % (exc,),
                details=traceback.format_exc(),
                reason=fault_reasons.SCHEDULING_FAILED)
            raise

    # -- volumes ---------------------------------------------------------------
    def create_volume(self, context, topic, volume_id, snapshot_id=None,
                      **kwargs):
        """Place volume ``volume_id`` and cast ``create_volume`` to it.

        When no volume host can take it the volume goes to ``error``; it
        never stays ``creating``.
        """
        try:
            self._schedule('create_volume', context, topic,
                           volume_id=volume_id, snapshot_id=snapshot_id,
                           **kwargs)
        except Exception:  # noqa: BLE001 - recorded as the volume's state
            LOG.exception('scheduling volume %s failed', volume_id)
            try:
                db.volume_update(context.elevated(), volume_id,
                                 {'status': 'error'})
            except exception.VolumeNotFound:
                pass

    @staticmethod
    def _placed_host(context, instance_id):
        """None: schedule it; a host: it went there already; False: the
        instance is gone or past scheduling (nothing to do)."""
        try:
            vm_state, task_state, host = db.instance_get_placement(
                context.elevated(), instance_id)
        except exception.InstanceNotFound:
            LOG.info('instance %s is gone; not scheduling it', instance_id)
            return False
        if vm_state != vm_states.BUILDING or \
                task_state not in (task_states.SCHEDULING, None):
            LOG.info('instance %s is %s/%s; not scheduling it again',
                     instance_id, vm_state, task_state)
            return False
        return host or None

    def _set_instance_error(self, context, instance_id, message, code=500,
                            details=None, reason=fault_reasons.FAILED):
        """vm_state error, task_state None, and a fault: ``reason`` for the
        user, ``message`` and ``details`` inside (see fault_reasons)."""
        admin = context.elevated()
        try:
            db.instance_update(admin, instance_id,
                               {'vm_state': vm_states.ERROR,
                                'task_state': None})
            fault_reasons.record(admin, instance_id, reason, message,
                                 details, code)
        except exception.InstanceNotFound:
            LOG.warning('instance %s vanished before it could be marked '
                        'in error', instance_id)

    @manager.periodic_task
    def _fail_lost_scheduling(self, context):
        """Put instances stuck in scheduling with no host in error."""
        timeout = FLAGS.instance_scheduling_timeout
        if not timeout or timeout <= 0:
            return []
        cutoff = utils.utcnow() - datetime.timedelta(seconds=timeout)
        stuck = db.instance_get_all_stuck_scheduling(
            context.elevated(), cutoff, task_state=task_states.SCHEDULING)
        stuck = [instance for instance in stuck
                 if not build_retry.recently_retried(context, instance['id'],
                                                     cutoff)]
        for instance in stuck:
            LOG.warning('instance %s has waited more than %d s for a host: '
                        'its scheduling message was lost', instance['id'],
                        timeout)
            build_retry.retry_or_fail(
                context, instance['id'],
                'Scheduling timed out: no host was chosen within %d seconds '
                '(message lost)' % timeout,
                lambda message, iid=instance['id']: self._set_instance_error(
                    context, iid, message, code=504,
                    reason=fault_reasons.SCHEDULING_TIMED_OUT))
        return [instance['id'] for instance in stuck]

    @manager.periodic_task
    def _rescue_stranded_builds(self, context):
        """Builds on a compute host that stopped reporting: sent back to
        the scheduler, or put in error once retried enough (stranded)."""
        return stranded.rescue(
            context, lambda iid, message: self._set_instance_error(
                context, iid, message, code=504,
                reason=fault_reasons.BUILD_TIMED_OUT))

    # -- hosts -------------------------------------------------------------------
    def show_host_resources(self, context, host):
        """A compute host's resources and what each project uses there.

        ``{'resource': {vcpus, memory_mb, local_gb, vcpus_used,
        memory_mb_used, local_gb_used} or None, 'usage': {project_id:
        {vcpus, memory_mb, local_gb}}}``.  An unknown host raises
        ComputeHostNotFound.
        """
        admin = context.elevated()
        services = db.service_get_all_compute_by_host(admin, host)
        nodes = [node for svc in services
                 for node in (svc['compute_node'] or [])
                 if not node['deleted']]
        resource = None
        if nodes:
            node = nodes[0]
            resource = dict((key, node[key]) for key in (
                'vcpus', 'memory_mb', 'local_gb', 'vcpus_used',
                'memory_mb_used', 'local_gb_used'))
        usage = dict(
            (project, {'vcpus': used['vcpus'],
                       'memory_mb': used['memory_mb'],
                       'local_gb': used['local_gb']})
            for project, used in db.instance_get_usage_by_host(
                admin, host).items())
        return {'resource': resource, 'usage': usage}

    def update_service_capabilities(self, context, service_name=None,
                                    host=None, capabilities=None):
        """Remember what a service reported about its host (in memory)."""
        if not host or not service_name:
            LOG.debug('capabilities report without host or service ignored')
            return
        self.host_states.update(service_name, host, capabilities)

    def get_host_list(self, context):
        """``[{'host_name', 'service'}]`` of the services that reported."""
        return self.host_states.get_host_list()

    def get_service_capabilities(self, context):
        """``{'<service>_<capability>': [min, max]}`` over the hosts."""
        return dict((key, list(value)) for key, value in
                    self.host_states.get_service_capabilities().items())
