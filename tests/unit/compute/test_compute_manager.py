"""nova.compute.manager on the fake driver: launch, actions, terminate,
reconciliation at start-up and the periodic tasks."""

import datetime

from sqlalchemy import update

from nova import context
from nova import db
from nova import exception
from nova.compute import power_state
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy import session as db_session
from nova.utils import concurrency


def _launch(user, compute_api, compute, casts, count=1):
    created = compute_api.create(user, 'm1.tiny', 1, min_count=count,
                                 max_count=count)
    for inst in created:
        compute.run_instance(user, inst['id'])
    return [db.instance_get(user, inst['id']) for inst in created]


def _age(instance_id, seconds):
    then = datetime.datetime.utcnow() - datetime.timedelta(seconds=seconds)
    with db_session.session_scope() as session:
        session.execute(update(models.Instance).where(
            models.Instance.id == instance_id).values(updated_at=then,
                                                       created_at=then))


def test_run_instance_to_active(user, compute_api, compute, casts, network):
    [inst] = _launch(user, compute_api, compute, casts)
    assert inst['vm_state'] == 'active'
    assert inst['task_state'] is None
    assert inst['power_state'] == power_state.RUNNING
    assert inst['host'] == 'host1' and inst['launched_on'] == 'host1'
    assert inst['launched_at'] is not None
    assert inst['name'] in compute.driver.list_instances()
    assert network.calls == [('allocate', inst['id'])]
    # a second delivery of the same message changes nothing
    compute.run_instance(user, inst['id'])
    assert network.calls == [('allocate', inst['id'])]


def test_spawn_failure_sets_error_with_fault(user, compute_api, compute,
                                             casts, network, monkeypatch):
    def boom(*_args, **_kwargs):
        raise RuntimeError('disk image corrupt')

    monkeypatch.setattr(compute.driver, 'spawn', boom)
    [inst] = _launch(user, compute_api, compute, casts)
    assert inst['vm_state'] == 'error' and inst['task_state'] is None
    fault = db.instance_fault_get_latest(user, inst['id'])
    # The user reads a stable reason; the error's text stays inside.
    assert fault['message'] == 'Server.InternalError: build failed on the host'
    assert 'disk image corrupt' in fault['details']
    assert 'spawning' in fault['details']
    assert 'Traceback' in fault['details']
    assert network.allocated == {}        # address given back
    assert ('deallocate', inst['id']) in network.calls


def test_network_failure_sets_error(user, compute_api, compute, casts,
                                    network):
    network.fail_allocate = True
    [inst] = _launch(user, compute_api, compute, casts)
    assert inst['vm_state'] == 'error'
    assert 'network' in db.instance_fault_get_latest(
        user, inst['id'])['message']
    assert compute.driver.list_instances() == []


def test_stub_network(user, compute_api, compute, casts, network, set_flags):
    set_flags(stub_network=True)
    [inst] = _launch(user, compute_api, compute, casts)
    assert inst['vm_state'] == 'active'
    assert network.calls == []


def test_actions(user, compute_api, compute, casts):
    [inst] = _launch(user, compute_api, compute, casts)
    iid = inst['id']
    compute_api.reboot(user, iid)
    compute.reboot_instance(user, iid)
    got = db.instance_get(user, iid)
    assert (got['vm_state'], got['task_state']) == ('active', None)
    compute_api.stop(user, iid)
    compute.stop_instance(user, iid)
    got = db.instance_get(user, iid)
    assert (got['vm_state'], got['power_state']) == \
        ('stopped', power_state.SHUTOFF)
    compute_api.start(user, iid)
    compute.start_instance(user, iid)
    got = db.instance_get(user, iid)
    assert (got['vm_state'], got['power_state']) == \
        ('active', power_state.RUNNING)
    compute_api.rescue(user, iid)
    compute.rescue_instance(user, iid)
    assert db.instance_get(user, iid)['vm_state'] == 'rescued'
    compute_api.unrescue(user, iid)
    compute.unrescue_instance(user, iid)
    assert db.instance_get(user, iid)['vm_state'] == 'active'
    output = compute.get_console_output(user, iid)
    assert isinstance(output, str) and output


def test_action_failure_is_recorded(user, compute_api, compute, casts,
                                    monkeypatch):
    [inst] = _launch(user, compute_api, compute, casts)

    def boom(*_args, **_kwargs):
        raise RuntimeError('hypervisor hung up')

    monkeypatch.setattr(compute.driver, 'reboot', boom)
    compute_api.reboot(user, inst['id'])
    compute.reboot_instance(user, inst['id'])
    assert db.instance_get(user, inst['id'])['vm_state'] == 'error'
    fault = db.instance_fault_get_latest(user, inst['id'])
    assert fault['message'] == \
        'Server.InternalError: reboot failed on the host'
    assert 'hung up' in fault['details']


