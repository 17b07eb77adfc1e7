"""Stable states of an instance (the ``vm_state`` column)."""

from nova.compute import power_state

ACTIVE = 'active'
BUILDING = 'building'
REBUILDING = 'rebuilding'

PAUSED = 'paused'
SUSPENDED = 'suspended'
RESCUED = 'rescued'
DELETED = 'deleted'
STOPPED = 'stopped'

MIGRATING = 'migrating'
RESIZING = 'resizing'

ERROR = 'error'


def terminated(now):
    """The columns of an instance that has been terminated at ``now``."""
    return {'vm_state': DELETED, 'task_state': None,
            'power_state': power_state.NOSTATE, 'terminated_at': now}
