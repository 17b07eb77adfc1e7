"""A volume driver for the restart test: sparse files, in-memory targets,
and a create that hangs (after writing a partial file) while the file
named by ``$NOVA_TEST_HOLD`` exists."""

import os
import time

from nova.volume import driver
from nova.volume.driver import storage


class SlowFileDriver(driver.VolumeDriver):
    """Creates hang while the hold file exists."""

    def __init__(self, *args, **kwargs):
        super(SlowFileDriver, self).__init__(
            storage_backend=storage.FileStorage(),
            helper=driver.FakeISCSIDriver().helper)

    def create_volume(self, volume):
        """Write half a volume, then wait for the hold to go."""
        hold = os.environ.get('NOVA_TEST_HOLD', '')
        path = self.local_path(volume) + '.partial'
        self.storage.check_for_setup_error()
        with open(path, 'wb') as handle:
            handle.write(b'half')
        while hold and os.path.exists(hold):
            with open(hold + '.started', 'w') as handle:
                handle.write(str(os.getpid()))
            time.sleep(0.2)
        super(SlowFileDriver, self).create_volume(volume)
