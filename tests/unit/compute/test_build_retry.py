"""Builds that made no progress go back to the scheduler (--build_retries)
before they are put in error, each retry and the final reason recorded."""

from nova import db
from nova.compute import build_retry
from nova.scheduler import manager as scheduler_manager
from tests.unit.compute.test_compute_manager import _age


def test_stuck_build_is_retried_then_fails(user, admin, compute_api,
                                           compute, casts, set_flags):
    set_flags(build_retries=2)
    [inst] = compute_api.create(user, 'm1.tiny', 1)
    casts.sent[:] = []
    for attempt in (1, 2):
        db.instance_update(admin, inst['id'], {'host': 'host1',
                                               'task_state': 'spawning'})
        _age(inst['id'], 601)
        compute._check_build_timeouts(admin)
        row = db.instance_get(admin, inst['id'])
        assert (row['vm_state'], row['task_state'], row['host']) == (
            'building', 'scheduling', None)
        fault = db.instance_fault_get_latest(admin, inst['id'])
        assert fault['message'].startswith('Build retried (%d of 2): '
                                           'Build timed out' % attempt)
        assert casts.sent[-1][:2] == ('scheduler', 'run_instance')
        assert casts.sent[-1][2]['request_spec']['instance_type'][
            'vcpus'] == row['vcpus']
    db.instance_update(admin, inst['id'], {'host': 'host1',
                                           'task_state': 'spawning'})
    _age(inst['id'], 601)
    compute._check_build_timeouts(admin)
    row = db.instance_get(admin, inst['id'])
    assert row['vm_state'] == 'error'
    fault = db.instance_fault_get_latest(admin, inst['id'])
    assert fault['message'] == \
        'Server.InternalError: build timed out on the host'
    assert 'gave up after 2 retries' in fault['details']
    assert fault['code'] == 504
    assert len(casts.sent) == 2


def test_network_not_answering_retries_the_build(user, admin, compute_api,
                                                 compute, casts, network,
                                                 set_flags, monkeypatch):
    from nova import exception
    set_flags(build_retries=3)

    def timeout(*_args, **_kwargs):
        raise exception.RpcTimeout(topic='network',
                                   method='allocate_for_instance')

    monkeypatch.setattr(network, 'allocate_for_instance', timeout)
    [inst] = compute_api.create(user, 'm1.tiny', 1)
    compute.run_instance(user, inst['id'])
    row = db.instance_get(admin, inst['id'])
    assert (row['vm_state'], row['task_state'], row['host']) == (
        'building', 'scheduling', None)
    assert build_retry.recently_retried(admin, inst['id'],
                                        row['created_at'].replace(year=2000))
    assert db.instance_build_retry_count(admin, inst['id']) == 1


def test_lost_scheduling_is_retried(user, admin, compute_api, casts,
                                    set_flags):
    set_flags(build_retries=1, instance_scheduling_timeout=600)
    mgr = scheduler_manager.SchedulerManager()
    [inst] = compute_api.create(user, 'm1.tiny', 1)
    _age(inst['id'], 700)
    casts.sent[:] = []
    assert mgr._fail_lost_scheduling(admin) == [inst['id']]
    assert db.instance_get(admin, inst['id'])['vm_state'] == 'building'
    assert [s[:2] for s in casts.sent] == [('scheduler', 'run_instance')]
    # Retried just now: it gets its full time again.
    assert mgr._fail_lost_scheduling(admin) == []
