"""Consoles, zones, users and accounts of the OpenStack API over a fresh
database (zones/users/accounts only with ``--allow_admin_api``)."""

import json

import pytest
import webob

from nova import context
from nova import db
from nova.api.openstack import APIRouterV10
from nova.api.openstack import APIRouterV11
from nova.auth import manager


@pytest.fixture
def api(sqlite_db, set_flags):
    set_flags(allow_admin_api=True)
    admin = context.get_admin_context()
    auth = manager.AuthManager()
    auth.create_user('alice', 'ak', 'as')
    auth.create_project('p', 'alice')
    inst = db.instance_create(admin, {'project_id': 'p', 'user_id': 'alice',
                                      'vm_state': 'active'})
    other = db.instance_create(admin, {'project_id': 'q', 'user_id': 'x',
                                       'vm_state': 'active'})
    return {'inst': inst, 'other': other, 'auth': auth}


def call(path, method='GET', body=None, admin=False, version='1.1'):
    if version == '1.1':
        path = '/p' + path
    req = webob.Request.blank(path, method=method)
    req.script_name = '/v' + version
    req.environ['nova.context'] = context.RequestContext(
        'alice', 'p', is_admin=admin)
    if body is not None:
        req.body = json.dumps(body).encode()
        req.content_type = 'application/json'
    app = APIRouterV11() if version == '1.1' else APIRouterV10()
    return req.get_response(app)


def _console_row(instance_id):
    from nova.db.sqlalchemy import models
    from nova.db.sqlalchemy.session import session_scope
    with session_scope() as session:
        pool = models.ConsolePool(address='10.0.0.9', username='u',
                                  password='pw', console_type='ajaxterm',
                                  public_hostname='proxy.example',
                                  host='proxy1', compute_host='c1')
        session.add(pool)
        session.flush()
        console = models.Console(instance_name='i', instance_id=instance_id,
                                 password='secret', port=8022,
                                 pool_id=pool.id)
        session.add(console)
        session.flush()
        return console.id


def test_consoles_list_show_and_no_proxy(api):
    sid = api['inst']['id']
    res = call('/servers/%d/consoles' % sid)
    assert res.status_int == 200 and res.json == {'consoles': []}
    cid = _console_row(sid)
    res = call('/servers/%d/consoles' % sid)
    assert res.json['consoles'] == [{'console': {
        'id': cid, 'console_type': 'ajaxterm'}}]
    res = call('/servers/%d/consoles/%d' % (sid, cid))
    assert res.json['console'] == {'id': cid, 'console_type': 'ajaxterm',
                                   'password': 'secret', 'port': 8022,
                                   'host': 'proxy.example'}
    res = call('/servers/%d/consoles' % sid, 'POST', {})
    assert res.status_int == 501
    assert 'nova-console' in res.json['notImplemented']['message']
    res = call('/servers/%d/consoles/%d' % (sid, cid), 'DELETE')
    assert res.status_int == 501
    res = call('/servers/%d/consoles/999' % sid, 'DELETE')
    assert res.status_int == 404
    res = call('/servers/%d/consoles' % api['other']['id'])
    assert res.status_int == 404
    res = call('/servers/%d/consoles' % sid, 'POST', {}, version='1.0')
    assert res.status_int == 501


def test_zones_crud_info_and_select(api, set_flags, monkeypatch):
    res = call('/zones', 'POST', {'zone': {
        'api_url': 'http://child:8774/v1.1/', 'username': 'u',
        'password': 'pw'}}, admin=True)
    assert res.status_int == 200
    zone = res.json['zone']
    assert zone['api_url'] == 'http://child:8774/v1.1/'
    assert 'password' not in zone and 'username' not in zone
    res = call('/zones/detail', admin=True)
    assert [z['id'] for z in res.json['zones']] == [zone['id']]
    res = call('/zones/%d' % zone['id'], 'PUT',
               {'zone': {'weight_offset': '2.5'}}, admin=True)
    assert res.json['zone']['weight_offset'] == 2.5
    res = call('/zones', 'POST', {'zone': {'api_url': 'ftp://x'}},
               admin=True)
    assert res.status_int == 400
    res = call('/zones')
    assert res.status_int == 403
    from nova.scheduler import api as scheduler_api
    monkeypatch.setattr(scheduler_api, 'get_service_capabilities',
                        lambda ctxt: {'compute_vcpus': [1, 8]})
    set_flags(zone_name='north', zone_capabilities=['hypervisor=kvm'])
    res = call('/zones/info', admin=True)
    assert res.json['zone'] == {'name': 'north', 'hypervisor': 'kvm',
                                'compute_vcpus': '1,8'}
    res = call('/zones/select', 'POST', {'spec': 1}, admin=True)
    assert res.status_int == 400
    set_flags(build_plan_encryption_key='00' * 16)
    res = call('/zones/select', 'POST', {'spec': 1}, admin=True)
    assert res.status_int == 501
    res = call('/zones/%d' % zone['id'], 'DELETE', admin=True)
    assert res.status_int == 200
    assert call('/zones/%d' % zone['id'], admin=True).status_int == 404
    set_flags(allow_admin_api=False)
    assert call('/zones', admin=True).status_int == 404


def test_users_and_accounts(api):
    res = call('/users', admin=True, version='1.0')
    assert [u['id'] for u in res.json['users']] == ['alice']
    assert call('/users', version='1.0').status_int == 403
    res = call('/users', 'POST', {'user': {'name': 'bob', 'admin': 'T'}},
               admin=True, version='1.0')
    assert res.status_int == 200 and res.json['user']['admin'] is True
    assert res.json['user']['access']
    res = call('/users/bob', 'PUT', {'user': {'secret': 's2',
                                             'admin': False}},
               admin=True, version='1.0')
    assert res.json['user']['secret'] == 's2'
    assert res.json['user']['admin'] is False
    res = call('/users', 'POST', {'user': {'name': 'bob'}}, admin=True,
               version='1.0')
    assert res.status_int == 409
    res = call('/accounts/p', version='1.0')
    assert res.json['account'] == {'id': 'p', 'name': 'p',
                                   'description': 'p', 'manager': 'alice'}
    res = call('/accounts/newproj', 'PUT', {'account': {
        'manager': 'bob', 'description': 'made'}}, admin=True,
        version='1.0')
    assert res.json['account']['manager'] == 'bob'
    assert api['auth'].get_project('newproj').description == 'made'
    assert call('/accounts/newproj', version='1.0').status_int == 404
    res = call('/accounts/newproj', 'PUT', {'account': {
        'description': 'changed'}}, admin=True, version='1.0')
    assert res.json['account']['description'] == 'changed'
    assert call('/accounts', admin=True, version='1.0').status_int == 501
    res = call('/users/bob', 'DELETE', admin=True, version='1.0')
    assert res.status_int == 409  # bob manages newproj
    res = call('/accounts/newproj', 'DELETE', admin=True, version='1.0')
    assert res.status_int == 200
    res = call('/users/bob', 'DELETE', admin=True, version='1.0')
    assert res.status_int == 200
    assert call('/users/bob', admin=True, version='1.0').status_int == 404
