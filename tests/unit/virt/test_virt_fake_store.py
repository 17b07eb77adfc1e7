"""The fake hypervisor's guests on disk (:mod:`nova.virt.fake_store`): one
file a guest, a change rewrites that file only, the boot id tells a restart
of nova-compute from a power cycle, the old single file is migrated."""

import json
import os

import pytest

from nova.virt import fake
from nova.virt import fake_store
from nova.virt import power_state

HOST = 'compute-1'


def _instance(instance_id, **values):
    inst = {'id': instance_id, 'memory_mb': 512, 'vcpus': 1, 'local_gb': 0,
            'hostname': 'server-%d' % instance_id, 'image_ref': '3'}
    inst.update(values)
    return inst


def _name(instance_id):
    return 'instance-%08x' % instance_id


@pytest.fixture
def boots(set_flags, tmp_path, monkeypatch):
    """Guests kept under tmp_path; ``boots.append(id)`` boots the host."""
    set_flags(fake_hypervisor_state=True, state_path=str(tmp_path))
    ids = ['boot-1']
    monkeypatch.setattr(fake_store, 'boot_id', lambda: ids[-1])
    return ids


@pytest.fixture
def folder(boots):
    return fake_store.folder_for(HOST)


def _start():
    """A new nova-compute process on HOST (its fake hypervisor)."""
    conn = fake.FakeConnection()
    conn.init_host(HOST)
    return conn


def _stamp(path):
    st = os.stat(path)
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _stamps(folder):
    return dict((name, _stamp(os.path.join(folder, name)))
                for name in os.listdir(folder))


def _host_file(folder):
    with open(os.path.join(folder, fake_store.HOST_FILE)) as handle:
        return json.load(handle)


def test_layout_one_file_a_guest_and_a_host_file(folder, tmp_path):
    conn = _start()
    assert folder == str(tmp_path / 'fake-hypervisor' / HOST)
    assert os.listdir(folder) == [fake_store.HOST_FILE]
    assert _host_file(folder) == {'version': 2, 'boot_id': 'boot-1'}
    for i in (1, 2, 3):
        conn.spawn(None, _instance(i), [])
    assert sorted(os.listdir(folder)) == sorted(
        [fake_store.HOST_FILE] + ['%s.json' % _name(i) for i in (1, 2, 3)])
    with open(os.path.join(folder, '%s.json' % _name(2))) as handle:
        record = json.load(handle)
    assert record['name'] == _name(2)
    assert record['state'] == power_state.RUNNING
    assert not os.path.exists(fake_store.legacy_path_for(HOST))


@pytest.mark.parametrize('change', [
    lambda c, i: c.reboot(i, []),
    lambda c, i: c.power_off(i),
    lambda c, i: c.pause(i),
    lambda c, i: c.suspend(i),
    lambda c, i: c.rescue(None, i, []),
    lambda c, i: c.set_admin_password(i, 'pw'),
    lambda c, i: c.reset_network(i),
    lambda c, i: c.inject_network_info(i, [{'a': 1}]),
    lambda c, i: c.migrate_disk_and_power_off(i, '10.0.0.2'),
    lambda c, i: c.attach_volume(_name(2), {'x': 1}, '/dev/vdb'),
    lambda c, i: c.set_power_state(_name(2), power_state.CRASHED),
])
def test_a_change_rewrites_only_that_guests_file(folder, change):
    conn = _start()
    for i in (1, 2, 3):
        conn.spawn(None, _instance(i), [])
    before = _stamps(folder)
    change(conn, _instance(2))
    after = _stamps(folder)
    changed = sorted(name for name in after if after[name] != before[name])
    assert changed == ['%s.json' % _name(2)]
    assert sorted(after) == sorted(before)
    again = _start()
    assert again.guests[_name(2)].state == conn.guests[_name(2)].state
    assert again.guests[_name(2)].console == conn.guests[_name(2)].console


