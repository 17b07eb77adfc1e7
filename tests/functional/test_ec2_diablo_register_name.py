"""RegisterImage as Diablo's smoketests call it with boto 2:
``conn.register_image('bucket/x.manifest.xml')`` sends the location as
``Name`` (boto 2's first positional argument) and no ``ImageLocation``;
Diablo took ``Name`` as the location, and so does this cloud.  boto3's
RegisterImage without a location stays MissingParameter."""

import os

import pytest

from tests import boto2
from tests.functional.s3_helpers import s3cloud  # noqa: F401 - fixture
from tests.functional.test_bundle_flow import bundle_and_upload, wait_state

boto2.require()    # this module skips where boto 2 cannot load
import boto.exception  # noqa: E402

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]


def test_boto2_register_image_positional_location(s3cloud,  # noqa: F811
                                                  tmp_path):
    access, secret = s3cloud.create_user('smoke', 'sproj')
    env = s3cloud.credentials('smoke', 'sproj', str(tmp_path / 'creds'))
    kernel = tmp_path / 'vmlinuz'
    kernel.write_bytes(os.urandom(64 * 1024))
    bundle_and_upload(env, kernel, tmp_path, 'smokebucket', '--kernel',
                      'true')

    conn = s3cloud.boto2_connection(access, secret)
    image_id = conn.register_image('smokebucket/vmlinuz.manifest.xml')
    assert image_id.startswith('aki-')
    ec2 = s3cloud.boto3_client(access, secret)
    image = wait_state(s3cloud, ec2, image_id)
    assert image['State'] == 'available', image
    assert image['ImageLocation'] == 'smokebucket/vmlinuz.manifest.xml'
    [boto2_image] = conn.get_all_images([image_id])
    assert boto2_image.location == 'smokebucket/vmlinuz.manifest.xml'

    # A manifest that is not there: the bundle's error, not a missing
    # parameter (the Name was taken as the location).
    with pytest.raises(boto.exception.EC2ResponseError) as info:
        conn.register_image('smokebucket/absent.manifest.xml')
    assert info.value.error_code == 'InvalidManifest'

    # Neither a location nor a location-shaped Name: MissingParameter, from
    # boto 2 and boto3 alike.
    with pytest.raises(boto.exception.EC2ResponseError) as info:
        conn.register_image('just-a-name')
    assert info.value.error_code == 'MissingParameter'
    with pytest.raises(ec2.exceptions.ClientError) as err:
        ec2.register_image(Name='mine', Architecture='x86_64')
    assert err.value.response['Error']['Code'] == 'MissingParameter'
