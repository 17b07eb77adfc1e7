"""The fake hypervisor driver, the driver interface and the loader."""

import ast
import os
import time

import pytest

from nova import exception
from nova.compute import power_state as compute_power_state
from nova.virt import connection
from nova.virt import driver
from nova.virt import fake
from nova.virt import power_state


def _instance(instance_id=1, **values):
    inst = {'id': instance_id, 'memory_mb': 512, 'vcpus': 1, 'local_gb': 0,
            'hostname': 'server-%d' % instance_id, 'image_ref': '3'}
    inst.update(values)
    return inst


@pytest.fixture
def conn():
    c = fake.get_connection()
    c.init_host('fakehost')
    return c


# -- names -------------------------------------------------------------------------
def test_names_follow_the_template_or_the_given_name(conn, set_flags):
    assert driver.instance_name({'id': 10}) == 'instance-0000000a'
    set_flags(instance_name_template='vm-%d')
    assert driver.instance_name({'id': 10}) == 'vm-10'
    assert driver.instance_name({'id': 10, 'name': 'given'}) == 'given'

    class Row(object):          # a model object with attributes only
        id = 11
        name = None
    assert driver.instance_name(Row()) == 'vm-11'


# -- life cycle ------------------------------------------------------------------
def test_spawn_makes_a_running_guest(conn):
    conn.spawn(None, _instance(1), [])
    assert conn.list_instances() == ['instance-00000001']
    info = conn.get_info('instance-00000001')
    assert info['state'] == power_state.RUNNING
    assert info['max_mem'] == info['mem'] == 512 * 1024
    assert info['num_cpu'] == 1 and info['cpu_time'] >= 0
    with pytest.raises(exception.InstanceExists):
        conn.spawn(None, _instance(1), [])


def test_destroy_removes_and_is_idempotent(conn):
    conn.spawn(None, _instance(1), [])
    conn.destroy(_instance(1), [])
    assert conn.list_instances() == []
    conn.destroy(_instance(1), [])           # already gone: no error
    with pytest.raises(exception.InstanceNotFound):
        conn.get_info('instance-00000001')


def test_unknown_guest_raises_instance_not_found(conn):
    with pytest.raises(exception.InstanceNotFound):
        conn.get_info('instance-000000ff')
    for call in (lambda: conn.reboot(_instance(9), []),
                 lambda: conn.power_off(_instance(9)),
                 lambda: conn.power_on(_instance(9)),
                 lambda: conn.rescue(None, _instance(9), []),
                 lambda: conn.get_console_output(_instance(9))):
        with pytest.raises(exception.InstanceNotFound):
            call()


def test_reboot_keeps_it_running_with_a_new_boot_log(conn):
    conn.spawn(None, _instance(2), [])
    conn.reboot(_instance(2), [])
    assert conn.get_info('instance-00000002')['state'] == power_state.RUNNING
    output = conn.get_console_output(_instance(2))
    assert output.count('login:') == 2 and 'Restarting system.' in output


def test_power_pause_suspend_rescue_states(conn):
    inst = _instance(3)
    name = 'instance-00000003'
    conn.spawn(None, inst, [])
    conn.power_off(inst)
    assert conn.get_info(name)['state'] == power_state.SHUTOFF
    conn.power_on(inst)
    assert conn.get_info(name)['state'] == power_state.RUNNING
    conn.pause(inst)
    assert conn.get_info(name)['state'] == power_state.PAUSED
    conn.unpause(inst)
    conn.suspend(inst)
    assert conn.get_info(name)['state'] == power_state.SUSPENDED
    conn.resume(inst)
    conn.rescue(None, inst, [])
    assert conn.guests[name].rescued
    assert conn.get_info(name)['state'] == power_state.RUNNING
    conn.unrescue(inst, [])
    assert not conn.guests[name].rescued
    assert conn.get_info(name)['state'] == power_state.RUNNING
    conn.set_power_state(name, power_state.CRASHED)
    assert conn.get_info(name)['state'] == power_state.CRASHED
    assert [i.state for i in conn.list_instances_detail()] == \
        [power_state.CRASHED]


def test_console_output_is_a_boot_log_naming_the_instance(conn):
    conn.spawn(None, _instance(4, name='instance-00000004',
                               hostname='web1'), [])
    output = conn.get_console_output({'id': 4})
    assert isinstance(output, str)
    assert 'Linux version' in output
    assert 'instance-00000004' in output and 'web1 login:' in output


