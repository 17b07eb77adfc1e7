"""Manager of nova-volume.

The service runs, registers and heartbeats with this manager; the RPC
methods for volumes arrive with the issue that builds them.
"""

from nova import manager


class VolumeManager(manager.Manager):
    """Handles the RPC messages sent to the volume topic."""
