"""SchedulerManager, the scheduler's client API and ``nova-manage vm``."""

import datetime

import pytest

from nova import db
from nova import exception
from nova import utils
from nova.scheduler import api as scheduler_api
from nova.scheduler import manager
from nova.scheduler import simple  # noqa: F401 - defines --max_cores
from tests import sql_statements


@pytest.fixture
def mgr(set_flags):
    set_flags(scheduler_driver='nova.scheduler.simple.SimpleScheduler')
    return manager.SchedulerManager(host='sched1')


# -- run_instance ----------------------------------------------------------------------
def test_run_instance_casts_to_the_chosen_host(ctxt, mgr, make_service,
                                               make_instance, casts):
    make_service('h1')
    inst = make_instance()
    spec = {'instance_type': {'vcpus': 1},
            'instance_properties': {'availability_zone': None}}
    mgr.run_instance(ctxt, topic='compute', instance_id=inst['id'],
                     request_spec=spec, availability_zone=None,
                     injected_files=[])
    assert casts == [('cast', 'compute.h1', {
        'method': 'run_instance',
        'args': {'instance_id': inst['id'], 'injected_files': []}})]
    row = db.instance_get(ctxt, inst['id'])
    assert row['host'] == 'h1' and row['vm_state'] == 'building'


def test_no_valid_host_puts_the_instance_in_error_with_a_fault(
        ctxt, user_ctxt, mgr, make_service, make_instance, casts, set_flags):
    set_flags(max_cores=2)
    make_service('h1')
    make_instance(host='h1', vcpus=2)
    inst = make_instance(vcpus=1)
    mgr.run_instance(user_ctxt, topic='compute', instance_id=inst['id'])
    assert casts == []
    row = db.instance_get(ctxt, inst['id'])
    assert row['vm_state'] == 'error' and row['task_state'] is None
    assert row['host'] is None
    fault = db.instance_fault_get_latest(ctxt, inst['id'])
    assert fault['message'] == \
        'Server.InsufficientInstanceCapacity: no valid host was found'
    assert 'No valid host was found' in fault['details']
    assert 'too many cores' in fault['details']


def test_no_host_at_all_is_an_error_too(ctxt, mgr, make_service,
                                        make_instance, casts):
    make_service('h1', up=False)
    make_service('h2', disabled=True)
    inst = make_instance()
    mgr.run_instance(ctxt, topic='compute', instance_id=inst['id'])
    row = db.instance_get(ctxt, inst['id'])
    assert row['vm_state'] == 'error' and row['task_state'] is None
    assert 'Is the appropriate service running?' in \
        db.instance_fault_get_latest(ctxt, inst['id'])['details']


def test_unexpected_errors_also_leave_scheduling(ctxt, mgr, make_service,
                                                 make_instance, monkeypatch):
    make_service('h1')
    inst = make_instance()

    def broken(*args, **kwargs):
        raise RuntimeError('boom')
    monkeypatch.setattr(mgr.driver, 'schedule_run_instance', broken)
    with pytest.raises(RuntimeError):
        mgr.run_instance(ctxt, topic='compute', instance_id=inst['id'])
    row = db.instance_get(ctxt, inst['id'])
    assert row['vm_state'] == 'error' and row['task_state'] is None
    fault = db.instance_fault_get_latest(ctxt, inst['id'])
    assert fault['message'] == 'Server.InternalError: scheduling failed'
    assert 'boom' in fault['details'] and 'RuntimeError' in fault['details']


# -- generic fallthrough --------------------------------------------------------------------
def test_unknown_methods_are_scheduled_to_a_host_of_the_topic(
        ctxt, mgr, make_service, casts):
    make_service('n1', topic='network')
    mgr.set_network_host(ctxt, topic='network', network_id=4)
    assert casts == [('cast', 'network.n1', {
        'method': 'set_network_host', 'args': {'network_id': 4}})]
    make_service('c1')
    mgr.refresh_provider_fw_rules(ctxt, topic='compute', instance_id=1)
    assert casts[-1] == ('cast', 'compute.c1', {
        'method': 'refresh_provider_fw_rules', 'args': {'instance_id': 1}})
    with pytest.raises(AttributeError):
        assert mgr._private is None
    with pytest.raises(exception.NoValidHost):
        mgr.anything(ctxt, topic='nothing-listens')


