"""Bundles: the manifest format, making and reading them, signatures."""

import datetime
import gzip
import hashlib
import io
import os
import tarfile
import xml.etree.ElementTree as ElementTree

import pytest

from nova.image import bundle

DATA = os.path.join(os.path.dirname(__file__), 'data')
SAMPLE = os.path.join(DATA, 'euca2ools-2007-10-10.manifest.xml')


def _paths(element, prefix=''):
    """Every element path of a tree (tag/attribute names)."""
    here = prefix + '/' + element.tag
    found = {here}
    for name in element.attrib:
        found.add(here + '@' + name)
    for child in element:
        found |= _paths(child, here)
    return found


@pytest.fixture(scope='module')
def keys():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    def pair(cn):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME,
                                             cn)])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name)
                .issuer_name(name).public_key(key.public_key())
                .serial_number(1).not_valid_before(now)
                .not_valid_after(now + datetime.timedelta(days=1))
                .sign(key, hashes.SHA256()))
        return (key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()).decode(),
                cert.public_bytes(serialization.Encoding.PEM).decode(), key)
    return {'cloud': pair('cloud'), 'user': pair('user'),
            'other': pair('other')}


def test_sample_euca_manifest_is_read():
    manifest = bundle.Manifest(open(SAMPLE).read())
    assert manifest.kind == 'machine' and manifest.container_format == 'ami'
    assert manifest.architecture == 'i386'
    assert manifest.kernel_id == 'aki-0000000a'
    assert manifest.ramdisk_id == 'ari-0000000b'
    assert manifest.parts == [
        ('server.img.part.00', '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567'),
        ('server.img.part.01', '89abcdef0123456789abcdef0123456789abcdef')]
    assert manifest.mappings[0] == {'virtual': 'ami', 'device': 'sda1'}
    assert manifest.encrypted_key == '9f3c2a'
    assert manifest.size == 1073741824


def _decrypt_parts(manifest, directory, cloud_key):
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.asymmetric import padding as rsa_pad
    from cryptography.hazmat.primitives.ciphers import (algorithms, Cipher,
                                                        modes)
    key = bytes.fromhex(cloud_key.decrypt(bytes.fromhex(
        manifest.encrypted_key), rsa_pad.PKCS1v15()).decode())
    iv = bytes.fromhex(cloud_key.decrypt(bytes.fromhex(
        manifest.encrypted_iv), rsa_pad.PKCS1v15()).decode())
    data = b''
    for name, digest in manifest.parts:
        part = open(os.path.join(directory, name), 'rb').read()
        assert hashlib.sha1(part).hexdigest() == digest
        data += part
    plain = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    unpad = padding.PKCS7(128).unpadder()
    padded = plain.update(data) + plain.finalize()
    return unpad.update(padded) + unpad.finalize()


@pytest.mark.parametrize('kind', ['machine', 'kernel', 'ramdisk'])
def test_made_bundle_has_the_euca_shape_and_decrypts(tmp_path, keys, kind):
    image = tmp_path / 'disk.img'
    payload = os.urandom(70000)
    image.write_bytes(payload)
    path = bundle.make_bundle(
        str(image), str(tmp_path), keys['cloud'][1], keys['user'][1],
        keys['user'][0], 'alice', kind=kind,
        kernel_id='aki-00000001' if kind == 'machine' else None,
        part_size=30000, mappings=[{'virtual': 'ami', 'device': 'sda1'}])
    text = open(path).read()
    made = _paths(ElementTree.fromstring(text))
    sample = _paths(ElementTree.parse(SAMPLE).getroot())
    # Every element of ours is one the euca2ools format has.
    assert made <= sample, made - sample
    manifest = bundle.Manifest(text)
    assert manifest.kind == kind
    assert len(manifest.parts) > 1
    assert bundle.verify_signature(text, [keys['user'][1]])
    assert not bundle.verify_signature(text, [keys['other'][1]])
    tarball = _decrypt_parts(manifest, str(tmp_path), keys['cloud'][2])
    tar_bytes = gzip.decompress(tarball)
    assert hashlib.sha1(tar_bytes).hexdigest() == manifest.digest
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == ['disk.img']
        assert tar.extractfile(members[0]).read() == payload


def test_signature_covers_machine_configuration_and_image(tmp_path, keys):
    image = tmp_path / 'x.img'
    image.write_bytes(b'x' * 1000)
    text = open(bundle.make_bundle(
        str(image), str(tmp_path), keys['cloud'][1], keys['user'][1],
        keys['user'][0], 'alice')).read()
    for old, new in (('<architecture>x86_64', '<architecture>i386'),
                     ('<type>machine', '<type>kernel')):
        assert old in text
        assert not bundle.verify_signature(text.replace(old, new),
                                           [keys['user'][1]])


@pytest.mark.parametrize('text', [
    'not xml', '<other/>', '<manifest/>',
    '<manifest><image><ec2_encrypted_key>a</ec2_encrypted_key>'
    '<ec2_encrypted_iv>b</ec2_encrypted_iv></image></manifest>',
    '<manifest><image><ec2_encrypted_key>a</ec2_encrypted_key>'
    '<ec2_encrypted_iv>b</ec2_encrypted_iv><parts><part><filename>'
    '../../etc/passwd</filename></part></parts></image></manifest>'])
def test_bad_manifests(text):
    with pytest.raises(bundle.InvalidManifest):
        bundle.Manifest(text)
