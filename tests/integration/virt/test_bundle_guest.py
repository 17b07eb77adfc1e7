"""The manual's image flow ending in a real guest: bundle -> upload ->
register -> RunInstances on libvirt/QEMU.

The test guest's kernel, ramdisk and disk are bundled with
``tools/bundle_image.py`` (the project's euca-bundle-image and
euca-upload-bundle) using the user's ``nova-manage project zipfile``
credentials, uploaded to nova-objectstore, registered through EC2 and
fetched, verified, decrypted and untarred by the S3 image service; the
machine image then boots under QEMU and prints its marker with its own
instance id (read from the metadata service).
"""

import os
import subprocess
import sys
import time

import pytest

from tests.functional.s3_helpers import credentials_env
from tests.functional.s3_helpers import serve_s3
from tests.integration.virt.conftest import REPO
from tests.integration.virt.conftest import VirtCloud
from tests.integration.virt.test_libvirt_ec2 import MARKER_RE

pytestmark = [pytest.mark.integration, pytest.mark.libvirt,
              pytest.mark.netns, pytest.mark.timeout(420)]

TOOL = os.path.join(REPO, 'tools', 'bundle_image.py')


def _bundle(env, path, workdir, *extra):
    """Bundle ``path`` and upload it to ``guestbucket``; its location."""
    out = os.path.join(workdir, os.path.basename(path) + '.bundle')
    for args in (['bundle-image', '-i', path, '-d', out] + list(extra),
                 ['upload-bundle', '-b', 'guestbucket', '-m',
                  os.path.join(out, os.path.basename(path) +
                               '.manifest.xml')]):
        proc = subprocess.run([sys.executable, TOOL] + args,
                              capture_output=True, text=True, timeout=300,
                              env=dict(os.environ, **env))
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return 'guestbucket/%s.manifest.xml' % os.path.basename(path)


def _available(client, image_id, timeout=180):
    deadline = time.time() + timeout
    while True:
        [image] = client.describe_images(ImageIds=[image_id])['Images']
        if image['State'] in ('available', 'failed') or \
                image['State'].startswith('failed'):
            return image
        assert time.time() < deadline, image
        time.sleep(0.5)


def test_bundled_test_guest_boots(libvirt_host, test_guest, tmp_path):
    if not libvirt_host.started_libvirtd:
        pytest.skip('libvirtd already runs outside a test namespace')
    decrypt = tmp_path / 'decrypt'
    decrypt.mkdir()
    cloud = VirtCloud(libvirt_host, test_guest, extra_flags={
        'buckets_path': str(tmp_path / 'buckets'),
        'image_decryption_dir': str(decrypt),
        's3_host': '127.0.0.1', 's3_dmz': '127.0.0.1'})
    s3 = None
    try:
        cloud.start()
        s3 = serve_s3()
        cloud.cloud._set_flag('s3_port', s3.port)
        env = credentials_env('n11user', 'n11proj', str(tmp_path / 'creds'),
                              'http://127.0.0.1:%d' % s3.port)
        work = str(tmp_path)
        client = cloud.client
        aki = client.register_image(
            Name='guest-kernel', ImageLocation=_bundle(
                env, test_guest['kernel'], work, '--kernel', 'true'))[
            'ImageId']
        ari = client.register_image(
            Name='guest-ramdisk', ImageLocation=_bundle(
                env, test_guest['ramdisk'], work, '--ramdisk', 'true'))[
            'ImageId']
        for image_id in (aki, ari):
            assert _available(client, image_id)['State'] == 'available'
        ami = client.register_image(
            Name='guest', ImageLocation=_bundle(
                env, test_guest['disk'], work, '--kernel', aki,
                '--ramdisk', ari))['ImageId']
        image = _available(client, ami)
        assert image['State'] == 'available', image
        assert (image['KernelId'], image['RamdiskId']) == (aki, ari)
        assert os.listdir(str(decrypt)) == []

        res = client.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                                   InstanceType='m1.tiny')
        ec2_id = res['Instances'][0]['InstanceId']
        item = cloud.wait_state(ec2_id, ('running', 'error'))
        assert item['State']['Name'] == 'running', item.get('StateReason')
        assert item['KernelId'] == aki
        ip, instance_id = MARKER_RE.search(
            cloud.wait_markers(ec2_id, 1)[0]).groups()
        assert instance_id == ec2_id
        assert ip == item['PrivateIpAddress']
        client.terminate_instances(InstanceIds=[ec2_id])
        cloud.wait_gone(ec2_id)
    finally:
        if s3 is not None:
            s3.stop()
        cloud.stop()
