"""Block migration and a node's power loss in the multi-node cloud.

``tools/multinode.py up --nodes 2 --iscsi --private-instances``: the nodes
share no instance directory (each node's libvirtd and nova-compute see a
directory of their own at the same path) and volumes are real iSCSI
disks (the controller's tgtd exporting nova-volume's sparse files, the
nodes' QEMU attaching them with its own iSCSI client).

* Block migration: a guest on c2 that a guest on c1 pings every second is
  moved to c1 with ``nova-manage vm block_migration`` (its disk copied
  with its memory); the rounds without an answer are counted.  It then
  runs on c1 only, once, not booted again (its own ping rounds go on
  counting), the database says c1 and c2 has neither its domain nor its
  files.
* Power loss: two guests on c2, each with a volume it wrote a marker to,
  lose their node (``multinode.py poweroff c2``: every process of the
  node SIGKILLed, its namespace deleted); the node comes back
  (``poweron``) and the admin manual's "Disaster Recovery Process" is
  followed as written: the volume -> instance -> mountpoint relation from
  DescribeVolumes, the manual's four ``update volumes`` statements (in
  PostgreSQL's quoting), ``euca-reboot-instances`` (RebootInstances) and
  ``euca-attach-volume`` (AttachVolume) for each saved relation.  Both
  guests run again on c2 with their volumes attached, and each reads its
  own marker back from its volume.
"""

import os
import time
import uuid

import pytest

from tests.integration.virt import multinode_cloud
from tests.integration.virt.conftest import MARKER

pytestmark = [pytest.mark.integration, pytest.mark.libvirt,
              pytest.mark.iscsi, pytest.mark.netns,
              pytest.mark.timeout(900)]

SCAN = ['10.0.0.%d' % i for i in range(2, 13)]

# Runs in the background of each boot: waits for /dev/vdb, reads its first
# sector, writes the marker if it is not there yet.
VOLUME_USER_DATA = '''#!/bin/sh
(
i=0
while [ ! -b /dev/vdb ] && [ $i -lt 600 ]; do sleep 1; i=$((i+1)); done
data=$(dd if=/dev/vdb bs=512 count=1 2>/dev/null | head -n 1 | \\
       tr -cd 'A-Za-z0-9-')
echo "NOVA-VOL-READ [$data]"
if [ "$data" != "NOVA-VOL-DATA-%(token)s" ]; then
    printf 'NOVA-VOL-DATA-%(token)s\\n' | dd of=/dev/vdb bs=512 conv=sync,fsync
    echo "NOVA-VOL-WROTE %(token)s rc=$?"
fi
) > /dev/console 2>&1 &
exit 0
'''


@pytest.fixture(scope='module')
def cloud(test_guest):
    """Two nodes, no shared instance directory, iSCSI volumes."""
    missing = multinode_cloud.missing_parts()
    if missing:
        pytest.skip(missing)
    import glob
    import shutil
    if shutil.which('tgtd') is None or shutil.which('tgtadm') is None:
        pytest.skip('tgt is not installed (tools/debian-packages.txt)')
    if not glob.glob('/usr/lib/*/qemu/block-iscsi.so'):
        pytest.skip("QEMU's iSCSI client is not installed "
                    '(qemu-block-extra)')
    cloud = multinode_cloud.MultiNode(
        nodes=2, up_args=('--iscsi', '--private-instances'))
    try:
        cloud.start(test_guest)
        yield cloud
    finally:
        cloud.stop()


def _instance_dir(cloud, node, ec2_id):
    """The instance's directory in ``node``'s own instance directory."""
    private = os.path.join(cloud.dir, node, 'lv',
                           os.path.join(cloud.dir, 'instances').strip('/')
                           .replace('/', '_'))
    return os.path.join(private, cloud.domain_name(ec2_id))


