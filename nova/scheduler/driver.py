"""The base of the scheduler drivers (``--scheduler_driver``).

A driver answers the scheduler manager's question "which host?".  The
manager calls ``driver.schedule_<method>(context, ...)`` when the driver has
one, else the generic ``driver.schedule(context, topic, method, ...)``.
Either returns the host to cast ``method`` to (the manager then casts it to
``<topic>.<host>``), or None when the driver has already sent the message
itself.  A driver that finds no host raises :class:`NoValidHost` with a
reason a user can read.

Only hosts whose service is enabled (``services.disabled`` false) and up
(a heartbeat within ``--service_down_time``) are ever chosen, except that an
admin may force a host that is up with ``availability_zone='zone:host'``
(see :meth:`Scheduler.forced_host`).
"""

import logging

from nova import db
from nova import exception
from nova import flags
from nova.rpc import outbox
from nova.utils import servicegroup

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.scheduler.driver')

# Keys of a run_instance message that are for the scheduler only and are not
# passed on to nova-compute.
SCHEDULER_ONLY_ARGS = ('topic', 'request_spec', 'availability_zone',
                       'filter_properties')

NoValidHost = exception.NoValidHost


class WillNotSchedule(NoValidHost):
    """The request names a host that cannot take it (down, unknown)."""

    message = 'Host %(host)s cannot be used: %(reason)s'


def service_is_up(service):
    """Whether the service reported within ``--service_down_time``."""
    return servicegroup.service_is_up(service)


def split_zone(availability_zone):
    """``'zone:host'`` -> ``('zone', 'host')``; ``'zone'`` -> ``('zone',
    None)``; empty -> ``(None, None)``."""
    if not availability_zone:
        return None, None
    zone, _sep, host = str(availability_zone).partition(':')
    return zone or None, host or None


def requested_zone(kwargs):
    """The availability zone a request asks for (text, may be 'zone:host').

    From ``availability_zone`` or, failing that, the ``request_spec``'s
    ``instance_properties``.
    """
    zone = kwargs.get('availability_zone')
    if zone:
        return zone
    spec = kwargs.get('request_spec') or {}
    props = spec.get('instance_properties') or {}
    return props.get('availability_zone') or None


def queue_for(topic, host):
    """The queue of ``topic`` on one host: ``<topic>.<host>``."""
    return '%s.%s' % (topic, host)


class Scheduler(object):
    """Chooses a host for each request; subclasses say how."""

    def __init__(self):
        self.host_states = None

    def set_host_states(self, host_states):
        """Give the driver the capabilities services reported
        (:class:`nova.scheduler.host_states.HostStates`)."""
        self.host_states = host_states

    # -- which hosts ---------------------------------------------------------
    @staticmethod
    def service_is_up(service):
        """Whether the service reported within ``--service_down_time``."""
        return service_is_up(service)

    def services_up(self, context, topic, zone=None):
        """The enabled, up services of ``topic`` (in ``zone`` if given)."""
        services = db.service_get_all_by_topic(context.elevated(), topic)
        return [svc for svc in services
                if service_is_up(svc) and
                (not zone or svc['availability_zone'] == zone)]

    def hosts_up(self, context, topic, zone=None):
        """Host names of :meth:`services_up`."""
        return [svc['host'] for svc in self.services_up(context, topic, zone)]

    def forced_host(self, context, topic, availability_zone, binary=None):
        """The host of ``'zone:host'`` if the caller may force it, else None.

        Only an admin may force a host (for others the host part is
        ignored).  The host must run an up service of ``topic``; a disabled
        one is accepted, as Diablo did, so that an operator can test a host
        kept out of normal scheduling.  Raises WillNotSchedule otherwise.
        """
        _zone, host = split_zone(availability_zone)
        if not host:
            return None
        if not context.is_admin:
            LOG.info('ignoring host %s forced by non-admin %s', host,
                     context.user_id)
            return None
        binary = binary or 'nova-%s' % topic
        try:
            service = db.service_get_by_args(context.elevated(), host, binary)
        except exception.NotFound:
            raise WillNotSchedule(host=host,
                                  reason='no %s service there' % binary)
        if not service_is_up(service):
            raise WillNotSchedule(host=host, reason='it is not alive')
        return host

    # -- choosing -------------------------------------------------------------
    def schedule(self, context, topic, method, *_args, **kwargs):
        """Pick a host for ``method`` on ``topic``; subclasses implement."""
        raise NotImplementedError('%s must implement schedule()'
                                  % type(self).__name__)

    # -- sending ---------------------------------------------------------------
    def cast_to_compute_host(self, context, host, method, instance_id=None,
                             **kwargs):
        """Record ``host`` on the instance and cast ``method`` to it."""
        args = dict((k, v) for k, v in kwargs.items()
                    if k not in SCHEDULER_ONLY_ARGS)
        if instance_id is None:
            # Through the outbox all the same: a broker away now delays
            # the request, it does not fail it.
            outbox.cast(context, queue_for(FLAGS.compute_topic, host),
                        {'method': method, 'args': args})
            return
        args['instance_id'] = instance_id
        # The host and the message to it commit together (outbox).
        with db.session_scope():
            if not db.instance_set_scheduled_host(context.elevated(),
                                                  instance_id, host):
                LOG.info('instance %s was deleted or put in error while '
                         'it was being scheduled; not sending %s',
                         instance_id, method)
                return
            outbox.cast(context, queue_for(FLAGS.compute_topic, host),
                        {'method': method, 'args': args})
        LOG.debug('casted %s of instance %s to %s', method, instance_id,
                  host)

    def schedule_run_instance(self, context, instance_id, *_args, **kwargs):
        """Place an instance: pick a host, record it, cast ``run_instance``.

        Hosts come from :meth:`select_compute_host`; an admin's
        ``zone:host`` wins.  Returns None (the message is sent here).
        """
        zone = self.run_instance_zone(context, instance_id, kwargs)
        host = self.forced_host(context, FLAGS.compute_topic, zone)
        if host is None:
            host = self.select_compute_host(context, instance_id, zone,
                                            kwargs)
        self.cast_to_compute_host(context, host, 'run_instance',
                                  instance_id=instance_id, **kwargs)
        return None

    def run_instance_zone(self, context, instance_id, request):
        """The zone a new instance asks for (may be 'zone:host').

        From the request's ``availability_zone`` or ``request_spec``.
        """
        return requested_zone(request)

    def select_compute_host(self, context, instance_id, availability_zone,
                            request):
        """The compute host for a new instance (no forced host given).

        ``availability_zone`` is the zone asked for (may be 'zone:host'),
        ``request`` the other arguments of run_instance (``request_spec``
        ...).  The default is :meth:`schedule` on the compute topic.
        """
        return self.schedule(context, FLAGS.compute_topic, 'run_instance',
                             instance_id=instance_id,
                             availability_zone=availability_zone)

    def schedule_live_migration(self, context, instance_id, dest,
                                block_migration=False, **_kwargs):
        """Check a live migration; the source host gets the cast."""
        from nova.scheduler import live_migration
        return live_migration.check(context, instance_id, dest,
                                    block_migration)

    def schedule_prep_resize(self, context, instance_id, *_args, **_kwargs):
        """The destination of a resize (None: no host, the instance was
        put back to active); see :mod:`nova.scheduler.resize`."""
        from nova.scheduler import resize
        return resize.choose(self, context, instance_id)
