"""Power states a hypervisor driver reports for a guest.

The same codes as :mod:`nova.compute.power_state` (the ``power_state``
column): drivers sit below the compute layer and may not import it, so the
codes they report are named here; a unit test keeps the two in step.
"""

NOSTATE = 0x00
RUNNING = 0x01
BLOCKED = 0x02
PAUSED = 0x03
SHUTDOWN = 0x04
SHUTOFF = 0x05
CRASHED = 0x06
SUSPENDED = 0x07
FAILED = 0x08
BUILDING = 0x09
