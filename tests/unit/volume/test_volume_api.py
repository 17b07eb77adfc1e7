"""nova.volume.api: validation, quotas and compare-and-set state moves."""

import pytest

from nova import context
from nova import db
from nova import exception
from nova import rpc
from nova.volume import api


@pytest.fixture
def env(sqlite_db, set_flags, monkeypatch):
    set_flags(max_volume_size=10, quota_volumes=3, quota_gigabytes=12)
    sent = []
    monkeypatch.setattr(rpc, 'cast',
                        lambda ctx, topic, msg: sent.append((topic, msg)))
    user = context.RequestContext('alice', 'proj1', roles=['sysadmin'])
    return api.API(), user, sent


def test_create_records_and_asks_the_scheduler(env):
    volumes, user, sent = env
    volume = volumes.create(user, size=2, name='data')
    assert (volume['status'], volume['attach_status'], volume['size'],
            volume['availability_zone']) == ('creating', 'detached', 2,
                                             'nova')
    assert sent == [('scheduler', {'method': 'create_volume', 'args': {
        'topic': 'volume', 'volume_id': volume['id'], 'snapshot_id': None}})]


@pytest.mark.parametrize('size', [0, -3, 11, '1.5', 'x', None])
def test_bad_sizes(env, size):
    volumes, user, sent = env
    with pytest.raises((exception.InvalidVolumeSize,
                        exception.MissingParameter)):
        volumes.create(user, size=size)
    assert sent == [] and db.volume_get_all(user.elevated()) == []


def test_quotas_count_volumes_and_gigabytes(env):
    volumes, user, _sent = env
    volumes.create(user, size=10)
    with pytest.raises(api.VolumeQuotaError) as err:
        volumes.create(user, size=3)
    assert err.value.ec2_code == 'VolumeLimitExceeded'
    volumes.create(user, size=1)
    volumes.create(user, size=1)
    with pytest.raises(api.VolumeQuotaError):
        volumes.create(user, size=1)


def test_unknown_zone_and_unusable_snapshot(env):
    volumes, user, _sent = env
    with pytest.raises(exception.InvalidParameterValue):
        volumes.create(user, size=1, availability_zone='elsewhere')
    snapshot = db.snapshot_create(user, {
        'volume_id': 1, 'status': 'creating', 'volume_size': 4,
        'project_id': 'proj1', 'user_id': 'alice'})
    with pytest.raises(exception.InvalidSnapshotState):
        volumes.create(user, snapshot_id=snapshot['id'])
    db.snapshot_update(user, snapshot['id'], {'status': 'available'})
    with pytest.raises(exception.InvalidVolumeSize):
        volumes.create(user, size=2, snapshot_id=snapshot['id'])
    assert volumes.create(user, snapshot_id=snapshot['id'])['size'] == 4


def test_attach_is_compare_and_set(env):
    volumes, user, _sent = env
    volume = volumes.create(user, size=1)
    with pytest.raises(exception.InvalidVolumeState):
        volumes.begin_attach(user, volume['id'])       # still creating
    db.volume_update(user, volume['id'], {'status': 'available'})
    volumes.begin_attach(user, volume['id'], 5, '/dev/vdb')
    with pytest.raises(exception.VolumeInUse):
        volumes.begin_attach(user, volume['id'], 6, '/dev/vdb')
    row = db.volume_get(user, volume['id'])
    assert (row['status'], row['instance_id']) == ('attaching', 5)
    with pytest.raises(exception.VolumeInUse):
        volumes.delete(user, volume['id'])
    with pytest.raises(exception.InvalidVolumeState):
        volumes.begin_detach(user, volume['id'])       # not in-use yet
    db.volume_attached(user, volume['id'], 5, '/dev/vdb')
    volumes.begin_detach(user, volume['id'])
    with pytest.raises(exception.InvalidVolumeState):
        volumes.begin_detach(user, volume['id'])
    for bad in ('/dev/sda1', 'vdb', '/dev/vd', '/etc/passwd', None):
        with pytest.raises(exception.InvalidDevicePath):
            volumes.check_device(bad)
    assert volumes.check_device('/dev/vdz') == '/dev/vdz'


def test_delete_and_snapshot_rules(env):
    volumes, user, sent = env
    volume = volumes.create(user, size=1)
    with pytest.raises(exception.InvalidVolumeState):
        volumes.create_snapshot(user, volume['id'])
    db.volume_update(user, volume['id'], {'status': 'in-use',
                                          'host': 'vh'})
    with pytest.raises(exception.InvalidVolumeState):
        volumes.create_snapshot(user, volume['id'])
    snapshot = volumes.create_snapshot(user, volume['id'], force=True)
    assert snapshot['status'] == 'creating'
    assert sent[-1][0] == 'volume.vh'
    db.volume_update(user, volume['id'], {'status': 'available'})
    volumes.delete(user, volume['id'])
    assert db.volume_get(user, volume['id'])['status'] == 'deleting'
    assert sent[-1] == ('volume.vh', {'method': 'delete_volume',
                                      'args': {'volume_id': volume['id']}})
    with pytest.raises(exception.InvalidVolumeState):
        volumes.delete(user, volume['id'])
    other = context.RequestContext('bob', 'proj2')
    with pytest.raises(exception.VolumeNotFound):
        volumes.get(other, volume['id'])
