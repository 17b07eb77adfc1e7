"""nova-scheduler as a service over the in-memory transport: a run_instance
cast reaches the chosen compute host's queue; calls answer in JSON."""

import importlib

import pytest

from nova import context
from nova import db
from nova import manager
from nova import rpc
from nova import service
from nova.scheduler import manager as _scheduler_manager  # noqa: F401
from nova.utils import concurrency


class RecordingCompute(manager.Manager):
    """Stands in for nova-compute: remembers what it was asked."""

    received = []

    def run_instance(self, context, instance_id, **kwargs):
        RecordingCompute.received.append((self.host, instance_id, kwargs))


def _recorder():
    module = importlib.import_module(
        'tests.unit.scheduler.test_scheduler_service')
    return module.RecordingCompute


@pytest.fixture
def embedded(sqlite_db, set_flags):
    set_flags(fake_rabbit=True, rpc_response_timeout=10,
              scheduler_driver='nova.scheduler.simple.SimpleScheduler')
    services = []
    yield services
    for svc in services:
        svc.stop()
    rpc.cleanup()


def _wait_for(predicate, timeout=5.0):
    waited = 0.0
    while not predicate():
        assert waited < timeout, 'timed out'
        concurrency.sleep(0.01)
        waited += 0.01


def test_run_instance_travels_scheduler_to_compute(embedded, make_instance):
    recorder = _recorder()
    recorder.received[:] = []
    for host, topic, mgr in (
            ('sched1', 'scheduler', 'nova.scheduler.manager.'
                                    'SchedulerManager'),
            ('cn1', 'compute', 'tests.unit.scheduler.'
                               'test_scheduler_service.RecordingCompute')):
        svc = service.Service(host, 'nova-%s' % topic, topic, mgr, 0, 0)
        svc.start()
        embedded.append(svc)
    ctxt = context.RequestContext('u1', 'p1')
    inst = make_instance()
    spec = {'instance_type': {'vcpus': 1},
            'instance_properties': {'availability_zone': None}}
    rpc.cast(ctxt, 'scheduler', {
        'method': 'run_instance',
        'args': {'topic': 'compute', 'instance_id': inst['id'],
                 'request_spec': spec, 'availability_zone': None,
                 'injected_files': []}})
    _wait_for(lambda: recorder.received)
    assert recorder.received == [('cn1', inst['id'],
                                  {'injected_files': []})]
    admin = context.get_admin_context()
    assert db.instance_get(admin, inst['id'])['host'] == 'cn1'

    rpc.fanout_cast(admin, 'scheduler', {
        'method': 'update_service_capabilities',
        'args': {'service_name': 'compute', 'host': 'cn1',
                 'capabilities': {'vcpus': 4}}})
    _wait_for(lambda: rpc.call(admin, 'scheduler',
                               {'method': 'get_host_list', 'args': {}}))
    assert rpc.call(admin, 'scheduler', {
        'method': 'show_host_resources', 'args': {'host': 'cn1'}}) == \
        {'resource': None,
         'usage': {'p1': {'vcpus': 1, 'memory_mb': 512, 'local_gb': 0}}}
