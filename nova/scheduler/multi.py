"""MultiScheduler: one driver for instances, another for volumes.

Diablo's default ``--scheduler_driver``.  Requests about instances go to
``--compute_scheduler_driver``, those about volumes to
``--volume_scheduler_driver``; any other topic is scheduled by the compute
driver's generic :meth:`schedule`.
"""

from nova import flags
from nova import utils
from nova.scheduler import driver

FLAGS = flags.FLAGS

flags.DEFINE_string('compute_scheduler_driver',
                    'nova.scheduler.chance.ChanceScheduler',
                    'Driver to use for scheduling compute calls',
                    importable=True)
flags.DEFINE_string('volume_scheduler_driver',
                    'nova.scheduler.chance.ChanceScheduler',
                    'Driver to use for scheduling volume calls',
                    importable=True)


class MultiScheduler(driver.Scheduler):
    """Hands each request to the driver of its kind."""

    def __init__(self):
        super(MultiScheduler, self).__init__()
        self.drivers = {
            'compute': utils.import_object(FLAGS.compute_scheduler_driver),
            'volume': utils.import_object(FLAGS.volume_scheduler_driver),
        }

    def set_host_states(self, host_states):
        """Share the reported capabilities with both drivers."""
        super(MultiScheduler, self).set_host_states(host_states)
        for sub in self.drivers.values():
            sub.set_host_states(host_states)

    def _driver_for(self, topic):
        if topic == FLAGS.volume_topic:
            return self.drivers['volume']
        return self.drivers['compute']

    def schedule(self, context, topic, method, *args, **kwargs):
        """The generic choice, by the driver of ``topic``."""
        return self._driver_for(topic).schedule(context, topic, method,
                                                *args, **kwargs)

    def schedule_run_instance(self, context, *args, **kwargs):
        """Place an instance with the compute driver."""
        return self.drivers['compute'].schedule_run_instance(
            context, *args, **kwargs)

    def schedule_live_migration(self, context, *args, **kwargs):
        """Live migration, by the compute driver."""
        return self.drivers['compute'].schedule_live_migration(
            context, *args, **kwargs)

    def schedule_prep_resize(self, context, *args, **kwargs):
        """The destination of a resize, by the compute driver."""
        return self.drivers['compute'].schedule_prep_resize(
            context, *args, **kwargs)

    def schedule_create_volume(self, context, *args, **kwargs):
        """Place a volume with the volume driver."""
        sub = self.drivers['volume']
        method = getattr(sub, 'schedule_create_volume', None)
        if method is not None:
            return method(context, *args, **kwargs)
        return sub.schedule(context, FLAGS.volume_topic, 'create_volume',
                            *args, **kwargs)

    def schedule_create_volumes(self, context, *args, **kwargs):
        """Place the volumes of a VSA with the volume driver (a VSA
        scheduler); NoValidHost when that driver cannot."""
        method = getattr(self.drivers['volume'], 'schedule_create_volumes',
                         None)
        if method is None:
            raise driver.NoValidHost(
                reason='the volume scheduler driver cannot place VSA '
                       'volumes (set --volume_scheduler_driver to a '
                       'nova.scheduler.vsa scheduler)')
        return method(context, *args, **kwargs)