def test_volumes_and_consoles(conn):
    conn.spawn(None, _instance(5), [],
               block_device_info={'block_device_mapping': [
                   {'mount_device': '/dev/vdb', 'connection_info': 'x'}]})
    name = 'instance-00000005'
    assert conn.guests[name].volumes == {'/dev/vdb': 'x'}
    conn.attach_volume(name, '/dev/sdc', '/dev/vdc')
    conn.detach_volume(name, '/dev/vdb')
    assert conn.guests[name].volumes == {'/dev/vdc': '/dev/sdc'}
    with pytest.raises(exception.ConsoleNotAvailable):
        conn.get_vnc_console(_instance(5))
    conn.set_vnc_display(name, '127.0.0.1', 5901)
    vnc = conn.get_vnc_console(_instance(5))
    assert (vnc['host'], vnc['port'], vnc['instance']) == \
        ('127.0.0.1', 5901, name)
    assert conn.get_diagnostics(_instance(5))['memory'] == 512 * 1024


# -- resources ---------------------------------------------------------------------
def test_available_resource_defaults_hold_200_tiny_instances(conn):
    res = conn.get_available_resource()
    assert set(res) == {'vcpus', 'memory_mb', 'local_gb', 'vcpus_used',
                        'memory_mb_used', 'local_gb_used', 'hypervisor_type',
                        'hypervisor_version', 'cpu_info'}
    assert res['vcpus'] >= 200 and res['memory_mb'] >= 200 * 512
    assert res['vcpus_used'] == res['memory_mb_used'] == 0
    assert res['hypervisor_type'] == 'fake'
    assert isinstance(res['hypervisor_version'], int)
    start = time.monotonic()
    for i in range(1, 201):
        conn.spawn(None, _instance(i), [])
    assert time.monotonic() - start < 1.0     # no sleeps
    res = conn.get_available_resource()
    assert res['vcpus_used'] == 200 and res['memory_mb_used'] == 200 * 512
    assert res['vcpus_used'] <= res['vcpus']
    assert res['memory_mb_used'] <= res['memory_mb']


def test_available_resource_totals_come_from_flags(conn, set_flags):
    set_flags(fake_vcpus=4, fake_memory_mb=8192, fake_local_gb=100)
    conn.spawn(None, _instance(1, local_gb=10), [])
    res = conn.get_available_resource()
    assert (res['vcpus'], res['memory_mb'], res['local_gb']) == (4, 8192, 100)
    assert res['local_gb_used'] == 10
    stats = conn.get_host_stats()
    assert stats['host_memory_free'] == 8192 - 512


def test_each_connection_has_its_own_guests():
    one, two = fake.get_connection(), fake.get_connection()
    one.spawn(None, _instance(1), [])
    assert two.list_instances() == []


# -- interface -------------------------------------------------------------------------
def test_power_state_codes_match_the_compute_module():
    for name in ('NOSTATE', 'RUNNING', 'BLOCKED', 'PAUSED', 'SHUTDOWN',
                 'SHUTOFF', 'CRASHED', 'SUSPENDED', 'FAILED', 'BUILDING'):
        assert getattr(power_state, name) == \
            getattr(compute_power_state, name)


def test_base_driver_methods_are_abstract_and_documented():
    base = driver.ComputeDriver()
    with pytest.raises(NotImplementedError):
        base.spawn(None, _instance(), [])
    with pytest.raises(NotImplementedError):
        base.get_info('x')
    for name in ('init_host', 'list_instances', 'spawn', 'destroy', 'reboot',
                 'get_info', 'get_console_output', 'rescue', 'unrescue',
                 'power_off', 'power_on', 'get_available_resource'):
        method = getattr(driver.ComputeDriver, name)
        assert method.__doc__, name
        assert getattr(fake.FakeConnection, name) is not method, name


def test_virt_never_imports_db_or_rpc():
    virt_dir = os.path.dirname(driver.__file__)
    for dirpath, _dirs, files in os.walk(virt_dir):
        for filename in files:
            if not filename.endswith('.py'):
                continue
            tree = ast.parse(open(os.path.join(dirpath, filename)).read())
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module] + ['%s.%s' % (node.module, a.name)
                                             for a in node.names]
                for name in names:
                    assert not name.startswith(('nova.db', 'nova.rpc',
                                                'nova.compute')), \
                        (filename, name)


# -- loader -------------------------------------------------------------------------------
def test_get_connection_by_connection_type(set_flags):
    set_flags(connection_type='fake')
    assert isinstance(connection.get_connection(), fake.FakeConnection)
    assert connection.get_connection(read_only=True).read_only


def test_unknown_connection_type_is_a_clear_error(set_flags):
    set_flags(connection_type='bogus')
    with pytest.raises(exception.VirtDriverNotFound) as info:
        connection.get_connection()
    assert 'bogus' in str(info.value) and 'fake' in str(info.value)
    set_flags(connection_type='xenapi')
    with pytest.raises(exception.VirtDriverNotFound) as info:
        connection.get_connection()
    assert 'xenapi' in str(info.value)
