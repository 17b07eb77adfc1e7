"""``zadr-vsa`` over the whole ``osapi`` app: VSA records, their drives,
volumes, vpools and instances; creating a VSA records it and answers 501
"No VSA backend configured" (never a success)."""

import pytest
import webob
import webob.exc

from nova import context
from nova import db
from nova.api.openstack.extensions import virtual_storage_arrays
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import session_scope
from nova.vsa import drive_types
from tests.unit.api.openstack.osapi_ext_helpers import call, fault_name
from tests.unit.api.openstack.osapi_ext_helpers import load_osapi


@pytest.fixture
def osapi(sqlite_db, set_flags):
    return load_osapi(set_flags)


@pytest.fixture
def admin(sqlite_db):
    return context.get_admin_context()


def _record(admin, project='proj', **values):
    row = {'display_name': 'array', 'display_description': 'for tests',
           'project_id': project, 'status': 'created', 'vc_count': 2,
           'vol_count': 1, 'availability_zone': 'nova'}
    row.update(values)
    return db.vsa_create(admin, row)


def _volume(admin, key, vsa_id, project='proj', **values):
    row = {'size': 0, 'status': 'available', 'attach_status': 'detached',
           'project_id': project, 'user_id': 'alice',
           'availability_zone': 'nova', 'display_name': 'drive-000'}
    row.update(values)
    volume = db.volume_create(admin, row)
    with session_scope() as session:
        models.VolumeMetadata(volume_id=volume['id'], key=key,
                              value=str(vsa_id)).save(session)
    return volume


def test_listed_in_extensions(osapi):
    res = call(osapi, '/extensions/zadr-vsa')
    assert res.status_int == 200
    assert res.json['extension']['name'] == 'VSAs'


def test_create_records_then_answers_no_backend(osapi, admin):
    drive_types.create(admin, 'SATA', 1000, 7200)
    res = call(osapi, '/zadr-vsa', 'POST', {'vsa': {
        'displayName': 'store', 'displayDescription': 'my array',
        'vcCount': 2, 'storage': [{'drive_name': 'SATA_1000GB_7200RPM',
                                   'num_drives': 3}]}})
    assert res.status_int == 501
    name = fault_name(res)
    message = res.json[name]['message']
    assert 'No VSA backend configured' in message
    # The record stays, failed, to be seen and deleted.
    listing = call(osapi, '/zadr-vsa').json['vsaSet']
    assert [(v['displayName'], v['status'], v['vcCount'], v['driveCount'],
             v['vcType']) for v in listing] == [
        ('store', 'failed', 2, 3, 'm1.small')]
    vsa_id = listing[0]['id']
    assert call(osapi, '/zadr-vsa/%d' % vsa_id, 'DELETE').status_int == 202
    assert call(osapi, '/zadr-vsa').json == {'vsaSet': []}


@pytest.mark.parametrize('body,status', [
    (None, 422),
    ({'vsa': 'x'}, 422),
    ({'vsa': {'vcType': 'm9.huge'}}, 404),
    ({'vsa': {'storage': [{'drive_name': 'nope'}]}}, 400),
    ({'vsa': {'storage': 'nope'}}, 400),
    ({'vsa': {'vcCount': 'two'}}, 400),
])
def test_create_refusals(osapi, body, status):
    res = call(osapi, '/zadr-vsa', 'POST', body if body else b'')
    assert res.status_int == status, res.body
    assert call(osapi, '/zadr-vsa').json == {'vsaSet': []}