def test_block_migration_of_a_pinged_guest(cloud):
    a = cloud.client('proja')
    a.create_security_group(GroupName='mn-b', Description='block migration')
    a.authorize_security_group_ingress(GroupName='mn-b', IpPermissions=[
        {'IpProtocol': 'icmp', 'FromPort': -1, 'ToPort': -1,
         'UserIdGroupPairs': [{'GroupName': 'mn-b'}]}])
    pinger = cloud.run('proja', 'c1', multinode_cloud.pinger(SCAN),
                       group='mn-b')
    moved = cloud.run('proja', 'c2', multinode_cloud.pinger(SCAN),
                      group='mn-b')
    ip = {}
    for ec2_id in (pinger, moved):
        ip[ec2_id] = cloud.wait_running('proja', ec2_id)['PrivateIpAddress']
        assert cloud.marker('proja', ec2_id)[1] == ec2_id
    name = cloud.domain_name(moved)
    # no shared instance directory: each node has its own files
    assert os.path.exists(os.path.join(_instance_dir(cloud, 'c2', moved),
                                       'disk'))
    assert not os.path.exists(_instance_dir(cloud, 'c1', moved))
    assert not os.path.exists(os.path.join(cloud.dir, 'instances', name))
    before = cloud.first_round('proja', pinger, 0,
                               lambda seen: ip[moved] in seen)
    counted = cloud.last_round('proja', moved)

    asked = cloud.last_round('proja', pinger)
    migrated = cloud.migrate('block_migration', moved, 'c1', 300)
    finished = cloud.last_round('proja', pinger)
    back = cloud.first_round('proja', pinger, finished,
                             lambda seen: ip[moved] in seen)
    lost = [n for n, seen in cloud.rounds('proja', pinger)
            if asked < n <= back and ip[moved] not in seen]
    # on the destination only, once, the same guest (not booted again)
    assert cloud.domains('c1').get(name) is True
    assert name not in cloud.domains('c2')
    assert multinode_cloud.qemu_count(name) == 1
    # the same guest, not booted again: its console file on c1 (a file of
    # c1's own) has no boot marker, and its own rounds go on counting
    went_on = cloud.first_round('proja', moved, counted,
                                lambda seen: ip[pinger] in seen)
    assert MARKER not in cloud.console('proja', moved)
    assert cloud.rounds('proja', moved)[0][0] > counted
    assert cloud.describe('proja', moved)['State']['Name'] == 'running'
    assert cloud.host_of(moved) == 'c1'
    # its disk was copied to c1's directory; c2's copy is gone
    assert os.path.exists(os.path.join(_instance_dir(cloud, 'c1', moved),
                                       'disk'))
    multinode_cloud.wait_for(
        lambda: not os.path.exists(_instance_dir(cloud, 'c2', moved)), 60,
        'the source to be cleaned up')
    cloud.terminate('proja', [pinger, moved])
    print('\nblock migration c2 -> c1 (no shared instance directory) of a '
          'pinged guest: %.1fs, %d of %d ping rounds lost (1 round/s; '
          'answered from round #%d before); its own rounds go on at #%d' % (
              migrated, len(lost), back - asked, before, went_on))


def _wait_volume(client, volume_id, state, timeout=120):
    def reached():
        volume = client.describe_volumes(VolumeIds=[volume_id])[
            'Volumes'][0]
        assert volume['State'] != 'error', volume
        return volume if volume['State'] == state else None
    return multinode_cloud.wait_for(reached, timeout, '%s to be %s' % (
        volume_id, state), 1)