def test_rpc_dispatch_reaches_the_manager(ctxt, mgr, make_service, casts):
    from nova.rpc import common
    make_service('n1', topic='network')
    common.dispatch(mgr, ctxt, 'set_network_host',
                    {'topic': 'network', 'network_id': 9})
    assert casts[-1][1] == 'network.n1'
    with pytest.raises(AttributeError):
        common.dispatch(mgr, ctxt, '_fail_lost_scheduling', {})


# -- lost messages -------------------------------------------------------------------
def _age(ctxt, instance_id, seconds):
    db.instance_update(ctxt, instance_id, {
        'created_at': utils.utcnow() - datetime.timedelta(seconds=seconds)})


def test_instances_stuck_in_scheduling_go_to_error(ctxt, mgr, make_instance,
                                                   set_flags):
    set_flags(instance_scheduling_timeout=600, build_retries=0)
    stuck = make_instance()
    _age(ctxt, stuck['id'], 601)
    fresh = make_instance()
    placed = make_instance(host='h1')
    _age(ctxt, placed['id'], 900)
    spawning = make_instance(task_state='spawning')
    _age(ctxt, spawning['id'], 900)
    assert mgr._fail_lost_scheduling(ctxt) == [stuck['id']]
    row = db.instance_get(ctxt, stuck['id'])
    assert row['vm_state'] == 'error' and row['task_state'] is None
    fault = db.instance_fault_get_latest(ctxt, stuck['id'])
    assert fault['message'] == ('Server.InternalError: scheduling timed '
                                'out: no host was chosen in time')
    assert 'message lost' in fault['details']
    for other in (fresh, placed, spawning):
        assert db.instance_get(ctxt, other['id'])['vm_state'] == 'building'
    assert mgr._fail_lost_scheduling(ctxt) == []
    # run by the service's periodic tasks
    again = make_instance()
    _age(ctxt, again['id'], 700)
    mgr.periodic_tasks(ctxt, raise_on_error=True)
    assert db.instance_get(ctxt, again['id'])['vm_state'] == 'error'
    set_flags(instance_scheduling_timeout=0)
    last = make_instance()
    _age(ctxt, last['id'], 7000)
    assert mgr._fail_lost_scheduling(ctxt) == []


# -- hosts ----------------------------------------------------------------------------------
def test_show_host_resources(ctxt, mgr, make_service, make_instance):
    svc = make_service('h1')
    db.compute_node_create(ctxt, {
        'service_id': svc['id'], 'vcpus': 16, 'memory_mb': 32768,
        'local_gb': 500, 'vcpus_used': 3, 'memory_mb_used': 2048,
        'local_gb_used': 20, 'hypervisor_type': 'fake',
        'hypervisor_version': 1, 'cpu_info': '{}'})
    make_instance(host='h1', vcpus=2, memory_mb=1024, local_gb=10)
    make_instance(host='h1', vcpus=1, memory_mb=1024, local_gb=10,
                  project_id='p2')
    make_instance(host='h2', vcpus=8)
    result = mgr.show_host_resources(ctxt, host='h1')
    assert result == {
        'resource': {'vcpus': 16, 'memory_mb': 32768, 'local_gb': 500,
                     'vcpus_used': 3, 'memory_mb_used': 2048,
                     'local_gb_used': 20},
        'usage': {'p1': {'vcpus': 2, 'memory_mb': 1024, 'local_gb': 10},
                  'p2': {'vcpus': 1, 'memory_mb': 1024, 'local_gb': 10}}}
    make_service('bare')
    assert mgr.show_host_resources(ctxt, host='bare') == \
        {'resource': None, 'usage': {}}
    with pytest.raises(exception.ComputeHostNotFound):
        mgr.show_host_resources(ctxt, host='nowhere')


def test_capabilities_are_kept_in_memory(ctxt, mgr):
    mgr.update_service_capabilities(ctxt, service_name='compute',
                                    host='h1',
                                    capabilities={'vcpus': 4, 'ok': True})
    mgr.update_service_capabilities(ctxt, service_name='compute',
                                    host='h2', capabilities={'vcpus': 8})
    mgr.update_service_capabilities(ctxt, service_name='compute',
                                    host='h1', capabilities={'vcpus': 2})
    mgr.update_service_capabilities(ctxt, service_name=None, host='x')
    assert mgr.get_host_list(ctxt) == [
        {'host_name': 'h1', 'service': 'compute'},
        {'host_name': 'h2', 'service': 'compute'}]
    assert mgr.get_service_capabilities(ctxt) == {'compute_vcpus': [2, 8]}
    assert mgr.host_states.get('h1', 'compute') == {'vcpus': 2}
    assert mgr.driver.host_states is mgr.host_states


