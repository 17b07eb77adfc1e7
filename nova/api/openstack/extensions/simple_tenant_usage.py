"""``os-simple-tenant-usage``: instance hours, vCPU, RAM and disk use of
projects over a period (Diablo's SimpleTenantUsage).

``GET /os-simple-tenant-usage?start=…&end=…[&detailed=1]`` lists every
project with usage (administrators only), ``GET
/os-simple-tenant-usage/{project}`` one project (a user who is not an
administrator only the URL's own: another is a 403).  An instance counts
from its launch (or creation) to its termination, clipped to the period;
``start`` defaults to 30 days ago and ``end`` to now.
"""

import datetime

import webob.exc

from nova import db
from nova import utils
from nova.api.openstack import common
from nova.api.openstack.extensions import ResourceExtension

EXTENSION = {
    'name': 'SimpleTenantUsage',
    'alias': 'os-simple-tenant-usage',
    'description': 'Simple tenant usage extension',
    'namespace': 'http://docs.openstack.org/ext/os-simple-tenant-usage/'
                 'api/v1.1',
    'updated': '2011-08-19T00:00:00+00:00',
}


def _time(req, name, default):
    value = req.GET.get(name)
    if value in (None, ''):
        return default
    for parse in (utils.parse_isotime, datetime.datetime.fromisoformat):
        try:
            parsed = parse(value)
        except (TypeError, ValueError):
            continue
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(datetime.timezone.utc)
        return parsed.replace(tzinfo=None)
    raise common.bad_request('Invalid %s time %s' % (name, value))


def _period(req):
    now = utils.utcnow().replace(tzinfo=None)
    end = _time(req, 'end', now)
    start = _time(req, 'start', end - datetime.timedelta(days=30))
    if start > end:
        raise common.bad_request('start must be before end')
    return start, end


def _server_usage(instance, start, end):
    """The usage of one instance in [start, end], None outside it."""
    began = instance['launched_at'] or instance['created_at']
    ended = instance['terminated_at']
    if instance['deleted'] and ended is None:
        ended = instance['deleted_at'] or instance['updated_at']
    if began is None or began > end or (ended is not None and
                                        ended < start):
        return None
    first = max(began, start)
    last = min(ended, end) if ended is not None else end
    hours = max((last - first).total_seconds(), 0) / 3600.0
    itype = instance['instance_type']
    return {
        'name': instance['display_name'], 'instance_id': instance['id'],
        'tenant_id': instance['project_id'], 'hours': hours,
        'memory_mb': instance['memory_mb'], 'local_gb': instance['local_gb'],
        'vcpus': instance['vcpus'],
        'flavor': itype['name'] if itype else None,
        'started_at': common.isotime(began),
        'ended_at': common.isotime(ended),
        'state': 'terminated' if ended is not None else
        instance['vm_state'],
        'uptime': int((end - first).total_seconds()) if ended is None
        else int((last - first).total_seconds()),
    }


def _usages(ctxt, start, end, project_id=None):
    filters = {'deleted': True}
    if project_id is not None:
        filters['project_id'] = project_id
    instances = db.instance_get_all_by_filters(ctxt.elevated(), filters)
    tenants = {}
    for instance in sorted(instances, key=lambda i: i['id']):
        usage = _server_usage(instance, start, end)
        if usage is None:
            continue
        tenant = tenants.setdefault(usage['tenant_id'], {
            'tenant_id': usage['tenant_id'], 'server_usages': [],
            'total_local_gb_usage': 0.0, 'total_vcpus_usage': 0.0,
            'total_memory_mb_usage': 0.0, 'total_hours': 0.0,
            'start': common.isotime(start), 'stop': common.isotime(end)})
        tenant['server_usages'].append(usage)
        hours = usage['hours']
        tenant['total_hours'] += hours
        tenant['total_local_gb_usage'] += (usage['local_gb'] or 0) * hours
        tenant['total_vcpus_usage'] += (usage['vcpus'] or 0) * hours
        tenant['total_memory_mb_usage'] += (usage['memory_mb'] or 0) * hours
    return tenants


def _detailed(req):
    return req.GET.get('detailed', '0') not in ('0', '', 'false', 'False')


class SimpleTenantUsageController(object):
    """``/os-simple-tenant-usage``."""

    def index(self, req, **_args):
        """Every project's usage (administrators only)."""
        ctxt = common.context_of(req)
        if not ctxt.is_admin:
            raise webob.exc.HTTPForbidden(
                explanation='Only administrators see every project')
        start, end = _period(req)
        usages = list(_usages(ctxt, start, end).values())
        if not _detailed(req):
            for usage in usages:
                del usage['server_usages']
        return {'tenant_usages': usages}

    def show(self, req, id, **_args):
        """One project's usage (its servers' usages always included)."""
        ctxt = common.context_of(req)
        if not ctxt.is_admin and id != ctxt.project_id:
            raise webob.exc.HTTPForbidden(
                explanation='Only administrators see another project')
        start, end = _period(req)
        usage = _usages(ctxt, start, end, id).get(id) or {
            'tenant_id': id, 'server_usages': [],
            'total_local_gb_usage': 0.0, 'total_vcpus_usage': 0.0,
            'total_memory_mb_usage': 0.0, 'total_hours': 0.0,
            'start': common.isotime(start), 'stop': common.isotime(end)}
        return {'tenant_usage': usage}


def resources():
    """The ``os-simple-tenant-usage`` collection."""
    return [ResourceExtension('os-simple-tenant-usage',
                              SimpleTenantUsageController(),
                              ('index', 'show'))]
