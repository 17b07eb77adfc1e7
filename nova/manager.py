"""Base class of the managers the services load, and periodic tasks.

A manager's public methods are its RPC methods: ``method(self, context,
**args)``.  Methods decorated with :func:`periodic_task` run every
``--periodic_interval`` seconds (or every ``ticks_between_runs + 1`` runs).
"""

import logging

from nova import flags
from nova.scheduler import api as scheduler_api

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.manager')


def periodic_task(*args, **kwargs):
    """Mark a manager method to be run by the service periodically.

    Usable bare (``@periodic_task``) or with ``ticks_between_runs=N``.
    """
    def decorate(func, ticks_between_runs=0):
        func._periodic_task = True
        func._ticks_between_runs = ticks_between_runs
        return func

    if args and callable(args[0]) and not kwargs:
        return decorate(args[0])
    return lambda func: decorate(func, kwargs.get('ticks_between_runs', 0))


class Manager(object):
    """Holds the host name and runs the periodic tasks of a service."""

    def __init__(self, host=None, db_driver=None, **_kwargs):
        self.host = host or FLAGS.host
        self._ticks = {}

    def _periodic_tasks(self):
        for name in sorted(dir(type(self))):
            member = getattr(type(self), name, None)
            if callable(member) and getattr(member, '_periodic_task', False):
                yield name, member._ticks_between_runs

    def periodic_tasks(self, context, raise_on_error=False):
        """Run every periodic task that is due; log (not raise) failures."""
        for name, ticks_between in self._periodic_tasks():
            ticks = self._ticks.get(name, ticks_between)
            if ticks < ticks_between:
                self._ticks[name] = ticks + 1
                continue
            self._ticks[name] = 0
            try:
                getattr(self, name)(context)
            except Exception:
                if raise_on_error:
                    raise
                LOG.exception('Error during %s.%s',
                              type(self).__name__, name)

    def init_host(self):
        """Hook run once at service start, before consuming messages."""

    def service_registered(self, context):
        """Hook run once the service's ``services`` row exists."""

    def service_version(self, context):
        """The version of the code this service runs (an RPC method)."""
        from nova import version
        return version.version_string()

    def cleanup_host(self):
        """Hook run when the service stops."""


class SchedulerDependentManager(Manager):
    """A manager whose host capabilities are reported to the schedulers."""

    def __init__(self, host=None, db_driver=None, service_name='undefined',
                 **kwargs):
        self.last_capabilities = None
        self.service_name = service_name
        super(SchedulerDependentManager, self).__init__(
            host=host, db_driver=db_driver, **kwargs)

    def update_service_capabilities(self, capabilities):
        """Remember the capabilities to send at the next periodic run."""
        self.last_capabilities = capabilities

    def report_capabilities(self, context):
        """Take this host's current capabilities (a hook; the default has
        none).  Run once the service is registered, then as the manager's
        periodic tasks decide."""

    def service_registered(self, context):
        """Send the first capabilities at once, so that the schedulers
        can place requests on this host before its first periodic run."""
        super(SchedulerDependentManager, self).service_registered(context)
        try:
            self.report_capabilities(context)
        except Exception:  # noqa: BLE001 - the periodic run tries again
            LOG.exception('could not take the capabilities of %s',
                          self.service_name)
            return
        self.publish_service_capabilities(context)

    def periodic_tasks(self, context, raise_on_error=False):
        """Run the periodic tasks, then send the capabilities remembered
        (if any) to every scheduler (a fanout cast)."""
        super(SchedulerDependentManager, self).periodic_tasks(
            context, raise_on_error=raise_on_error)
        self.publish_service_capabilities(context)

    def publish_service_capabilities(self, context):
        """Fanout the last capabilities to the schedulers, if any."""
        if not self.last_capabilities:
            return
        LOG.debug('Notifying Schedulers of capabilities ...')
        try:
            scheduler_api.update_service_capabilities(
                context, self.service_name, self.host,
                self.last_capabilities)
        except Exception:  # noqa: BLE001 - the next period sends again
            LOG.exception('could not send the capabilities of %s',
                          self.service_name)
