"""The scheduler's run_instance delivered again never places twice."""

from nova import db
from nova.scheduler import manager


def _spec():
    return {'instance_type': {'vcpus': 1},
            'instance_properties': {'availability_zone': None}}


def _run(sched, ctxt, instance_id):
    sched.run_instance(ctxt, topic='compute', instance_id=instance_id,
                       request_spec=_spec(), availability_zone=None)


def test_second_delivery_goes_to_the_same_host(ctxt, make_service,
                                               make_instance, casts,
                                               set_flags):
    set_flags(scheduler_driver='nova.scheduler.chance.ChanceScheduler')
    sched = manager.SchedulerManager()
    make_service('h1')
    make_service('h2')
    inst = make_instance()
    _run(sched, ctxt, inst['id'])
    host = db.instance_get(ctxt, inst['id'])['host']
    for _ in range(5):
        _run(sched, ctxt, inst['id'])
    assert [topic for _kind, topic, _msg in casts] == \
        ['compute.%s' % host] * 6
    assert db.instance_get(ctxt, inst['id'])['host'] == host


def test_delivery_after_the_build_started_does_nothing(ctxt, make_service,
                                                       make_instance, casts):
    sched = manager.SchedulerManager()
    make_service('h1')
    building = make_instance(host='h1', task_state='spawning')
    active = make_instance(host='h1', vm_state='active', task_state=None)
    failed = make_instance(vm_state='error', task_state=None)
    for inst in (building, active, failed):
        _run(sched, ctxt, inst['id'])
    assert casts == []
    assert db.instance_get(ctxt, failed['id'])['vm_state'] == 'error'


def test_delivery_for_a_deleted_instance_does_nothing(ctxt, make_service,
                                                      make_instance, casts):
    sched = manager.SchedulerManager()
    make_service('h1')
    inst = make_instance()
    db.instance_destroy(ctxt, inst['id'])
    _run(sched, ctxt, inst['id'])
    assert casts == []


def test_copy_delivered_while_the_first_is_placed_is_dropped(
        ctxt, make_service, make_instance, casts, set_flags):
    set_flags(scheduler_driver='nova.scheduler.chance.ChanceScheduler')
    sched = manager.SchedulerManager()
    make_service('h1')
    make_service('h2')
    inst = make_instance()
    real = sched.driver.schedule_run_instance

    def copy_arrives_meanwhile(*args, **kwargs):
        # The second delivery is handled while the first is mid-placement
        # (concurrent handlers; a broker node died before the ack).
        _run(sched, ctxt, inst['id'])
        return real(*args, **kwargs)

    sched.driver.schedule_run_instance = copy_arrives_meanwhile
    _run(sched, ctxt, inst['id'])
    host = db.instance_get(ctxt, inst['id'])['host']
    assert [topic for _kind, topic, _msg in casts] == ['compute.%s' % host]
    sched.driver.schedule_run_instance = real
    _run(sched, ctxt, inst['id'])       # later copies: the same host
    assert [topic for _kind, topic, _msg in casts] == \
        ['compute.%s' % host] * 2
