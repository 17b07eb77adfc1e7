"""The launch path in one process over the in-memory transport: the API
casts to a scheduler, the scheduler to ``compute.<host>``, the compute
service builds on the fake driver.  Also: 50 concurrent launches."""

import pytest

from nova import context
from nova import db
from nova import manager
from nova import quota
from nova import rpc
from nova import service
from nova.compute import api as compute_api_module
from nova.utils import concurrency


class StubSchedulerManager(manager.Manager):
    """Sends every instance to ``compute.host1`` (a stand-in scheduler)."""

    def run_instance(self, context, topic, instance_id, **_kwargs):
        db.instance_update(context.elevated(), instance_id,
                           {'host': 'host1'})
        rpc.cast(context, '%s.host1' % topic,
                 {'method': 'run_instance',
                  'args': {'instance_id': instance_id}})


@pytest.fixture
def cloud(db_ready, set_flags, images):
    set_flags(fake_rabbit=True, stub_network=True, host='host1',
              rpc_response_timeout=10)
    services = [
        service.Service('host1', 'nova-scheduler', 'scheduler',
                        'tests.unit.compute.test_compute_service.'
                        'StubSchedulerManager', 0, 0),
        service.Service('host1', 'nova-compute', 'compute',
                        'nova.compute.manager.ComputeManager', 0, 0),
    ]
    for svc in services:
        svc.start()
    yield compute_api_module.API(image_service=images)
    for svc in services:
        svc.stop()
    rpc.cleanup()


def _wait(predicate, timeout=10.0):
    waited = 0.0
    while not predicate():
        assert waited < timeout, 'timed out'
        concurrency.sleep(0.02)
        waited += 0.02


def _states(ctxt, ids):
    return [i['vm_state'] for i in db.instance_get_all_by_filters(
        ctxt.elevated(), {'id': ids})]


def test_launch_three_to_active_then_terminate(cloud, user):
    created = cloud.create(user, 'm1.tiny', 1, min_count=3, max_count=3)
    ids = [inst['id'] for inst in created]
    _wait(lambda: _states(user, ids) == ['active'] * 3)
    output = cloud.get_console_output(user, ids[0])
    assert output
    cloud.reboot(user, ids[1])
    _wait(lambda: cloud.get(user, ids[1])['task_state'] is None)
    for instance_id in ids:
        cloud.delete(user, instance_id)
    _wait(lambda: db.instance_get_all_by_filters(
        user, {'id': ids}) == [])
    assert db.instance_data_get_for_project(user, 'proj1') == (0, 0, 0)


def test_fifty_concurrent_launches_respect_quota(cloud, user, set_flags):
    set_flags(quota_instances=40, quota_cores=1000, quota_ram=10 ** 7)
    results = []

    def launch():
        try:
            results.append(cloud.create(user, 'm1.tiny', 1)[0]['id'])
        except quota.QuotaError:
            results.append('quota')

    pool = concurrency.GreenPool(50)
    for _ in range(50):
        pool.spawn_n(launch)
    pool.waitall()
    ids = [r for r in results if r != 'quota']
    assert len(results) == 50
    assert len(ids) == 40 and len(set(ids)) == 40
    assert db.instance_data_get_for_project(user, 'proj1')[0] == 40
    _wait(lambda: set(_states(user, ids)) == {'active'}, timeout=30)
    names = context.get_admin_context()
    assert len(db.instance_get_all_by_host(names, 'host1')) == 40
