"""The manual's bundle -> upload -> register flow with Glance behind it.

A cloud on ``--image_service=nova.image.glance.GlanceImageService`` and a
real glance-api (tests/integration/glance_server.py): RegisterImage of an
uploaded bundle fetches, decrypts and untars it through the S3 image
service and stores the image in Glance (v2), where DescribeImages finds it
``available`` with the bundle's bytes, and RunInstances boots it (fake
hypervisor).
"""

import io
import os

import pytest

from nova import context
from nova.api.ec2 import ec2utils
from nova.image import glance
from tests.functional.s3_helpers import S3Cloud
from tests.functional.test_bundle_flow import bundle_and_upload
from tests.functional.test_bundle_flow import wait_state
from tests.integration import glance_server

pytestmark = [pytest.mark.integration, pytest.mark.glance,
              pytest.mark.timeout(900)]
MIB = 1 << 20
server = glance_server.glance_api


@pytest.fixture(scope='module')
def cloud(server, tmp_path_factory):
    """A cloud (with nova-objectstore) whose images live in Glance."""
    glance.forget_api_versions()
    instance = S3Cloud(tmp_path_factory.mktemp('s3glance'), extra_flags={
        'image_service': 'nova.image.glance.GlanceImageService',
        'glance_api_servers': [server.address],
        'glance_api_version': 'auto'})
    instance.start()
    yield instance
    instance.stop()
    glance.forget_api_versions()


def test_bundle_register_into_real_glance(cloud, tmp_path):
    access, secret = cloud.create_user('gbundler', 'gproj')
    env = cloud.credentials('gbundler', 'gproj', str(tmp_path / 'creds'))
    ec2 = cloud.boto3_client(access, secret)
    disk = tmp_path / 'disk.img'
    disk.write_bytes(os.urandom(2 * MIB + 17))
    bundle_and_upload(env, disk, tmp_path, 'gbucket')
    ami = ec2.register_image(
        Name='glance-disk',
        ImageLocation='gbucket/disk.img.manifest.xml')['ImageId']
    seen = []
    image = wait_state(cloud, ec2, ami, seen)
    assert image['State'] == 'available', (image, seen)
    assert image['ImageLocation'] == 'gbucket/disk.img.manifest.xml'

    number = ec2utils.ec2_id_to_id(ami)
    backing = glance.GlanceImageService()
    stored = backing.show(context.RequestContext('gbundler', 'gproj'),
                          number)
    assert stored['status'] == 'active'
    assert stored['owner'] == 'gproj'
    assert stored['container_format'] == 'ami'
    assert stored['properties']['image_state'] == 'available'
    data = io.BytesIO()
    backing.get(None, number, data)
    assert data.getvalue() == disk.read_bytes()

    # The compute path reads the image from Glance too (fake driver).
    instance = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                                 InstanceType='m1.tiny')['Instances'][0]
    assert instance['ImageId'] == ami

    def running():
        found = ec2.describe_instances(InstanceIds=[instance['InstanceId']])
        return found['Reservations'][0]['Instances'][0]['State'][
            'Name'] == 'running'
    assert cloud.wait_for(running, timeout=60)
    ec2.terminate_instances(InstanceIds=[instance['InstanceId']])

    ec2.deregister_image(ImageId=ami)
    with pytest.raises(ec2.exceptions.ClientError) as err:
        ec2.describe_images(ImageIds=[ami])
    assert err.value.response['Error']['Code'] == 'InvalidAMIID.NotFound'
