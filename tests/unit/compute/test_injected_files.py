"""Personality files: checked in compute.api before any row is made,
carried base64 in run_instance/rebuild_instance, handed to the driver's
spawn as (path, bytes); a disk that cannot take them fails the build with
its own short fault reason."""

import pytest

from nova import db
from nova import exception
from nova import quota
from nova.compute import fault_reasons
from nova.compute import injected_files
from nova.virt import disk
from nova.virt import fake
from nova.virt import fake_store


def _live(ctxt):
    return db.instance_get_all_by_filters(ctxt.elevated(), {})


@pytest.mark.parametrize('path', [
    'etc/motd', '/etc/../shadow', '..', '/etc/motd/', '/', '', None,
    '/a/./../b', '/with\nnewline'])
def test_bad_paths_are_invalid(path):
    with pytest.raises(exception.InvalidParameterValue):
        injected_files.check_path(path)


def test_good_paths():
    for path in ('/etc/motd', '/root/.ssh/x', '/a b/c..d', '/x/...'):
        injected_files.check_path(path)


def test_encode_decode_round_trip():
    files = [('/etc/motd', b'hi\n'), ('/bin/x', b'\x00\xff')]
    encoded = injected_files.encode(files)
    assert encoded == [['/etc/motd', 'aGkK'], ['/bin/x', 'AP8=']]
    assert injected_files.decode(encoded) == files
    assert injected_files.decode(None) == []
    for bad in ([['/a', '@@']], [['/a']], [['rel', 'aGk=']], ['x']):
        with pytest.raises(exception.InvalidParameterValue):
            injected_files.decode(bad)


def test_create_carries_the_files_to_the_scheduler(user, compute_api, casts):
    [inst] = compute_api.create(user, 'm1.tiny', 1, injected_files=[
        ('/etc/motd', 'hi'), ('/etc/b', b'\x01')])
    [(topic, method, args)] = casts.sent
    assert (topic, method) == ('scheduler', 'run_instance')
    assert args['instance_id'] == inst['id']
    assert injected_files.decode(args['injected_files']) == [
        ('/etc/motd', b'hi'), ('/etc/b', b'\x01')]


def test_create_without_files_sends_none(user, compute_api, casts):
    compute_api.create(user, 'm1.tiny', 1)
    assert 'injected_files' not in casts.sent[0][2]


@pytest.mark.parametrize('files,error', [
    ([('etc/motd', 'x')], exception.InvalidParameterValue),
    ([('/etc/../x', 'x')], exception.InvalidParameterValue),
    ([('/f%d' % i, 'x') for i in range(6)], quota.QuotaError),
    ([('/' + 'p' * 255, 'x')], quota.QuotaError),
    ([('/f', 'x' * 10241)], quota.QuotaError),
    (['not a pair'], exception.InvalidParameterValue),
])
def test_bad_files_leave_nothing(user, compute_api, casts, files, error):
    with pytest.raises(error):
        compute_api.create(user, 'm1.tiny', 1, injected_files=files)
    assert _live(user) == []
    assert casts.sent == []


def test_run_instance_hands_the_files_to_the_driver(user, compute_api,
                                                    compute, casts):
    [inst] = compute_api.create(user, 'm1.tiny', 1,
                                injected_files=[('/etc/motd', 'hi')])
    args = casts.sent[0][2]
    compute.run_instance(user, inst['id'],
                         injected_files=args['injected_files'])
    inst = db.instance_get(user, inst['id'])
    assert inst['vm_state'] == 'active'
    assert compute.driver.get_injected_files(inst['name']) == {
        '/etc/motd': b'hi'}


def test_files_the_disk_cannot_take_fail_the_build(user, compute_api,
                                                   compute, casts,
                                                   monkeypatch):
    def refuse(*_args, **_kwargs):
        raise disk.FileInjectionError(path='/var/lib/nova/x/disk',
                                      reason='no ext2/3/4 file system')

    monkeypatch.setattr(compute.driver, 'spawn', refuse)
    [inst] = compute_api.create(user, 'm1.tiny', 1,
                                injected_files=[('/etc/motd', 'hi')])
    compute.run_instance(user, inst['id'],
                         injected_files=casts.sent[0][2]['injected_files'])
    inst = db.instance_get(user, inst['id'])
    assert inst['vm_state'] == 'error'
    fault = db.instance_fault_get_latest(user, inst['id'])
    assert fault['message'] == fault_reasons.FILES_NOT_INJECTED
    assert '/var/lib/nova' not in fault['message']
    assert 'no ext2/3/4' in fault['details']


def test_rebuild_with_files(user, compute_api, compute, casts):
    [inst] = compute_api.create(user, 'm1.tiny', 1)
    compute.run_instance(user, inst['id'])
    del casts.sent[:]
    with pytest.raises(exception.InvalidParameterValue):
        compute_api.rebuild(user, inst['id'], 1, 'pw',
                            files_to_inject=[('x', 'y')])
    assert casts.sent == []
    assert db.instance_get(user, inst['id'])['vm_state'] == 'active'
    compute_api.rebuild(user, inst['id'], 1, 'pw',
                        files_to_inject=[('/etc/motd', b'new')])
    [(_topic, method, args)] = casts.sent
    assert method == 'rebuild_instance'
    compute.rebuild_instance(user, inst['id'], new_pass=args['new_pass'],
                             injected_files=args['injected_files'])
    inst = db.instance_get(user, inst['id'])
    assert inst['vm_state'] == 'active'
    assert compute.driver.get_injected_files(inst['name']) == {
        '/etc/motd': b'new'}


def test_fault_reason_of_the_error():
    error = disk.FileInjectionError(path='/p', reason='r')
    assert fault_reasons.build_failed('spawning it', error) == \
        fault_reasons.FILES_NOT_INJECTED
    assert fault_reasons.of_error(error) == fault_reasons.FILES_NOT_INJECTED
    assert fault_reasons.of_error(RuntimeError('x')) == fault_reasons.FAILED
    assert fault_reasons.split(fault_reasons.FILES_NOT_INJECTED)[1] == \
        fault_reasons.FILES_NOT_INJECTED


def test_fake_driver_keeps_the_files_across_a_restart(tmp_path):
    conn = fake.FakeConnection()
    instance = {'id': 7, 'name': 'instance-00000007', 'memory_mb': 512,
                'vcpus': 1, 'image_ref': '1'}
    conn.spawn(None, instance, [], None,
               injected_files=[('/etc/motd', b'\x00hi')])
    store = fake_store.HostStore(str(tmp_path / 'host'))
    store.save(conn.guests['instance-00000007'])
    again = fake.FakeConnection()
    again.guests = fake_store.HostStore(str(tmp_path / 'host')).load(
        fake.FakeGuest)
    assert again.get_injected_files('instance-00000007') == {
        '/etc/motd': b'\x00hi'}
    # a guest saved before files were kept restores with none
    guest = fake.FakeGuest.__new__(fake.FakeGuest)
    guest.restore({'name': 'old', 'console': [], 'volumes': {},
                   'state': 0})
    assert guest.injected_files == {}
