"""Where a resized (or cold-migrated) instance goes: ``prep_resize``.

The destination is a random up, enabled compute host other than the
instance's own, unless ``--allow_resize_to_same_host``.  When there is none
the instance goes back to ``active`` with a fault saying why (it never
stays resizing); the compute API checked this already before it answered,
so this only happens when hosts went away in between.
"""

import logging
import random

from nova import db
from nova import exception
from nova import flags
from nova.compute import resize_flags  # noqa: F401 - its flag
from nova.compute import vm_states

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.scheduler.resize')

NO_HOST = ('Server.InsufficientInstanceCapacity: no valid host was found '
           'for the resize')


def choose(scheduler, context, instance_id):
    """The destination host, or None (the instance was put back)."""
    admin = context.elevated()
    instance = db.instance_get(admin, instance_id)
    hosts = scheduler.hosts_up(admin, FLAGS.compute_topic)
    if not FLAGS.allow_resize_to_same_host:
        hosts = [host for host in hosts if host != instance['host']]
    if hosts:
        return random.choice(hosts)
    LOG.warning('No host can take instance %s for its resize', instance_id)
    try:
        db.instance_update_columns(admin, instance_id, {
            'vm_state': vm_states.ACTIVE, 'task_state': None})
        db.instance_fault_create(admin, {
            'instance_id': instance_id, 'code': 500, 'message': NO_HOST,
            'details': 'no up compute host other than %s'
                       % instance['host']})
    except exception.InstanceNotFound:
        pass
    return None
