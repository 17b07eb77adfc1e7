"""Pieces of the libvirt driver that need no libvirtd: domain XML, URIs,
volume XML, injection (debugfs on a small ext4 file), cpu_info, names."""

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree

import pytest

import nova.compute.manager  # noqa: F401 - instances_path
import nova.legacy_flags  # noqa: F401 - vnc flags
from nova.compute import hypervisor_sync
from nova.virt import disk
from nova.virt import exceptions
from nova.virt.libvirt import config
from nova.virt.libvirt import connection
from nova.virt.libvirt import guestops
from nova.virt.libvirt import host
from nova.virt.libvirt import imagebackend
from nova.virt.libvirt import migration
from nova.virt.libvirt import vif


def _instance(**values):
    inst = {'id': 10, 'name': 'instance-0000000a', 'memory_mb': 512,
            'vcpus': 2, 'local_gb': 0, 'image_ref': '3', 'kernel_id': '1',
            'ramdisk_id': '2'}
    inst.update(values)
    return inst


def _network(injected=False, multi_host=False):
    network = {'id': 1, 'bridge': 'br100', 'cidr': '10.0.0.0/24',
               'injected': injected, 'vlan': None, 'bridge_interface': None,
               'multi_host': multi_host}
    info = {'label': 'private', 'gateway': '10.0.0.1',
            'dhcp_server': '10.0.0.1', 'broadcast': '10.0.0.255',
            'mac': '02:16:3e:00:00:01', 'dns': ['10.0.0.1'],
            'ips': [{'ip': '10.0.0.3', 'netmask': '255.255.255.0',
                     'enabled': '1'}],
            'should_create_bridge': False, 'should_create_vlan': False}
    return network, info


def test_uri_by_type_and_override(set_flags):
    for kind, uri in (('kvm', 'qemu:///system'), ('qemu', 'qemu:///system'),
                      ('lxc', 'lxc:///'), ('uml', 'uml:///system'),
                      ('xen', 'xen:///')):
        set_flags(libvirt_type=kind, libvirt_uri='')
        assert connection.uri() == uri
    set_flags(libvirt_uri='qemu+tcp://h/system')
    assert connection.uri() == 'qemu+tcp://h/system'


def test_domain_xml_kernel_nic_vnc_local_swap(set_flags, tmp_path):
    set_flags(libvirt_type='qemu', instances_path=str(tmp_path),
              use_cow_images=True, libvirt_use_virtio_for_bridges=True)
    nic = vif.LibvirtBridgeDriver().plug(_instance(), *_network())
    info = config.xml_info(_instance(local_gb=1, swap=64), [nic],
                           vnc=('127.0.0.1', 'en-us'))
    root = ElementTree.fromstring(config.render(info))
    assert root.get('type') == 'qemu'
    assert root.findtext('name') == 'instance-0000000a'
    assert root.findtext('memory') == str(512 * 1024)
    assert root.findtext('vcpu') == '2'
    base = os.path.join(str(tmp_path), 'instance-0000000a')
    assert root.findtext('os/kernel') == base + '/kernel'
    assert root.findtext('os/initrd') == base + '/ramdisk'
    assert 'console=ttyS0' in root.findtext('os/cmdline')
    disks = [(d.find('source').get('file'), d.find('target').get('dev'),
              d.find('driver').get('type'))
             for d in root.findall('devices/disk')]
    assert disks == [(base + '/disk', 'vda', 'qcow2'),
                     (base + '/disk.local', 'vdb', 'qcow2'),
                     (base + '/disk.swap', 'vdc', 'qcow2')]
    iface = root.find('devices/interface')
    assert iface.get('type') == 'bridge'
    assert iface.find('source').get('bridge') == 'br100'
    assert iface.find('mac').get('address') == '02:16:3e:00:00:01'
    assert iface.find('model').get('type') == 'virtio'
    serial = root.find('devices/serial')
    assert serial.find('source').get('path') == base + '/console.log'
    graphics = root.find('devices/graphics')
    assert graphics.get('listen') == '127.0.0.1'


