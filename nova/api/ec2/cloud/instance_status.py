"""DescribeInstanceStatus: the health checks AWS reports for instances.

For a running instance both checks are ``ok`` while the nova-compute of its
host reports (``--service_down_time``); when that service is down the
system check is ``impaired`` (reachability ``failed``) and the instance
check ``insufficient-data``, as on AWS when the host cannot be reached.
Other states show ``not-applicable`` and are listed only with
``IncludeAllInstances=true``.  Enough for ``aws ec2 wait instance-status-ok``
and boto3's ``instance_status_ok`` waiter.
"""

from nova import db
from nova import exception
from nova.api.ec2 import ec2utils
from nova.api.ec2.cloud import instance_view
from nova.api.ec2.cloud import terminated
from nova.utils import servicegroup


def _check(status, reachability):
    return {'status': status,
            'details': [{'name': 'reachability', 'status': reachability}]}


def _filter_value(item, *path):
    for key in path:
        item = item.get(key) if isinstance(item, dict) else None
    return item


#: Filters of DescribeInstanceStatus over a formatted item.
FILTERS = {
    'availability-zone': lambda i: i['availabilityZone'],
    'instance-state-name': lambda i: i['instanceState']['name'],
    'instance-state-code': lambda i: i['instanceState']['code'],
    'instance-status.status': lambda i: i['instanceStatus']['status'],
    'instance-status.reachability': lambda i: _filter_value(
        i, 'instanceStatus', 'details')[0]['status'],
    'system-status.status': lambda i: i['systemStatus']['status'],
    'system-status.reachability': lambda i: _filter_value(
        i, 'systemStatus', 'details')[0]['status'],
}


class InstanceStatusActions(object):
    """The DescribeInstanceStatus action."""

    def describe_instance_status(self, context, instance_id=None,
                                 filter=None, include_all_instances=None,
                                 max_results=None, next_token=None,
                                 **kwargs):
        """DescribeInstanceStatus: one item per (running) instance."""
        include_all = ec2utils.to_bool(include_all_instances or False,
                                       'IncludeAllInstances')
        if max_results is not None:
            ec2utils.to_int(max_results, 'MaxResults', 5, 1000)
        filters = ec2utils.filters_from(filter)
        for name in filters:
            if name not in FILTERS:
                raise exception.InvalidParameterValue(
                    err="The filter '%s' is invalid" % name)
        ec2_ids = [str(i) for i in ec2utils.as_list(instance_id) if i != '']
        search = {}
        if ec2_ids:
            numbers = [ec2utils.ec2_instance_id_to_id(i) for i in ec2_ids]
            search['instance_id'] = numbers
        # The same plain listing rows as DescribeInstances (and as the
        # recently terminated ones appended to them), not ORM instances.
        instances = terminated.with_recently_terminated(
            self.compute_api, context, search,
            self.compute_api.get_listing(context, search))
        if ec2_ids:
            found = set(i['id'] for i in instances)
            for number in numbers:
                if number not in found:
                    raise exception.InstanceNotFound(instance_id=number)
        view = instance_view.InstanceView(context)
        hosts = _compute_hosts_up(context)
        items = []
        for instance in instances:
            item = _status_item(view, instance, hosts)
            if include_all or item['instanceState']['name'] == 'running':
                items.append(item)
        return {'instanceStatusSet':
                ec2utils.apply_filters(items, filters, FILTERS)}


def _compute_hosts_up(context):
    """{host: whether its nova-compute reports}."""
    result = {}
    for svc in db.service_get_all(context.elevated()):
        if svc['binary'] == 'nova-compute':
            result[svc['host']] = result.get(svc['host'], False) or \
                servicegroup.service_is_up(svc)
    return result


def _status_item(view, instance, hosts):
    state = view.state(instance)
    item = {
        'instanceId': ec2utils.instance_id_to_ec2(instance['id']),
        'availabilityZone': view.format(instance)['placement'][
            'availabilityZone'],
        'instanceState': state,
        'eventsSet': [],
    }
    if state['name'] != 'running':
        item['systemStatus'] = _check('not-applicable', 'not-applicable')
        item['instanceStatus'] = _check('not-applicable', 'not-applicable')
    elif hosts.get(instance['host']):
        item['systemStatus'] = _check('ok', 'passed')
        item['instanceStatus'] = _check('ok', 'passed')
    else:
        item['systemStatus'] = _check('impaired', 'failed')
        item['instanceStatus'] = _check('insufficient-data',
                                        'insufficient-data')
    return item
