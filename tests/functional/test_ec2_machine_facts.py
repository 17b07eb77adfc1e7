"""boto3 and the metadata service tell the machine as it is: the fake
hypervisor by name, EBS when the root device is a volume, the virtualization
type of the image, and a block-device-mapping tree of the guest's disks."""

import uuid

import pytest
import webob

from nova.api.ec2 import metadatarequesthandler
from tests.functional.conftest import InProcessCloud

pytestmark = pytest.mark.functional


@pytest.fixture(scope='module')
def vcloud(tmp_path_factory):
    cloud = InProcessCloud(
        tmp_path_factory.mktemp('facts'), volume_hosts=1,
        extra_flags={'volume_driver': 'nova.volume.driver.FakeISCSIDriver',
                     'iscsi_num_targets': 10, 'periodic_interval': 1})
    cloud.start()
    # The compute host reports its hypervisor (compute_nodes) from its
    # first periodic run on.
    assert cloud.wait_for(_hypervisor_reported, timeout=30)
    yield cloud
    cloud.stop()


@pytest.fixture(scope='module')
def client(vcloud):
    project = 'facts-%s' % uuid.uuid4().hex[:6]
    access, secret = vcloud.create_user('u' + project, project)
    return vcloud.boto3_client(access, secret)


def _hypervisor_reported():
    from nova import context
    from nova import db
    return [node['hypervisor_type'] for node in
            db.compute_node_get_all(context.get_admin_context())] == ['fake']


def _register(name, **props):
    from nova import image
    from nova.api.ec2 import ec2utils
    props.update(image_state='available', architecture='x86_64')
    created = image.get_default_image_service().create(None, {
        'name': name, 'is_public': True, 'status': 'active',
        'container_format': 'ami', 'disk_format': 'ami',
        'properties': props})
    return ec2utils.image_ec2_id(created['id'], 'ami')


def _item(client, iid):
    return client.describe_instances(InstanceIds=[iid])['Reservations'][0][
        'Instances'][0]


def _run(cloud, client, ami, **kwargs):
    iid = client.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                               **kwargs)['Instances'][0]['InstanceId']
    assert cloud.wait_for(
        lambda: _item(client, iid)['State']['Name'] in ('running', 'error'),
        timeout=30)
    item = _item(client, iid)
    assert item['State']['Name'] == 'running', item.get('StateReason')
    return item


def _metadata(item, path):
    req = webob.Request.blank(path)
    req.remote_addr = item['PrivateIpAddress']
    res = req.get_response(metadatarequesthandler.MetadataRequestHandler())
    assert res.status_int == 200, res.text
    return res.text


def _snapshot(cloud, client):
    volume = client.create_volume(Size=1, AvailabilityZone='nova')
    assert cloud.wait_for(lambda: client.describe_volumes(
        VolumeIds=[volume['VolumeId']])['Volumes'][0]['State'] ==
        'available')
    snap = client.create_snapshot(VolumeId=volume['VolumeId'])['SnapshotId']
    assert cloud.wait_for(lambda: client.describe_snapshots(
        SnapshotIds=[snap])['Snapshots'][0]['State'] == 'completed')
    return snap


def test_images_tell_their_virtualization_type(vcloud, client):
    with_kernel = vcloud.register_image('pv-image')
    without = vcloud.register_image('full-disk', kernel=False)
    found = dict((i['ImageId'], i) for i in client.describe_images(
        ImageIds=[with_kernel, without])['Images'])
    assert found[with_kernel]['VirtualizationType'] == 'paravirtual'
    assert found[without]['VirtualizationType'] == 'hvm'
    for image in found.values():
        assert image['RootDeviceType'] == 'instance-store'
        # An image runs on whatever host; it names no hypervisor.
        assert 'Hypervisor' not in image
    hvm = client.describe_images(Filters=[
        {'Name': 'virtualization-type', 'Values': ['hvm']}])['Images']
    assert [i['ImageId'] for i in hvm] == [without]


def test_instance_store_instance_on_the_fake_hypervisor(vcloud, client):
    ami = vcloud.register_image('plain')
    item = _run(vcloud, client, ami, InstanceType='m1.small')
    assert item['Hypervisor'] == 'fake'
    assert item['RootDeviceType'] == 'instance-store'
    assert item['RootDeviceName'] == '/dev/sda1'
    assert item['VirtualizationType'] == 'paravirtual'
    listed = client.describe_instances(Filters=[
        {'Name': 'hypervisor', 'Values': ['fake']},
        {'Name': 'root-device-type', 'Values': ['instance-store']}])
    assert item['InstanceId'] in [
        i['InstanceId'] for r in listed['Reservations']
        for i in r['Instances']]
    # m1.small has a 20 GB local disk and no swap: no swap is claimed.
    assert _metadata(item, '/meta-data/block-device-mapping/') \
        .splitlines() == ['ami', 'root', 'ephemeral0']
    assert _metadata(item, '/meta-data/block-device-mapping/ephemeral0') == \
        'sda2'
    client.terminate_instances(InstanceIds=[item['InstanceId']])


def test_volume_root_is_ebs_and_listed_in_the_metadata(vcloud, client):
    ami = _register('ebs-root', root_device_name='/dev/vda')
    root, data = _snapshot(vcloud, client), _snapshot(vcloud, client)
    item = _run(vcloud, client, ami, InstanceType='m1.tiny',
                BlockDeviceMappings=[
                    {'DeviceName': '/dev/vdb', 'Ebs': {'SnapshotId': data}},
                    {'DeviceName': '/dev/vda', 'Ebs': {'SnapshotId': root}}])
    assert item['RootDeviceName'] == '/dev/vda'
    assert item['RootDeviceType'] == 'ebs'
    assert item['VirtualizationType'] == 'hvm'
    assert item['Hypervisor'] == 'fake'
    tree = _metadata(item, '/meta-data/block-device-mapping/').splitlines()
    # m1.tiny: no local disk, no swap; the two volumes by device name.
    assert tree == ['ami', 'root', 'ebs0', 'ebs1']
    assert _metadata(item, '/meta-data/block-device-mapping/ami') == 'vda'
    assert _metadata(item, '/meta-data/block-device-mapping/root') == \
        '/dev/vda'
    assert _metadata(item, '/meta-data/block-device-mapping/ebs0') == \
        '/dev/vda'
    assert _metadata(item, '/meta-data/block-device-mapping/ebs1') == \
        '/dev/vdb'
    client.terminate_instances(InstanceIds=[item['InstanceId']])
