"""Stable states of an instance (the ``vm_state`` column)."""

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
