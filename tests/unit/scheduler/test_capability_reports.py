"""Compute hosts report their capabilities to every scheduler.

nova-compute takes the driver's host stats every ``--host_state_interval``
seconds; every manager with capabilities fans them out to the schedulers
after its periodic tasks, and the scheduler manager keeps them for the
zone-aware drivers.
"""

from nova.compute import manager as compute_manager
from nova.scheduler import least_cost
from nova.scheduler import manager as scheduler_manager
from nova.virt import fake


def _reports(casts):
    return [msg['args'] for kind, topic, msg in casts
            if kind == 'fanout_cast' and topic == 'scheduler' and
            msg['method'] == 'update_service_capabilities']


def test_compute_reports_driver_stats_every_interval(ctxt, casts, set_flags):
    set_flags(host_state_interval=120)
    compute = compute_manager.ComputeManager(
        compute_driver=fake.FakeConnection(), host='c1')
    compute.periodic_tasks(ctxt)
    reports = _reports(casts)
    assert len(reports) == 1
    assert reports[0]['service_name'] == 'compute'
    assert reports[0]['host'] == 'c1'
    caps = reports[0]['capabilities']
    assert caps['host_memory_free'] > 0 and caps['disk_available'] > 0
    # The stats are taken again only after the interval; the last ones
    # are sent at every period all the same.
    calls = []
    compute.driver.get_host_stats = lambda refresh=False: (
        calls.append(refresh) or dict(caps, host_memory_free=1))
    compute.periodic_tasks(ctxt)
    assert calls == []
    assert _reports(casts)[-1]['capabilities'] == caps
    set_flags(host_state_interval=0)
    compute.periodic_tasks(ctxt)
    assert calls == [True]
    assert _reports(casts)[-1]['capabilities']['host_memory_free'] == 1


def test_nothing_is_sent_before_there_is_something(ctxt, casts):
    from nova import manager
    quiet = manager.SchedulerDependentManager(host='h', service_name='x')
    quiet.periodic_tasks(ctxt)
    assert _reports(casts) == []


def test_scheduler_manager_gives_reports_to_least_cost(ctxt, make_service,
                                                       set_flags):
    set_flags(least_cost_scheduler_cost_functions=[
        'nova.scheduler.least_cost.compute_fill_first_cost_fn'])
    for host in ('c1', 'c2'):
        make_service(host)
    mgr = scheduler_manager.SchedulerManager(
        scheduler_driver='nova.scheduler.least_cost.LeastCostScheduler')
    assert isinstance(mgr.driver, least_cost.LeastCostScheduler)
    mgr.update_service_capabilities(
        ctxt, service_name='compute', host='c1',
        capabilities={'host_memory_free': 900, 'disk_available': 10})
    mgr.update_service_capabilities(
        ctxt, service_name='compute', host='c2',
        capabilities={'host_memory_free': 300, 'disk_available': 10})
    flavor = {'memory_mb': 512, 'local_gb': 0}
    request = {'request_spec': {'instance_type': flavor}}
    assert mgr.driver.select_compute_host(ctxt, None, None, request) == 'c2'
    set_flags(default_host_filter='InstanceTypeFilter')
    assert mgr.driver.select_compute_host(ctxt, None, None, request) == 'c1'


def test_compute_reports_once_registered(ctxt, casts, set_flags):
    """The first report goes out when the service row exists, before any
    periodic run; the periodic task then waits a whole interval."""
    set_flags(host_state_interval=120)
    compute = compute_manager.ComputeManager(
        compute_driver=fake.FakeConnection(), host='c1')
    compute.service_registered(ctxt)
    reports = _reports(casts)
    assert [(r['service_name'], r['host']) for r in reports] == \
        [('compute', 'c1')]
    assert reports[0]['capabilities']['host_memory_free'] > 0
    calls = []
    compute.driver.get_host_stats = lambda refresh=False: (
        calls.append(refresh) or {})
    compute.periodic_tasks(ctxt)
    assert calls == []


def test_volume_reports_once_registered(ctxt, casts, set_flags):
    from nova.volume import driver as volume_driver
    from nova.volume import manager as volume_manager
    stats = {'drive_qos_info': {'g': {'DriveType': 'SAS'}}}

    class Reporting(volume_driver.FakeISCSIDriver):
        def get_volume_stats(self, refresh=False):
            return stats

    volume = volume_manager.VolumeManager(volume_driver=Reporting(),
                                          host='v1')
    volume.service_registered(ctxt)
    assert [(r['service_name'], r['host'], r['capabilities'])
            for r in _reports(casts)] == [('volume', 'v1', stats)]


def test_a_failing_first_report_does_not_stop_the_start(ctxt, casts):
    from nova import manager

    class Broken(manager.SchedulerDependentManager):
        def report_capabilities(self, context):
            raise RuntimeError('driver not ready')

    Broken(host='h', service_name='x').service_registered(ctxt)
    assert _reports(casts) == []
