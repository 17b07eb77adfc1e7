"""``os-simple-tenant-usage``, ``os-rescue``, ``virtual_interfaces``,
``os-flavor-extra-specs``, ``os-flavor-extra-data`` and
``os-create-server-ext``."""

import datetime

import pytest
import webob

from nova import context
from nova import db
from nova.api.openstack.extensions import simple_tenant_usage
from tests.unit.api.openstack.osapi_ext_helpers import call, fault_name
from tests.unit.api.openstack.osapi_ext_helpers import load_osapi


@pytest.fixture
def osapi(sqlite_db, set_flags):
    return load_osapi(set_flags)


def _server(project='proj', **values):
    row = {'project_id': project, 'user_id': 'alice', 'vm_state': 'active',
           'display_name': 'vm', 'vcpus': 2, 'memory_mb': 512,
           'local_gb': 10}
    row.update(values)
    return db.instance_create(context.get_admin_context(), row)


def test_listing_has_diablos_entries(osapi):
    res = call(osapi, '/extensions')
    aliases = [e['alias'] for e in res.json['extensions']]
    assert aliases == ['os-keypairs', 'security_groups', 'os-floating-ips',
                       'os-quota-sets', 'os-volumes',
                       'os-simple-tenant-usage', 'os-rescue',
                       'virtual_interfaces', 'os-flavor-extra-specs',
                       'os-flavor-extra-data', 'os-create-server-ext',
                       'os-hosts', 'NMN', 'os-volume-types',
                       'os-console-output', 'os-admin-servers',
                       'os-snapshots', 'os-services', 'zadr-vsa',
                       'os-consoles']
    for ext in res.json['extensions']:
        assert ext['namespace'].startswith('http://docs.openstack.org/ext/')
        datetime.datetime.fromisoformat(ext['updated'])


def test_usage(osapi):
    launched = datetime.datetime(2011, 9, 1, 0, 0, 0)
    _server(launched_at=launched)
    _server('other', launched_at=launched)
    query = '?start=2011-09-01T00:00:00&end=2011-09-01T10:00:00'
    res = call(osapi, '/os-simple-tenant-usage/proj' + query)
    assert res.status_int == 200, res.body
    usage = res.json['tenant_usage']
    assert usage['tenant_id'] == 'proj'
    assert usage['total_hours'] == pytest.approx(10.0)
    assert usage['total_vcpus_usage'] == pytest.approx(20.0)
    assert usage['total_memory_mb_usage'] == pytest.approx(5120.0)
    assert [s['hours'] for s in usage['server_usages']] == [
        pytest.approx(10.0)]
    res = call(osapi, '/os-simple-tenant-usage' + query + '&detailed=1')
    tenants = sorted(u['tenant_id'] for u in res.json['tenant_usages'])
    assert tenants == ['other', 'proj']
    res = call(osapi, '/os-simple-tenant-usage' + query)
    assert 'server_usages' not in res.json['tenant_usages'][0]
    res = call(osapi, '/os-simple-tenant-usage/proj?start=yesterday')
    assert res.status_int == 400 and fault_name(res) == 'badRequest'
    empty = call(osapi, '/os-simple-tenant-usage/nobody' + query).json
    assert empty['tenant_usage']['total_hours'] == 0.0


def test_usage_of_another_project_needs_an_admin(sqlite_db):
    controller = simple_tenant_usage.SimpleTenantUsageController()
    req = webob.Request.blank('/')
    req.environ['nova.context'] = context.RequestContext('joe', 'proj')
    assert controller.show(req, 'proj')['tenant_usage']['tenant_id'] == \
        'proj'
    with pytest.raises(webob.exc.HTTPForbidden):
        controller.show(req, 'other')
    with pytest.raises(webob.exc.HTTPForbidden):
        controller.index(req)


def test_rescue_refuses_a_server_without_host(osapi):
    server = _server()
    path = '/servers/%s/action' % server['id']
    res = call(osapi, path, 'POST', {'rescue': None})
    assert res.status_int == 409, res.body
    res = call(osapi, path, 'POST', {'unrescue': None})
    assert res.status_int == 409
    other = _server('other')
    res = call(osapi, '/servers/%s/action' % other['id'], 'POST',
               {'rescue': None})
    assert res.status_int == 404


def test_virtual_interfaces(osapi):
    server = _server()
    db.virtual_interface_create(context.get_admin_context(), {
        'address': '02:16:3e:00:00:01', 'instance_id': server['id'],
        'uuid': 'a1b2'})
    res = call(osapi, '/servers/%s/os-virtual-interfaces' % server['id'])
    assert res.json == {'virtual_interfaces': [
        {'id': 'a1b2', 'mac_address': '02:16:3e:00:00:01'}]}
    other = _server('other')
    res = call(osapi, '/servers/%s/os-virtual-interfaces' % other['id'])
    assert res.status_int == 404


def test_flavor_extra_specs(osapi):
    base = '/flavors/1/os-extra_specs'
    assert call(osapi, base).json == {'extra_specs': {}}
    res = call(osapi, base, 'POST', {'extra_specs': {'cpu_arch': 'x86_64',
                                                     'gpus': 1}})
    assert res.json == {'extra_specs': {'cpu_arch': 'x86_64', 'gpus': '1'}}
    assert call(osapi, base + '/gpus').json == {'gpus': '1'}
    res = call(osapi, base + '/gpus', 'PUT', {'gpus': '2'})
    assert res.json == {'gpus': '2'}
    res = call(osapi, base + '/gpus', 'PUT', {'cpu_arch': 'arm'})
    assert res.status_int == 400
    res = call(osapi, base, 'POST', {'extra_specs': {'k': {'deep': 1}}})
    assert res.status_int == 400
    assert call(osapi, base + '/gpus', 'DELETE').status_int == 200
    assert call(osapi, base + '/gpus').status_int == 404
    assert call(osapi, base).json == {'extra_specs': {'cpu_arch': 'x86_64'}}
    assert call(osapi, '/flavors/nope/os-extra_specs').status_int == 404


def test_flavor_extra_data_in_the_flavor_detail(osapi):
    flavor = call(osapi, '/flavors/1').json['flavor']
    assert {'rxtx_cap', 'rxtx_quota', 'swap'} <= set(flavor)


def test_create_server_ext_names_security_groups(osapi):
    server = _server()
    ctxt = context.get_admin_context()
    db.security_group_ensure_default(context.RequestContext(
        'alice', 'proj'))
    group = db.security_group_get_by_name(ctxt, 'proj', 'default')
    db.instance_add_security_group(ctxt, server['id'], group['id'])
    res = call(osapi, '/os-create-server-ext/%s' % server['id'])
    assert res.status_int == 200, res.body
    assert res.json['server']['security_groups'] == [{'name': 'default'}]
    res = call(osapi, '/os-create-server-ext/detail')
    assert res.json['servers'][0]['security_groups'] == [
        {'name': 'default'}]
    other = _server('other')
    res = call(osapi, '/os-create-server-ext/%s' % other['id'])
    assert res.status_int == 404
