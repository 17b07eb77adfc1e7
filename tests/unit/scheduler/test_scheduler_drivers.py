"""Scheduler drivers: chance, zone, simple, multi; the sorted-host queries."""

import pytest

from nova import context
from nova import db
from nova import exception
from nova.scheduler import chance
from nova.scheduler import driver
from nova.scheduler import multi
from nova.scheduler import simple
from nova.scheduler import zone
from tests import sql_statements


def _cast_host(casts):
    kind, topic, msg = casts[-1]
    assert kind == 'cast' and msg['method'] == 'run_instance'
    return topic.split('.', 1)[1]


# -- helpers ------------------------------------------------------------------------
def test_split_zone_and_requested_zone():
    assert driver.split_zone(None) == (None, None)
    assert driver.split_zone('nova') == ('nova', None)
    assert driver.split_zone('nova:host1') == ('nova', 'host1')
    assert driver.split_zone(':host1') == (None, 'host1')
    assert driver.requested_zone({'availability_zone': 'z'}) == 'z'
    spec = {'instance_properties': {'availability_zone': 'z2'}}
    assert driver.requested_zone({'request_spec': spec}) == 'z2'
    assert driver.requested_zone({}) is None


# -- chance ----------------------------------------------------------------------------
def test_chance_uses_only_up_and_enabled_hosts(ctxt, make_service):
    make_service('up1')
    make_service('down1', up=False)
    make_service('off1', disabled=True)
    make_service('vol1', topic='volume')
    sched = chance.ChanceScheduler()
    assert sched.hosts_up(ctxt, 'compute') == ['up1']
    picks = set(sched.schedule(ctxt, 'compute', 'run_instance')
                for _ in range(20))
    assert picks == {'up1'}


def test_chance_without_hosts_raises_no_valid_host(ctxt, make_service):
    make_service('down1', up=False)
    with pytest.raises(exception.NoValidHost) as info:
        chance.ChanceScheduler().schedule(ctxt, 'compute', 'run_instance')
    assert 'Is the appropriate service running?' in str(info.value)


def test_chance_spreads_over_hosts(ctxt, make_service):
    for i in range(3):
        make_service('h%d' % i)
    picks = set(chance.ChanceScheduler().schedule(ctxt, 'compute', 'x')
                for _ in range(60))
    assert picks == {'h0', 'h1', 'h2'}


def test_schedule_run_instance_records_host_and_casts(ctxt, make_service,
                                                      make_instance, casts):
    make_service('h1')
    inst = make_instance()
    chance.ChanceScheduler().schedule_run_instance(
        ctxt, inst['id'], request_spec={'x': 1}, availability_zone=None,
        admin_password='pw')
    kind, topic, msg = casts[-1]
    assert (kind, topic) == ('cast', 'compute.h1')
    assert msg == {'method': 'run_instance',
                   'args': {'instance_id': inst['id'], 'admin_password': 'pw'}}
    row = db.instance_get(ctxt, inst['id'])
    assert row['host'] == 'h1' and row['scheduled_at'] is not None


# -- zone -----------------------------------------------------------------------------------
def test_zone_scheduler_honours_the_zone(ctxt, make_service):
    make_service('a1', zone='zone-a')
    make_service('b1', zone='zone-b')
    make_service('b2', zone='zone-b', up=False)
    sched = zone.ZoneScheduler()
    for _ in range(10):
        assert sched.schedule(ctxt, 'compute', 'run_instance',
                              availability_zone='zone-b') == 'b1'
    spec = {'instance_properties': {'availability_zone': 'zone-a'}}
    assert sched.schedule(ctxt, 'compute', 'run_instance',
                          request_spec=spec) == 'a1'
    assert {sched.schedule(ctxt, 'compute', 'x') for _ in range(40)} == \
        {'a1', 'b1'}
    with pytest.raises(exception.NoValidHost) as info:
        sched.schedule(ctxt, 'compute', 'run_instance',
                       availability_zone='zone-c')
    assert 'zone-c' in str(info.value)


# -- simple ------------------------------------------------------------------------------------
def test_simple_picks_the_least_loaded_up_host(ctxt, make_service,
                                               make_instance, casts):
    make_service('busy')
    make_service('idle-but-down', up=False)
    make_service('light')
    make_instance(host='busy', vcpus=4)
    make_instance(host='light', vcpus=1)
    inst = make_instance(vcpus=2)
    simple.SimpleScheduler().schedule_run_instance(ctxt, inst['id'])
    assert _cast_host(casts) == 'light'
    assert db.instance_get(ctxt, inst['id'])['host'] == 'light'


