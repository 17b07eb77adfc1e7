"""``os-floating-ips`` (listing, isolation, faults; allocation and
association go through nova-network: see the functional test) and
``os-quota-sets``."""

import pytest
import webob

from nova import context
from nova import db
from nova.api.openstack.extensions import quotas
from tests.unit.api.openstack.osapi_ext_helpers import call, fault_name
from tests.unit.api.openstack.osapi_ext_helpers import load_osapi


@pytest.fixture
def osapi(sqlite_db, set_flags):
    return load_osapi(set_flags)


def _floating(address, project):
    return db.floating_ip_create(context.get_admin_context(), {
        'address': address, 'project_id': project, 'host': 'net1'})


def test_floating_ips_of_the_project_only(osapi):
    mine = _floating('172.24.4.1', 'proj')
    theirs = _floating('172.24.4.2', 'other')
    res = call(osapi, '/os-floating-ips')
    assert res.json == {'floating_ips': [{
        'id': mine['id'], 'ip': '172.24.4.1', 'fixed_ip': None,
        'instance_id': None}]}
    shown = call(osapi, '/os-floating-ips/%s' % mine['id']).json
    assert shown['floating_ip']['ip'] == '172.24.4.1'
    for method in ('GET', 'DELETE'):
        res = call(osapi, '/os-floating-ips/%s' % theirs['id'], method)
        assert res.status_int == 404 and fault_name(res) == 'itemNotFound'
    assert call(osapi, '/os-floating-ips/abc').status_int == 400
    res = call(osapi, '/os-floating-ips', xml=True)
    assert b'<floating_ip ' in res.body and b'172.24.4.1' in res.body


def test_floating_actions_refuse_bad_input(osapi):
    _floating('172.24.4.1', 'proj')
    _floating('172.24.4.2', 'other')
    server = db.instance_create(context.get_admin_context(), {
        'project_id': 'proj', 'user_id': 'alice', 'vm_state': 'active'})
    path = '/servers/%s/action' % server['id']
    res = call(osapi, path, 'POST', {'addFloatingIp': {'address': 'x'}})
    assert res.status_int == 400
    res = call(osapi, path, 'POST', {'addFloatingIp': {}})
    assert res.status_int == 400
    # Another project's address is not found.
    res = call(osapi, path, 'POST',
               {'addFloatingIp': {'address': '172.24.4.2'}})
    assert res.status_int == 404
    # No fixed IP yet: nothing to associate with.
    res = call(osapi, path, 'POST',
               {'addFloatingIp': {'address': '172.24.4.1'}})
    assert res.status_int == 400
    res = call(osapi, path, 'POST',
               {'removeFloatingIp': {'address': '172.24.4.1'}})
    assert res.status_int == 400
    res = call(osapi, '/servers/99999/action', 'POST',
               {'addFloatingIp': {'address': '172.24.4.1'}})
    assert res.status_int == 404


def test_quota_show_defaults_update(osapi, set_flags):
    set_flags(quota_instances=10)
    res = call(osapi, '/os-quota-sets/proj')
    assert res.status_int == 200
    quota_set = res.json['quota_set']
    assert quota_set['id'] == 'proj' and quota_set['instances'] == 10
    assert set(quota_set) == {'id', 'instances', 'cores', 'ram', 'volumes',
                              'gigabytes', 'floating_ips', 'metadata_items',
                              'injected_files',
                              'injected_file_content_bytes'}
    res = call(osapi, '/os-quota-sets/proj', 'PUT',
               {'quota_set': {'instances': 3, 'cores': -1,
                              'unknown': 5}})
    assert res.status_int == 200
    assert res.json['quota_set']['instances'] == 3
    assert res.json['quota_set']['cores'] == -1
    res = call(osapi, '/os-quota-sets/proj', 'PUT',
               {'quota_set': {'instances': 4}})
    assert res.json['quota_set']['instances'] == 4
    assert call(osapi, '/os-quota-sets/proj/defaults').json[
        'quota_set']['instances'] == 10
    assert call(osapi, '/os-quota-sets/other').json[
        'quota_set']['instances'] == 10
    res = call(osapi, '/os-quota-sets/proj', xml=True)
    assert b'instances="4"' in res.body


def test_quota_bad_input_changes_nothing(osapi):
    for body in ({'quota_set': {'instances': 'many', 'cores': 1}},
                 {'quota_set': {'cores': 1, 'ram': -5}},
                 {'quota_set': {'volumes': True}}):
        res = call(osapi, '/os-quota-sets/proj', 'PUT', body)
        assert res.status_int == 400, body
        assert fault_name(res) == 'badRequest'
    assert call(osapi, '/os-quota-sets/proj', 'PUT',
                {'quotas': {}}).status_int == 422
    quota_set = call(osapi, '/os-quota-sets/proj').json['quota_set']
    assert quota_set['cores'] == 20


def test_quota_users_who_are_not_admins(sqlite_db):
    controller = quotas.QuotaSetsController()

    def request(project):
        req = webob.Request.blank('/')
        req.environ['nova.context'] = context.RequestContext(
            'joe', project, is_admin=False)
        return req

    assert controller.show(request('proj'), 'proj')['quota_set'][
        'id'] == 'proj'
    with pytest.raises(webob.exc.HTTPForbidden):
        controller.show(request('proj'), 'other')
    with pytest.raises(webob.exc.HTTPForbidden):
        controller.update(request('proj'), 'proj',
                          body={'quota_set': {'instances': 1}})
