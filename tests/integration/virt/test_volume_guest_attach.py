"""A volume carries data from one real guest to another (issue 12).

Through EC2 (boto3) on the libvirt driver with a real tgtd: CreateVolume,
two test guests, AttachVolume /dev/vdb to guest A, whose user data waits
for the disk, writes a marker to it with ``dd`` + ``sync`` and says so on
its serial console; DetachVolume; AttachVolume /dev/vdb to guest B, whose
user data waits for the disk and prints what it reads; GetConsoleOutput of
B shows A's marker.

QEMU runs in the test's host namespace and attaches the LUN with its own
iSCSI client.  tgtd listens on the root namespace's 127.0.0.1:3260; a raw
relay (``tcprelay.py`` inside the namespace, a UNIX socket, and
``UnixToTcpRelay`` outside) makes the same portal reachable from inside, so
no packet leaves loopback or the test's namespace.
"""

import os
import subprocess
import sys
import time
import uuid

import pytest

from tests.integration import tgt_helpers as tgt
from tests.integration.tgt_helpers import tgtd  # noqa: F401 - fixture
from tests.integration.virt.conftest import HERE
from tests.integration.virt.conftest import UnixToTcpRelay
from tests.integration.virt.conftest import VirtCloud

pytestmark = [pytest.mark.integration, pytest.mark.libvirt,
              pytest.mark.iscsi, pytest.mark.netns,
              pytest.mark.timeout(420)]

WAIT_DISK = '''#!/bin/sh
i=0
while [ ! -b /dev/vdb ] && [ $i -lt %(seconds)d ]; do sleep 1; i=$((i+1)); done
if [ ! -b /dev/vdb ]; then
    echo "NOVA-VOL-NODISK after $i s" > /dev/console
    exit 1
fi
'''

WRITER = WAIT_DISK + '''\
printf 'NOVA-VOL-DATA-%(token)s\\n' | dd of=/dev/vdb bs=512 conv=sync,fsync
rc=$?
sync
echo "NOVA-VOL-WROTE %(token)s rc=$rc" > /dev/console
'''

READER = WAIT_DISK + '''\
data=$(dd if=/dev/vdb bs=512 count=1 2>/dev/null | head -n 1 | \\
       tr -cd 'A-Za-z0-9-')
echo "NOVA-VOL-READ [$data]" > /dev/console
'''


