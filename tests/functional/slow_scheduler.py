"""A scheduler manager that takes a few seconds to start (test helper).

``--scheduler_manager=tests.functional.slow_scheduler.SlowSchedulerManager``
makes nova-scheduler declare its queue ``SLOW_SCHEDULER_SECONDS`` (default 3)
seconds late, so a test can tell whether anything answered in between.
"""

import os

from nova.scheduler import manager
from nova.utils import concurrency


class SlowSchedulerManager(manager.SchedulerManager):
    """:class:`nova.scheduler.manager.SchedulerManager`, slow to start."""

    def init_host(self):
        """Wait, then start as usual."""
        concurrency.sleep(float(os.environ.get('SLOW_SCHEDULER_SECONDS',
                                               '3')))
        super(SlowSchedulerManager, self).init_host()
