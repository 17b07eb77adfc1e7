"""Live migration between two libvirtd "hosts" on this machine.

Host A is the session's libvirtd (in its namespace).  Host B is a second
libvirtd in its own network namespace and its own mount namespace, where
private directories are bound over ``/run/libvirt``, ``/var/lib/libvirt``,
``/var/cache/libvirt`` and ``/etc/libvirt/qemu`` so its sockets, state and
domain definitions are its own; its socket is reached at
``qemu+unix:///system?socket=<B>/run/libvirt-sock``.  A veth pair joins the
two namespaces (10.99.0.1 - 10.99.0.2) for QEMU's memory stream.  The
instance directory is shared (one ``--instances_path``), as Diablo
requires for live migration.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

from tests.integration.virt.conftest import REAPER, cloud_netns_tool
from tests.integration.virt.conftest import register_guest

pytestmark = [pytest.mark.integration, pytest.mark.libvirt,
              pytest.mark.netns, pytest.mark.timeout(300)]

BIND_DIRS = ('/run/libvirt', '/var/lib/libvirt', '/var/cache/libvirt',
             '/etc/libvirt/qemu')


def _run(*cmd, check=True):
    return subprocess.run(cmd, capture_output=True, text=True, check=check,
                          timeout=60)


class SecondHost(object):
    """libvirtd "B" in its own network and mount namespaces."""

    def __init__(self, host_a, run_name='run'):
        self.host_a = host_a
        self.run_name = run_name
        self.netns = 'n11-%sb' % uuid.uuid4().hex[:6]
        self.dir = tempfile.mkdtemp(prefix='n11-hostb-')
        os.chmod(self.dir, 0o755)
        self.pids = []
        self.veth = 'n11v%s' % uuid.uuid4().hex[:6]

    @property
    def socket(self):
        """B's libvirtd socket on the shared file system."""
        return os.path.join(self.dir, self.run_name, 'libvirt-sock')

    @property
    def uri(self):
        """B's libvirt URI."""
        return 'qemu+unix:///system?socket=%s' % self.socket

    def start(self):
        """Namespaces, veth, the daemons."""
        _run('ip', 'netns', 'add', self.netns)
        ns_b = ('ip', 'netns', 'exec', self.netns)
        ns_a = ('ip', 'netns', 'exec', self.host_a.netns)
        _run(*ns_b, 'ip', 'link', 'set', 'lo', 'up')
        _run(*ns_b, 'ip', 'link', 'add', 'br100', 'type', 'bridge')
        _run(*ns_b, 'ip', 'link', 'set', 'br100', 'up')
        _run(*ns_a, 'ip', 'link', 'add', self.veth + 'a', 'type', 'veth',
             'peer', 'name', self.veth + 'b', 'netns', self.netns)
        _run(*ns_a, 'ip', 'addr', 'add', '10.99.0.1/24', 'dev',
             self.veth + 'a')
        _run(*ns_a, 'ip', 'link', 'set', self.veth + 'a', 'up')
        _run(*ns_b, 'ip', 'addr', 'add', '10.99.0.2/24', 'dev',
             self.veth + 'b')
        _run(*ns_b, 'ip', 'link', 'set', self.veth + 'b', 'up')
        binds = []
        for target in BIND_DIRS:
            private = os.path.join(self.dir, target.strip('/').replace(
                '/', '_'))
            os.makedirs(private, mode=0o755)
            binds.append('mount --bind %s %s' % (private, target))
        os.rename(os.path.join(self.dir, 'run_libvirt'),
                  os.path.join(self.dir, self.run_name))
        binds[0] = 'mount --bind %s /run/libvirt' % os.path.join(
            self.dir, self.run_name)
        kvm = cloud_netns_tool().private_kvm(self.dir)
        if kvm:
            binds.append(kvm)       # see LibvirtHost._start_one
        script = ' && '.join(
            ['mkdir -p %s' % ' '.join(BIND_DIRS)] + binds +
            ['%s %s virtlogd -d -p %s/virtlogd.pid' % (
                sys.executable, REAPER, self.dir),
             '%s %s libvirtd -d -p %s/libvirtd.pid' % (
                sys.executable, REAPER, self.dir)])
        _run(*ns_b, 'unshare', '-m', '--propagation', 'private', 'sh', '-c',
             script)
        for name in ('virtlogd.pid', 'libvirtd.pid'):
            path = os.path.join(self.dir, name)
            deadline = time.time() + 20
            while not os.path.exists(path) and time.time() < deadline:
                time.sleep(0.1)
            with open(path) as source:
                self.pids.append(int(source.read().strip()))
        deadline = time.time() + 30
        while not os.path.exists(self.socket):
            if time.time() > deadline:
                raise RuntimeError('libvirtd B did not start')
            time.sleep(0.2)
        return self

    def stop(self):
        """Stop B's daemons (by pid) and remove its namespace and dirs."""
        import libvirt
        try:
            conn = libvirt.open(self.uri)
            for dom in conn.listAllDomains(0):
                if dom.name().startswith('instance-' + self.host_a.prefix):
                    if dom.isActive():
                        dom.destroy()
                    if dom.isPersistent():
                        dom.undefine()
            conn.close()
        except libvirt.libvirtError:
            pass
        for pid in reversed(self.pids):
            self.host_a._kill(pid)
        _run('ip', 'netns', 'del', self.netns, check=False)
        _run('ip', 'netns', 'exec', self.host_a.netns, 'ip', 'link', 'del',
             self.veth + 'a', check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def two_hosts(libvirt_host, test_guest, set_flags):
    if not libvirt_host.started_libvirtd:
        pytest.skip('libvirtd was already running outside a test namespace')
    if shutil.which('unshare') is None:
        pytest.skip('unshare (util-linux) is not installed')
    import nova.compute.manager  # noqa: F401 - flags
    import nova.image.local  # noqa: F401 - flags
    import nova.legacy_flags  # noqa: F401 - flags
    import nova.virt.libvirt.connection  # noqa: F401 - flags
    top = tempfile.mkdtemp(prefix='n11-migrate-')
    host_b = None
    try:
        os.chmod(top, 0o755)
        set_flags(state_path=top,
                  instances_path=os.path.join(top, 'instances'),
                  images_path=os.path.join(top, 'images'),
                  libvirt_type='qemu', libvirt_uri='',
                  firewall_driver='nova.virt.firewall.NoopFirewallDriver',
                  vncserver_host='127.0.0.1',
                  live_migration_uri='qemu+unix:///system?socket=%s',
                  # Both "hosts" see the one local file system: libvirt
                  # cannot tell it is shared (the driver's test file
                  # proved it is).
                  live_migration_flag='VIR_MIGRATE_UNDEFINE_SOURCE, '
                  'VIR_MIGRATE_PEER2PEER, VIR_MIGRATE_LIVE, '
                  'VIR_MIGRATE_UNSAFE')
        host_b = SecondHost(libvirt_host)
        host_b.start()
        yield {'b': host_b, 'ids': register_guest(test_guest), 'top': top}
    finally:
        if host_b is not None:
            host_b.stop()
        libvirt_host.destroy_domains()
        shutil.rmtree(top, ignore_errors=True)

def test_live_migration_between_two_libvirtd(two_hosts, libvirt_host,
                                             set_flags):
    import libvirt

    from nova.virt.libvirt import connection
    host_b = two_hosts['b']
    ids = two_hosts['ids']
    conn_a = connection.get_connection()
    set_flags(libvirt_uri=host_b.uri)
    conn_b = connection.get_connection()
    conn_b.init_host('b')
    set_flags(libvirt_uri='')
    instance = {'id': 1, 'name': 'instance-%s-m0001' % libvirt_host.prefix,
                'memory_mb': 256, 'vcpus': 1, 'local_gb': 0,
                'image_ref': str(ids['ami']), 'kernel_id': str(ids['aki']),
                'ramdisk_id': str(ids['ari']), 'project_id': 'p'}
    conn_a.spawn(None, instance, [])
    deadline = time.time() + 120
    while 'NOVA-TEST-GUEST ip=' not in conn_a.get_console_output(instance):
        assert time.time() < deadline, 'the guest did not boot on A'
        time.sleep(0.5)

    assert conn_b.create_shared_storage_test_file
    probe = conn_b.create_shared_storage_test_file()
    assert conn_a.check_shared_storage_test_file(probe)
    conn_b.cleanup_shared_storage_test_file(probe)
    conn_b.compare_cpu(conn_a.get_available_resource()['cpu_info'])

    conn_b.pre_live_migration(instance, [])
    conn_a.live_migration(None, instance, host_b.socket,
                          migrate_uri='tcp://10.99.0.2')
    conn_b.post_live_migration_at_destination(instance, [])

    assert instance['name'] not in conn_a.list_instances()
    assert conn_b.get_info(instance['name'])['state'] == 1
    dom = libvirt.open(host_b.uri).lookupByName(instance['name'])
    assert dom.isPersistent()
    # The same guest kept running: still one boot marker, and it goes on
    # writing to its console after the move.
    text = conn_b.get_console_output(instance)
    assert text.count('NOVA-TEST-GUEST ip=') == 1
    conn_b.destroy(instance, [])
    assert instance['name'] not in conn_b.list_instances()


def test_nova_manage_live_migration_through_scheduler(libvirt_host,
                                                      test_guest, set_flags):
    """nova-manage vm live_migration: scheduler checks, source and
    destination nova-compute, the instance ends active on the new host."""
    if not libvirt_host.started_libvirtd:
        pytest.skip('libvirtd was already running outside a test namespace')
    from tests.integration.virt.conftest import VirtCloud
    from nova.manage.base import CommandError
    from nova.manage.vm import VmCommands
    from nova.virt.libvirt import connection
    host_b = SecondHost(libvirt_host, run_name='compute1')
    cloud = VirtCloud(libvirt_host, test_guest, compute_hosts=2, extra_flags={
        'live_migration_uri': 'qemu+unix:///system?socket=%s/%%s/'
                              'libvirt-sock' % host_b.dir,
        'live_migration_flag': 'VIR_MIGRATE_UNDEFINE_SOURCE, '
                               'VIR_MIGRATE_PEER2PEER, VIR_MIGRATE_LIVE, '
                               'VIR_MIGRATE_UNSAFE',
        'live_migration_inbound_addr': '10.99.0.2'})
    try:
        host_b.start()
        cloud.start(admin=True)

        def use_host_b():
            for svc in cloud.cloud.services:
                if getattr(svc, 'host', None) == 'compute1':
                    svc.manager.driver = connection.LibvirtConnection(
                        uri=host_b.uri)
                    svc.manager.driver.init_host('compute1')
                    svc.manager.update_available_resource(
                        __import__('nova.context').context
                        .get_admin_context())
                    return True
            return False
        assert cloud.cloud.call_in_cloud(use_host_b)
        res = cloud.client.run_instances(
            ImageId=cloud.ami, MinCount=1, MaxCount=1,
            InstanceType='m1.tiny',
            Placement={'AvailabilityZone': 'nova:compute0'})
        ec2_id = res['Instances'][0]['InstanceId']
        cloud.wait_state(ec2_id, ('running',))
        cloud.wait_markers(ec2_id, 1)
        manage = VmCommands()
        with pytest.raises(CommandError) as refused:
            cloud.cloud.call_in_cloud(manage.live_migration, ec2_id,
                                      'compute0')
        assert 'already runs on compute0' in str(refused.value)

        cloud.cloud.call_in_cloud(manage.live_migration, ec2_id, 'compute1')
        deadline = time.time() + 120
        while True:
            from nova import context
            from nova import db
            row = db.instance_get(context.get_admin_context(),
                                  int(ec2_id[2:], 16))
            if row['host'] == 'compute1' and row['vm_state'] == 'active':
                break
            assert row['vm_state'] in ('migrating', 'active'), \
                (row['vm_state'], db.instance_fault_get_latest(
                    context.get_admin_context(), row['id']))
            assert time.time() < deadline, 'the migration did not finish'
            time.sleep(0.5)
        name = row['name']
        import libvirt
        conn_b = libvirt.open(host_b.uri)
        assert conn_b.lookupByName(name).isActive()
        assert conn_b.lookupByName(name).isPersistent()
        conn_b.close()
        conn_a = libvirt.open('qemu:///system')
        assert name not in [d.name() for d in conn_a.listAllDomains(0)]
        conn_a.close()
        # Not rebooted: one marker; the console works from the new host.
        assert len(cloud.markers(ec2_id)) == 1
        cloud.client.terminate_instances(InstanceIds=[ec2_id])
        cloud.wait_gone(ec2_id)
        assert not os.path.exists(cloud.instance_dir(ec2_id))
    finally:
        cloud.stop()
        host_b.stop()