def test_power_loss_then_the_manuals_disaster_recovery(cloud):
    a = cloud.client('proja')
    tokens = {}
    guests = []
    for _ in range(2):
        token = uuid.uuid4().hex[:8]
        ec2_id = cloud.run('proja', 'c2', VOLUME_USER_DATA % {
            'token': token})
        tokens[ec2_id] = token
        guests.append(ec2_id)
    volumes = {}
    for ec2_id in guests:
        volumes[ec2_id] = a.create_volume(Size=1, AvailabilityZone='nova')[
            'VolumeId']
    for ec2_id in guests:
        cloud.wait_running('proja', ec2_id)
        cloud.marker('proja', ec2_id)
        _wait_volume(a, volumes[ec2_id], 'available')
        a.attach_volume(VolumeId=volumes[ec2_id], InstanceId=ec2_id,
                        Device='/dev/vdb')
    for ec2_id in guests:
        _wait_volume(a, volumes[ec2_id], 'in-use')
    for ec2_id in guests:
        multinode_cloud.wait_for(
            lambda ec2_id=ec2_id: 'NOVA-VOL-WROTE %s rc=0' % tokens[ec2_id]
            in cloud.console('proja', ec2_id), 240,
            'the marker written by %s' % ec2_id, 2)

    # the plug of c2 is pulled; later it boots again
    names = {ec2_id: cloud.domain_name(ec2_id) for ec2_id in guests}
    cloud.tool('poweroff', 'c2')
    for ec2_id in guests:
        assert multinode_cloud.qemu_count(names[ec2_id]) == 0
    assert '%s-c2' % cloud.prefix not in cloud.ns(
        'ctl', 'ip', 'netns', 'list').stdout
    time.sleep(3)
    powered = time.time()
    cloud.tool('poweron', 'c2')

    cloud.wait_reported('c2', 120)
    # the database was not told: the volumes are still in-use
    for ec2_id in guests:
        assert a.describe_volumes(VolumeIds=[volumes[ec2_id]])['Volumes'][
            0]['State'] == 'in-use'
    recovery = time.time()

    # 1. the volume -> instance -> mountpoint relation (euca-describe-
    # volumes), saved before the database is cleaned
    relation = []
    for volume in a.describe_volumes()['Volumes']:
        for attachment in volume['Attachments']:
            relation.append((volume['VolumeId'], attachment['InstanceId'],
                             attachment['Device']))
    assert sorted(relation) == sorted(
        (volumes[ec2_id], ec2_id, '/dev/vdb') for ec2_id in guests)
    # 2. the manual's statements, PostgreSQL's quoting
    cloud.execute('update volumes set mountpoint=NULL')
    cloud.execute("update volumes set status='available' where status "
                  "<>'error_deleting'")
    cloud.execute("update volumes set attach_status='detached'")
    cloud.execute('update volumes set instance_id=0')
    for volume in a.describe_volumes()['Volumes']:
        assert volume['State'] == 'available', volume
    # 3. euca-reboot-instances
    a.reboot_instances(InstanceIds=guests)
    for ec2_id in guests:
        cloud.wait_running('proja', ec2_id)
    # 4. euca-attach-volume for each saved relation
    for volume_id, ec2_id, device in relation:
        a.attach_volume(VolumeId=volume_id, InstanceId=ec2_id,
                        Device=device)
        time.sleep(2)
    for volume_id, ec2_id, _device in relation:
        volume = _wait_volume(a, volume_id, 'in-use')
        assert volume['Attachments'][0]['InstanceId'] == ec2_id
    # each guest reads its own marker back from its volume
    for ec2_id in guests:
        multinode_cloud.wait_for(
            lambda ec2_id=ec2_id: 'NOVA-VOL-READ [NOVA-VOL-DATA-%s]' %
            tokens[ec2_id] in cloud.console('proja', ec2_id), 240,
            'the marker read back by %s' % ec2_id, 2)
    recovered = time.time()
    for ec2_id in guests:
        assert cloud.describe('proja', ec2_id)['State']['Name'] == 'running'
        assert cloud.host_of(ec2_id) == 'c2'
        assert cloud.domains('c2').get(names[ec2_id]) is True
        assert multinode_cloud.qemu_count(names[ec2_id]) == 1
    cloud.terminate('proja', guests)
    for ec2_id in guests:
        _wait_volume(a, volumes[ec2_id], 'available')
        a.delete_volume(VolumeId=volumes[ec2_id])
    print('\npower loss of c2 (2 guests with iSCSI volumes): node up and '
          'reporting %.1fs after poweron; the manual\'s disaster recovery '
          '(SQL, reboot, re-attach) until both guests read their volume '
          'markers: %.1fs; %.1fs from poweron to recovered' % (
              recovery - powered, recovered - recovery,
              recovered - powered))