def test_simple_refuses_beyond_max_cores(ctxt, make_service, make_instance,
                                         set_flags):
    set_flags(max_cores=4)
    make_service('h1')
    make_instance(host='h1', vcpus=3)
    inst = make_instance(vcpus=2)
    with pytest.raises(exception.NoValidHost) as info:
        simple.SimpleScheduler().schedule_run_instance(ctxt, inst['id'])
    assert 'too many cores' in str(info.value)


def test_simple_honours_the_availability_zone(ctxt, make_service,
                                              make_instance, casts):
    make_service('a1', zone='zone-a')
    make_service('b1', zone='zone-b')
    make_instance(host='b1', vcpus=8)
    inst = make_instance(availability_zone='zone-b')
    simple.SimpleScheduler().schedule_run_instance(ctxt, inst['id'])
    assert _cast_host(casts) == 'b1'
    inst = make_instance()
    simple.SimpleScheduler().schedule_run_instance(
        ctxt, inst['id'], availability_zone='zone-a')
    assert _cast_host(casts) == 'a1'
    inst = make_instance(availability_zone='zone-z')
    with pytest.raises(exception.NoValidHost) as info:
        simple.SimpleScheduler().schedule_run_instance(ctxt, inst['id'])
    assert 'zone-z' in str(info.value)


def test_simple_uses_vcpus_of_the_request_spec(ctxt, make_service,
                                               make_instance, casts,
                                               set_flags):
    set_flags(max_cores=2)
    make_service('h1')
    inst = make_instance(vcpus=1)
    spec = {'instance_type': {'vcpus': 4}}
    with pytest.raises(exception.NoValidHost):
        simple.SimpleScheduler().schedule_run_instance(
            ctxt, inst['id'], request_spec=spec, availability_zone='nova')


def test_admin_may_force_a_host(ctxt, make_service, make_instance, casts):
    make_service('h1')
    make_service('h2', disabled=True)
    make_instance(host='h2', vcpus=10)
    inst = make_instance(availability_zone='nova:h2')
    simple.SimpleScheduler().schedule_run_instance(ctxt, inst['id'])
    assert _cast_host(casts) == 'h2'
    # every driver honours it
    inst = make_instance()
    chance.ChanceScheduler().schedule_run_instance(
        ctxt, inst['id'], availability_zone='nova:h2')
    assert _cast_host(casts) == 'h2'


def test_non_admin_cannot_force_a_host(ctxt, user_ctxt, make_service,
                                       make_instance, casts):
    make_service('h1')
    make_service('h2')
    make_instance(host='h2', vcpus=10)
    inst = make_instance(availability_zone='nova:h2')
    simple.SimpleScheduler().schedule_run_instance(user_ctxt, inst['id'])
    assert _cast_host(casts) == 'h1'       # least loaded of zone nova


def test_forced_host_must_be_up_and_known(ctxt, make_service, make_instance):
    make_service('h1')
    make_service('dead', up=False)
    inst = make_instance(availability_zone='nova:dead')
    with pytest.raises(driver.WillNotSchedule) as info:
        simple.SimpleScheduler().schedule_run_instance(ctxt, inst['id'])
    assert 'dead' in str(info.value) and 'not alive' in str(info.value)
    inst = make_instance(availability_zone='nova:nowhere')
    with pytest.raises(exception.NoValidHost) as info:
        simple.SimpleScheduler().schedule_run_instance(ctxt, inst['id'])
    assert 'nowhere' in str(info.value)


def test_simple_network_host_by_network_count(ctxt, make_service, set_flags):
    make_service('n1', topic='network')
    sched = simple.SimpleScheduler()
    assert sched.schedule_set_network_host(ctxt) == 'n1'
    set_flags(max_networks=0)
    with pytest.raises(exception.NoValidHost) as info:
        sched.schedule_set_network_host(ctxt)
    assert 'too many networks' in str(info.value)


def test_simple_volume_host_by_gigabytes(ctxt, make_service, monkeypatch,
                                         set_flags):
    make_service('v1', topic='volume')
    make_service('v2', topic='volume')
    volumes = {7: {'id': 7, 'size': 5, 'availability_zone': 'nova'}}
    updates = {}
    monkeypatch.setattr(db, 'volume_get', lambda c, vid: volumes[vid],
                        raising=False)
    monkeypatch.setattr(db, 'volume_update',
                        lambda c, vid, values: updates.update(values),
                        raising=False)
    monkeypatch.setattr(db, 'service_get_all_volume_sorted',
                        lambda c: [(s, used) for s, used in zip(
                            db.service_get_all_by_topic(c, 'volume'),
                            (100, 0))])
    assert simple.SimpleScheduler().schedule_create_volume(ctxt, 7) == 'v1'
    assert updates['host'] == 'v1'
    set_flags(max_gigabytes=50)
    with pytest.raises(exception.NoValidHost):
        simple.SimpleScheduler().schedule_create_volume(ctxt, 7)


