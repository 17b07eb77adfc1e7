"""EC2 volume and snapshot actions through boto3, on the in-process cloud
with nova-volume (FakeISCSIDriver) and the fake hypervisor."""

import uuid

import botocore.exceptions
import pytest

from tests.functional.conftest import InProcessCloud

pytestmark = pytest.mark.functional


@pytest.fixture(scope='module')
def vcloud(tmp_path_factory):
    cloud = InProcessCloud(
        tmp_path_factory.mktemp('vcloud'), volume_hosts=1,
        extra_flags={'volume_driver': 'nova.volume.driver.FakeISCSIDriver',
                     'max_volume_size': 50, 'iscsi_num_targets': 20})
    cloud.start()
    yield cloud
    cloud.stop()


def _user(cloud, prefix='vol'):
    project = '%s-%s' % (prefix, uuid.uuid4().hex[:6])
    access, secret = cloud.create_user('u' + project, project)
    return cloud.boto3_client(access, secret), project


@pytest.fixture(scope='module')
def client(vcloud):
    return _user(vcloud)[0]


@pytest.fixture(scope='module')
def ami(vcloud):
    return vcloud.register_image('volimage')


def _code(excinfo):
    return excinfo.value.response['Error']['Code']


def _volume(client, volume_id):
    return client.describe_volumes(VolumeIds=[volume_id])['Volumes'][0]


def _wait_volume(cloud, client, volume_id, status, attach=None):
    def ready():
        volume = _volume(client, volume_id)
        if volume['State'] != status:
            return False
        if attach is not None:
            states = [a['State'] for a in volume['Attachments']]
            return states == ([attach] if attach else [])
        return True
    assert cloud.wait_for(ready, timeout=30), _volume(client, volume_id)
    return _volume(client, volume_id)


def _new_volume(cloud, client, size=1, **kwargs):
    volume = client.create_volume(Size=size, AvailabilityZone='nova',
                                  **kwargs)
    return _wait_volume(cloud, client, volume['VolumeId'], 'available')


def _instance(cloud, client, ami, **kwargs):
    reservation = client.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                                       **kwargs)
    instance_id = reservation['Instances'][0]['InstanceId']

    def running():
        found = client.describe_instances(InstanceIds=[instance_id])
        return found['Reservations'][0]['Instances'][0]['State'][
            'Name'] == 'running'
    assert cloud.wait_for(running, timeout=30)
    return instance_id


def _guest_volumes(cloud, instance_id):
    name = 'instance-%s' % instance_id.split('-')[1]
    for svc in cloud.services:
        if getattr(svc, 'binary', None) == 'nova-compute':
            guest = svc.manager.driver.guests.get(name)
            if guest is not None:
                return dict(guest.volumes)
    return None


def _count(client):
    return len(client.describe_volumes()['Volumes'])


def test_create_describe_delete(vcloud, client):
    created = client.create_volume(Size=2, AvailabilityZone='nova')
    assert created['VolumeId'].startswith('vol-')
    assert created['Size'] == 2 and created['State'] == 'creating'
    volume = _wait_volume(vcloud, client, created['VolumeId'], 'available')
    assert volume['AvailabilityZone'] == 'nova'
    assert volume['Attachments'] == []
    assert volume['CreateTime'] is not None
    found = client.describe_volumes(Filters=[
        {'Name': 'status', 'Values': ['available']},
        {'Name': 'volume-id', 'Values': [created['VolumeId']]}])['Volumes']
    assert [v['VolumeId'] for v in found] == [created['VolumeId']]
    assert client.describe_volumes(Filters=[
        {'Name': 'size', 'Values': ['999']}])['Volumes'] == []
    client.delete_volume(VolumeId=created['VolumeId'])

    def gone():
        try:
            _volume(client, created['VolumeId'])
        except botocore.exceptions.ClientError as exc:
            return exc.response['Error']['Code'] == 'InvalidVolume.NotFound'
        return False
    assert vcloud.wait_for(gone, timeout=30)


@pytest.mark.parametrize('size', [0, -1, 51, 'abc'])
def test_bad_sizes_are_refused_and_nothing_is_created(vcloud, client, size):
    before = _count(client)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.create_volume(Size=size, AvailabilityZone='nova') \
            if isinstance(size, int) else \
            client.create_volume(Size=1, AvailabilityZone='nova',
                                 SnapshotId='snap-xyz')
    assert _code(err) in ('InvalidParameterValue',
                          'InvalidSnapshotID.Malformed')
    assert 'Traceback' not in str(err.value)
    assert _count(client) == before


