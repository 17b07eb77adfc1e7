"""nova.service.Service: registration, heartbeats, RPC, periodic tasks, stop."""

import datetime

import pytest

from nova import context
from nova import db
from nova import manager
from nova import rpc
from nova import service
from nova import utils
from nova.utils import concurrency
from nova.utils import servicegroup


class EchoManager(manager.Manager):
    """A manager with one RPC method and one periodic task."""

    periodic_runs = 0

    def echo(self, context, value):
        return {'host': self.host, 'value': value,
                'user': context.user_id}

    def fail(self, context):
        raise ValueError('broken on purpose')

    @manager.periodic_task
    def _count(self, context):
        EchoManager.periodic_runs += 1


@pytest.fixture
def embedded(sqlite_db, set_flags):
    """SQLite and the in-memory transport, cleaned up afterwards."""
    set_flags(fake_rabbit=True, host='test-host')
    yield
    rpc.cleanup()


def _start(topic='echo', host='test-host', report_interval=0,
           periodic_interval=0):
    svc = service.Service(host, 'nova-%s' % topic, topic,
                          'tests.unit.test_service.EchoManager',
                          report_interval, periodic_interval)
    svc.start()
    return svc


def test_start_registers_service_row(embedded):
    svc = _start()
    try:
        ctxt = context.get_admin_context()
        row = db.service_get_by_args(ctxt, 'test-host', 'nova-echo')
        assert row['topic'] == 'echo'
        assert row['availability_zone'] == 'nova'
        assert row['report_count'] == 0
        assert not row['disabled']
    finally:
        svc.stop()


def test_restart_reuses_the_same_row(embedded):
    first = _start()
    first_id = first.service_id
    first.stop()
    second = _start()
    try:
        assert second.service_id == first_id
        assert len(db.service_get_all(context.get_admin_context())) == 1
    finally:
        second.stop()


def test_report_state_bumps_count_and_heartbeat(embedded):
    svc = _start()
    try:
        svc.report_state()
        svc.report_state()
        row = db.service_get(context.get_admin_context(), svc.service_id)
        assert row['report_count'] == 2
        assert servicegroup.service_is_up(row)
    finally:
        svc.stop()


def test_report_state_recreates_a_deleted_row(embedded):
    svc = _start()
    try:
        ctxt = context.get_admin_context()
        db.service_destroy(ctxt, svc.service_id)
        svc.report_state()
        row = db.service_get_by_args(ctxt, 'test-host', 'nova-echo')
        assert row['id'] == svc.service_id
    finally:
        svc.stop()


def test_heartbeat_timer_runs(embedded):
    svc = _start(report_interval=0.05)
    try:
        concurrency.sleep(0.3)
        row = db.service_get(context.get_admin_context(), svc.service_id)
        assert row['report_count'] >= 2
    finally:
        svc.stop()


def test_periodic_tasks_run(embedded):
    svc = _start(periodic_interval=0.05)
    # The manager class is loaded by name, possibly as another module object
    # than this test module: count on the class the service really uses.
    svc.manager.__class__.periodic_runs = 0
    try:
        concurrency.sleep(0.3)
        assert svc.manager.__class__.periodic_runs >= 2
    finally:
        svc.stop()


def test_rpc_reaches_topic_and_host_queues(embedded):
    svc = _start()
    try:
        ctxt = context.RequestContext('alice', 'proj')
        msg = {'method': 'echo', 'args': {'value': 7}}
        assert rpc.call(ctxt, 'echo', msg, timeout=5) == {
            'host': 'test-host', 'value': 7, 'user': 'alice'}
        assert rpc.call(ctxt, 'echo.test-host', msg,
                        timeout=5)['value'] == 7
    finally:
        svc.stop()


def test_remote_exception_comes_back_as_remote_error(embedded):
    svc = _start()
    try:
        with pytest.raises(rpc.RemoteError) as info:
            rpc.call(context.get_admin_context(), 'echo',
                     {'method': 'fail', 'args': {}}, timeout=5)
        assert 'ValueError' in str(info.value)
        assert 'broken on purpose' in str(info.value)
    finally:
        svc.stop()


def test_stop_stops_consuming(embedded):
    svc = _start()
    svc.stop()
    with pytest.raises(rpc.Timeout):
        rpc.call(context.get_admin_context(), 'echo.test-host',
                 {'method': 'echo', 'args': {'value': 1}}, timeout=0.5)


def test_create_picks_manager_from_flag(embedded, set_flags):
    set_flags(scheduler_manager='tests.unit.test_service.EchoManager')
    svc = service.Service.create(binary='nova-scheduler')
    assert svc.topic == 'scheduler'
    assert type(svc.manager).__name__ == 'EchoManager'
    assert svc.host == 'test-host'


def test_service_is_up_uses_service_down_time(set_flags):
    set_flags(service_down_time=30)
    now = utils.utcnow()
    fresh = {'updated_at': now - datetime.timedelta(seconds=10),
             'created_at': now}
    stale = {'updated_at': now - datetime.timedelta(seconds=31),
             'created_at': now}
    never = {'updated_at': None, 'created_at': None}
    assert servicegroup.service_is_up(fresh, now)
    assert not servicegroup.service_is_up(stale, now)
    assert not servicegroup.service_is_up(never, now)


def test_stop_lets_calls_in_flight_finish(embedded):
    svc = _start()
    results = []
    manager_class = svc.manager.__class__

    def slow(self, context, seconds):
        concurrency.sleep(seconds)
        return 'done'

    manager_class.slow = slow
    try:
        caller = concurrency.spawn(lambda: results.append(rpc.call(
            context.get_admin_context(), 'echo',
            {'method': 'slow', 'args': {'seconds': 0.5}}, timeout=5)))
        concurrency.sleep(0.2)
        svc.stop()
        caller.wait()
        assert results == ['done']
    finally:
        del manager_class.slow
