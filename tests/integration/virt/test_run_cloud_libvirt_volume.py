"""Volumes are real disks in the ``./run_cloud.sh --libvirt`` cloud.

The real script starts the cloud (its own tgtd in the cloud's namespace,
nova-volume on sparse files).  Through EC2 (boto3 on 127.0.0.1), as a user
would: one test guest boots with user data that waits in the background
for ``/dev/vdb``, writes a marker to it and says so on its serial console,
waits for the disk to go, waits for it to come back and prints what it
reads.  CreateVolume, AttachVolume, (marker written) DetachVolume,
AttachVolume again, and GetConsoleOutput shows the marker read back; the
volume's sparse file holds it too.  ``./run_cloud.sh --stop`` then leaves
no tgtd, no control socket and no namespace behind.
"""

import glob
import os
import shutil
import subprocess
import time
import uuid

import pytest

from tests.integration.virt.conftest import MARKER
from tests.integration.virt.runcloud import libvirt_cloud  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.libvirt,
              pytest.mark.iscsi, pytest.mark.netns,
              pytest.mark.timeout(900)]


@pytest.fixture(autouse=True)
def _iscsi_parts():
    """run_cloud.sh --libvirt exports volumes only with both parts."""
    if shutil.which('tgtd') is None or shutil.which('tgtadm') is None:
        pytest.skip('tgt is not installed (tools/debian-packages.txt)')
    if not glob.glob('/usr/lib/*/qemu/block-iscsi.so'):
        pytest.skip("QEMU's iSCSI client is not installed "
                    '(qemu-block-extra)')


# Runs in the background of the guest's boot (the boot marker comes first).
USER_DATA = '''#!/bin/sh
(
has_disk() { [ -b /dev/vdb ]; }
wait_for() {
    i=0
    while [ $i -lt 600 ]; do
        if [ "$1" = present ]; then has_disk && return 0
        else has_disk || return 0
        fi
        sleep 1; i=$((i+1))
    done
    echo "NOVA-VOL-TIMEOUT waiting for the disk to be $1"
    exit 1
}
wait_for present
printf 'NOVA-VOL-DATA-%(token)s\\n' | dd of=/dev/vdb bs=512 conv=sync,fsync
echo "NOVA-VOL-WROTE %(token)s rc=$?"
wait_for gone
echo "NOVA-VOL-GONE"
wait_for present
data=$(dd if=/dev/vdb bs=512 count=1 2>/dev/null | head -n 1 | \\
       tr -cd 'A-Za-z0-9-')
echo "NOVA-VOL-READ [$data]"
) > /dev/console 2>&1 &
exit 0
'''


def _state(client, volume_id):
    return client.describe_volumes(VolumeIds=[volume_id])['Volumes'][0]


def _wait_volume(client, volume_id, state, timeout=120):
    deadline = time.time() + timeout
    while True:
        volume = _state(client, volume_id)
        if volume['State'] == state:
            return volume
        assert volume['State'] != 'error', volume
        assert time.time() < deadline, volume
        time.sleep(1)


def _wait_console(client, ec2_id, needle, timeout):
    deadline = time.time() + timeout
    while True:
        text = client.get_console_output(InstanceId=ec2_id).get(
            'Output') or ''
        if needle in text or 'NOVA-VOL-TIMEOUT' in text:
            return text
        assert time.time() < deadline, '%s: no %r; console tail: %s' % (
            ec2_id, needle, text[-2000:])
        time.sleep(2)


def _tgt_targets(state):
    """``tgtadm --op show`` of the cloud's own tgtd."""
    env = dict(os.environ, TGT_IPC_SOCKET=os.path.join(state, 'tgt',
                                                       'socket'))
    return subprocess.run(
        ['tgtadm', '--lld', 'iscsi', '--op', 'show', '--mode', 'target'],
        env=env, capture_output=True, text=True, timeout=10)


def _tgtd_pid(state):
    with open(os.path.join(state, 'lv', 'pids')) as source:
        for line in source:
            name, pid = line.split()
            if name == 'tgtd':
                return int(pid)
    return None