def test_errors_for_unknown_and_malformed_ids(client):
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.describe_volumes(VolumeIds=['vol-7fffff00'])
    assert _code(err) == 'InvalidVolume.NotFound'
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.delete_volume(VolumeId='volume-1')
    assert _code(err) == 'InvalidVolumeID.Malformed'
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.delete_snapshot(SnapshotId='snap-7fffff00')
    assert _code(err) == 'InvalidSnapshot.NotFound'


def test_quotas_volumes_and_gigabytes(vcloud):
    from nova import context
    from nova import db
    client, project = _user(vcloud, 'quota')
    admin = context.get_admin_context()
    db.quota_create(admin, project, 'volumes', 2)
    db.quota_create(admin, project, 'gigabytes', 5)
    client.create_volume(Size=2, AvailabilityZone='nova')
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.create_volume(Size=4, AvailabilityZone='nova')
    assert _code(err) == 'VolumeLimitExceeded'
    client.create_volume(Size=3, AvailabilityZone='nova')
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.create_volume(Size=1, AvailabilityZone='nova')
    assert _code(err) == 'VolumeLimitExceeded'
    assert _count(client) == 2


def test_attach_detach_and_reattach_elsewhere(vcloud, client, ami):
    first = _instance(vcloud, client, ami)
    second = _instance(vcloud, client, ami)
    volume_id = _new_volume(vcloud, client)['VolumeId']
    answer = client.attach_volume(VolumeId=volume_id, InstanceId=first,
                                  Device='/dev/vdb')
    assert answer['State'] == 'attaching'
    assert answer['InstanceId'] == first and answer['Device'] == '/dev/vdb'
    volume = _wait_volume(vcloud, client, volume_id, 'in-use', 'attached')
    attachment = volume['Attachments'][0]
    assert attachment['InstanceId'] == first
    assert attachment['Device'] == '/dev/vdb'
    info = _guest_volumes(vcloud, first)['/dev/vdb']
    assert info['driver_volume_type'] == 'iscsi'
    assert info['data']['target_iqn'].endswith(
        'volume-%s' % volume_id.split('-')[1])
    assert info['data']['target_lun'] == 1
    found = client.describe_volumes(Filters=[
        {'Name': 'attachment.instance-id', 'Values': [first]}])['Volumes']
    assert [v['VolumeId'] for v in found] == [volume_id]

    # in use: no second attach, no delete, no snapshot without Force
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.attach_volume(VolumeId=volume_id, InstanceId=second,
                             Device='/dev/vdb')
    assert _code(err) == 'VolumeInUse'
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.delete_volume(VolumeId=volume_id)
    assert _code(err) == 'VolumeInUse'
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.create_snapshot(VolumeId=volume_id)
    assert _code(err) == 'IncorrectState'
    # the device is taken on the first instance; a bad device is refused
    other = _new_volume(vcloud, client)['VolumeId']
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.attach_volume(VolumeId=other, InstanceId=first,
                             Device='/dev/vdb')
    assert _code(err) == 'InvalidParameterValue'
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.attach_volume(VolumeId=other, InstanceId=first,
                             Device='/dev/xyz1')
    assert _code(err) == 'InvalidParameterValue'
    assert _volume(client, other)['State'] == 'available'

    answer = client.detach_volume(VolumeId=volume_id)
    assert answer['State'] == 'detaching'
    _wait_volume(vcloud, client, volume_id, 'available', '')
    assert '/dev/vdb' not in _guest_volumes(vcloud, first)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.detach_volume(VolumeId=volume_id)
    assert _code(err) == 'IncorrectState'

    client.attach_volume(VolumeId=volume_id, InstanceId=second,
                         Device='/dev/vdc')
    _wait_volume(vcloud, client, volume_id, 'in-use', 'attached')
    assert '/dev/vdc' in _guest_volumes(vcloud, second)
    client.detach_volume(VolumeId=volume_id, InstanceId=second, Force=True)
    _wait_volume(vcloud, client, volume_id, 'available', '')


