"""``os-volumes``, ``os-volume_attachments`` and ``os-volumes_boot``:
views, isolation, quotas and faults (the attach/detach round trip with a
compute host is in the functional test)."""

import pytest

from nova import context
from nova import db
from tests.unit.api.openstack.osapi_ext_helpers import call, fault_name
from tests.unit.api.openstack.osapi_ext_helpers import load_osapi


@pytest.fixture
def osapi(sqlite_db, set_flags):
    return load_osapi(set_flags)


def _create(app, size=1, project='proj', **extra):
    body = {'volume': dict(size=size, **extra)}
    return call(app, '/os-volumes', 'POST', body, project=project)


def test_create_list_show_delete(osapi):
    res = _create(osapi, 2, display_name='data', display_description='d')
    assert res.status_int == 200, res.body
    volume = res.json['volume']
    assert volume['size'] == 2 and volume['status'] == 'creating'
    assert volume['displayName'] == 'data'
    assert volume['attachments'] == [{}]
    assert volume['createdAt'].endswith('Z')
    listed = call(osapi, '/os-volumes').json['volumes']
    assert [v['id'] for v in listed] == [volume['id']]
    assert call(osapi, '/os-volumes/detail').json['volumes'] == listed
    shown = call(osapi, '/os-volumes/%s' % volume['id']).json['volume']
    assert shown['id'] == volume['id']
    res = call(osapi, '/os-volumes/%s' % volume['id'], xml=True)
    assert res.body.count(b'<volume ') == 1
    # Another project neither sees nor deletes it.
    assert call(osapi, '/os-volumes', project='other').json == {
        'volumes': []}
    res = call(osapi, '/os-volumes/%s' % volume['id'], 'DELETE',
               project='other')
    assert res.status_int == 404 and fault_name(res) == 'itemNotFound'
    db.volume_update(context.get_admin_context(), volume['id'],
                     {'status': 'available'})
    res = call(osapi, '/os-volumes/%s' % volume['id'], 'DELETE')
    assert res.status_int == 202


def test_bad_volume_requests_create_nothing(osapi, set_flags):
    for body in ({'volume': {'size': 'big'}}, {'volume': {'size': 0}},
                 {'volume': {}}, {'volume': {'size': 1, 'display_name': 5}},
                 {'volume': {'size': 1, 'snapshot_id': 'x'}},
                 {'volume': {'size': 1, 'availability_zone': 'mars'}}):
        res = call(osapi, '/os-volumes', 'POST', body)
        assert res.status_int == 400, (body, res.body)
    assert call(osapi, '/os-volumes', 'POST', {}).status_int == 422
    set_flags(quota_gigabytes=3)
    assert _create(osapi, 2).status_int == 200
    res = _create(osapi, 2)
    assert res.status_int == 413 and fault_name(res) == 'overLimit'
    assert len(call(osapi, '/os-volumes').json['volumes']) == 1
    assert call(osapi, '/os-volumes/abc').status_int == 400
    assert call(osapi, '/os-volumes/999').status_int == 404


def test_attachments_faults_and_isolation(osapi):
    ctxt = context.get_admin_context()
    server = db.instance_create(ctxt, {'project_id': 'proj',
                                       'user_id': 'alice',
                                       'vm_state': 'active'})
    other = db.instance_create(ctxt, {'project_id': 'other',
                                      'user_id': 'bob',
                                      'vm_state': 'active'})
    volume = _create(osapi).json['volume']
    theirs = _create(osapi, project='other').json['volume']
    base = '/servers/%s/os-volume_attachments' % server['id']
    assert call(osapi, base).json == {'volumeAttachments': []}
    # Another project's server and volume are not found.
    res = call(osapi, '/servers/%s/os-volume_attachments' % other['id'])
    assert res.status_int == 404
    res = call(osapi, base, 'POST', {'volumeAttachment': {
        'volumeId': theirs['id'], 'device': '/dev/vdb'}})
    assert res.status_int == 404
    # Still creating: not attachable; a bad device is refused.
    res = call(osapi, base, 'POST', {'volumeAttachment': {
        'volumeId': volume['id'], 'device': '/dev/vdb'}})
    assert res.status_int == 400
    db.volume_update(ctxt, volume['id'], {'status': 'available'})
    res = call(osapi, base, 'POST', {'volumeAttachment': {
        'volumeId': volume['id'], 'device': '../etc'}})
    assert res.status_int == 400
    res = call(osapi, base, 'POST', {'volumeAttachment': {
        'volumeId': volume['id']}})
    assert res.status_int == 400
    res = call(osapi, base + '/%s' % volume['id'])
    assert res.status_int == 404
    res = call(osapi, base + '/%s' % volume['id'], 'DELETE')
    assert res.status_int == 404
    shown = call(osapi, '/os-volumes/%s' % volume['id']).json['volume']
    assert shown['status'] == 'available'


def test_volumes_boot_checks_mappings(osapi):
    theirs = _create(osapi, project='other').json['volume']
    res = call(osapi, '/os-volumes_boot', 'POST', {'server': {
        'name': 'vm', 'imageRef': '1', 'flavorRef': '1',
        'block_device_mapping': [{'volume_id': theirs['id'],
                                  'device_name': 'vda'}]}})
    assert res.status_int == 404, res.body
    res = call(osapi, '/os-volumes_boot', 'POST', {'server': {
        'name': 'vm', 'imageRef': '1', 'flavorRef': '1',
        'block_device_mapping': 'vda'}})
    assert res.status_int == 400
    assert call(osapi, '/servers').json == {'servers': []}
