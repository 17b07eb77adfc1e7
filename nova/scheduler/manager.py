"""Manager of nova-scheduler.

The service runs, registers and heartbeats with this manager; the RPC
methods for placement arrive with the issue that builds them.
"""

from nova import manager


class SchedulerManager(manager.Manager):
    """Handles the RPC messages sent to the scheduler topic."""
