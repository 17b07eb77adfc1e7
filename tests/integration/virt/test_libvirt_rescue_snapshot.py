"""Rescue and snapshot on the libvirt driver with a real guest.

* rescue boots the rescue image with the instance's own disk as ``vdb``
  (the guest's marker says ``+vdb``); ``--rescue_timeout`` unrescues it
  (``poll_rescued_instances``) and the rescue files go away;
* a snapshot becomes an active image whose disk carries what the instance's
  disk had (the injected key), and a new guest boots from it.
"""

import os
import shutil
import tempfile
import time

import pytest

from tests.integration.virt.conftest import register_guest

pytestmark = [pytest.mark.integration, pytest.mark.libvirt,
              pytest.mark.timeout(300)]


@pytest.fixture
def driver_env(libvirt_host, test_guest, set_flags):
    import nova.compute.manager  # noqa: F401 - flags
    import nova.image.local  # noqa: F401 - flags
    import nova.legacy_flags  # noqa: F401 - flags
    import nova.virt.libvirt.connection  # noqa: F401 - flags
    top = tempfile.mkdtemp(prefix='n11-rescue-')
    env = {'instances': [], 'top': top}
    try:
        os.chmod(top, 0o755)
        set_flags(state_path=top,
                  instances_path=os.path.join(top, 'instances'),
                  images_path=os.path.join(top, 'images'),
                  libvirt_type='qemu',
                  firewall_driver='nova.virt.firewall.NoopFirewallDriver',
                  vncserver_host='127.0.0.1',
                  libvirt_wait_soft_reboot_seconds=5)
        from nova.virt.libvirt import connection
        env['conn'] = connection.get_connection()
        env['conn'].init_host('n11')
        env['ids'] = register_guest(test_guest)
        yield env
    finally:
        for instance in env['instances']:
            try:
                env['conn'].destroy(instance, [])
            except Exception:  # noqa: BLE001 - best effort
                pass
        libvirt_host.destroy_domains()
        shutil.rmtree(top, ignore_errors=True)

def _instance(env, prefix, number, image=None, key=None):
    ids = env['ids']
    instance = {'id': number, 'name': 'instance-%s-r%04d' % (prefix, number),
                'memory_mb': 256, 'vcpus': 1, 'local_gb': 0,
                'image_ref': str(image or ids['ami']),
                'kernel_id': str(ids['aki']), 'ramdisk_id': str(ids['ari']),
                'key_data': key, 'project_id': 'p'}
    env['instances'].append(instance)
    return instance


def _markers(conn, instance):
    return [line for line in conn.get_console_output(instance).splitlines()
            if 'NOVA-TEST-GUEST ip=' in line]


def _wait_markers(conn, instance, count, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = _markers(conn, instance)
        if len(found) >= count:
            return found
        time.sleep(0.5)
    raise AssertionError('no marker %d: %s' % (
        count, conn.get_console_output(instance)[-1500:]))


def test_rescue_then_rescue_timeout(driver_env, libvirt_host, set_flags):
    conn = driver_env['conn']
    instance = _instance(driver_env, libvirt_host.prefix, 1)
    conn.spawn(None, instance, [])
    first = _wait_markers(conn, instance, 1)
    assert '+vdb' not in first[0]

    conn.rescue(None, instance, [])
    basepath = os.path.join(driver_env['top'], 'instances', instance['name'])
    for name in ('kernel.rescue', 'ramdisk.rescue', 'disk.rescue',
                 'unrescue.xml', 'libvirt.xml.rescue'):
        assert os.path.exists(os.path.join(basepath, name)), name
    rescued = _wait_markers(conn, instance, 2)
    assert ' disk+vdb ' in rescued[1], rescued
    assert conn.is_rescued(instance)

    assert conn.poll_rescued_instances(3600, [instance]) == []
    time.sleep(1.1)
    assert conn.poll_rescued_instances(1, [instance]) == [instance]
    back = _wait_markers(conn, instance, 3)
    assert '+vdb' not in back[2]
    assert not conn.is_rescued(instance)
    assert not [f for f in os.listdir(basepath) if 'rescue' in f]


def test_snapshot_boots(driver_env, libvirt_host):
    from nova.image import local
    conn = driver_env['conn']
    service = local.LocalImageService()
    instance = _instance(driver_env, libvirt_host.prefix, 2,
                         key='ssh-rsa AAAAn11 snapshot@test')
    conn.spawn(None, instance, [])
    assert 'disk+key' in _wait_markers(conn, instance, 1)[0]

    image = service.create(None, {'name': 'snap-of-2', 'is_public': False,
                                  'status': 'queued',
                                  'container_format': 'ami',
                                  'disk_format': 'ami',
                                  'properties': {'image_state':
                                                 'snapshotting'}})
    conn.snapshot(None, instance, image['id'])
    saved = service.show(None, image['id'])
    assert saved['status'] == 'active'
    assert saved['properties']['image_state'] == 'available'
    assert saved['properties']['kernel_id'] == str(driver_env['ids']['aki'])
    assert saved['size'] > 0

    copy = _instance(driver_env, libvirt_host.prefix, 3, image=image['id'])
    conn.spawn(None, copy, [])
    marker = _wait_markers(conn, copy, 1)[0]
    # No key was given to the copy: the key on its disk came from the
    # snapshot of the first guest's disk.
    assert 'disk+key' in marker, marker