def test_the_cost_of_a_change_does_not_grow_with_the_guests(folder,
                                                            monkeypatch):
    conn = _start()
    for i in range(1, 41):
        conn.spawn(None, _instance(i), [])
    encoded = []
    real = fake_store._record
    monkeypatch.setattr(fake_store, '_record',
                        lambda guest: encoded.append(guest.name) or
                        real(guest))
    conn.pause(_instance(7))
    conn.unpause(_instance(7))
    assert encoded == [_name(7), _name(7)]


def test_an_unchanged_guest_is_not_written_again(folder):
    conn = _start()
    conn.spawn(None, _instance(1), [])
    conn.attach_volume(_name(1), {'x': 1}, '/dev/vdb')
    before = _stamps(folder)
    conn.attach_volume(_name(1), {'x': 1}, '/dev/vdb')   # the same again
    assert _stamps(folder) == before


def test_destroy_removes_the_guests_file(folder):
    conn = _start()
    conn.spawn(None, _instance(1), [])
    conn.spawn(None, _instance(2), [])
    before = _stamps(folder)
    conn.destroy(_instance(1), [])
    assert sorted(os.listdir(folder)) == sorted(
        [fake_store.HOST_FILE, '%s.json' % _name(2)])
    assert _stamp(os.path.join(folder, '%s.json' % _name(2))) == \
        before['%s.json' % _name(2)]
    conn.destroy(_instance(1), [])          # already gone: fine
    assert _start().list_instances() == [_name(2)]
    # the same name spawned again gets a file again
    conn.spawn(None, _instance(1), [])
    assert sorted(_start().list_instances()) == [_name(1), _name(2)]


def test_a_restart_of_nova_compute_keeps_the_guests_as_they_were(folder):
    conn = _start()
    states = {1: None, 2: 'power_off', 3: 'pause', 4: 'suspend'}
    for i, action in states.items():
        conn.spawn(None, _instance(i), [])
        if action:
            getattr(conn, action)(_instance(i))
    conn.attach_volume(_name(1), {'v': 1}, '/dev/vdc')
    before = _stamps(folder)
    again = _start()
    assert dict((n, g.state) for n, g in again.guests.items()) == dict(
        (n, g.state) for n, g in conn.guests.items())
    assert again.guests[_name(1)].state == power_state.RUNNING
    assert again.guests[_name(1)].volumes == {'/dev/vdc': {'v': 1}}
    assert again.guests[_name(1)].console == conn.guests[_name(1)].console
    # nothing changed: nothing is written at the start
    assert _stamps(folder) == before


def test_a_new_boot_id_is_a_power_cycle(folder, boots):
    conn = _start()
    actions = {1: None, 2: 'power_off', 3: 'pause', 4: 'suspend'}
    for i, action in actions.items():
        conn.spawn(None, _instance(i), [])
        if action:
            getattr(conn, action)(_instance(i))
    conn.spawn(None, _instance(5), [])
    conn.set_power_state(_name(5), power_state.BLOCKED)
    conn.spawn(None, _instance(6), [])
    conn.set_power_state(_name(6), power_state.BUILDING)
    boots.append('boot-2')
    again = _start()
    states = dict((n, g.state) for n, g in again.guests.items())
    assert states == {_name(1): power_state.SHUTOFF,
                      _name(2): power_state.SHUTOFF,
                      _name(3): power_state.SHUTOFF,
                      _name(4): power_state.SUSPENDED,
                      _name(5): power_state.SHUTOFF,
                      _name(6): power_state.SHUTOFF}
    assert again.guests[_name(1)].console[-1] == \
        '[host restarted: %s is shut off]' % _name(1)
    assert again.guests[_name(4)].console == conn.guests[_name(4)].console
    assert _host_file(folder)['boot_id'] == 'boot-2'
    # recorded: another start in the same boot changes nothing
    before = _stamps(folder)
    third = _start()
    assert third.guests[_name(1)].console == again.guests[_name(1)].console
    assert _stamps(folder) == before