# -- client API ----------------------------------------------------------------------
def test_scheduler_api_messages(ctxt, casts):
    scheduler_api.update_service_capabilities(ctxt, 'compute', 'h1',
                                              {'vcpus': 1})
    scheduler_api.run_instance(ctxt, 5, request_spec={'a': 1},
                               admin_password='pw')
    assert scheduler_api.get_host_list(ctxt) == 'answer'
    scheduler_api.show_host_resources(ctxt, 'h1')
    scheduler_api.get_service_capabilities(ctxt)
    assert casts == [
        ('fanout_cast', 'scheduler', {
            'method': 'update_service_capabilities',
            'args': {'service_name': 'compute', 'host': 'h1',
                     'capabilities': {'vcpus': 1}}}),
        ('cast', 'scheduler', {
            'method': 'run_instance',
            'args': {'topic': 'compute', 'instance_id': 5,
                     'request_spec': {'a': 1}, 'availability_zone': None,
                     'admin_password': 'pw'}}),
        ('call', 'scheduler', {'method': 'get_host_list', 'args': {}}),
        ('call', 'scheduler', {'method': 'show_host_resources',
                               'args': {'host': 'h1'}}),
        ('call', 'scheduler', {'method': 'get_service_capabilities',
                               'args': {}})]


# -- cost per decision ------------------------------------------------------------------
@pytest.mark.parametrize('driver_name', ['nova.scheduler.multi.MultiScheduler',
                                         'nova.scheduler.simple.'
                                         'SimpleScheduler'])
def test_a_decision_costs_the_same_with_200_instances_on_the_host(
        ctxt, make_service, make_instance, casts, set_flags, driver_name):
    # Scheduling stays fast because a decision's SQL does not grow with the
    # instances already placed (no per-instance scan); the speed itself is
    # measured by tools/bench/scale.py, not timed here.
    set_flags(scheduler_driver=driver_name, max_cores=1000)
    sched = manager.SchedulerManager()
    make_service('h1')
    ids = [make_instance()['id'] for _ in range(200)]
    spec = {'instance_type': {'vcpus': 1},
            'instance_properties': {'availability_zone': None}}

    def schedule(some):
        def run():
            for instance_id in some:
                sched.run_instance(ctxt, topic='compute',
                                   instance_id=instance_id,
                                   request_spec=spec, availability_zone=None)
        return len(sql_statements.statements_of(run)[1])
    first = schedule(ids[:10])
    schedule(ids[10:190])
    last = schedule(ids[190:])
    assert len(casts) == 200 and {c[1] for c in casts} == {'compute.h1'}
    assert last == first, (first, last)
    assert first <= 10 * 12, first


# -- nova-manage vm ---------------------------------------------------------------------
def test_manage_vm_list(ctxt, make_instance, capsys):
    from nova.manage import vm
    types = db.instance_type_get_all(ctxt)
    tiny = [t for t in (types.values() if isinstance(types, dict) else types)
            if t['name'] == 'm1.tiny'][0]
    make_instance(hostname='server-1', host='h1', instance_type_id=tiny['id'],
                  vm_state='active', image_ref='3', kernel_id='1',
                  ramdisk_id='2', availability_zone='nova', launch_index=0)
    make_instance(hostname='server-2', host='h2', launch_index=1)
    vm.VmCommands().list()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == vm.LIST_FORMAT % vm.HEADER
    assert lines[0].split() == ['instance', 'node', 'type', 'state',
                                'launched', 'image', 'kernel', 'ramdisk',
                                'project', 'user', 'zone', 'index']
    assert len(lines) == 3
    assert lines[1].split()[:4] == ['server-1', 'h1', 'm1.tiny', 'active']
    assert lines[1].startswith('server-1   h1              m1.tiny    active')
    vm.VmCommands().list(host='h2')
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].split()[:3] == ['server-2', 'h2',
                                                        'None']
    assert lines[1].rstrip().endswith('1')


def test_manage_vm_live_migration_is_refused(capsys, set_flags):
    # Only the libvirt driver (KVM or QEMU) migrates instances.
    from nova import manage
    set_flags(connection_type='fake')
    assert manage.main(['nova-manage', 'vm', 'live_migration', 'i-1',
                        'h2']) == 1
    assert 'libvirt' in capsys.readouterr().err
