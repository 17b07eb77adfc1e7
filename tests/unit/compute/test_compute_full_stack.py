"""Scheduler + network + compute services in one process (in-memory
transport, SQLite, fake driver): launches reach ``active`` with distinct
fixed IPs and terminations give every address back."""

import pytest

from nova import context
from nova import db
from nova import flags
from nova import quota
from nova import rpc
from nova import service
from nova import utils
from nova.compute import api as compute_api_module
from nova.utils import concurrency


@pytest.fixture
def stack(db_ready, set_flags, images):
    import nova.network.manager  # noqa: F401 - network flags
    import nova.scheduler.manager  # noqa: F401 - scheduler flags
    import nova.scheduler.simple  # noqa: F401 - simple scheduler flags
    set_flags(fake_rabbit=True, stub_network=False, host='host1',
              rpc_response_timeout=20,
              network_manager='nova.network.manager.FlatManager',
              scheduler_driver='nova.scheduler.simple.SimpleScheduler',
              max_cores=1000)
    manager = utils.import_object(flags.FLAGS.network_manager)
    manager.create_networks(context.get_admin_context(), 'private',
                            '10.0.0.0/24', num_networks=1, network_size=256,
                            bridge='br100')
    services = [
        service.Service.create(binary='nova-scheduler', topic='scheduler',
                               report_interval=0, periodic_interval=0),
        service.Service.create(binary='nova-network', topic='network',
                               report_interval=0, periodic_interval=0),
        service.Service.create(host='compute1', binary='nova-compute',
                               topic='compute', report_interval=0,
                               periodic_interval=0),
    ]
    for svc in services:
        svc.start()
    yield compute_api_module.API(image_service=images)
    for svc in reversed(services):
        svc.stop()
    rpc.cleanup()


def _wait(predicate, timeout=20.0):
    waited = 0.0
    while not predicate():
        assert waited < timeout, 'timed out'
        concurrency.sleep(0.02)
        waited += 0.02


def _rows(ids):
    return db.instance_get_all_by_filters(context.get_admin_context(),
                                          {'id': ids})


def _addresses(rows):
    return [ip['address'] for row in rows for ip in row['fixed_ips']]


def test_three_instances_active_then_terminated(stack, user):
    created = stack.create(user, 'm1.tiny', 1, min_count=3, max_count=3)
    ids = [inst['id'] for inst in created]
    _wait(lambda: [r['vm_state'] for r in _rows(ids)] == ['active'] * 3)
    rows = _rows(ids)
    assert {r['host'] for r in rows} == {'compute1'}
    addresses = _addresses(rows)
    assert len(addresses) == 3 and len(set(addresses)) == 3
    for instance_id in ids:
        stack.delete(user, instance_id)
    _wait(lambda: _rows(ids) == [])
    admin = context.get_admin_context()
    held = [ip for ip in db.fixed_ip_get_all(admin) if ip['instance_id']]
    assert held == []
    assert db.instance_data_get_for_project(user, 'proj1') == (0, 0, 0)


def test_fifty_concurrent_launches(stack, user, set_flags):
    set_flags(quota_instances=45, quota_cores=1000, quota_ram=10 ** 7)
    results = []

    def launch():
        try:
            results.append(stack.create(user, 'm1.tiny', 1)[0]['id'])
        except quota.QuotaError:
            results.append('quota')

    pool = concurrency.GreenPool(50)
    for _ in range(50):
        pool.spawn_n(launch)
    pool.waitall()
    ids = [r for r in results if r != 'quota']
    assert len(ids) == 45 and results.count('quota') == 5
    _wait(lambda: {r['vm_state'] for r in _rows(ids)} == {'active'},
          timeout=60)
    addresses = _addresses(_rows(ids))
    assert len(addresses) == 45 and len(set(addresses)) == 45
    assert db.instance_data_get_for_project(user, 'proj1')[0] == 45
