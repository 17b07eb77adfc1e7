"""``createBackup`` and ``GET /servers/{id}/actions`` (``--allow_admin_api``)
over a recording compute API."""

import datetime

import pytest

from nova import exception
from tests.unit.api.openstack.test_osapi_server_actions import (
    FakeComputeAPI, call)


class BackupComputeAPI(FakeComputeAPI):
    """Answers backup with an image and get_actions with two rows."""

    def backup(self, ctxt, instance_id, name, backup_type, rotation,
               extra_properties=None):
        self.calls.append(('backup', (instance_id, name, backup_type,
                                      rotation), extra_properties))
        return {'id': 42}

    def get_actions(self, ctxt, instance_id):
        if not ctxt.is_admin:
            raise exception.AdminRequired()
        when = datetime.datetime(2011, 9, 22, 12, 0, 0)
        return [{'created_at': when, 'action': 'backup', 'error': None},
                {'created_at': when, 'action': 'snapshot',
                 'error': 'failed: the snapshot failed on the host'}]


@pytest.fixture
def compute(set_flags, sqlite_db):
    set_flags(allow_admin_api=True)
    return BackupComputeAPI()


def test_create_backup(compute):
    res = call(compute, '/servers/1/action', {'createBackup': {
        'name': 'nightly', 'backup_type': 'daily', 'rotation': '3',
        'metadata': {'owner': 'ops'}}})
    assert res.status_int == 202
    assert res.headers['Location'].endswith('/v1.1/p/images/42')
    [(name, args, props)] = compute.calls
    assert name == 'backup' and args == (1, 'nightly', 'daily', 3)
    assert props['owner'] == 'ops'
    assert props['instance_ref'].endswith('/v1.1/p/servers/1')


@pytest.mark.parametrize('body,message', [
    ({'name': 'n', 'backup_type': 'daily'},
     'createBackup entity requires rotation attribute'),
    ({'name': 'n', 'rotation': 1},
     'createBackup entity requires backup_type attribute'),
    ({'name': 'n', 'backup_type': 'daily', 'rotation': 'x'},
     "createBackup attribute 'rotation' must be an integer"),
    ({'name': 'n', 'backup_type': 'daily', 'rotation': 0},
     "createBackup attribute 'rotation' must be a positive integer"),
    ({'name': '', 'backup_type': 'daily', 'rotation': 1},
     'Malformed createBackup entity'),
    ('nope', 'Malformed createBackup entity'),
    ({'name': 'n', 'backup_type': 'd', 'rotation': 1,
      'metadata': {'a': {'b': 1}}}, 'Invalid metadata'),
])
def test_create_backup_bad_bodies(compute, body, message):
    res = call(compute, '/servers/1/action', {'createBackup': body})
    assert res.status_int == 400
    assert res.json['badRequest']['message'] == message
    assert compute.calls == []


def test_create_backup_metadata_quota(compute, set_flags):
    set_flags(quota_metadata_items=1)
    res = call(compute, '/servers/1/action', {'createBackup': {
        'name': 'n', 'backup_type': 'daily', 'rotation': 1,
        'metadata': {'a': '1', 'b': '2'}}})
    assert res.status_int == 413 and 'overLimit' in res.json
    assert compute.calls == []


def test_create_backup_needs_the_admin_api(compute, set_flags):
    set_flags(allow_admin_api=False)
    res = call(compute, '/servers/1/action', {'createBackup': {
        'name': 'n', 'backup_type': 'daily', 'rotation': 1}})
    assert res.status_int == 400
    assert 'no such server action' in res.json['badRequest']['message']


def test_actions_for_admins(compute, set_flags):
    res = call(compute, '/servers/1/actions', method='GET', admin=True)
    assert res.status_int == 200
    assert res.json['actions'][0] == {'created_at': '2011-09-22 12:00:00',
                                      'action': 'backup', 'error': None}
    assert res.json['actions'][1]['error'].startswith('failed')
    res = call(compute, '/servers/1/actions', method='GET')
    assert res.status_int == 403
    res = call(compute, '/servers/2/actions', method='GET', admin=True)
    assert res.status_int == 404
    set_flags(allow_admin_api=False)
    res = call(compute, '/servers/1/actions', method='GET', admin=True)
    assert res.status_int == 404
