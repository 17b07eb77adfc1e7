"""The scheduler's live-migration checks refuse with a clear reason."""

import pytest

from nova import context
from nova import db
from nova.scheduler import live_migration


def _instance(**values):
    base = {'vm_state': 'active', 'power_state': 1, 'host': 'h1',
            'memory_mb': 512, 'vcpus': 1, 'local_gb': 0}
    base.update(values)
    return db.instance_create(context.get_admin_context(), base)['id']


def _service(host):
    ctxt = context.get_admin_context()
    service = db.service_create(ctxt, {'host': host, 'binary': 'nova-compute',
                                       'topic': 'compute',
                                       'report_count': 1})
    db.service_update(ctxt, service['id'], {'report_count': 2})
    return service


def test_not_running_is_refused(sqlite_db):
    instance_id = _instance(power_state=5, vm_state='stopped')
    with pytest.raises(live_migration.MigrationRefused) as info:
        live_migration.check(context.get_admin_context(), instance_id, 'h2')
    assert 'not running' in str(info.value)


def test_destination_down_or_same_host_is_refused(sqlite_db):
    instance_id = _instance()
    _service('h1')
    with pytest.raises(live_migration.MigrationRefused) as info:
        live_migration.check(context.get_admin_context(), instance_id, 'h2')
    assert 'destination host h2 is not up' in str(info.value)
    with pytest.raises(live_migration.MigrationRefused) as info:
        live_migration.check(context.get_admin_context(), instance_id, 'h1')
    assert 'already runs on h1' in str(info.value)
