"""Compute's volume path: attach/detach on the host, failures, boot and
terminate with volumes (RPC to nova-volume recorded)."""

import pytest

from nova import db
from nova import exception
from nova.compute import vm_states

INFO = {'driver_volume_type': 'iscsi',
        'data': {'target_portal': '127.0.0.1:3260',
                 'target_iqn': 'iqn.2010-10.org.openstack:volume-00000001',
                 'target_lun': 1, 'volume_id': 1}}


@pytest.fixture
def running(admin, compute, casts):
    casts.replies['initialize_connection'] = INFO
    instance = db.instance_create(admin, {
        'vm_state': vm_states.BUILDING, 'project_id': 'proj1',
        'user_id': 'alice', 'memory_mb': 64, 'vcpus': 1, 'local_gb': 0})
    compute.run_instance(admin, instance['id'])
    return db.instance_get(admin, instance['id'])


def _volume(admin, **values):
    row = {'size': 1, 'status': 'available', 'attach_status': 'detached',
           'project_id': 'proj1', 'user_id': 'alice', 'host': 'vh'}
    row.update(values)
    return db.volume_create(admin, row)


def _guest(compute, instance):
    return compute.driver.guests[instance['name']]


def test_attach_and_detach(admin, compute, running, casts):
    volume = _volume(admin, status='attaching', instance_id=running['id'],
                     mountpoint='/dev/vdb')
    assert compute.attach_volume(admin, running['id'], volume['id'],
                                 '/dev/vdb')
    volume = db.volume_get(admin, volume['id'])
    assert (volume['status'], volume['attach_status'],
            volume['instance_id'], volume['mountpoint']) == (
        'in-use', 'attached', running['id'], '/dev/vdb')
    assert ('volume.vh', 'initialize_connection',
            {'volume_id': volume['id']}) in casts.sent
    assert _guest(compute, running).volumes == {'/dev/vdb': INFO}
    bdms = db.block_device_mapping_get_all_by_instance(admin, running['id'])
    assert [(b['device_name'], b['volume_id']) for b in bdms] == [
        ('/dev/vdb', volume['id'])]
    db.volume_update(admin, volume['id'], {'status': 'detaching'})
    assert compute.detach_volume(admin, running['id'], volume['id'])
    volume = db.volume_get(admin, volume['id'])
    assert (volume['status'], volume['instance_id'],
            volume['mountpoint']) == ('available', None, None)
    assert _guest(compute, running).volumes == {}
    assert db.block_device_mapping_get_all_by_instance(
        admin, running['id']) == []


def test_failed_attach_gives_the_volume_back(admin, compute, running,
                                             monkeypatch):
    def refuse(*args):
        raise exception.NovaException('hypervisor said no')
    monkeypatch.setattr(compute.driver, 'attach_volume', refuse)
    volume = _volume(admin, status='attaching', instance_id=running['id'],
                     mountpoint='/dev/vdb')
    assert not compute.attach_volume(admin, running['id'], volume['id'],
                                     '/dev/vdb')
    volume = db.volume_get(admin, volume['id'])
    assert (volume['status'], volume['instance_id']) == ('available', None)


def test_failed_detach_keeps_it_unless_forced(admin, compute, running,
                                              monkeypatch):
    volume = _volume(admin, status='attaching')
    compute.attach_volume(admin, running['id'], volume['id'], '/dev/vdc')

    def refuse(*args):
        raise exception.NovaException('guest holds it')
    monkeypatch.setattr(compute.driver, 'detach_volume', refuse)
    db.volume_update(admin, volume['id'], {'status': 'detaching'})
    assert not compute.detach_volume(admin, running['id'], volume['id'])
    assert db.volume_get(admin, volume['id'])['status'] == 'in-use'
    db.volume_update(admin, volume['id'], {'status': 'detaching'})
    assert compute.detach_volume(admin, running['id'], volume['id'],
                                 force=True)
    assert db.volume_get(admin, volume['id'])['status'] == 'available'


def test_boot_with_volume_and_terminate(admin, compute, casts):
    kept = _volume(admin)
    doomed = _volume(admin)
    instance = db.instance_create(admin, {
        'vm_state': vm_states.BUILDING, 'project_id': 'proj1',
        'user_id': 'alice', 'memory_mb': 64, 'vcpus': 1, 'local_gb': 0})
    for device, volume, delete in (('/dev/vdb', kept, False),
                                   ('/dev/vdc', doomed, True)):
        db.block_device_mapping_create(admin, {
            'instance_id': instance['id'], 'device_name': device,
            'volume_id': volume['id'], 'delete_on_termination': delete})
    casts.replies['initialize_connection'] = INFO
    compute.run_instance(admin, instance['id'])
    assert db.instance_get(admin, instance['id'])['vm_state'] == 'active'
    for volume in (kept, doomed):
        assert db.volume_get(admin, volume['id'])['status'] == 'in-use'
    assert sorted(_guest(compute, instance).volumes) == ['/dev/vdb',
                                                         '/dev/vdc']
    compute.terminate_instance(admin, instance['id'])
    assert db.volume_get(admin, kept['id'])['status'] == 'available'
    assert db.volume_get(admin, doomed['id'])['status'] == 'deleting'
    assert ('volume.vh', 'delete_volume', {'volume_id': doomed['id']}) in \
        casts.sent


def test_boot_with_a_busy_volume_fails_and_leaves_it(admin, compute,
                                                     casts):
    busy = _volume(admin, status='in-use', attach_status='attached',
                   instance_id=99, mountpoint='/dev/vdb')
    instance = db.instance_create(admin, {
        'vm_state': vm_states.BUILDING, 'project_id': 'proj1',
        'user_id': 'alice', 'memory_mb': 64, 'vcpus': 1, 'local_gb': 0})
    db.block_device_mapping_create(admin, {
        'instance_id': instance['id'], 'device_name': '/dev/vdb',
        'volume_id': busy['id']})
    compute.run_instance(admin, instance['id'])
    assert db.instance_get(admin, instance['id'])['vm_state'] == 'error'
    busy = db.volume_get(admin, busy['id'])
    assert (busy['status'], busy['instance_id']) == ('in-use', 99)


def test_restart_ends_interrupted_attach_and_detach(admin, compute, running):
    attaching = _volume(admin, status='attaching',
                        instance_id=running['id'], mountpoint='/dev/vdb')
    detaching = _volume(admin, status='attaching')
    compute.attach_volume(admin, running['id'], detaching['id'], '/dev/vdc')
    db.volume_update(admin, detaching['id'], {'status': 'detaching'})
    compute.init_host()
    attaching = db.volume_get(admin, attaching['id'])
    assert (attaching['status'], attaching['instance_id']) == ('available',
                                                               None)
    assert db.volume_get(admin, detaching['id'])['status'] == 'in-use'
