"""Compute flags that were defined but never read now change something."""

import pytest

from nova import exception
from nova import flags
from nova.compute import api as compute_api
from nova.compute import live_migration

FLAGS = flags.FLAGS


class _Images(object):
    def __init__(self):
        self.shown = []

    def show(self, context, image_id):
        self.shown.append(image_id)
        return {'id': image_id}


@pytest.fixture
def reset_flags():
    yield
    FLAGS.reset('null_kernel')
    FLAGS.reset('live_migration_retry_count')
    FLAGS.reset('live_migration_inbound_addr')


def test_null_kernel_names_the_no_kernel_image(reset_flags):
    images = _Images()
    api = compute_api.API(image_service=images)
    FLAGS.null_kernel = 'none-at-all'
    image = {'properties': {'kernel_id': 'none-at-all', 'ramdisk_id': '7'}}
    assert api._kernel_ramdisk(None, image, None, None) == [None, '7']
    assert images.shown == ['7']


class _Driver(object):
    def __init__(self, failures):
        self.failures = failures
        self.calls = 0

    def pre_live_migration(self, instance, network_info):
        self.calls += 1
        if self.calls <= self.failures:
            raise exception.ProcessExecutionError(
                cmd='brctl addbr br100', exit_code=1, stderr='busy')
        return 'plugged'


class _Mixin(live_migration.LiveMigrationMixin):
    def __init__(self, driver):
        self.driver = driver


def test_live_migration_retry_count_retries_host_commands(
        reset_flags, monkeypatch):
    monkeypatch.setattr(live_migration.concurrency, 'sleep',
                        lambda seconds=0: None)
    FLAGS.live_migration_retry_count = 3
    driver = _Driver(failures=2)
    assert _Mixin(driver)._plug_for_migration({'id': 1}, []) == 'plugged'
    assert driver.calls == 3

    FLAGS.live_migration_retry_count = 2
    driver = _Driver(failures=2)
    with pytest.raises(exception.ProcessExecutionError):
        _Mixin(driver)._plug_for_migration({'id': 1}, [])
    assert driver.calls == 2


def test_pre_live_migration_applies_the_group_rules(reset_flags,
                                                    monkeypatch):
    """The destination's chain gets the instance's security-group rules
    before the guest arrives (the driver alone makes it with none)."""
    from nova import context
    calls = []

    class Manager(_Mixin):
        def _network_info(self, _context, instance):
            return ['nw-%d' % instance['id']]

        def apply_security_groups(self, _context, instance, network_info):
            calls.append((instance['id'], network_info, driver.calls))

    monkeypatch.setattr(live_migration.db, 'instance_get',
                        lambda _ctxt, instance_id: {'id': instance_id})
    FLAGS.live_migration_inbound_addr = '192.168.100.12'
    driver = _Driver(failures=0)
    assert Manager(driver).pre_live_migration(
        context.get_admin_context(), 7) == {
            'migrate_uri': 'tcp://192.168.100.12'}
    assert calls == [(7, ['nw-7'], 1)]