def test_domain_xml_rescue_and_no_kernel(set_flags, tmp_path):
    set_flags(libvirt_type='kvm', instances_path=str(tmp_path),
              use_cow_images=False)
    root = ElementTree.fromstring(config.render(
        config.xml_info(_instance(), [], rescue=True)))
    base = os.path.join(str(tmp_path), 'instance-0000000a')
    assert root.findtext('os/kernel') == base + '/kernel.rescue'
    files = [d.find('source').get('file')
             for d in root.findall('devices/disk')]
    assert files == [base + '/disk.rescue', base + '/disk']
    assert root.find('devices/graphics') is None
    plain = ElementTree.fromstring(config.render(config.xml_info(
        _instance(kernel_id=None, ramdisk_id=None), [])))
    assert plain.find('os/kernel') is None
    assert plain.find('os/boot').get('dev') == 'hd'
    assert plain.find('devices/disk/driver').get('type') == 'raw'


def test_volume_xml_from_connection_info():
    xml = guestops.GuestOpsMixin.volume_xml({
        'driver_volume_type': 'iscsi',
        'data': {'target_portal': '127.0.0.1:3260',
                 'target_iqn': 'iqn.2010-10.org.openstack:volume-00000001',
                 'target_lun': 1, 'volume_id': 1}}, '/dev/vdb')
    root = ElementTree.fromstring(xml)
    assert root.get('type') == 'network'
    source = root.find('source')
    assert source.get('protocol') == 'iscsi'
    assert source.get('name') == \
        'iqn.2010-10.org.openstack:volume-00000001/1'
    assert source.find('host').get('name') == '127.0.0.1'
    assert source.find('host').get('port') == '3260'
    assert root.find('target').get('dev') == 'vdb'
    with pytest.raises(exceptions.InvalidConnectionInfo):
        guestops.GuestOpsMixin.volume_xml({'driver_volume_type': 'rbd'},
                                          '/dev/vdb')
    with pytest.raises(exceptions.InvalidConnectionInfo):
        guestops.GuestOpsMixin.volume_xml(
            {'driver_volume_type': 'iscsi', 'data': {}}, '/dev/vdb')


def test_network_template_only_for_injected_networks():
    assert disk.render_network([_network(injected=False)]) is None
    text = disk.render_network([_network(injected=True)])
    assert 'iface eth0 inet static' in text
    assert 'address 10.0.0.3' in text
    assert 'gateway 10.0.0.1' in text


@pytest.mark.skipif(shutil.which('mke2fs') is None or
                    shutil.which('debugfs') is None,
                    reason='e2fsprogs (mke2fs, debugfs) is not installed')
def test_inject_key_and_network_into_ext4(tmp_path):
    image = str(tmp_path / 'disk')
    with open(image, 'wb') as out:
        out.truncate(8 * 1024 * 1024)
    subprocess.run(['mke2fs', '-q', '-F', '-t', 'ext4', image], check=True)
    written = disk.inject_data(image, key='ssh-rsa AAAA k1',
                               net='auto eth0\n')
    assert written == ['/root/.ssh/authorized_keys', '/etc/network/interfaces']
    disk.inject_data(image, key='ssh-rsa BBBB k2')
    keys = subprocess.run(['debugfs', '-R', 'cat /root/.ssh/authorized_keys',
                           image], capture_output=True, text=True).stdout
    assert 'ssh-rsa AAAA k1' in keys and 'ssh-rsa BBBB k2' in keys
    stat = subprocess.run(['debugfs', '-R', 'stat /root/.ssh', image],
                          capture_output=True, text=True).stdout
    assert 'Mode:  0700' in stat
    raw = str(tmp_path / 'blank')
    open(raw, 'wb').close()
    with pytest.raises(disk.InjectionError):
        disk.inject_data(raw, key='ssh-rsa CCCC')


