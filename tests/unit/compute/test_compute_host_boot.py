"""A restarted nova-compute on the fake driver finds its guests again
(kept under --state_path) and honours Diablo's host-boot flags."""

import json
import os

import pytest

from nova import db
from nova.compute import manager as compute_manager
from nova.compute import power_state
from nova.virt import fake_store


def _launch(user, compute_api, compute, count):
    created = compute_api.create(user, 'm1.tiny', 1, min_count=count,
                                 max_count=count)
    for inst in created:
        compute.run_instance(user, inst['id'])
    return [db.instance_get(user, inst['id']) for inst in created]


@pytest.fixture
def persisted(set_flags, db_ready, monkeypatch):
    """Guests kept on disk; ``persisted()`` boots the host (a new boot
    id, as after a power cycle)."""
    set_flags(fake_hypervisor_state=True)
    boots = ['boot-1']
    monkeypatch.setattr(fake_store, 'boot_id', lambda: boots[-1])

    def boot_the_host():
        boots.append('boot-%d' % (len(boots) + 1))
    return boot_the_host


def _restart(compute):
    """A new nova-compute process on the same host and state."""
    again = compute_manager.ComputeManager(host=compute.host)
    again.init_host()
    return again


@pytest.mark.parametrize('flag, expected', [
    (None, ('stopped', power_state.SHUTOFF)),
    ('resume_guests_state_on_host_boot', ('active', power_state.RUNNING)),
    ('start_guests_on_host_boot', ('active', power_state.RUNNING)),
])
def test_restart_keeps_every_instance(persisted, user, admin, compute_api,
                                      compute, casts, set_flags, flag,
                                      expected):
    compute.init_host()
    instances = _launch(user, compute_api, compute, 3)
    if flag:
        set_flags(**{flag: True})
    persisted()                         # the host was power-cycled
    again = _restart(compute)
    for inst in instances:
        got = db.instance_get(admin, inst['id'])
        assert (got['vm_state'], got['power_state']) == expected
        assert got['name'] in again.driver.list_instances()
    folder = fake_store.folder_for(compute.host)
    assert folder.endswith('/fake-hypervisor/%s' % compute.host)
    assert sorted(os.listdir(folder)) == sorted(
        [fake_store.HOST_FILE] + ['%s.json' % inst['name']
                                  for inst in instances])


def test_stopped_instance_stays_stopped_with_resume(
        persisted, user, admin, compute_api, compute, casts, set_flags):
    compute.init_host()
    running, stopped = _launch(user, compute_api, compute, 2)
    compute.stop_instance(user, stopped['id'])
    set_flags(resume_guests_state_on_host_boot=True)
    persisted()
    _restart(compute)
    assert db.instance_get(admin, running['id'])['vm_state'] == 'active'
    assert db.instance_get(admin, stopped['id'])['vm_state'] == 'stopped'


def test_a_restart_of_nova_compute_alone_keeps_guests_running(
        persisted, user, admin, compute_api, compute, casts):
    """SIGTERM/SIGKILL of nova-compute is not a host boot: as a real
    hypervisor's domains, the guests kept running, with no flag set."""
    compute.init_host()
    running, stopped = _launch(user, compute_api, compute, 2)
    compute.stop_instance(user, stopped['id'])
    again = _restart(compute)
    got = db.instance_get(admin, running['id'])
    assert (got['vm_state'], got['power_state'], got['task_state']) == (
        'active', power_state.RUNNING, None)
    assert again.driver.get_info(got['name'])['state'] == \
        power_state.RUNNING
    assert db.instance_get(admin, stopped['id'])['vm_state'] == 'stopped'
    # a host file that does not say which boot wrote it counts as a host
    # boot
    path = os.path.join(fake_store.folder_for(compute.host),
                        fake_store.HOST_FILE)
    with open(path) as handle:
        data = json.load(handle)
    del data['boot_id']
    with open(path, 'w') as handle:
        json.dump(data, handle)
    _restart(compute)
    assert db.instance_get(admin, running['id'])['vm_state'] == 'stopped'


def test_a_torn_state_file_starts_empty(persisted, compute, tmp_path):
    compute.init_host()
    path = fake_store.legacy_path_for(compute.host)
    with open(path, 'w') as handle:
        handle.write('{"guests": [')
    os.unlink(os.path.join(fake_store.folder_for(compute.host),
                           fake_store.HOST_FILE))
    assert _restart(compute).driver.list_instances() == []
    assert not os.path.exists(path)


def test_a_torn_guest_file_skips_only_that_guest(
        persisted, user, compute_api, compute, casts):
    compute.init_host()
    torn, kept = _launch(user, compute_api, compute, 2)
    folder = fake_store.folder_for(compute.host)
    with open(os.path.join(folder, '%s.json' % torn['name']), 'w') as handle:
        handle.write('{"name": ')
    assert _restart(compute).driver.list_instances() == [kept['name']]