def test_other_projects_cannot_touch(vcloud, client, ami):
    mine = _instance(vcloud, client, ami)
    my_volume = _new_volume(vcloud, client)['VolumeId']
    other, _project = _user(vcloud, 'other')
    their_volume = _new_volume(vcloud, other)['VolumeId']
    with pytest.raises(botocore.exceptions.ClientError) as err:
        other.attach_volume(VolumeId=their_volume, InstanceId=mine,
                            Device='/dev/vdb')
    assert _code(err) == 'InvalidInstanceID.NotFound'
    with pytest.raises(botocore.exceptions.ClientError) as err:
        other.describe_volumes(VolumeIds=[my_volume])
    assert _code(err) == 'InvalidVolume.NotFound'
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.attach_volume(VolumeId=their_volume, InstanceId=mine,
                             Device='/dev/vdb')
    assert _code(err) == 'InvalidVolume.NotFound'
    assert _volume(other, their_volume)['State'] == 'available'
    assert my_volume not in [v['VolumeId'] for v in
                             other.describe_volumes()['Volumes']]


def test_snapshots_and_volume_from_snapshot(vcloud, client):
    volume_id = _new_volume(vcloud, client, size=3)['VolumeId']
    snap = client.create_snapshot(VolumeId=volume_id, Description='first')
    assert snap['SnapshotId'].startswith('snap-')
    assert snap['VolumeId'] == volume_id and snap['VolumeSize'] == 3

    def completed():
        found = client.describe_snapshots(SnapshotIds=[snap['SnapshotId']])
        return found['Snapshots'][0]['State'] == 'completed'
    assert vcloud.wait_for(completed, timeout=30)
    listed = client.describe_snapshots(Filters=[
        {'Name': 'volume-id', 'Values': [volume_id]}])['Snapshots']
    assert [s['SnapshotId'] for s in listed] == [snap['SnapshotId']]
    assert listed[0]['Progress'] == '100%'
    assert listed[0]['Description'] == 'first'

    clone = client.create_volume(SnapshotId=snap['SnapshotId'],
                                 AvailabilityZone='nova')
    assert clone['Size'] == 3 and clone['SnapshotId'] == snap['SnapshotId']
    _wait_volume(vcloud, client, clone['VolumeId'], 'available')
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.create_volume(Size=1, SnapshotId=snap['SnapshotId'],
                             AvailabilityZone='nova')
    assert _code(err) == 'InvalidParameterValue'

    client.delete_snapshot(SnapshotId=snap['SnapshotId'])

    def snap_gone():
        return snap['SnapshotId'] not in [
            s['SnapshotId'] for s in
            client.describe_snapshots()['Snapshots']]
    assert vcloud.wait_for(snap_gone, timeout=30)


def test_boot_with_block_device_mapping_and_terminate(vcloud, client, ami):
    source = _new_volume(vcloud, client, size=1)['VolumeId']
    snap = client.create_snapshot(VolumeId=source)['SnapshotId']
    assert vcloud.wait_for(lambda: client.describe_snapshots(
        SnapshotIds=[snap])['Snapshots'][0]['State'] == 'completed')
    kept = _new_volume(vcloud, client)['VolumeId']
    instance_id = _instance(vcloud, client, ami, BlockDeviceMappings=[
        {'DeviceName': '/dev/vdb',
         'Ebs': {'SnapshotId': snap, 'DeleteOnTermination': True}},
        {'DeviceName': '/dev/vdc', 'Ebs': {'SnapshotId': kept}}])
    attached = client.describe_volumes(Filters=[
        {'Name': 'attachment.instance-id', 'Values': [instance_id]}])
    by_device = dict((v['Attachments'][0]['Device'], v)
                     for v in attached['Volumes'])
    assert sorted(by_device) == ['/dev/vdb', '/dev/vdc']
    assert by_device['/dev/vdc']['VolumeId'] == kept
    made = by_device['/dev/vdb']['VolumeId']
    assert by_device['/dev/vdb']['SnapshotId'] == snap
    assert sorted(_guest_volumes(vcloud, instance_id)) == ['/dev/vdb',
                                                           '/dev/vdc']
    assert by_device['/dev/vdb']['Attachments'][0]['DeleteOnTermination']
    assert not by_device['/dev/vdc']['Attachments'][0]['DeleteOnTermination']
    shown = client.describe_instances(InstanceIds=[instance_id])[
        'Reservations'][0]['Instances'][0]['BlockDeviceMappings']
    assert [(m['DeviceName'], m['Ebs']['VolumeId'], m['Ebs']['Status'],
             m['Ebs']['DeleteOnTermination']) for m in shown] == [
        ('/dev/vdb', made, 'attached', True),
        ('/dev/vdc', kept, 'attached', False)]

    client.terminate_instances(InstanceIds=[instance_id])
    _wait_volume(vcloud, client, kept, 'available', '')

    def made_gone():
        return made not in [v['VolumeId'] for v in
                            client.describe_volumes()['Volumes']]
    assert vcloud.wait_for(made_gone, timeout=30)