def _running(pid):
    """Whether ``pid`` runs (an exited one not yet reaped does not)."""
    try:
        with open('/proc/%d/stat' % pid) as source:
            return source.read().rpartition(')')[2].split()[0] != 'Z'
    except OSError:
        return False


def test_volume_written_detached_reattached_read_back(libvirt_cloud):  # noqa: F811,E501
    cloud = libvirt_cloud
    state = cloud['state']
    assert "iSCSI targets of the cloud's own tgtd" in cloud['text']()
    assert 'aws ec2 attach-volume' in cloud['text']()
    tgtd = _tgtd_pid(state)
    assert tgtd is not None
    # tgtd answers in the cloud's namespace, not in the root namespace.
    listening = subprocess.run(
        ['ip', 'netns', 'exec', cloud['netns'], 'ss', '-ltnH', 'sport',
         '= :3260'], capture_output=True, text=True).stdout
    assert '127.0.0.1:3260' in listening
    assert subprocess.run(['ip', 'netns', 'identify', str(tgtd)],
                          capture_output=True, text=True).stdout.strip() \
        == cloud['netns']

    client, image = cloud['client']()
    token = uuid.uuid4().hex[:8]
    volume_id = client.create_volume(Size=1, AvailabilityZone='nova')[
        'VolumeId']
    ec2_id = client.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType='m1.tiny',
        UserData=USER_DATA % {'token': token})['Instances'][0]['InstanceId']
    _wait_volume(client, volume_id, 'available')
    text = _wait_console(client, ec2_id, MARKER, 300)
    assert 'NOVA-TEST-GUEST user-data exit=0' in text, text[-2000:]

    client.attach_volume(VolumeId=volume_id, InstanceId=ec2_id,
                         Device='/dev/vdb')
    volume = _wait_volume(client, volume_id, 'in-use')
    assert volume['Attachments'][0]['InstanceId'] == ec2_id
    text = _wait_console(client, ec2_id, 'NOVA-VOL-WROTE %s' % token, 240)
    assert 'NOVA-VOL-WROTE %s rc=0' % token in text, text[-2000:]
    # The volume is a target of the cloud's tgtd, over a sparse file.
    shown = _tgt_targets(state)
    assert shown.returncode == 0, shown.stderr
    assert volume_id.split('-')[1] in shown.stdout, shown.stdout

    client.detach_volume(VolumeId=volume_id)
    _wait_volume(client, volume_id, 'available')
    _wait_console(client, ec2_id, 'NOVA-VOL-GONE', 120)
    client.attach_volume(VolumeId=volume_id, InstanceId=ec2_id,
                         Device='/dev/vdb')
    _wait_volume(client, volume_id, 'in-use')
    text = _wait_console(client, ec2_id, 'NOVA-VOL-READ', 240)
    assert 'NOVA-VOL-READ [NOVA-VOL-DATA-%s]' % token in text, text[-2000:]
    print('\n'.join(line for line in text.splitlines() if 'NOVA-' in line))

    files = os.listdir(os.path.join(state, 'volumes'))
    assert len(files) == 1, files
    path = os.path.join(state, 'volumes', files[0])
    with open(path, 'rb') as source:
        assert source.read(512).startswith(
            b'NOVA-VOL-DATA-%s\n' % token.encode())
    assert os.stat(path).st_blocks * 512 < 1024 * 1024  # sparse

    client.detach_volume(VolumeId=volume_id)
    _wait_volume(client, volume_id, 'available')
    client.delete_volume(VolumeId=volume_id)
    deadline = time.time() + 60
    while os.listdir(os.path.join(state, 'volumes')):
        assert time.time() < deadline, 'the volume file stays'
        time.sleep(1)
    assert volume_id.split('-')[1] not in _tgt_targets(state).stdout

    stopped = cloud['stop']()
    assert stopped.returncode == 0, stopped.stderr
    cloud['proc'].wait(60)
    assert cloud['netns'] not in subprocess.run(
        ['ip', 'netns', 'list'], capture_output=True, text=True).stdout
    assert not _running(tgtd)
    assert os.listdir(os.path.join(state, 'tgt')) == ['tgtd.log']
