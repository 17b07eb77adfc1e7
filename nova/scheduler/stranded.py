"""Builds stranded on a compute host that stopped reporting.

nova-compute fails its own builds that made no progress for
``--instance_build_timeout`` seconds, and the scheduler those that never got
a host (``--instance_scheduling_timeout``).  A build on a host whose
nova-compute died is seen by neither: nobody on that host runs the check.
The scheduler's periodic task (:func:`rescue`) finds instances in
``building`` that have not changed for ``--instance_build_timeout`` seconds
on a host whose ``nova-compute`` service is down (no heartbeat for
``--service_down_time`` seconds, or no service row at all), and hands each
to :func:`nova.compute.build_retry.retry_or_fail`: the build goes back to the
scheduler (which only picks live hosts) up to ``--build_retries`` times,
then the instance is put in ``error`` with a fault saying why.
"""

import datetime
import logging

from nova import db
from nova import exception
from nova import flags
from nova import utils
from nova.compute import build_retry
from nova.compute import manager as _compute_manager  # noqa: F401 - flags
from nova.compute import vm_states
from nova.utils import servicegroup

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.scheduler.stranded')

#: The fault's inside message (the user sees fault_reasons.BUILD_TIMED_OUT).
REASON = ('Build stranded: compute host %(host)s stopped reporting and the '
          'build made no progress for %(seconds)d seconds')


def _host_is_down(context, host, now, cache):
    if host not in cache:
        try:
            svc = db.service_get_by_args(context, host, 'nova-compute')
        except exception.NotFound:
            cache[host] = True
        else:
            cache[host] = not servicegroup.service_is_up(svc, now)
    return cache[host]


def find(context, now=None):
    """Instances in building, unchanged for ``--instance_build_timeout``
    seconds, on a host whose nova-compute is down.  ``[]`` when the
    timeout is 0 (disabled)."""
    timeout = FLAGS.instance_build_timeout
    if not timeout or timeout <= 0:
        return []
    now = now or utils.utcnow()
    cutoff = now - datetime.timedelta(seconds=timeout)
    admin = context.elevated()
    candidates = db.instance_get_all_by_filters(admin, {
        'vm_state': vm_states.BUILDING, 'changes-before': cutoff})
    down = {}
    return [instance for instance in candidates
            if instance['host'] and
            _host_is_down(admin, instance['host'], now, down)]


def rescue(context, fail, now=None):
    """Send stranded builds back to the scheduler, or ``fail(instance_id,
    message)`` once their retries are spent.  Returns their ids."""
    stranded = find(context, now)
    for instance in stranded:
        message = REASON % {'host': instance['host'],
                            'seconds': FLAGS.instance_build_timeout}
        LOG.warning('instance %s: %s', instance['id'], message)
        build_retry.retry_or_fail(
            context, instance['id'], message,
            lambda text, iid=instance['id']: fail(iid, text))
    return [instance['id'] for instance in stranded]
