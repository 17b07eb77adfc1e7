"""Builds stranded on a compute host that stopped reporting are sent back
to the scheduler, then put in error (scheduler periodic task)."""

import datetime

import pytest
from sqlalchemy import update

from nova import db
from nova import utils
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy import session
from nova.scheduler import manager
from nova.scheduler import stranded


@pytest.fixture
def mgr(ctxt, casts):
    return manager.SchedulerManager(
        scheduler_driver='nova.scheduler.chance.ChanceScheduler')


def _unchanged_for(instance_id, seconds):
    old = utils.utcnow() - datetime.timedelta(seconds=seconds)
    with session.session_scope() as sess:
        sess.execute(update(models.Instance).where(
            models.Instance.id == instance_id).values(
                created_at=old, updated_at=old))


def test_build_on_a_dead_host_is_retried_then_failed(
        ctxt, mgr, make_service, make_instance, casts, set_flags):
    set_flags(instance_build_timeout=600, build_retries=1)
    make_service('dead', up=False)
    make_service('alive', up=True)
    stuck = make_instance(host='dead', task_state='spawning')
    _unchanged_for(stuck['id'], 601)
    fresh = make_instance(host='dead', task_state='spawning')   # recent
    on_live = make_instance(host='alive', task_state='spawning')
    _unchanged_for(on_live['id'], 900)   # compute's own check handles it
    nowhere = make_instance(host='never-registered', task_state='spawning')
    _unchanged_for(nowhere['id'], 900)
    running = make_instance(host='dead', vm_state='active', task_state=None)
    _unchanged_for(running['id'], 900)

    assert sorted(mgr._rescue_stranded_builds(ctxt)) == sorted(
        [stuck['id'], nowhere['id']])
    # First time: back to the scheduler (no host), a 503 fault, a cast.
    row = db.instance_get(ctxt, stuck['id'])
    assert (row['vm_state'], row['task_state'], row['host']) == (
        'building', 'scheduling', None)
    fault = db.instance_fault_get_latest(ctxt, stuck['id'])
    assert fault['code'] == 503 and 'stopped reporting' in fault['message']
    assert any(c[1] == 'scheduler' and
               c[2]['args']['instance_id'] == stuck['id'] for c in casts)
    for other, state in ((fresh, 'building'), (on_live, 'building'),
                         (running, 'active')):
        row = db.instance_get(ctxt, other['id'])
        assert (row['vm_state'], row['host']) == (state, other['host'])

    # It lands on the dead host again (a stale capability) and strands:
    # its retry is spent, so now it goes to error with the reason.
    db.instance_update(ctxt, stuck['id'], {'host': 'dead',
                                           'task_state': 'spawning'})
    _unchanged_for(stuck['id'], 601)
    assert stuck['id'] in mgr._rescue_stranded_builds(ctxt)
    row = db.instance_get(ctxt, stuck['id'])
    assert (row['vm_state'], row['task_state']) == ('error', None)
    fault = db.instance_fault_get_latest(ctxt, stuck['id'])
    assert fault['code'] == 504
    text = ' '.join(str(fault[key] or '') for key in ('message', 'details'))
    assert 'dead' in text and 'gave up after 1 retries' in text
    assert db.instance_get(ctxt, fresh['id'])['vm_state'] == 'building'
    assert db.instance_get(ctxt, on_live['id'])['vm_state'] == 'building'


def test_disabled_by_a_zero_timeout(ctxt, make_service, make_instance,
                                    set_flags):
    set_flags(instance_build_timeout=0)
    make_service('dead', up=False)
    stuck = make_instance(host='dead', task_state='spawning')
    _unchanged_for(stuck['id'], 9000)
    assert stranded.find(ctxt) == []


def test_runs_with_the_periodic_tasks(ctxt, mgr, make_service,
                                      make_instance, set_flags):
    set_flags(instance_build_timeout=600, build_retries=0)
    make_service('dead', up=False)
    stuck = make_instance(host='dead', task_state='networking')
    _unchanged_for(stuck['id'], 700)
    mgr.periodic_tasks(ctxt, raise_on_error=True)
    assert db.instance_get(ctxt, stuck['id'])['vm_state'] == 'error'
