"""The scheduler places volumes; a volume no host can take goes to error."""

import pytest

from nova import db
from nova.scheduler import manager


@pytest.fixture
def mgr(set_flags):
    set_flags(scheduler_driver='nova.scheduler.simple.SimpleScheduler')
    return manager.SchedulerManager(host='sched1')


def _volume(ctxt, size=1):
    return db.volume_create(ctxt, {'size': size, 'status': 'creating',
                                   'availability_zone': 'nova',
                                   'attach_status': 'detached'})


def test_create_volume_goes_to_a_volume_host(ctxt, mgr, make_service,
                                             casts):
    make_service('vh1', topic='volume')
    volume = _volume(ctxt)
    mgr.create_volume(ctxt, topic='volume', volume_id=volume['id'],
                      snapshot_id=None)
    assert casts == [('cast', 'volume.vh1', {
        'method': 'create_volume',
        'args': {'volume_id': volume['id'], 'snapshot_id': None}})]
    assert db.volume_get(ctxt, volume['id'])['host'] == 'vh1'


def test_no_volume_host_puts_the_volume_in_error(ctxt, mgr, make_service,
                                                 casts):
    make_service('vh1', topic='volume', up=False)
    volume = _volume(ctxt)
    mgr.create_volume(ctxt, topic='volume', volume_id=volume['id'])
    assert casts == []
    assert db.volume_get(ctxt, volume['id'])['status'] == 'error'
