"""BaseScheduler: filter the hosts that reported, weigh them, take the best.

The zone-aware base of the least-cost scheduler.  Candidates are the hosts
whose services reported capabilities (``update_service_capabilities``, kept
in :class:`nova.scheduler.host_states.HostStates`) and whose service of the
topic is up and enabled (in the availability zone asked for, if any).  A
host filter (the request's ``filter`` or ``--default_host_filter``) keeps
those that can take the request's flavor; :meth:`weigh_hosts` gives each a
weight, and the lowest weight wins.

Diablo also asked child zones for their weighted hosts; zones are not part
of this project, so the build plan holds local hosts only.  Topics other
than compute are scheduled at random among the up hosts (ChanceScheduler).
"""

import logging
import operator

from nova import db
from nova import flags
from nova.scheduler import chance
from nova.scheduler import driver
from nova.scheduler import host_filter

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.scheduler.base_scheduler')


def _instance_type_of(context, instance_id, request):
    """The flavor of a request (from its request_spec, else the row)."""
    spec = request.get('request_spec') or {}
    if spec.get('instance_type'):
        return spec['instance_type']
    instance = db.instance_get(context.elevated(), instance_id)
    return {'memory_mb': instance['memory_mb'],
            'local_gb': instance['local_gb'], 'vcpus': instance['vcpus']}


class BaseScheduler(chance.ChanceScheduler):
    """Places instances on the best of the hosts that reported."""

    def reported_hosts(self, context, topic, zone=None):
        """``{host: {service: capabilities}}`` of the hosts that reported
        and run an up, enabled ``topic`` service (in ``zone``)."""
        if self.host_states is None:
            return {}
        up = set(self.hosts_up(context, topic, zone=zone))
        return dict((host, services) for host, services in
                    self.host_states.service_states.items()
                    if host in up and topic in services)

    def filter_hosts(self, topic, request_spec, hosts):
        """The ``(host, services)`` of ``hosts`` (a dict) that pass the
        request's filter (``request_spec['filter']`` or
        ``--default_host_filter``); all of them without a flavor."""
        selected = host_filter.choose_host_filter(
            request_spec.get('filter'))
        instance_type = request_spec.get('instance_type')
        if instance_type is None:
            return sorted(hosts.items())
        _name, query = selected.instance_type_to_filter(instance_type)
        return selected.filter_hosts(hosts, query)

    def weigh_hosts(self, topic, request_spec, hosts):
        """``[{weight, hostname, capabilities}]``, one per instance asked
        for (hosts reused in turn when there are fewer); all weigh 1."""
        weighted = [dict(weight=1, hostname=hostname,
                         capabilities=services.get(topic, {}))
                    for hostname, services in hosts]
        wanted = request_spec.get('num_instances', 1) or 1
        plan = []
        while weighted and len(plan) < wanted:
            plan.extend(weighted[:wanted - len(plan)])
        return plan

    def select(self, context, request_spec, topic=None, zone=None):
        """The build plan: weighted hosts, best (lowest weight) first."""
        topic = topic or FLAGS.compute_topic
        hosts = self.reported_hosts(context, topic, zone=zone)
        filtered = self.filter_hosts(topic, request_spec, hosts)
        weighted = self.weigh_hosts(topic, request_spec, filtered)
        weighted.sort(key=operator.itemgetter('weight'))
        return weighted

    def select_compute_host(self, context, instance_id, availability_zone,
                            request):
        """The first host of the build plan; NoValidHost without one."""
        zone, _host = driver.split_zone(availability_zone)
        spec = dict(request.get('request_spec') or {})
        spec['instance_type'] = _instance_type_of(context, instance_id,
                                                  request)
        spec['num_instances'] = 1
        plan = self.select(context, spec, zone=zone)
        if not plan:
            raise driver.NoValidHost(reason='No hosts were available')
        LOG.debug('build plan of instance %s: %s', instance_id,
                  ['%s=%s' % (item['hostname'], item['weight'])
                   for item in plan])
        return plan[0]['hostname']
