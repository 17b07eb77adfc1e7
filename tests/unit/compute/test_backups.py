"""Backups (the OpenStack API's createBackup): the image's properties, the
cast, the rotation on the compute host, and the ``instance_actions``
record."""

import pytest

from nova import db
from nova import exception
from nova.compute import snapshots
from nova.image import fake


@pytest.fixture
def store(monkeypatch):
    fake.reset()
    images = fake.FakeImageService()
    monkeypatch.setattr(snapshots.SnapshotManagerMixin, '_snapshot_images',
                        staticmethod(lambda: images))
    yield images
    fake.reset()


@pytest.fixture
def backup_api(store, network):
    from nova.compute import api
    return api.API(image_service=store, network_api=network)


def _running(user, api, compute):
    [inst] = api.create(user, 'm1.tiny', 3)
    compute.run_instance(user, inst['id'])
    return db.instance_get(user, inst['id'])


def _backups(store, inst, kind):
    return sorted(i['id'] for i in store.detail(None, filters={
        'image_type': 'backup', 'backup_type': kind,
        'instance_uuid': inst['uuid']}))


def test_backup_rotation_keeps_the_newest(user, admin, backup_api, compute,
                                          casts, store):
    inst = _running(user, backup_api, compute)
    made = []
    for number in range(4):
        image = backup_api.backup(user, inst['id'], 'daily-%d' % number,
                                  'daily', 2, extra_properties={'k': 'v'})
        props = image['properties']
        assert props['image_type'] == 'backup'
        assert props['backup_type'] == 'daily' and props['k'] == 'v'
        assert props['instance_uuid'] == inst['uuid']
        topic, method, args = casts.sent[-1]
        assert (topic, method) == ('compute.host1', 'snapshot_instance')
        assert args['rotation'] == 2 and args['image_type'] == 'backup'
        compute.snapshot_instance(user, **args)
        made.append(image['id'])
        assert _backups(store, inst, 'daily') == made[-2:]
    weekly = backup_api.backup(user, inst['id'], 'w', 'weekly', 1)
    compute.snapshot_instance(user, **casts.sent[-1][2])
    assert _backups(store, inst, 'daily') == made[-2:]
    assert _backups(store, inst, 'weekly') == [weekly['id']]
    rows = db.instance_get_actions(admin, inst['id'])
    assert [r['action'] for r in rows] == ['backup'] * 5
    assert all(r['error'] is None for r in rows)


def test_rotation_must_be_positive(user, backup_api, compute, casts, store):
    inst = _running(user, backup_api, compute)
    before = len(store.detail(None))
    for rotation in (0, -1, '2'):
        with pytest.raises(exception.InvalidParameterValue):
            backup_api.backup(user, inst['id'], 'b', 'daily', rotation)
    assert len(store.detail(None)) == before


def test_failed_backup_is_recorded_and_rotates_nothing(
        user, admin, backup_api, compute, casts, store, monkeypatch):
    inst = _running(user, backup_api, compute)
    first = backup_api.backup(user, inst['id'], 'b1', 'daily', 1)
    compute.snapshot_instance(user, **casts.sent[-1][2])

    def boom(*_args):
        raise IOError('disk unreadable')

    monkeypatch.setattr(compute.driver, 'snapshot', boom)
    backup_api.backup(user, inst['id'], 'b2', 'daily', 1)
    compute.snapshot_instance(user, **casts.sent[-1][2])
    assert first['id'] in _backups(store, inst, 'daily')
    rows = db.instance_get_actions(admin, inst['id'])
    assert [r['error'] for r in rows] == [None, snapshots.SNAPSHOT_FAILED]
    with pytest.raises(exception.AdminRequired):
        db.instance_get_actions(user, inst['id'])
