"""ChanceScheduler: a random host among the up and enabled ones."""

import random

from nova.scheduler import driver


class ChanceScheduler(driver.Scheduler):
    """Picks any up and enabled host of the topic at random."""

    def schedule(self, context, topic, method, *_args, **_kwargs):
        """A random up, enabled host of ``topic``; NoValidHost if none."""
        hosts = self.hosts_up(context, topic)
        if not hosts:
            raise driver.NoValidHost(
                reason='Scheduler was unable to locate a host for this '
                       'request. Is the appropriate service running?')
        return random.choice(hosts)