# -- multi ---------------------------------------------------------------------------------------
def test_multi_dispatches_by_kind(ctxt, set_flags, make_service,
                                  make_instance, casts, monkeypatch):
    set_flags(compute_scheduler_driver='nova.scheduler.simple.'
                                       'SimpleScheduler',
              volume_scheduler_driver='nova.scheduler.chance.'
                                      'ChanceScheduler')
    sched = multi.MultiScheduler()
    assert isinstance(sched.drivers['compute'], simple.SimpleScheduler)
    assert isinstance(sched.drivers['volume'], chance.ChanceScheduler)
    make_service('c1')
    make_service('v1', topic='volume')
    inst = make_instance()
    sched.schedule_run_instance(ctxt, inst['id'])
    assert _cast_host(casts) == 'c1'
    # chance has no schedule_create_volume: its generic schedule is used
    assert sched.schedule_create_volume(ctxt, volume_id=3) == 'v1'
    assert sched.schedule(ctxt, 'volume', 'anything') == 'v1'
    seen = []
    monkeypatch.setattr(sched.drivers['compute'], 'schedule',
                        lambda c, topic, method, **kw: seen.append(topic)
                        or 'n1')
    assert sched.schedule(ctxt, 'network', 'set_network_host') == 'n1'
    assert seen == ['network']
    states = object()
    sched.set_host_states(states)
    assert sched.drivers['compute'].host_states is states


def test_multi_is_diablos_default(set_flags):
    from nova.scheduler import manager
    mgr = manager.SchedulerManager()
    assert isinstance(mgr.driver, multi.MultiScheduler)
    assert isinstance(mgr.driver.drivers['compute'], chance.ChanceScheduler)


# -- the sorted queries ---------------------------------------------------------------------
def _count_queries(func):
    result, statements = sql_statements.statements_of(func)
    return result, [s for s in statements if s.lstrip().upper()
                    .startswith('SELECT')]


def test_compute_sorted_in_one_query(ctxt, make_service, make_instance):
    make_service('h1')
    make_service('h2')
    make_service('h3')
    make_service('off', disabled=True)
    make_service('n1', topic='network')
    make_instance(host='h1', vcpus=4)
    make_instance(host='h1', vcpus=2)
    make_instance(host='h3', vcpus=1)
    gone = make_instance(host='h2', vcpus=8)
    db.instance_destroy(ctxt, gone['id'])
    result, selects = _count_queries(
        lambda: db.service_get_all_compute_sorted(ctxt))
    assert [(s['host'], used) for s, used in result] == \
        [('h2', 0), ('h3', 1), ('h1', 6)]
    assert len(selects) == 1
    for _ in range(30):
        make_instance(host='h2', vcpus=1)
    _result, selects = _count_queries(
        lambda: db.service_get_all_compute_sorted(ctxt))
    assert len(selects) == 1


def test_network_sorted_and_usage_by_host(ctxt, make_service, make_instance):
    make_service('n1', topic='network')
    assert [(s['host'], n) for s, n in
            db.service_get_all_network_sorted(ctxt)] == [('n1', 0)]
    make_instance(host='h1', vcpus=2, memory_mb=1024, local_gb=10)
    make_instance(host='h1', vcpus=1, memory_mb=512, project_id='p2')
    make_instance(host='h2', vcpus=1)
    usage = db.instance_get_usage_by_host(ctxt, 'h1')
    assert usage == {
        'p1': {'instances': 1, 'vcpus': 2, 'memory_mb': 1024,
               'local_gb': 10},
        'p2': {'instances': 1, 'vcpus': 1, 'memory_mb': 512, 'local_gb': 0}}
    with pytest.raises(exception.AdminRequired):
        db.service_get_all_compute_sorted(context.RequestContext('u', 'p'))


def test_instance_deleted_while_scheduling_is_not_sent(ctxt, make_service,
                                                       make_instance, casts):
    make_service('h1')
    inst = make_instance()
    db.instance_destroy(ctxt, inst['id'])
    chance.ChanceScheduler().schedule_run_instance(ctxt, inst['id'])
    assert casts == []
    assert db.instance_set_scheduled_host(ctxt, inst['id'], 'h1') is False


def test_instance_already_in_error_is_not_sent(ctxt, make_service,
                                               make_instance, casts):
    make_service('h1')
    inst = make_instance(vm_state='error', task_state=None)
    chance.ChanceScheduler().schedule_run_instance(ctxt, inst['id'])
    assert casts == []
    assert db.instance_get(ctxt, inst['id'])['host'] is None
