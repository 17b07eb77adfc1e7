"""Lost builds are retried, not failed (``--build_retries``).

A build that made no progress — its scheduling message was lost, the
compute host that had it never finished, the network it needed did not
answer — goes back to the scheduler up to ``--build_retries`` times before
the instance is put in ``error``.  Each retry leaves an instance fault
(code 503, ``Build retried (n of N): <reason>``) so an operator can see
what happened; the final error's fault says why it gave up.  The retry is
written with the instance's new state in one transaction (outbox), so it
cannot be lost either.
"""

import logging

from nova import db
from nova import flags
from nova.compute import task_states
from nova.compute import vm_states
from nova.rpc import outbox

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.compute.build_retry')

flags.DEFINE_integer('build_retries', 3,
                     'times a build that made no progress is sent back to '
                     'the scheduler before the instance goes to error')

RETRY_CODE = 503
RETRY_PREFIX = 'Build retried'


def _request_spec(instance):
    """What the scheduler needs, rebuilt from the instance row."""
    props = dict((key, instance[key]) for key in (
        'vcpus', 'memory_mb', 'local_gb', 'availability_zone',
        'project_id', 'user_id', 'image_ref', 'instance_type_id'))
    return {'instance_properties': props,
            'instance_type': {'vcpus': instance['vcpus'],
                              'memory_mb': instance['memory_mb'],
                              'local_gb': instance['local_gb']},
            'num_instances': 1}


def recently_retried(context, instance_id, since):
    """Whether the build was sent back to the scheduler after ``since``
    (it gets its full time again)."""
    fault = db.instance_fault_get_latest(context.elevated(), instance_id)
    return bool(fault and fault['code'] == RETRY_CODE and
                (fault['message'] or '').startswith(RETRY_PREFIX) and
                fault['created_at'] and fault['created_at'] > since)


def retry_or_fail(context, instance_id, reason, fail, extra_args=None):
    """Send the build back to the scheduler, or ``fail(message)`` once
    ``--build_retries`` retries were spent.  Returns True if retried.

    ``extra_args`` go with the new run_instance (its ``injected_files``).
    """
    admin = context.elevated()
    done = db.instance_build_retry_count(admin, instance_id)
    limit = max(0, FLAGS.build_retries)
    if done >= limit:
        fail('%s (gave up after %d retries)' % (reason, done))
        return False
    with db.session_scope():
        instance = db.instance_get(admin, instance_id)
        if instance['vm_state'] != vm_states.BUILDING:
            return False
        db.instance_update_columns(admin, instance_id, {
            'host': None, 'task_state': task_states.SCHEDULING})
        db.instance_fault_create(admin, {
            'instance_id': instance_id, 'code': RETRY_CODE,
            'message': ('%s (%d of %d): %s' % (RETRY_PREFIX, done + 1,
                                               limit, reason))[:255]})
        args = dict(extra_args or {})
        args.update({'topic': FLAGS.compute_topic,
                     'instance_id': instance_id,
                     'request_spec': _request_spec(instance),
                     'availability_zone': instance['availability_zone']})
        outbox.cast(admin, FLAGS.scheduler_topic,
                    {'method': 'run_instance', 'args': args})
    LOG.warning('Instance %s: %s; build sent back to the scheduler (retry '
                '%d of %d)', instance_id, reason, done + 1, limit)
    return True
