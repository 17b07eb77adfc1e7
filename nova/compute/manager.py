"""Manager of nova-compute.

The service runs, registers and heartbeats with this manager; the RPC
methods for instances arrive with the issue that builds them.
"""

from nova import manager


class ComputeManager(manager.Manager):
    """Handles the RPC messages sent to the compute topic."""
