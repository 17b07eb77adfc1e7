"""Availability zones, regions and account attributes."""

from nova import db
from nova import flags
from nova import quota
from nova import utils
from nova.api.ec2 import ec2utils
from nova.utils import servicegroup

FLAGS = flags.FLAGS


class ZoneActions(object):
    """DescribeAvailabilityZones, DescribeRegions, DescribeAccountAttributes."""

    def _zones(self, context):
        """``(available, unavailable)`` zone names from the services table."""
        services = db.service_get_all(context.elevated())
        enabled = set()
        disabled = set()
        for service in services:
            zone = service['availability_zone'] or 'nova'
            (disabled if service['disabled'] else enabled).add(zone)
        return sorted(enabled), sorted(disabled - enabled), services

    def describe_availability_zones(self, context, zone_name=None,
                                    filter=None, **kwargs):
        """DescribeAvailabilityZones (``verbose`` lists hosts for admins)."""
        names = [str(n) for n in ec2utils.as_list(zone_name)]
        if 'verbose' in names and context.is_admin:
            return self._describe_zones_verbose(context)
        available, unavailable, _services = self._zones(context)
        if not available and not unavailable:
            available = [FLAGS.node_availability_zone]
        infos = [{'zoneName': z, 'zoneState': 'available'}
                 for z in available]
        infos += [{'zoneName': z, 'zoneState': 'not available'}
                  for z in unavailable]
        for info in infos:
            info['regionName'] = self._region_name()
            info['messageSet'] = []
        names = [n for n in names if n != 'verbose']
        if names:
            infos = [i for i in infos if i['zoneName'] in names]
        infos = ec2utils.apply_filters(
            infos, ec2utils.filters_from(filter),
            {'zone-name': lambda i: i['zoneName'],
             'state': lambda i: i['zoneState'],
             'region-name': lambda i: i['regionName']})
        return {'availabilityZoneInfo': infos}

    def _describe_zones_verbose(self, context):
        available, unavailable, services = self._zones(context)
        now = utils.utcnow()
        infos = []
        for zone in available + unavailable:
            state = 'available' if zone in available else 'not available'
            infos.append({'zoneName': zone, 'zoneState': state})
            hosts = {}
            for service in services:
                if (service['availability_zone'] or 'nova') == zone:
                    hosts.setdefault(service['host'], []).append(service)
            for host in sorted(hosts):
                infos.append({'zoneName': '|- %s' % host, 'zoneState': ''})
                for service in sorted(hosts[host],
                                      key=lambda s: s['binary']):
                    alive = ':-)' if servicegroup.service_is_up(
                        service, now) else 'XXX'
                    active = 'disabled' if service['disabled'] \
                        else 'enabled'
                    seen = servicegroup.last_heartbeat(service)
                    infos.append({
                        'zoneName': '| |- %s' % service['binary'],
                        'zoneState': '%s %s %s' % (
                            active, alive,
                            seen.strftime('%Y-%m-%d %H:%M:%S')
                            if seen else '-')})
        return {'availabilityZoneInfo': infos}

    @staticmethod
    def _region_name():
        if FLAGS.region_list:
            return FLAGS.region_list[0].partition('=')[0]
        return 'nova'

    def describe_regions(self, context, region_name=None, filter=None,
                         **kwargs):
        """DescribeRegions: ``--region_list`` (NAME=HOST), else ``nova``."""
        regions = []
        entries = FLAGS.region_list or ['nova=%s' % FLAGS.ec2_host]
        for entry in entries:
            name, _sep, host = entry.partition('=')
            endpoint = '%s://%s:%s%s' % (FLAGS.ec2_scheme, host,
                                         FLAGS.ec2_port, FLAGS.ec2_path)
            regions.append({'regionName': name, 'regionEndpoint': endpoint})
        names = [str(n) for n in ec2utils.as_list(region_name)]
        if names:
            regions = [r for r in regions if r['regionName'] in names]
        regions = ec2utils.apply_filters(
            regions, ec2utils.filters_from(filter),
            {'region-name': lambda r: r['regionName'],
             'endpoint': lambda r: r['regionEndpoint']})
        return {'regionInfo': regions}

    def describe_account_attributes(self, context, attribute_name=None,
                                    **kwargs):
        """DescribeAccountAttributes: ``supported-platforms=EC2`` and limits."""
        quotas = quota.get_project_quotas(context, context.project_id)
        attributes = [
            ('supported-platforms', ['EC2']),
            ('default-vpc', ['none']),
            ('max-instances', [quotas.get('instances')]),
            ('max-elastic-ips', [quotas.get('floating_ips')]),
            ('vpc-max-elastic-ips', [0]),
            ('vpc-max-security-groups-per-interface', [0]),
        ]
        wanted = [str(n) for n in ec2utils.as_list(attribute_name)]
        for name in wanted:
            if name not in dict(attributes):
                raise ec2utils.invalid_value('AttributeName', name)
        return {'accountAttributeSet': [
            {'attributeName': name,
             'attributeValueSet': [{'attributeValue':
                                    'unlimited' if v is None else v}
                                   for v in values]}
            for name, values in attributes
            if not wanted or name in wanted]}
