"""The admin manual's image flow: bundle -> upload -> register -> run.

``tools/bundle_image.py`` (the project's euca-bundle-image and
euca-upload-bundle) bundles a kernel, a ramdisk and a disk image with the
credentials of a ``nova-manage project zipfile`` and uploads them to
nova-objectstore; RegisterImage records each ``pending`` and the S3 image
service fetches, verifies, decrypts and untars it until DescribeImages
says ``available``; RunInstances then boots it (fake driver).
"""

import io
import os
import subprocess
import sys

import pytest

from tests.functional.conftest import REPO
from tests.functional.s3_helpers import s3cloud  # noqa: F401 - fixture

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]
TOOL = os.path.join(REPO, 'tools', 'bundle_image.py')
MIB = 1024 * 1024


def bundle_tool(env, *args, check=True):
    """Run tools/bundle_image.py with the novarc environment."""
    proc = subprocess.run([sys.executable, TOOL] + list(args),
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, **env))
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope='module')
def alice(s3cloud, tmp_path_factory):  # noqa: F811 - fixture
    access, secret = s3cloud.create_user('alice', 'aproj')
    env = s3cloud.credentials('alice', 'aproj',
                              str(tmp_path_factory.mktemp('alice-creds')))
    return {'ec2': s3cloud.boto3_client(access, secret),
            's3': s3cloud.boto3_s3(access, secret), 'env': env}


def wait_state(s3cloud, ec2, image_id, seen=None):  # noqa: F811
    """Poll DescribeImages until the image leaves the working states."""
    working = ('pending', 'downloading', 'decrypting', 'untarring',
               'uploading')
    image = {}

    def done():
        image.update(ec2.describe_images(ImageIds=[image_id])['Images'][0])
        if seen is not None and (not seen or seen[-1] != image['State']):
            seen.append(image['State'])
        return image['State'] not in working

    assert s3cloud.wait_for(done, timeout=120, interval=0.05)
    return image


def bundle_and_upload(env, path, workdir, bucket, *extra):
    out = os.path.join(str(workdir), os.path.basename(path) + '.bundle')
    bundle_tool(env, 'bundle-image', '-i', str(path), '-d', out, *extra)
    manifest = os.path.join(out, os.path.basename(path) + '.manifest.xml')
    bundle_tool(env, 'upload-bundle', '-b', bucket, '-m', manifest)
    return manifest


def stored_bytes(image_id):
    from nova import image
    from nova.api.ec2 import ec2utils
    data = io.BytesIO()
    image.get_default_image_service().get(
        None, ec2utils.ec2_id_to_id(image_id), data)
    return data.getvalue()


