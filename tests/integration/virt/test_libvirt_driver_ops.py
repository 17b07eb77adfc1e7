"""Driver operations on a real guest: the firewall driver's calls around the
domain's life, pause/unpause, suspend/resume, the VNC console."""

import os
import shutil
import subprocess
import tempfile
import time

import pytest

from tests.integration.virt.conftest import register_guest

pytestmark = [pytest.mark.integration, pytest.mark.libvirt,
              pytest.mark.timeout(240)]


class RecordingFirewall(object):
    """A firewall driver noting each call and whether the domain existed."""

    calls = []

    def _note(self, method, instance):
        import libvirt
        conn = libvirt.open('qemu:///system')
        try:
            try:
                conn.lookupByName(instance['name'])
                exists = True
            except libvirt.libvirtError:
                exists = False
        finally:
            conn.close()
        RecordingFirewall.calls.append((method, exists))

    def setup_basic_filtering(self, instance, network_info):
        """Noted."""
        self._note('setup_basic_filtering', instance)

    def prepare_instance_filter(self, instance, network_info, rules=None):
        """Noted."""
        self._note('prepare_instance_filter', instance)

    def apply_instance_filter(self, instance, network_info):
        """Noted."""
        self._note('apply_instance_filter', instance)

    def unfilter_instance(self, instance, network_info):
        """Noted."""
        self._note('unfilter_instance', instance)


@pytest.fixture
def driver(libvirt_host, test_guest, set_flags):
    import nova.compute.manager  # noqa: F401 - flags
    import nova.image.local  # noqa: F401 - flags
    import nova.legacy_flags  # noqa: F401 - flags
    import nova.virt.libvirt.connection  # noqa: F401 - flags
    top = tempfile.mkdtemp(prefix='n11-ops-')
    conn = instance = None
    try:
        os.chmod(top, 0o755)
        set_flags(state_path=top,
                  instances_path=os.path.join(top, 'instances'),
                  images_path=os.path.join(top, 'images'),
                  libvirt_type='qemu',
                  firewall_driver=__name__ + '.RecordingFirewall',
                  vnc_enabled=True, vncserver_host='127.0.0.1')
        from nova.virt.libvirt import connection
        conn = connection.get_connection()
        ids = register_guest(test_guest)
        instance = {'id': 1,
                    'name': 'instance-%s-o0001' % libvirt_host.prefix,
                    'memory_mb': 256, 'vcpus': 1, 'local_gb': 0,
                    'image_ref': str(ids['ami']),
                    'kernel_id': str(ids['aki']),
                    'ramdisk_id': str(ids['ari']), 'project_id': 'p'}
        RecordingFirewall.calls = []
        yield conn, instance
    finally:
        if conn is not None and instance is not None:
            try:
                conn.destroy(instance, [])
            except Exception:  # noqa: BLE001 - best effort
                pass
        libvirt_host.destroy_domains()
        shutil.rmtree(top, ignore_errors=True)

def test_firewall_pause_suspend_vnc(driver, libvirt_host):
    from nova.virt import power_state
    conn, instance = driver
    conn.spawn(None, instance, [])
    assert RecordingFirewall.calls == [
        ('setup_basic_filtering', False), ('prepare_instance_filter', False),
        ('apply_instance_filter', True)]
    deadline = time.time() + 120
    while 'NOVA-TEST-GUEST ip=' not in conn.get_console_output(instance):
        assert time.time() < deadline, 'no marker'
        time.sleep(0.5)

    vnc = conn.get_vnc_console(instance)
    assert int(vnc['port']) >= 5900 and vnc['listen'] == '127.0.0.1'
    banner = libvirt_host.ns(
        'python3', '-c', 'import socket; s = socket.create_connection('
        '("127.0.0.1", %d), 5); print(s.recv(12).decode())' %
        int(vnc['port'])).stdout
    assert banner.startswith('RFB 003.')

    conn.pause(instance)
    assert conn.get_info(instance['name'])['state'] == power_state.PAUSED
    conn.unpause(instance)
    assert conn.get_info(instance['name'])['state'] == power_state.RUNNING
    conn.suspend(instance)
    assert conn.get_info(instance['name'])['state'] == \
        power_state.SUSPENDED
    conn.resume(instance)
    assert conn.get_info(instance['name'])['state'] == power_state.RUNNING
    # Resumed, not rebooted: still a single boot marker.
    assert conn.get_console_output(instance).count(
        'NOVA-TEST-GUEST ip=') == 1

    RecordingFirewall.calls = []
    conn.destroy(instance, [], cleanup=False)
    assert RecordingFirewall.calls == [('unfilter_instance', False)]
    assert instance['name'] not in conn.list_instances()

    # As the manual says: the instance directory boots by hand with
    # "virsh create libvirt.xml".
    directory = os.path.join(conn_instances_path(), instance['name'])
    proc = subprocess.run(['virsh', '-c', 'qemu:///system', 'create',
                           os.path.join(directory, 'libvirt.xml')],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert conn.get_info(instance['name'])['state'] == power_state.RUNNING
    conn.destroy(instance, [])
    assert not os.path.exists(directory)
    assert instance['name'] not in conn.list_instances()


def conn_instances_path():
    """``--instances_path``."""
    from nova import flags
    return flags.FLAGS.instances_path
