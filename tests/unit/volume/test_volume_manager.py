"""VolumeManager: states, targets, snapshots and recovery at start-up."""

import pytest

from nova import context
from nova import db
from nova import exception
from nova.volume import driver
from nova.volume import manager

HOST = 'vhost'


@pytest.fixture
def admin(sqlite_db, set_flags):
    set_flags(iscsi_num_targets=5, iscsi_ip_address='192.0.2.9',
              volume_driver='nova.volume.driver.FakeISCSIDriver')
    return context.get_admin_context()


@pytest.fixture
def fake():
    return driver.FakeISCSIDriver()


@pytest.fixture
def mgr(admin, fake):
    return manager.VolumeManager(volume_driver=fake, host=HOST)


def _volume(admin, **values):
    row = {'size': 1, 'status': 'creating', 'attach_status': 'detached',
           'project_id': 'p', 'user_id': 'u', 'availability_zone': 'nova'}
    row.update(values)
    return db.volume_create(admin, row)


def _snapshot(admin, volume, **values):
    row = {'volume_id': volume['id'], 'status': 'creating', 'progress': '0%',
           'volume_size': volume['size'], 'project_id': 'p', 'user_id': 'u'}
    row.update(values)
    return db.snapshot_create(admin, row)


def test_create_exports_and_records(admin, mgr, fake):
    volume = _volume(admin)
    mgr.create_volume(admin, volume['id'])
    volume = db.volume_get(admin, volume['id'])
    assert volume['status'] == 'available' and volume['host'] == HOST
    assert volume['launched_at'] is not None
    assert volume['provider_location'] == (
        '192.0.2.9:3260,1 iqn.2010-10.org.openstack:%s 1' % volume['name'])
    assert db.volume_get_iscsi_target_num(admin, volume['id']) == 1
    assert db.iscsi_target_count_by_host(admin, HOST) == 5
    assert fake.helper.targets[1]['iqn'].endswith(volume['name'])
    info = mgr.initialize_connection(admin, volume['id'])
    assert info['data']['target_portal'] == '192.0.2.9:3260'
    assert info['data']['target_lun'] == 1
    # a second message for the same volume changes nothing
    mgr.create_volume(admin, volume['id'])
    assert len(fake.helper.targets) == 1


def test_failed_create_is_error(admin, mgr, fake, monkeypatch):
    def boom(volume):
        raise exception.VolumeBackendError(reason='disk full')
    monkeypatch.setattr(fake.storage, 'create_volume', boom)
    volume = _volume(admin)
    mgr.create_volume(admin, volume['id'])
    assert db.volume_get(admin, volume['id'])['status'] == 'error'


def test_targets_run_out(admin, mgr, set_flags):
    set_flags(iscsi_num_targets=1)
    first, second = _volume(admin), _volume(admin)
    mgr.create_volume(admin, first['id'])
    mgr.create_volume(admin, second['id'])
    assert db.volume_get(admin, second['id'])['status'] == 'error'


def test_delete_frees_target_and_storage(admin, mgr, fake):
    volume = _volume(admin)
    mgr.create_volume(admin, volume['id'])
    db.volume_update(admin, volume['id'], {'status': 'deleting'})
    mgr.delete_volume(admin, volume['id'])
    with pytest.raises(exception.VolumeNotFound):
        db.volume_get(admin, volume['id'])
    assert fake.helper.targets == {} and fake.storage.volumes == {}
    with pytest.raises(exception.ISCSITargetNotFoundForVolume):
        db.volume_get_iscsi_target_num(admin, volume['id'])
    # the freed target number is used again
    again = _volume(admin)
    mgr.create_volume(admin, again['id'])
    assert db.volume_get_iscsi_target_num(admin, again['id']) == 1


def test_delete_refuses_attached_and_records_failures(admin, mgr, fake,
                                                      monkeypatch):
    volume = _volume(admin)
    mgr.create_volume(admin, volume['id'])
    db.volume_update(admin, volume['id'], {'attach_status': 'attached',
                                           'instance_id': 7,
                                           'status': 'in-use'})
    mgr.delete_volume(admin, volume['id'])
    assert db.volume_get(admin, volume['id'])['status'] == 'in-use'
    db.volume_detached(admin, volume['id'])

    def busy(volume):
        raise exception.VolumeIsBusy(volume_name=volume['name'],
                                     reason='it has snapshots')
    monkeypatch.setattr(fake.storage, 'delete_volume', busy)
    db.volume_update(admin, volume['id'], {'status': 'deleting'})
    mgr.delete_volume(admin, volume['id'])
    assert db.volume_get(admin, volume['id'])['status'] == 'available'
    assert 1 in fake.helper.targets          # exported again

    def broken(volume):
        raise exception.VolumeBackendError(reason='io error')
    monkeypatch.setattr(fake.storage, 'delete_volume', broken)
    mgr.delete_volume(admin, volume['id'])
    assert db.volume_get(admin, volume['id'])['status'] == 'error_deleting'