def test_terminate(user, admin, compute_api, compute, casts, network):
    [inst] = _launch(user, compute_api, compute, casts)
    compute.terminate_instance(user, inst['id'])
    assert compute.driver.list_instances() == []
    assert network.allocated == {}
    assert db.instance_get_all(admin) == []
    gone = db.instance_get(context.get_admin_context(read_deleted='yes'),
                           inst['id'])
    assert gone['vm_state'] == 'deleted' and gone['terminated_at']
    assert db.instance_data_get_for_project(user, 'proj1') == (0, 0, 0)
    compute.terminate_instance(user, inst['id'])     # twice: harmless


def test_init_host_reconciles(user, admin, compute_api, compute, casts):
    a, b, c, d = _launch(user, compute_api, compute, casts, count=4)
    # a: vanished from the hypervisor
    compute.driver.destroy(a, [])
    # b: shut off behind our back
    compute.driver.set_power_state(b['name'], power_state.SHUTOFF)
    # c: interrupted while spawning
    db.instance_update(admin, c['id'], {'vm_state': 'building',
                                        'task_state': 'spawning'})
    # d: interrupted while being deleted
    db.instance_update(admin, d['id'], {'task_state': 'deleting'})
    compute.init_host()
    got = dict((i, db.instance_get(admin, i)) for i in (a['id'], b['id'],
                                                        c['id']))
    assert got[a['id']]['vm_state'] == 'error'
    assert 'no longer known' in db.instance_fault_get_latest(
        admin, a['id'])['message']
    assert got[b['id']]['vm_state'] == 'stopped'
    assert got[b['id']]['power_state'] == power_state.SHUTOFF
    # c: its build is taken up again (not failed): it ends active.
    for _ in range(100):
        if db.instance_get(admin, c['id'])['vm_state'] == 'active':
            break
        concurrency.sleep(0.05)
    resumed = db.instance_get(admin, c['id'])
    assert resumed['vm_state'] == 'active' and resumed['task_state'] is None
    assert db.instance_fault_get_latest(admin, c['id']) is None
    assert compute.driver.list_instances().count(c['name']) == 1
    try:
        db.instance_get(admin, d['id'])
        raise AssertionError('d should be deleted')
    except exception.InstanceNotFound:
        pass


def test_stuck_build_times_out(user, admin, compute_api, compute, casts,
                               set_flags):
    set_flags(build_retries=0)
    [fresh, stuck, other] = compute_api.create(user, 'm1.tiny', 1,
                                               min_count=3, max_count=3)
    for inst in (fresh, stuck):
        db.instance_update(admin, inst['id'], {'host': 'host1'})
    db.instance_update(admin, other['id'], {'host': 'host2'})
    _age(stuck['id'], 601)
    _age(other['id'], 601)
    compute._check_build_timeouts(admin)
    assert db.instance_get(admin, stuck['id'])['vm_state'] == 'error'
    fault = db.instance_fault_get_latest(admin, stuck['id'])
    assert 'timed out' in fault['message'] and fault['code'] == 504
    assert db.instance_get(admin, fresh['id'])['vm_state'] == 'building'
    assert db.instance_get(admin, other['id'])['vm_state'] == 'building'
    set_flags(instance_build_timeout=0)
    _age(fresh['id'], 10000)
    compute._check_build_timeouts(admin)
    assert db.instance_get(admin, fresh['id'])['vm_state'] == 'building'


def test_sync_power_states(user, admin, compute_api, compute, casts):
    [a, b] = _launch(user, compute_api, compute, casts, count=2)
    compute.driver.set_power_state(a['name'], power_state.SHUTOFF)
    compute.driver.destroy(b, [])
    compute.periodic_tasks(admin, raise_on_error=True)
    assert db.instance_get(admin, a['id'])['power_state'] == \
        power_state.SHUTOFF
    assert db.instance_get(admin, b['id'])['power_state'] == \
        power_state.NOSTATE


def test_update_available_resource(admin, compute):
    assert compute.update_available_resource(admin) is None  # no service
    db.service_create(admin, {'host': 'host1', 'binary': 'nova-compute',
                              'topic': 'compute'})
    node = compute.update_available_resource(admin)
    assert node['vcpus'] > 0 and node['hypervisor_type'] == 'fake'
    again = compute.update_available_resource(admin)
    assert again['id'] == node['id']
