"""Compute handlers delivered again (at-least-once) do no harm: nothing is
built, allocated or destroyed twice, and an interrupted build resumes."""

from nova import db


def _create(user, compute_api, count=1):
    return compute_api.create(user, 'm1.tiny', 1, min_count=count,
                              max_count=count)


def test_run_instance_again_when_active_does_nothing(user, compute_api,
                                                     compute, casts,
                                                     network):
    [inst] = _create(user, compute_api)
    compute.run_instance(user, inst['id'])
    compute.run_instance(user, inst['id'])
    assert network.calls == [('allocate', inst['id'])]
    assert compute.driver.list_instances().count(inst['name']) == 1
    assert db.instance_get(user, inst['id'])['vm_state'] == 'active'


def test_run_instance_while_being_built_here_does_nothing(
        user, compute_api, compute, casts, network):
    [inst] = _create(user, compute_api)
    compute._building.add(inst['id'])
    compute.run_instance(user, inst['id'])
    assert network.calls == []
    assert db.instance_get(user, inst['id'])['vm_state'] == 'building'


def test_run_instance_resumes_a_build_interrupted_mid_spawn(
        user, admin, compute_api, compute, casts, network):
    [inst] = _create(user, compute_api)
    compute.run_instance(user, inst['id'])
    # The daemon died after spawning, before recording active.
    db.instance_update(admin, inst['id'], {'vm_state': 'building',
                                           'task_state': 'spawning'})
    compute.run_instance(user, inst['id'])
    got = db.instance_get(admin, inst['id'])
    assert got['vm_state'] == 'active' and got['task_state'] is None
    assert compute.driver.list_instances().count(inst['name']) == 1
    assert db.instance_fault_get_latest(admin, inst['id']) is None


def test_run_instance_of_another_hosts_build_does_nothing(
        user, admin, compute_api, compute, casts, network):
    [inst] = _create(user, compute_api)
    db.instance_update(admin, inst['id'], {'host': 'host2',
                                           'task_state': 'spawning'})
    compute.run_instance(user, inst['id'])
    assert network.calls == []
    assert inst['name'] not in compute.driver.list_instances()


def test_terminate_twice_is_harmless(user, admin, compute_api, compute,
                                     casts, network):
    [inst] = _create(user, compute_api)
    compute.run_instance(user, inst['id'])
    compute.terminate_instance(user, inst['id'])
    compute.terminate_instance(user, inst['id'])
    assert network.calls.count(('deallocate', inst['id'])) == 1
    assert compute.driver.list_instances() == []


def test_run_instance_after_terminate_builds_nothing(user, compute_api,
                                                     compute, casts,
                                                     network):
    [inst] = _create(user, compute_api)
    compute.run_instance(user, inst['id'])
    compute.terminate_instance(user, inst['id'])
    compute.run_instance(user, inst['id'])
    assert compute.driver.list_instances() == []
    assert network.calls.count(('allocate', inst['id'])) == 1


def test_reboot_twice_ends_active(user, admin, compute_api, compute, casts):
    [inst] = _create(user, compute_api)
    compute.run_instance(user, inst['id'])
    compute_api.reboot(user, inst['id'])
    compute.reboot_instance(user, inst['id'])
    compute.reboot_instance(user, inst['id'])
    got = db.instance_get(admin, inst['id'])
    assert got['vm_state'] == 'active' and got['task_state'] is None
