"""The whole path with a real tgtd: boto3 creates a volume, attaches it to
one instance, data is written through the attachment's iSCSI target (QEMU's
client standing in for the guest), the volume is detached, attached to a
second instance, and the data is read back there; then it is deleted and
its target and file are gone.

The cloud runs in-process (fake hypervisor, which records the connection
info it is given); nova-volume uses ISCSIDriver with sparse files and
tgtadm.  The iSCSI target numbers are unique ones this test reserves.
"""

import os
import uuid

import pytest

from tests.functional.conftest import InProcessCloud
from tests.integration import tgt_helpers as tgt
from tests.integration.tgt_helpers import tgtd  # noqa: F401 - fixture

pytestmark = [pytest.mark.integration, pytest.mark.iscsi,
              pytest.mark.timeout(180)]


@pytest.fixture
def cloud(tmp_path, tgtd):  # noqa: F811 - the fixture
    token = uuid.uuid4().hex[:8]
    volumes_path = tmp_path / 'volumes'
    instance = InProcessCloud(tmp_path / 'state', volume_hosts=1, extra_flags={
        'volume_driver': 'nova.volume.driver.ISCSIDriver',
        'volume_storage': 'file', 'volumes_path': str(volumes_path),
        'iscsi_helper': 'tgtadm', 'iscsi_ip_address': '127.0.0.1',
        'iscsi_num_targets': 2,
        'iscsi_target_prefix': 'iqn.2010-10.org.openstack.n12test%s:'
                               % token})
    tids = []
    instance.start()
    try:
        from nova import context
        from nova import db
        admin = context.get_admin_context()
        for _ in range(2):
            db.iscsi_target_create_safe(admin, {
                'host': 'volume0', 'target_num': tgt.free_tid(tids)})
        instance.volumes_path = str(volumes_path)
        instance.tids = tids
        yield instance
    finally:
        instance.stop()
        iqns = tgt.target_iqns()
        for tid in tids:
            if 'n12test' in iqns.get(tid, ''):
                import subprocess
                subprocess.run(['tgtadm', '--lld', 'iscsi', '--op', 'delete',
                                '--mode', 'target', '--force', '--tid',
                                str(tid)], capture_output=True, timeout=10)


def _connection(cloud, instance_id, device):
    name = 'instance-%s' % instance_id.split('-')[1]
    for svc in cloud.services:
        if getattr(svc, 'binary', None) == 'nova-compute':
            guest = svc.manager.driver.guests.get(name)
            if guest is not None:
                return guest.volumes.get(device)
    return None


def _state(client, volume_id):
    return client.describe_volumes(VolumeIds=[volume_id])['Volumes'][0][
        'State']


def test_data_survives_detach_and_attach_elsewhere(cloud):
    access, secret = cloud.create_user('n12u', 'n12p-%s' % uuid.uuid4().hex[:6])
    client = cloud.boto3_client(access, secret)
    ami = cloud.register_image('n12image')
    instances = []
    for _ in range(2):
        reservation = client.run_instances(ImageId=ami, MinCount=1,
                                           MaxCount=1)
        instances.append(reservation['Instances'][0]['InstanceId'])
    assert cloud.wait_for(lambda: all(
        r['Instances'][0]['State']['Name'] == 'running' for r in
        client.describe_instances(InstanceIds=instances)['Reservations']),
        timeout=60)
    volume_id = client.create_volume(Size=1, AvailabilityZone='nova')[
        'VolumeId']
    assert cloud.wait_for(lambda: _state(client, volume_id) == 'available',
                          timeout=60), _state(client, volume_id)
    name = 'volume-%s' % volume_id.split('-')[1]
    assert os.path.exists(os.path.join(cloud.volumes_path, name))

    client.attach_volume(VolumeId=volume_id, InstanceId=instances[0],
                         Device='/dev/vdb')
    assert cloud.wait_for(lambda: _state(client, volume_id) == 'in-use')
    info = _connection(cloud, instances[0], '/dev/vdb')
    assert info['data']['target_portal'] == '127.0.0.1:3260'
    url = tgt.url(info)
    assert tgt.size(url) == 1024 ** 3
    ok, out = tgt.qemu_io(url, 'write -P 0x6e 512k 64k')
    assert ok, out

    client.detach_volume(VolumeId=volume_id)
    assert cloud.wait_for(lambda: _state(client, volume_id) == 'available')
    assert _connection(cloud, instances[0], '/dev/vdb') is None
    client.attach_volume(VolumeId=volume_id, InstanceId=instances[1],
                         Device='/dev/vdc')
    assert cloud.wait_for(lambda: _state(client, volume_id) == 'in-use')
    ok, out = tgt.qemu_io(tgt.url(_connection(cloud, instances[1],
                                              '/dev/vdc')),
                          'read -P 0x6e 512k 64k')
    assert ok, out

    client.detach_volume(VolumeId=volume_id)
    assert cloud.wait_for(lambda: _state(client, volume_id) == 'available')
    client.delete_volume(VolumeId=volume_id)
    assert cloud.wait_for(lambda: volume_id not in [
        v['VolumeId'] for v in client.describe_volumes()['Volumes']])
    assert not os.path.exists(os.path.join(cloud.volumes_path, name))
    assert info['data']['target_iqn'] not in tgt.target_iqns().values()
