"""Resize, passwords and the network agent on the fake hypervisor, and
:func:`nova.virt.driver.supports` (what the compute API asks before it
accepts an action)."""

import pytest

from nova import exception
from nova.virt import driver
from nova.virt import fake
from nova.virt import power_state
from nova.virt.libvirt import connection as libvirt_connection


def _instance(instance_id=1, **values):
    inst = {'id': instance_id, 'memory_mb': 512, 'vcpus': 1, 'local_gb': 0,
            'hostname': 'server-%d' % instance_id, 'image_ref': '3'}
    inst.update(values)
    return inst


@pytest.fixture
def conn(set_flags, tmp_path):
    set_flags(state_path=str(tmp_path))
    c = fake.get_connection()
    c.init_host('fakehost')
    return c


def test_resize_on_the_same_host_then_revert(conn):
    conn.spawn(None, _instance(), [])
    disk = conn.migrate_disk_and_power_off(_instance(), '10.0.0.2')
    guest = conn.guests['instance-00000001']
    assert guest.state == power_state.SHUTOFF
    assert disk['image_ref'] == '3'
    conn.finish_migration(None, _instance(memory_mb=2048, vcpus=2), disk,
                          [], True)
    assert (guest.memory_mb, guest.vcpus, guest.state) == (
        2048, 2, power_state.RUNNING)
    conn.revert_migration(_instance())
    assert (guest.memory_mb, guest.vcpus, guest.state) == (
        512, 1, power_state.RUNNING)
    assert guest.resize_backup is None


def test_resize_to_another_host_then_confirm(conn):
    dest = fake.get_connection()
    conn.spawn(None, _instance(), [])
    disk = conn.migrate_disk_and_power_off(_instance(), '10.0.0.2')
    dest.finish_migration(None, _instance(memory_mb=2048), disk, [], True)
    assert dest.guests['instance-00000001'].memory_mb == 2048
    assert dest.get_info('instance-00000001')['state'] == \
        power_state.RUNNING
    # Confirming drops the original on the source.
    conn.destroy(_instance(), [])
    assert conn.list_instances() == []


def test_password_needs_a_running_guest(conn):
    conn.spawn(None, _instance(), [])
    conn.set_admin_password(_instance(), 'pw')
    assert conn.guests['instance-00000001'].admin_password == 'pw'
    conn.pause(_instance())
    with pytest.raises(exception.InstanceNotRunning):
        conn.set_admin_password(_instance(), 'other')


def test_network_agent(conn):
    conn.spawn(None, _instance(), [])
    conn.reset_network(_instance())
    conn.inject_network_info(_instance(), [{'label': 'private'}])
    guest = conn.guests['instance-00000001']
    assert guest.network_resets == 1
    assert guest.network_info == [{'label': 'private'}]


def test_supports():
    conn = fake.get_connection()
    for feature in driver.FEATURES:
        assert driver.supports(conn, feature), feature
    assert not driver.supports(driver.ComputeDriver(), 'resize')
    # Diablo's libvirt driver could not resize, set passwords or talk to
    # a guest agent; ours neither (the API answers 501).
    libvirt = libvirt_connection.LibvirtConnection.__new__(
        libvirt_connection.LibvirtConnection)
    for feature in ('resize', 'set_admin_password', 'reset_network',
                    'inject_network_info'):
        assert not driver.supports(libvirt, feature), feature
    assert driver.supports(libvirt, 'pause')