def test_snapshot_and_volume_from_it(admin, mgr, fake):
    volume = _volume(admin, size=2)
    mgr.create_volume(admin, volume['id'])
    snapshot = _snapshot(admin, volume)
    mgr.create_snapshot(admin, volume['id'], snapshot['id'])
    snapshot = db.snapshot_get(admin, snapshot['id'])
    assert (snapshot['status'], snapshot['progress']) == ('available',
                                                          '100%')
    clone = _volume(admin, size=2, snapshot_id=snapshot['id'])
    mgr.create_volume(admin, clone['id'], snapshot_id=snapshot['id'])
    assert db.volume_get(admin, clone['id'])['status'] == 'available'
    assert fake.storage.volumes[clone['name']]['from'] == snapshot['name']
    db.snapshot_update(admin, snapshot['id'], {'status': 'deleting'})
    mgr.delete_snapshot(admin, snapshot['id'])
    with pytest.raises(exception.SnapshotNotFound):
        db.snapshot_get(admin, snapshot['id'])
    # a volume from a snapshot whose data is gone fails cleanly
    lost = _snapshot(admin, volume, status='available')
    orphan = _volume(admin, size=2, snapshot_id=lost['id'])
    mgr.create_volume(admin, orphan['id'], snapshot_id=lost['id'])
    assert db.volume_get(admin, orphan['id'])['status'] == 'error'


def test_snapshot_of_missing_storage_is_error(admin, mgr):
    volume = _volume(admin, status='available', host=HOST)
    snapshot = _snapshot(admin, volume)
    mgr.create_snapshot(admin, volume['id'], snapshot['id'])
    assert db.snapshot_get(admin, snapshot['id'])['status'] == 'error'


def test_restart_mid_create_ends_available_never_creating(admin, fake):
    # nova-volume died after the row got its host, with storage half made
    volume = _volume(admin, host=HOST)
    fake.storage.volumes[volume['name']] = {'size': 'partial',
                                            'from': None}
    deleting = _volume(admin, host=HOST)
    manager.VolumeManager(volume_driver=fake, host=HOST).create_volume(
        admin, deleting['id'])
    db.volume_update(admin, deleting['id'], {'status': 'deleting'})
    other_host = _volume(admin, host='elsewhere')

    restarted = manager.VolumeManager(volume_driver=fake, host=HOST)
    restarted.init_host()
    assert db.volume_get(admin, volume['id'])['status'] == 'available'
    assert fake.storage.volumes[volume['name']]['size'] == 1
    with pytest.raises(exception.VolumeNotFound):
        db.volume_get(admin, deleting['id'])
    assert db.volume_get(admin, other_host['id'])['status'] == 'creating'


def test_restart_mid_create_that_cannot_finish_is_error(admin, fake):
    snapshot = _snapshot(admin, _volume(admin, status='available'),
                         status='available')
    volume = _volume(admin, host=HOST, snapshot_id=snapshot['id'])
    manager.VolumeManager(volume_driver=fake, host=HOST).init_host()
    assert db.volume_get(admin, volume['id'])['status'] == 'error'


def test_restart_reexports_and_finishes_snapshots(admin, mgr, fake):
    volume = _volume(admin)
    mgr.create_volume(admin, volume['id'])
    in_use = _volume(admin)
    mgr.create_volume(admin, in_use['id'])
    db.volume_attached(admin, in_use['id'], 3, '/dev/vdb')
    pending = _snapshot(admin, volume)
    fake.helper.targets.clear()                 # tgtd lost its targets
    manager.VolumeManager(volume_driver=fake, host=HOST).init_host()
    assert sorted(fake.helper.targets) == [1, 2]
    assert db.snapshot_get(admin, pending['id'])['status'] == 'available'


def test_init_host_refuses_a_broken_backend(admin, set_flags, tmp_path):
    set_flags(volume_storage='lvm', volume_group='no-such-vg-i12',
              iscsi_helper='tgtadm')

    def no_lvm(*cmd, **kwargs):
        return ('  other\n', '')
    broken = driver.ISCSIDriver(execute=no_lvm)
    with pytest.raises(exception.VolumeBackendError):
        manager.VolumeManager(volume_driver=broken, host=HOST).init_host()
