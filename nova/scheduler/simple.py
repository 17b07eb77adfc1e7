"""SimpleScheduler: the least loaded host, with per-host limits.

Instances go to the compute host with the fewest cores in use (at most
``--max_cores`` per host), volumes to the volume host with the fewest
gigabytes (``--max_gigabytes``), networks to the network host with the
fewest networks (``--max_networks``).  The availability zone asked for is
honoured; an admin may force a host with ``zone:host``.  Each choice costs one
query (the services sorted by load, see ``service_get_all_*_sorted``); the
instances placed together share it (:class:`_ComputePlacer`).
"""

import logging

from nova import db
from nova import exception
from nova import flags
from nova import utils
from nova.scheduler import chance
from nova.scheduler import driver
from nova.utils import concurrency

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.scheduler.simple')

flags.DEFINE_integer('max_cores', 16,
                     'maximum number of instance cores to allow per host')
flags.DEFINE_integer('max_gigabytes', 10000,
                     'maximum number of volume gigabytes to allow per host')
flags.DEFINE_integer('max_networks', 1000,
                     'maximum number of networks to allow per host')


def _first_fit(candidates, zone, wanted, limit, what):
    """The first up host of (service, used) pairs in ``zone`` with room.

    ``candidates`` are sorted least used first, so once the least used
    host of the zone has no room for ``wanted`` more, none has.
    """
    seen_up = False
    for service, used in candidates:
        if zone and service['availability_zone'] != zone:
            continue
        if not driver.service_is_up(service):
            continue
        seen_up = True
        if used + wanted > limit:
            break
        return service['host']
    where = ' in availability zone %s' % zone if zone else ''
    if seen_up:
        raise driver.NoValidHost(
            reason='All hosts%s have too many %s.' % (where, what))
    raise driver.NoValidHost(
        reason='Scheduler was unable to locate a host%s for this request. '
               'Is the appropriate service running?' % where)


def _requested_vcpus(request):
    """The cores of the instance, from the request if it says."""
    spec = request.get('request_spec') or {}
    for part in ('instance_properties', 'instance_type'):
        vcpus = (spec.get(part) or {}).get('vcpus')
        if vcpus is not None:
            return int(vcpus)
    return None


class _ComputePlacer(object):
    """Compute hosts for the instances placed together.

    Placements asked for while one runs go together in the next batch
    (:class:`~nova.utils.concurrency.Batcher`): one read of the hosts'
    loads, then each instance in turn goes to the least loaded host, its
    cores counted before the next is placed.  A pick stays counted here
    (``unsettled``) until its host is written on the instance, so that a
    read made meanwhile still sees it: the pending picks are taken before
    the read, and one written since is then counted twice, never missed.
    """

    def __init__(self):
        self.unsettled = {}     # host -> cores picked, not yet written
        self._batcher = concurrency.Batcher(self._place_many)

    def place(self, context, zone, vcpus):
        """The host for an instance of ``vcpus`` cores in ``zone``; raises
        NoValidHost.  Call :meth:`settle` once its host is written."""
        return self._batcher.submit((context, zone, vcpus))

    def settle(self, host, vcpus):
        """The pick of ``host`` is written (or given up): the loads read
        from the database count it from now on."""
        left = self.unsettled.get(host, 0) - vcpus
        if left > 0:
            self.unsettled[host] = left
        else:
            self.unsettled.pop(host, None)

    def _place_many(self, requests):
        pending = dict(self.unsettled)
        context = requests[0][0]
        candidates = [[service, used + pending.get(service['host'], 0)]
                      for service, used in
                      db.service_get_all_compute_sorted(context.elevated())]
        outcomes = []
        for _context, zone, vcpus in requests:
            candidates.sort(key=lambda c: (c[1], c[0]['id']))
            try:
                host = _first_fit(candidates, zone, vcpus, FLAGS.max_cores,
                                  'cores')
            except exception.NoValidHost as error:
                outcomes.append((False, error))
                continue
            for candidate in candidates:
                if candidate[0]['host'] == host:
                    candidate[1] += vcpus
            self.unsettled[host] = self.unsettled.get(host, 0) + vcpus
            outcomes.append((True, host))
        return outcomes


class SimpleScheduler(chance.ChanceScheduler):
    """Least loaded host first; random for the topics it has no rule for."""

    @property
    def placer(self):
        """This scheduler's :class:`_ComputePlacer`."""
        placer = getattr(self, '_placer', None)
        if placer is None:
            placer = self._placer = _ComputePlacer()
            self._picks = {}    # green thread -> [(host, vcpus)]
        return placer

    def schedule_run_instance(self, context, instance_id, *args, **kwargs):
        """Place an instance (see the base class); its pick is settled
        once the host is written on it (or the cast given up)."""
        placer = self.placer
        me = concurrency.current()
        try:
            return super(SimpleScheduler, self).schedule_run_instance(
                context, instance_id, *args, **kwargs)
        finally:
            for host, vcpus in self._picks.pop(me, ()):
                placer.settle(host, vcpus)

    def run_instance_zone(self, context, instance_id, request):
        """The zone asked for; read from the instance when the request
        carries no ``instance_properties`` to say it."""
        zone = driver.requested_zone(request)
        spec = request.get('request_spec') or {}
        if zone or spec.get('instance_properties'):
            return zone
        return db.instance_get(context, instance_id)['availability_zone']

    def select_compute_host(self, context, instance_id, availability_zone,
                            request):
        """The up compute host with the fewest cores in use and room left."""
        vcpus = _requested_vcpus(request)
        if vcpus is None:
            vcpus = db.instance_get(context, instance_id)['vcpus'] or 0
        zone, _host = driver.split_zone(availability_zone)
        placer = self.placer
        host = placer.place(context, zone, vcpus)
        self._picks.setdefault(concurrency.current(), []).append(
            (host, vcpus))
        return host

    def schedule_create_volume(self, context, volume_id, *_args, **_kwargs):
        """The up volume host with the fewest gigabytes and room left.

        Records the host on the volume and returns it (the manager casts
        ``create_volume`` there).
        """
        volume = db.volume_get(context, volume_id)
        zone_text = volume['availability_zone']
        host = self.forced_host(context, FLAGS.volume_topic, zone_text)
        if host is None:
            zone, _host = driver.split_zone(zone_text)
            services = db.service_get_all_volume_sorted(context.elevated())
            host = _first_fit(services, zone, volume['size'] or 0,
                              FLAGS.max_gigabytes, 'gigabytes')
        db.volume_update(context, volume_id,
                         {'host': host, 'scheduled_at': utils.utcnow()})
        return host

    def schedule_set_network_host(self, context, *_args, **_kwargs):
        """The up network host with the fewest networks and room left."""
        services = db.service_get_all_network_sorted(context.elevated())
        return _first_fit(services, None, 1, FLAGS.max_networks, 'networks')
