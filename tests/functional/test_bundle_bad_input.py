"""Bad bundles give a clear EC2 error or a failed_* state, storing nothing.

A tampered part, an edited manifest, a bundle signed by another user, one
encrypted for another cloud, another project's bucket and a missing
manifest.
"""

import datetime
import os

import pytest

from tests.functional.s3_helpers import s3cloud  # noqa: F401 - fixture
from tests.functional.test_bundle_flow import bundle_tool, wait_state

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]


@pytest.fixture(scope='module')
def users(s3cloud, tmp_path_factory):  # noqa: F811 - fixture
    result = {}
    for name, project in (('alice', 'aproj'), ('bob', 'bproj')):
        access, secret = s3cloud.create_user(name, project)
        env = s3cloud.credentials(name, project, str(
            tmp_path_factory.mktemp(name + '-creds')))
        result[name] = {'ec2': s3cloud.boto3_client(access, secret),
                        's3': s3cloud.boto3_s3(access, secret), 'env': env}
    return result


def _bundle(user, tmp_path, name, bucket, env=None):
    image = tmp_path / name
    image.write_bytes(os.urandom(200000))
    out = tmp_path / (name + '.d')
    bundle_tool(env or user['env'], 'bundle-image', '-i', str(image),
                '-d', str(out))
    manifest = out / (name + '.manifest.xml')
    bundle_tool(user['env'], 'upload-bundle', '-b', bucket, '-m',
                str(manifest))
    return manifest


def _image_ids():
    from nova import image
    return [i['id'] for i in image.get_default_image_service().detail(None)]


def _has_data(ec2_id):
    from nova import flags
    from nova.api.ec2 import ec2utils
    return os.path.exists(os.path.join(
        flags.FLAGS.images_path, str(ec2utils.ec2_id_to_id(ec2_id)),
        'image'))


def _register_error(ec2, location):
    before = _image_ids()
    with pytest.raises(ec2.exceptions.ClientError) as err:
        ec2.register_image(Name='bad', ImageLocation=location)
    assert _image_ids() == before
    return err.value.response['Error']


def test_tampered_part_fails_download(s3cloud, users, tmp_path):  # noqa: F811
    alice = users['alice']
    _bundle(alice, tmp_path, 'tamper.img', 'abucket')
    part = alice['s3'].get_object(Bucket='abucket',
                                  Key='tamper.img.part.00')['Body'].read()
    alice['s3'].put_object(Bucket='abucket', Key='tamper.img.part.00',
                           Body=bytes([part[0] ^ 1]) + part[1:])
    ami = alice['ec2'].register_image(
        Name='tampered', ImageLocation='abucket/tamper.img.manifest.xml')['ImageId']
    image = wait_state(s3cloud, alice['ec2'], ami)
    assert image['State'] == 'failed_download'
    # A short, stable reason: which part and its digests go to the log.
    assert image['StateReason'] == {
        'Code': 'failed_download',
        'Message': 'failed_download: a part of the bundle does not match '
                   'its SHA1 digest in the manifest'}
    assert not _has_data(ami)
    with pytest.raises(alice['ec2'].exceptions.ClientError) as err:
        alice['ec2'].run_instances(ImageId=ami, MinCount=1, MaxCount=1)
    assert err.value.response['Error']['Code'] in (
        'InvalidAMIID.Unavailable', 'InvalidParameterValue',
        'IncorrectState', 'InvalidAMIID.NotFound'), err.value.response


def test_edited_manifest_is_refused(s3cloud, users, tmp_path):  # noqa: F811
    alice = users['alice']
    manifest = _bundle(alice, tmp_path, 'edited.img', 'abucket')
    text = manifest.read_text()
    start = text.index('<digest algorithm="SHA1">') + 25
    edited = text[:start] + '0' * 40 + text[start + 40:]
    alice['s3'].put_object(Bucket='abucket', Key='edited.img.manifest.xml',
                           Body=edited.encode())
    error = _register_error(alice['ec2'], 'abucket/edited.img.manifest.xml')
    assert error['Code'] == 'InvalidManifest'
    assert 'signature' in error['Message']
    alice['s3'].put_object(Bucket='abucket', Key='broken.manifest.xml',
                           Body=b'<manifest><image>')
    error = _register_error(alice['ec2'], 'abucket/broken.manifest.xml')
    assert error['Code'] == 'InvalidManifest'


def test_bundle_of_another_user_is_refused(s3cloud, users,  # noqa: F811
                                           tmp_path):
    alice, bob = users['alice'], users['bob']
    manifest = _bundle(bob, tmp_path, 'bobs.img', 'bbucket')
    # Alice copies Bob's bundle into her bucket and registers it.
    for path in [manifest] + sorted(manifest.parent.glob('bobs.img.part.*')):
        alice['s3'].put_object(Bucket='abucket', Key=path.name,
                               Body=path.read_bytes())
    error = _register_error(alice['ec2'], 'abucket/bobs.img.manifest.xml')
    assert error['Code'] == 'InvalidManifest'
    assert 'another user' in error['Message']


def test_bucket_of_another_project_is_refused(s3cloud, users,  # noqa: F811
                                              tmp_path):
    _bundle(users['alice'], tmp_path, 'private.img', 'abucket')
    error = _register_error(users['bob']['ec2'],
                            'abucket/private.img.manifest.xml')
    assert error['Code'] == 'AuthFailure'
    error = _register_error(users['alice']['ec2'], 'abucket/missing.xml')
    assert error['Code'] == 'InvalidManifest'
    for location in ('nobucket', '../etc/passwd', 'abucket/../x.xml'):
        error = _register_error(users['alice']['ec2'], location)
        assert error['Code'] in ('InvalidManifest', 'AuthFailure'), error


def test_bundle_for_another_cloud_fails_decrypt(s3cloud, users,  # noqa: F811
                                                tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    alice = users['alice']
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME,
                                         'another cloud')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(
                now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    other = tmp_path / 'other-cacert.pem'
    other.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    env = dict(alice['env'], NOVA_CERT=str(other))
    _bundle(alice, tmp_path, 'elsewhere.img', 'abucket', env=env)
    ami = alice['ec2'].register_image(
        Name='elsewhere', ImageLocation='abucket/elsewhere.img.manifest.xml'
    )['ImageId']
    image = wait_state(s3cloud, alice['ec2'], ami)
    assert image['State'] == 'failed_decrypt'
    # No path, no library message: what to do, in a stable sentence.
    assert image['StateReason'] == {
        'Code': 'failed_decrypt',
        'Message': "failed_decrypt: the bundle cannot be decrypted with this "
                   "cloud's key (was it bundled for this cloud's "
                   "cacert.pem?)"}
    assert '/' not in image['StateReason']['Message']
    assert not _has_data(ami)
    assert os.listdir(s3cloud.decryption_dir) == []