@pytest.fixture
def volume_cloud(libvirt_host, test_guest, tgtd):  # noqa: F811 - fixture
    """The libvirt cloud with nova-volume on tgt and the iSCSI relay."""
    if not libvirt_host.started_libvirtd:
        pytest.skip('libvirtd already runs outside a test namespace, so '
                    'guest NICs cannot reach the test bridge; stop it to '
                    'run these tests')
    token = uuid.uuid4().hex[:8]
    cloud = VirtCloud(libvirt_host, test_guest, volume_hosts=1, extra_flags={
        'volume_driver': 'nova.volume.driver.ISCSIDriver',
        'volume_storage': 'file',
        'iscsi_helper': 'tgtadm', 'iscsi_ip_address': '127.0.0.1',
        'iscsi_num_targets': 1,
        'iscsi_target_prefix': 'iqn.2010-10.org.openstack.n12guest%s:'
                               % token})
    cloud.cloud.extra_flags['volumes_path'] = os.path.join(
        cloud.state_path, 'volumes')
    tids = []
    relay = proxy = None
    try:
        cloud.start()
        from nova import context
        from nova import db
        db.iscsi_target_create_safe(context.get_admin_context(), {
            'host': 'volume0', 'target_num': tgt.free_tid(tids)})
        sock = os.path.join(cloud.state_path, 'iscsi.sock')
        relay = UnixToTcpRelay(sock, 3260)
        proxy = subprocess.Popen(
            ['ip', 'netns', 'exec', libvirt_host.netns, sys.executable,
             os.path.join(HERE, 'tcprelay.py'), '--listen', '127.0.0.1:3260',
             '--unix', sock],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cloud.token = token
        yield cloud
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(10)
        if relay is not None:
            relay.stop()
        cloud.stop()
        iqns = tgt.target_iqns()
        for tid in tids:
            if 'n12guest' in iqns.get(tid, ''):
                subprocess.run(['tgtadm', '--lld', 'iscsi', '--op', 'delete',
                                '--mode', 'target', '--force', '--tid',
                                str(tid)], capture_output=True, timeout=10)


def _volume(client, volume_id):
    return client.describe_volumes(VolumeIds=[volume_id])['Volumes'][0]


def _wait_volume(client, volume_id, state, timeout=60):
    deadline = time.time() + timeout
    while True:
        volume = _volume(client, volume_id)
        if volume['State'] == state:
            return volume
        assert time.time() < deadline, volume
        time.sleep(0.5)


def _disk_targets(cloud, ec2_id):
    import libvirt
    from xml.etree import ElementTree
    conn = libvirt.open('qemu:///system')
    try:
        dom = conn.lookupByName(os.path.basename(cloud.instance_dir(ec2_id)))
        root = ElementTree.fromstring(dom.XMLDesc(0))
    finally:
        conn.close()
    return [t.get('dev') for t in root.findall('./devices/disk/target')]


def _wait_console(cloud, ec2_id, needle, timeout):
    deadline = time.time() + timeout
    while True:
        text = cloud.console(ec2_id)
        if needle in text or 'NOVA-VOL-NODISK' in text:
            return text
        assert time.time() < deadline, '%s: no %r; console tail: %s' % (
            ec2_id, needle, text[-2000:])
        time.sleep(1)


def test_marker_written_by_one_guest_is_read_by_another(volume_cloud):
    cloud = volume_cloud
    client = cloud.client
    token = cloud.token
    guests = []
    for script in (WRITER % {'seconds': 150, 'token': token},
                   READER % {'seconds': 240}):
        res = client.run_instances(ImageId=cloud.ami, MinCount=1, MaxCount=1,
                                   InstanceType='m1.tiny', UserData=script)
        guests.append(res['Instances'][0]['InstanceId'])
    writer, reader = guests
    volume_id = client.create_volume(Size=1, AvailabilityZone='nova')[
        'VolumeId']
    _wait_volume(client, volume_id, 'available')
    for ec2_id in guests:
        item = cloud.wait_state(ec2_id, ('running', 'error'), timeout=120)
        assert item['State']['Name'] == 'running', item.get('StateReason')

    client.attach_volume(VolumeId=volume_id, InstanceId=writer,
                         Device='/dev/vdb')
    volume = _wait_volume(client, volume_id, 'in-use')
    assert volume['Attachments'][0]['InstanceId'] == writer
    text = _wait_console(cloud, writer, 'NOVA-VOL-WROTE %s' % token, 150)
    assert 'NOVA-VOL-WROTE %s rc=0' % token in text, text[-2000:]

    assert 'vdb' in _disk_targets(cloud, writer)
    client.detach_volume(VolumeId=volume_id)
    _wait_volume(client, volume_id, 'available')
    deadline = time.time() + 30
    while 'vdb' in _disk_targets(cloud, writer):
        assert time.time() < deadline, 'vdb stays in the writer guest'
        time.sleep(0.5)
    client.attach_volume(VolumeId=volume_id, InstanceId=reader,
                         Device='/dev/vdb')
    _wait_volume(client, volume_id, 'in-use')
    text = _wait_console(cloud, reader, 'NOVA-VOL-READ', 120)
    assert 'NOVA-VOL-READ [NOVA-VOL-DATA-%s]' % token in text, text[-2000:]
    print('\n'.join(line for line in text.splitlines()
                    if 'NOVA-' in line))

    client.detach_volume(VolumeId=volume_id)
    _wait_volume(client, volume_id, 'available')
    client.terminate_instances(InstanceIds=guests)
    for ec2_id in guests:
        cloud.wait_gone(ec2_id)
    client.delete_volume(VolumeId=volume_id)
