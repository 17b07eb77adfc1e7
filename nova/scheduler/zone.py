"""ZoneScheduler: a random host in the availability zone asked for."""

import random

from nova.scheduler import driver


class ZoneScheduler(driver.Scheduler):
    """Picks at random among the up, enabled hosts of the requested zone.

    The zone comes from ``availability_zone`` (or the ``request_spec``);
    without one, every zone's hosts are candidates.
    """

    def schedule(self, context, topic, method, *_args, **kwargs):
        """A random host of ``topic`` in the zone; NoValidHost if none."""
        zone, _host = driver.split_zone(driver.requested_zone(kwargs))
        hosts = self.hosts_up(context, topic, zone=zone)
        if not hosts:
            where = ' in availability zone %s' % zone if zone else ''
            raise driver.NoValidHost(
                reason='No %s host is up%s.' % (topic, where))
        return random.choice(hosts)
