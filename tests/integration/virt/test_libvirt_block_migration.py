"""Block migration between two libvirtd "hosts" that do not share storage.

Host B (``SecondHost``) additionally gets its own ``--instances_path``: in
its mount namespace a private directory is bound over host A's instances
path, so the guest's disk paths are the same on both hosts (as on two
machines with the same flags) but the files are not.  The shared-storage
probe sees two stores; B makes the instance directory and its disks over
its own image cache (``pre_block_migration``) and libvirt copies the
guest's disk with its memory (``VIR_MIGRATE_NON_SHARED_INC``).
"""

import json
import os
import shutil
import tempfile
import time

import pytest

from tests.integration.virt import test_libvirt_live_migration as live
from tests.integration.virt.conftest import register_guest

pytestmark = [pytest.mark.integration, pytest.mark.libvirt,
              pytest.mark.netns, pytest.mark.timeout(400)]


def test_block_migration_between_two_libvirtd(libvirt_host, test_guest,
                                              set_flags, monkeypatch):
    if not libvirt_host.started_libvirtd:
        pytest.skip('libvirtd was already running outside a test namespace')
    if shutil.which('unshare') is None:
        pytest.skip('unshare (util-linux) is not installed')
    import libvirt

    import nova.compute.manager  # noqa: F401 - flags
    import nova.image.local  # noqa: F401 - flags
    import nova.legacy_flags  # noqa: F401 - flags (vncserver_host)
    from nova.virt.libvirt import connection
    top = tempfile.mkdtemp(prefix='n11-block-')
    os.chmod(top, 0o755)
    dir_a = os.path.join(top, 'instances')
    os.makedirs(dir_a)
    monkeypatch.setattr(live, 'BIND_DIRS', live.BIND_DIRS + (dir_a,))
    host_b = live.SecondHost(libvirt_host)
    dir_b = os.path.join(host_b.dir, dir_a.strip('/').replace('/', '_'))
    flags_a = dict(state_path=top, instances_path=dir_a,
                   images_path=os.path.join(top, 'images'))
    flags_b = dict(flags_a, instances_path=dir_b)
    set_flags(libvirt_type='qemu', libvirt_uri='',
              firewall_driver='nova.virt.firewall.NoopFirewallDriver',
              vncserver_host='127.0.0.1',
              live_migration_uri='qemu+unix:///system?socket=%s',
              block_migration_flag='VIR_MIGRATE_UNDEFINE_SOURCE, '
              'VIR_MIGRATE_PEER2PEER, VIR_MIGRATE_LIVE, '
              'VIR_MIGRATE_NON_SHARED_INC', **flags_a)
    instance = None
    try:
        host_b.start()
        ids = register_guest(test_guest)
        conn_a = connection.get_connection()
        set_flags(libvirt_uri=host_b.uri, **flags_b)
        conn_b = connection.get_connection()
        conn_b.init_host('b')
        set_flags(libvirt_uri='', **flags_a)
        instance = {'id': 1, 'name': 'instance-%s-b0001' % libvirt_host.prefix,
                    'memory_mb': 256, 'vcpus': 1, 'local_gb': 0,
                    'image_ref': str(ids['ami']),
                    'kernel_id': str(ids['aki']),
                    'ramdisk_id': str(ids['ari']), 'project_id': 'p'}
        conn_a.spawn(None, instance, [])
        deadline = time.time() + 120
        while 'NOVA-TEST-GUEST ip=' not in \
                conn_a.get_console_output(instance):
            assert time.time() < deadline, 'the guest did not boot on A'
            time.sleep(0.5)

        # Two stores: B's probe file is not visible on A.
        set_flags(**flags_b)
        probe = conn_b.create_shared_storage_test_file()
        set_flags(**flags_a)
        assert not conn_a.check_shared_storage_test_file(probe)
        set_flags(**flags_b)
        conn_b.cleanup_shared_storage_test_file(probe)
        set_flags(**flags_a)

        disk = conn_a.get_instance_disk_info(instance)
        paths = [d['path'] for d in json.loads(disk)]
        assert os.path.join(dir_a, instance['name'], 'disk') in paths
        set_flags(**flags_b)
        conn_b.pre_live_migration(instance, [])
        conn_b.pre_block_migration(None, instance, disk)
        with pytest.raises(Exception) as again:
            conn_b.pre_block_migration(None, instance, disk)
        assert 'already exists' in str(again.value)
        set_flags(**flags_a)
        conn_a.live_migration(None, instance, host_b.socket,
                              block_migration=True,
                              migrate_uri='tcp://10.99.0.2')
        set_flags(**flags_b)
        conn_b.post_live_migration_at_destination(instance, [])
        assert conn_b.get_info(instance['name'])['state'] == 1
        dom = libvirt.open(host_b.uri).lookupByName(instance['name'])
        assert dom.isPersistent()
        set_flags(**flags_a)
        assert instance['name'] not in conn_a.list_instances()
        conn_a.destroy(instance, [])
        assert not os.path.exists(os.path.join(dir_a, instance['name']))
        set_flags(**flags_b)
        assert os.path.exists(os.path.join(dir_b, instance['name'], 'disk'))
        # The guest keeps running on B from its copied disk: it answers a
        # reboot with a second boot marker.
        conn_b.reboot(instance, [], reboot_type='HARD')
        deadline = time.time() + 120
        while conn_b.get_console_output(instance).count(
                'NOVA-TEST-GUEST ip=') < 1:
            assert time.time() < deadline, 'no marker after the move'
            time.sleep(0.5)
        conn_b.destroy(instance, [])
        assert instance['name'] not in conn_b.list_instances()
    finally:
        host_b.stop()
        libvirt_host.destroy_domains()
        shutil.rmtree(top, ignore_errors=True)