def test_a_host_file_that_does_not_say_is_a_power_cycle(folder):
    conn = _start()
    conn.spawn(None, _instance(1), [])
    os.unlink(os.path.join(folder, fake_store.HOST_FILE))
    assert _start().guests[_name(1)].state == power_state.SHUTOFF
    assert _host_file(folder)['boot_id'] == 'boot-1'


def test_no_boot_id_every_start_is_a_power_cycle(folder, monkeypatch):
    conn = _start()
    conn.spawn(None, _instance(1), [])
    monkeypatch.setattr(fake_store, 'boot_id', lambda: None)
    assert _start().guests[_name(1)].state == power_state.SHUTOFF


def test_a_crash_before_the_host_file_powers_off_again(folder, boots,
                                                       monkeypatch):
    """The guests are written before the host file takes the new boot
    id: a crash in between sees the old one, and powers off again."""
    conn = _start()
    conn.spawn(None, _instance(1), [])
    boots.append('boot-2')

    def crash(self, old_text):
        raise OSError('crashed')
    real = fake_store.HostStore._save_host
    monkeypatch.setattr(fake_store.HostStore, '_save_host', crash)
    assert _start().guests[_name(1)].state == power_state.SHUTOFF
    assert _host_file(folder)['boot_id'] == 'boot-1'
    monkeypatch.setattr(fake_store.HostStore, '_save_host', real)
    again = _start()
    assert again.guests[_name(1)].state == power_state.SHUTOFF
    assert again.guests[_name(1)].console.count(
        '[host restarted: %s is shut off]' % _name(1)) == 1
    assert _host_file(folder)['boot_id'] == 'boot-2'


def _legacy(boot, *states):
    """An old single file with guests in ``states``."""
    guests = []
    for i, state in enumerate(states, 1):
        guest = fake.FakeGuest(_name(i), _instance(i))
        guest.boot()
        guest.state = state
        guest.volumes = {'/dev/vdb': {'i': i}}
        guests.append(dict((f, getattr(guest, f))
                           for f in fake_store._FIELDS))
    data = {'version': 1, 'guests': guests}
    if boot is not None:
        data['boot_id'] = boot
    path = fake_store.legacy_path_for(HOST)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as handle:
        json.dump(data, handle)
    return path


def test_the_old_single_file_is_migrated(folder):
    path = _legacy('boot-1', power_state.RUNNING, power_state.PAUSED)
    conn = _start()
    assert not os.path.exists(path)
    assert sorted(os.listdir(folder)) == sorted(
        [fake_store.HOST_FILE, '%s.json' % _name(1), '%s.json' % _name(2)])
    assert conn.guests[_name(1)].state == power_state.RUNNING
    assert conn.guests[_name(2)].state == power_state.PAUSED
    assert conn.guests[_name(2)].volumes == {'/dev/vdb': {'i': 2}}
    # the new layout is what the next start reads
    again = _start()
    assert sorted(again.list_instances()) == [_name(1), _name(2)]
    assert again.guests[_name(1)].state == power_state.RUNNING


def test_an_old_file_of_another_boot_is_a_power_cycle(folder):
    _legacy('boot-0', power_state.RUNNING, power_state.SUSPENDED)
    conn = _start()
    assert conn.guests[_name(1)].state == power_state.SHUTOFF
    assert conn.guests[_name(2)].state == power_state.SUSPENDED
    _legacy(None, power_state.RUNNING)
    os.unlink(os.path.join(folder, fake_store.HOST_FILE))
    assert _start().guests[_name(1)].state == power_state.SHUTOFF


def test_an_old_file_left_by_a_crash_after_the_migration_loses(folder):
    conn = _start()
    conn.spawn(None, _instance(5), [])
    path = _legacy('boot-1', power_state.RUNNING)
    assert _start().list_instances() == [_name(5)]
    assert not os.path.exists(path)