def test_list_and_show(osapi, admin):
    mine = _record(admin)
    other = _record(admin, project='elsewhere', display_name='theirs')
    listing = call(osapi, '/zadr-vsa').json['vsaSet']
    # noauth users are administrators: they see every VSA, as Diablo.
    assert [v['id'] for v in listing] == [mine['id'], other['id']]
    assert call(osapi, '/zadr-vsa/detail').json['vsaSet'] == listing
    shown = call(osapi, '/zadr-vsa/%d' % mine['id']).json['vsa']
    assert shown == listing[0]
    assert set(shown) == {'id', 'name', 'displayName', 'displayDescription',
                          'createTime', 'status', 'vcType', 'vcCount',
                          'driveCount', 'ipAddress'}
    assert shown['name'] == 'vsa-%08x' % mine['id']
    assert shown['ipAddress'] is None
    for path in ('/zadr-vsa/999', '/zadr-vsa/999/drives'):
        res = call(osapi, path)
        assert res.status_int == 404, path
        assert fault_name(res) == 'itemNotFound'
    assert call(osapi, '/zadr-vsa/abc').status_int == 400
    assert call(osapi, '/zadr-vsa/999', 'DELETE').status_int == 404


def test_a_user_sees_only_the_projects_vsas(admin):
    mine = _record(admin)
    other = _record(admin, project='elsewhere')
    req = webob.Request.blank('/')
    req.environ['nova.context'] = context.RequestContext('bob', 'proj')
    controller = virtual_storage_arrays.VsaController()
    assert [v['id'] for v in controller.index(req)['vsaSet']] == \
        [mine['id']]
    with pytest.raises(webob.exc.HTTPNotFound):
        controller.show(req, str(other['id']))
    with pytest.raises(webob.exc.HTTPNotFound):
        controller.delete(req, str(other['id']))
    assert db.vsa_get(admin, other['id'])['status'] == 'created'


def test_drives_and_volumes_of_a_vsa(osapi, admin):
    vsa = _record(admin)
    drive = _volume(admin, 'to_vsa_id', vsa['id'])
    exported = _volume(admin, 'from_vsa_id', vsa['id'], size=5,
                       display_name='exported')
    _volume(admin, 'to_vsa_id', vsa['id'] + 1)      # another VSA's
    base = '/zadr-vsa/%d' % vsa['id']
    drives = call(osapi, base + '/drives').json['drives']
    assert [(d['id'], d['vsaId'], d['name']) for d in drives] == [
        (drive['id'], vsa['id'], 'volume-%08x' % drive['id'])]
    assert call(osapi, base + '/drives/detail').json['drives'] == drives
    assert call(osapi, base + '/drives/%d' % drive['id']).json[
        'drive']['id'] == drive['id']
    assert call(osapi, base + '/drives/%d' % exported['id']).status_int \
        == 404
    volumes = call(osapi, base + '/volumes').json['volumes']
    assert [(v['id'], v['size'], v['displayName']) for v in volumes] == [
        (exported['id'], 5, 'exported')]
    for method, path in (('POST', '/drives'),
                         ('PUT', '/drives/%d' % drive['id']),
                         ('DELETE', '/drives/%d' % drive['id'])):
        res = call(osapi, base + path, method, {'drive': {}})
        assert res.status_int == 400, (method, path)
    res = call(osapi, base + '/volumes', 'POST', {'volume': {'size': 1}})
    assert res.status_int == 501
    assert 'No VSA backend configured' in res.json[fault_name(res)][
        'message']


def test_vpools_and_instances(osapi, admin):
    vsa = _record(admin)
    vc = db.instance_create(admin, {
        'project_id': 'proj', 'user_id': 'alice', 'vm_state': 'active',
        'display_name': 'vc-1', 'metadata': {'vsa_id': str(vsa['id'])}})
    db.instance_create(admin, {'project_id': 'proj', 'user_id': 'alice',
                               'vm_state': 'active', 'display_name': 'x'})
    base = '/zadr-vsa/%d' % vsa['id']
    assert call(osapi, base + '/vpools').json == {'vpools': []}
    servers = call(osapi, base + '/instances').json['servers']
    assert [(s['id'], s['name']) for s in servers] == [(vc['id'], 'vc-1')]
    assert call(osapi, base + '/instances/%d' % vc['id']).json[
        'server']['name'] == 'vc-1'
    assert call(osapi, base + '/instances/%d' % (vc['id'] + 1)).status_int \
        == 404
    assert call(osapi, base + '/instances', 'POST',
                {'server': {}}).status_int == 400
