"""nova-volume reports its driver's volume stats to the schedulers (the
drive QoS groups the VSA schedulers place drives by), as Diablo's
``_report_driver_status``: only when they changed, unless
``--volume_force_update_capabilities``; a scheduler's ``startup``
notification makes the next check report again."""

import pytest

from nova import context
from nova.scheduler import api as scheduler_api
from nova.volume import driver
from nova.volume import manager

STATS = {'drive_qos_info': {'sata': {'DriveType': 'SATA',
                                     'DriveCapacity': 1000 << 30,
                                     'AvailableCapacity': 2000 << 30}}}


class _StatsDriver(driver.FakeISCSIDriver):
    """The fake driver, reporting the stats a test sets."""

    stats = None

    def get_volume_stats(self, refresh=False):
        return self.stats


@pytest.fixture
def sent(monkeypatch):
    reports = []

    def update(ctxt, service_name, host, capabilities):
        reports.append((service_name, host, capabilities))

    monkeypatch.setattr(scheduler_api, 'update_service_capabilities', update)
    return reports


@pytest.fixture
def mgr(sqlite_db, set_flags):
    set_flags(volume_driver='nova.volume.driver.FakeISCSIDriver')
    return manager.VolumeManager(volume_driver=_StatsDriver(), host='vh1')


def test_reports_only_changes(mgr, sent):
    ctxt = context.get_admin_context()
    mgr.driver.stats = STATS
    mgr.periodic_tasks(ctxt)
    mgr.periodic_tasks(ctxt)
    assert sent == [('volume', 'vh1', STATS)]
    changed = {'drive_qos_info': {}}
    mgr.driver.stats = changed
    mgr.periodic_tasks(ctxt)
    assert sent[-1] == ('volume', 'vh1', changed)
    assert len(sent) == 2


def test_startup_notification_reports_again(mgr, sent):
    ctxt = context.get_admin_context()
    mgr.driver.stats = STATS
    mgr.periodic_tasks(ctxt)
    mgr.notification(ctxt, event='startup')
    mgr.periodic_tasks(ctxt)
    assert sent == [('volume', 'vh1', STATS)] * 2


def test_forced_updates_report_every_time(mgr, sent, set_flags):
    set_flags(volume_force_update_capabilities=True)
    ctxt = context.get_admin_context()
    mgr.driver.stats = STATS
    for _ in range(3):
        mgr.periodic_tasks(ctxt)
    assert len(sent) == 3


def test_a_driver_without_stats_reports_nothing(mgr, sent):
    mgr.periodic_tasks(context.get_admin_context())
    assert sent == []