def test_nothing_is_written_with_the_flag_off(set_flags, tmp_path):
    set_flags(fake_hypervisor_state=False, state_path=str(tmp_path))
    assert fake_store.for_host(HOST) is None
    assert fake_store.folder_for(HOST) is None
    conn = _start()
    conn.spawn(None, _instance(1), [])
    conn.pause(_instance(1))
    conn.destroy(_instance(1), [])
    assert list(tmp_path.iterdir()) == []


def test_the_console_is_capped(folder):
    conn = _start()
    conn.spawn(None, _instance(1), [])
    for _ in range(30):
        conn.reboot(_instance(1), [])
    assert len(conn.guests[_name(1)].console) > fake_store.CONSOLE_LINES
    with open(os.path.join(folder, '%s.json' % _name(1))) as handle:
        console = json.load(handle)['console']
    assert console == conn.guests[_name(1)].console[
        -fake_store.CONSOLE_LINES:]


def test_guests_spawned_before_the_host_is_known_are_kept(folder):
    conn = fake.FakeConnection()
    conn.spawn(None, _instance(1), [])
    conn.init_host(HOST)
    assert _start().list_instances() == [_name(1)]


def test_odd_guest_names_get_distinct_files(folder):
    names = ['a/b', 'a_b', 'a%2Fb', '.hidden', '..', 'host', 'host.meta',
             'x' * 300, 'x' * 299 + 'y', 'caf\u00e9 1']
    files = [fake_store.guest_file_name(n) for n in names]
    assert len(set(files)) == len(names)
    for f in files:
        assert '/' not in f and not f.startswith('.')
        assert len(f) < 255 and f.endswith('.json')
        assert f != fake_store.HOST_FILE
    conn = _start()
    for i, name in enumerate(names, 1):
        conn.spawn(None, _instance(i, name=name), [])
    assert sorted(_start().list_instances()) == sorted(names)


def test_leftover_temporary_files_are_cleaned_and_torn_files_skipped(
        folder):
    conn = _start()
    conn.spawn(None, _instance(1), [])
    conn.spawn(None, _instance(2), [])
    with open(os.path.join(folder, '.x.json.1234.tmp'), 'w') as handle:
        handle.write('{')
    with open(os.path.join(folder, '%s.json' % _name(2)), 'w') as handle:
        handle.write('{"name": "inst')
    assert _start().list_instances() == [_name(1)]
    assert not os.path.exists(os.path.join(folder, '.x.json.1234.tmp'))


def test_a_write_error_is_logged_not_raised(folder, caplog, monkeypatch):
    conn = _start()
    conn.spawn(None, _instance(1), [])

    def fail(*args):
        raise OSError('disk full')
    with monkeypatch.context() as patch:
        patch.setattr(fake_store.HostStore, '_write', fail)
        conn.pause(_instance(1))
    with monkeypatch.context() as patch:
        patch.setattr(fake_store.os, 'unlink', fail)
        conn.destroy(_instance(1), [])
    assert 'cannot save the fake hypervisor guest' in caplog.text
    assert 'cannot remove the fake hypervisor guest' in caplog.text
    assert conn.list_instances() == []


def test_a_failed_write_leaves_no_temporary_file(folder, monkeypatch):
    conn = _start()
    conn.spawn(None, _instance(1), [])

    def fail(*args):
        raise OSError('disk full')
    with monkeypatch.context() as patch:
        patch.setattr(fake_store.os, 'replace', fail)
        conn.pause(_instance(1))
    assert sorted(os.listdir(folder)) == sorted(
        [fake_store.HOST_FILE, '%s.json' % _name(1)])
    # the pause was not recorded: it is written with the next change
    conn.unpause(_instance(1))
    conn.pause(_instance(1))
    assert _start().guests[_name(1)].state == power_state.PAUSED