def test_manual_bundle_upload_register_run(s3cloud, alice,  # noqa: F811
                                           tmp_path):
    ec2, env = alice['ec2'], alice['env']
    files = {}
    for name, size in (('vmlinuz', MIB // 2), ('initrd', MIB // 3),
                       ('server.img', 3 * MIB + 123)):
        files[name] = tmp_path / name
        files[name].write_bytes(os.urandom(size))
    kernel_manifest = bundle_and_upload(env, files['vmlinuz'], tmp_path,
                                        'mybucket', '--kernel', 'true')
    bundle_and_upload(env, files['initrd'], tmp_path, 'mybucket',
                      '--ramdisk', 'true')
    # The manifest has the euca2ools 2007-10-10 shape.
    text = open(kernel_manifest).read()
    for element in ('<version>2007-10-10</version>', '<kernel_id>true<',
                    '<ec2_encrypted_key algorithm="AES-128-CBC">',
                    '<digest algorithm="SHA1">', '<signature>'):
        assert element in text
    aki = ec2.register_image(Name='kernel',
                             ImageLocation='mybucket/vmlinuz.manifest.xml'
                             )['ImageId']
    ari = ec2.register_image(Name='ramdisk',
                             ImageLocation='mybucket/initrd.manifest.xml'
                             )['ImageId']
    assert aki.startswith('aki-') and ari.startswith('ari-')
    assert wait_state(s3cloud, ec2, aki)['State'] == 'available'
    assert wait_state(s3cloud, ec2, ari)['State'] == 'available'
    bundle_and_upload(env, files['server.img'], tmp_path, 'mybucket',
                      '--kernel', aki, '--ramdisk', ari,
                      '--part-size', str(MIB))
    listing = alice['s3'].list_objects_v2(Bucket='mybucket',
                                          Prefix='server.img')
    assert len([o for o in listing['Contents']
                if '.part.' in o['Key']]) == 4
    ami = ec2.register_image(
        Name='server', ImageLocation='mybucket/server.img.manifest.xml'
    )['ImageId']
    seen = []
    image = wait_state(s3cloud, ec2, ami, seen)
    assert image['State'] == 'available', image
    order = ['pending', 'downloading', 'decrypting', 'untarring',
             'uploading', 'available']
    # Every state seen is one of the stages, in their order.
    assert [order.index(state) for state in seen] == sorted(
        order.index(state) for state in seen), seen
    assert image['ImageLocation'] == 'mybucket/server.img.manifest.xml'
    assert image['KernelId'] == aki and image['RamdiskId'] == ari
    assert image['ImageType'] == 'machine' and image['Public'] is False
    assert stored_bytes(ami) == files['server.img'].read_bytes()
    assert stored_bytes(aki) == files['vmlinuz'].read_bytes()
    assert os.listdir(s3cloud.decryption_dir) == []
    # Launch it.
    res = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                            InstanceType='m1.tiny')
    iid = res['Instances'][0]['InstanceId']
    assert res['Instances'][0]['KernelId'] == aki

    def running():
        out = ec2.describe_instances(InstanceIds=[iid])
        return out['Reservations'][0]['Instances'][0]['State'][
            'Name'] == 'running'
    assert s3cloud.wait_for(running, timeout=60, interval=0.2)
    ec2.terminate_instances(InstanceIds=[iid])
    # Launch permissions.
    ec2.modify_image_attribute(ImageId=ami, LaunchPermission={
        'Add': [{'Group': 'all'}]})
    perm = ec2.describe_image_attribute(ImageId=ami,
                                        Attribute='launchPermission')
    assert perm['LaunchPermissions'] == [{'Group': 'all'}]
    assert ec2.describe_images(ImageIds=[ami])['Images'][0]['Public']
    ec2.modify_image_attribute(ImageId=ami, LaunchPermission={
        'Remove': [{'Group': 'all'}]})
    assert not ec2.describe_images(ImageIds=[ami])['Images'][0]['Public']
    ec2.modify_image_attribute(ImageId=ami, LaunchPermission={
        'Add': [{'Group': 'all'}]})
    ec2.reset_image_attribute(ImageId=ami, Attribute='launchPermission')
    assert not ec2.describe_images(ImageIds=[ami])['Images'][0]['Public']
    with pytest.raises(ec2.exceptions.ClientError) as err:
        ec2.modify_image_attribute(ImageId=ami, Attribute='productCodes',
                                   OperationType='add',
                                   UserGroups=['all'])
    assert err.value.response['Error']['Code'] == 'InvalidRequest'
    ec2.deregister_image(ImageId=ami)
    with pytest.raises(ec2.exceptions.ClientError) as err:
        ec2.describe_images(ImageIds=[ami])
    assert err.value.response['Error']['Code'] == 'InvalidAMIID.NotFound'


def test_bundle_into_glance(s3cloud, alice, tmp_path):  # noqa: F811
    """The S3 image service over the Glance v1 backend (a recorded-contract
    fake Glance v1 server in a child process: no Glance with v1 runs on
    this Python; the v2 flow runs against a real Glance in
    tests/integration/test_glance_real_bundle.py)."""
    from nova import context
    from nova.api.ec2.cloud import bundles
    from nova.image import glance
    from nova.image import s3
    from tests.unit.image.test_glance import start_fake_glance
    proc, port = start_fake_glance()
    try:
        disk = tmp_path / 'glance.img'
        disk.write_bytes(os.urandom(MIB))
        bundle_and_upload(alice['env'], disk, tmp_path, 'glancebucket')
        backing = glance.GlanceImageService(glance.GlanceClient(
            '127.0.0.1', port))
        ctxt = context.RequestContext('alice', 'aproj')
        image = s3.S3ImageService(backing).register_manifest(
            ctxt, 'glancebucket/glance.img.manifest.xml',
            credentials=bundles.user_credentials(ctxt),
            user_certs=bundles.user_certificates(ctxt), wait=True)
        stored = backing.show(ctxt, image['id'])
        assert stored['status'] == 'active'
        assert stored['properties']['image_state'] == 'available'
        assert stored['container_format'] == 'ami'
        data = io.BytesIO()
        backing.get(ctxt, image['id'], data)
        assert data.getvalue() == disk.read_bytes()
    finally:
        proc.terminate()
        proc.wait(10)