def test_boot_with_an_in_use_volume_is_refused(vcloud, client, ami):
    busy = _new_volume(vcloud, client)['VolumeId']
    holder = _instance(vcloud, client, ami)
    client.attach_volume(VolumeId=busy, InstanceId=holder, Device='vdd')
    _wait_volume(vcloud, client, busy, 'in-use', 'attached')
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                             BlockDeviceMappings=[{
                                 'DeviceName': '/dev/vdb',
                                 'Ebs': {'SnapshotId': busy}}])
    assert _code(err) == 'VolumeInUse'


def _run_sql(statement, **params):
    from sqlalchemy import text

    from nova.db.sqlalchemy import session
    with session.session_scope() as db_session:
        db_session.execute(text(statement), params)


def test_manual_recovery_sql_then_attach_again(vcloud, client, ami):
    instance_id = _instance(vcloud, client, ami)
    volume_id = _new_volume(vcloud, client)['VolumeId']
    client.attach_volume(VolumeId=volume_id, InstanceId=instance_id,
                         Device='/dev/vdb')
    _wait_volume(vcloud, client, volume_id, 'in-use', 'attached')
    number = int(volume_id.split('-')[1], 16)
    # The admin manual's disaster-recovery queries, for this volume.
    _run_sql('update volumes set mountpoint=NULL where id=:id', id=number)
    _run_sql("update volumes set status='available' where "
             "status<>'error_deleting' and id=:id", id=number)
    _run_sql("update volumes set attach_status='detached' where id=:id",
             id=number)
    _run_sql('update volumes set instance_id=0 where id=:id', id=number)
    volume = _volume(client, volume_id)
    assert volume['State'] == 'available' and volume['Attachments'] == []
    client.reboot_instances(InstanceIds=[instance_id])
    client.attach_volume(VolumeId=volume_id, InstanceId=instance_id,
                         Device='/dev/vdb')
    volume = _wait_volume(vcloud, client, volume_id, 'in-use', 'attached')
    assert volume['Attachments'][0]['InstanceId'] == instance_id
    assert '/dev/vdb' in _guest_volumes(vcloud, instance_id)
    client.detach_volume(VolumeId=volume_id)
    _wait_volume(vcloud, client, volume_id, 'available', '')
    client.delete_volume(VolumeId=volume_id)


def test_manage_reattach_after_compute_reboot(vcloud, client, ami):
    from nova.manage import volume as manage_volume
    instance_id = _instance(vcloud, client, ami)
    volume_id = _new_volume(vcloud, client)['VolumeId']
    client.attach_volume(VolumeId=volume_id, InstanceId=instance_id,
                         Device='/dev/vdb')
    _wait_volume(vcloud, client, volume_id, 'in-use', 'attached')
    name = 'instance-%s' % instance_id.split('-')[1]

    def lose_volumes():
        for svc in vcloud.services:
            if getattr(svc, 'binary', None) == 'nova-compute' and \
                    name in svc.manager.driver.guests:
                svc.manager.driver.guests[name].volumes.clear()
    vcloud.call_in_cloud(lose_volumes)
    assert _guest_volumes(vcloud, instance_id) == {}
    vcloud.call_in_cloud(manage_volume.VolumeCommands().reattach, volume_id)
    assert vcloud.wait_for(
        lambda: '/dev/vdb' in _guest_volumes(vcloud, instance_id))
    assert _volume(client, volume_id)['State'] == 'in-use'
    with pytest.raises(manage_volume.CommandError) as err:
        manage_volume.VolumeCommands().delete(volume_id)
    assert 'in-use' in str(err.value)


def test_manage_delete_of_a_volume_in_error(vcloud, client):
    from nova.manage import volume as manage_volume
    volume_id = _new_volume(vcloud, client)['VolumeId']
    number = int(volume_id.split('-')[1], 16)
    _run_sql("update volumes set status='error_deleting' where id=:id",
             id=number)
    vcloud.call_in_cloud(manage_volume.VolumeCommands().delete, volume_id)
    assert vcloud.wait_for(lambda: volume_id not in [
        v['VolumeId'] for v in client.describe_volumes()['Volumes']])
    with pytest.raises(manage_volume.CommandError):
        manage_volume.VolumeCommands().reattach('vol-7ffffff0')