def test_check_kernel(tmp_path):
    bogus = tmp_path / 'k'
    bogus.write_bytes(b'\0' * 1024)
    with pytest.raises(exceptions.ImageUnacceptable):
        imagebackend.check_kernel(str(bogus), '7')
    good = bytearray(1024)
    good[0x202:0x206] = b'HdrS'
    bogus.write_bytes(bytes(good))
    imagebackend.check_kernel(str(bogus), '7')


CAPS = """<capabilities><host><cpu><arch>x86_64</arch><model>Nehalem</model>
<vendor>Intel</vendor><topology sockets='1' cores='4' threads='2'/>
<feature name='vmx'/><feature name='rdtscp'/></cpu></host></capabilities>"""


def test_cpu_info_and_back():
    info = json.loads(host.cpu_info(CAPS))
    assert info == {'arch': 'x86_64', 'model': 'Nehalem', 'vendor': 'Intel',
                    'topology': {'sockets': '1', 'cores': '4',
                                 'threads': '2'},
                    'features': ['vmx', 'rdtscp']}
    cpu = ElementTree.fromstring(host.cpu_xml(info))
    assert [f.get('name') for f in cpu.findall('feature')] == ['vmx',
                                                               'rdtscp']
    assert cpu.find('topology').get('cores') == '4'


def test_guest_names_and_ids(set_flags):
    set_flags(instance_name_template='instance-%08x')
    assert hypervisor_sync.instance_id_of('instance-0000000a') == 10
    assert hypervisor_sync.instance_id_of('instance-zz') is None
    assert hypervisor_sync.instance_id_of('other-0000000a') is None
    assert hypervisor_sync.instance_id_of(
        'instance-n11ab-00000010', 'instance-n11ab-%08x') == 16


def test_migration_flags():
    import libvirt
    assert migration.migration_flags(
        'VIR_MIGRATE_UNDEFINE_SOURCE, VIR_MIGRATE_PEER2PEER') == (
        libvirt.VIR_MIGRATE_UNDEFINE_SOURCE | libvirt.VIR_MIGRATE_PEER2PEER)
    with pytest.raises(exceptions.MigrationError):
        migration.migration_flags('VIR_MIGRATE_NOPE')


def test_unreachable_libvirtd_is_one_clear_error(set_flags, tmp_path,
                                                 caplog):
    set_flags(libvirt_uri='qemu+unix:///system?socket=%s' % (
        tmp_path / 'no-such-socket'), instances_path=str(tmp_path / 'i'),
        firewall_driver='nova.virt.firewall.NoopFirewallDriver')
    conn = connection.get_connection()
    conn.init_host('h')
    with pytest.raises(exceptions.HypervisorUnavailable) as info:
        conn.list_instances()
    assert 'libvirtd' in str(info.value)
    errors = [r for r in caplog.records if r.levelname == 'ERROR' and
              'Cannot connect to libvirt' in r.getMessage()]
    assert len(errors) == 1


def test_broken_connection_is_made_again_once(set_flags, tmp_path):
    """libvirtd went away under an open connection: the request is made
    once more over a new connection, which says libvirtd is down."""
    import libvirt
    set_flags(libvirt_uri='qemu+unix:///system?socket=%s' % (
        tmp_path / 'no-such-socket'), instances_path=str(tmp_path / 'i'),
        firewall_driver='nova.virt.firewall.NoopFirewallDriver')

    class Broken(object):
        closed = False

        def isAlive(self):
            return True

        def listAllDomains(self, flags):
            error = libvirt.libvirtError('Cannot write data: Broken pipe')
            error.err = (libvirt.VIR_ERR_SYSTEM_ERROR, libvirt.VIR_FROM_RPC,
                         'Cannot write data: Broken pipe', 2, None, None,
                         None, 0, 0)
            raise error

        def close(self):
            self.closed = True

    conn = connection.get_connection()
    broken = conn._conn = Broken()
    with pytest.raises(exceptions.HypervisorUnavailable) as info:
        conn.list_instances()
    assert 'Cannot connect to the hypervisor' in str(info.value)
    assert broken.closed
