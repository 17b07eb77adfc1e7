"""euca2ools / ec2-ami-tools image bundles: make them, read them.

A bundle of ``server.img`` is ``server.img.manifest.xml`` plus
``server.img.part.00``, ``.part.01``…: the image is put in a tar archive,
gzipped, encrypted with AES-128-CBC under a random key and IV, and cut into
10 MiB parts.  The manifest (format version ``2007-10-10``) carries the
SHA1 of the tar stream and of every part, and the hex key and IV
RSA-encrypted (PKCS#1 v1.5) twice: to the cloud's certificate
(``ec2_encrypted_key``/``ec2_encrypted_iv``, which the cloud decrypts with
its CA key) and to the user's (``user_encrypted_*``).  ``<signature>`` is
the hex RSA-SHA1 signature, with the user's private key, of the
``<machine_configuration>`` element followed by the ``<image>`` element,
exactly as they appear in the manifest text.
"""

import gzip
import hashlib
import os
import re
import secrets
import tarfile
import xml.etree.ElementTree as ElementTree
from xml.sax import saxutils

from nova import exception

PART_SIZE = 10 * 1024 * 1024
MANIFEST_VERSION = '2007-10-10'
READ_SIZE = 1 << 16
_SIGNED_RE = re.compile(
    r'(<machine_configuration>.*?</machine_configuration>).*?'
    r'(<image>.*</image>)', re.DOTALL)


class InvalidManifest(exception.Invalid):
    """A manifest that cannot be used."""
    message = 'Invalid manifest: %(reason)s'
    ec2_code = 'InvalidManifest'


def _crypto():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    return x509, hashes, serialization, padding


def _rsa_encrypt(cert_pem, data):
    x509, _hashes, _ser, padding = _crypto()
    cert = x509.load_pem_x509_certificate(_b(cert_pem))
    return cert.public_key().encrypt(data, padding.PKCS1v15()).hex()


def _b(text):
    return text.encode() if isinstance(text, str) else text


def sign_text(key_pem, text):
    """Hex RSA-SHA1 (PKCS#1 v1.5) signature of ``text``."""
    _x509, hashes, serialization, padding = _crypto()
    key = serialization.load_pem_private_key(_b(key_pem), password=None)
    return key.sign(_b(text), padding.PKCS1v15(), hashes.SHA1()).hex()


def signed_text(manifest_text):
    """The part of a manifest its signature covers."""
    match = _SIGNED_RE.search(manifest_text)
    if not match:
        raise InvalidManifest(reason='no machine_configuration and image '
                              'elements to verify')
    return match.group(1) + match.group(2)


def verify_signature(manifest_text, cert_pems):
    """True if one of the certificates verifies the manifest's signature."""
    x509, hashes, _ser, padding = _crypto()
    from cryptography.exceptions import InvalidSignature
    root = _parse(manifest_text)
    try:
        signature = bytes.fromhex((root.findtext('signature') or '').strip())
    except ValueError:
        raise InvalidManifest(reason='the signature is not hex')
    text = _b(signed_text(manifest_text))
    for pem in cert_pems:
        try:
            cert = x509.load_pem_x509_certificate(_b(pem))
            cert.public_key().verify(signature, text, padding.PKCS1v15(),
                                     hashes.SHA1())
            return True
        except (InvalidSignature, ValueError, TypeError):
            continue
    return False


# -- reading ----------------------------------------------------------------
def _parse(text):
    try:
        return ElementTree.fromstring(_b(text))
    except ElementTree.ParseError as exc:
        raise InvalidManifest(reason='not well-formed XML (%s)' % exc)


class Manifest(object):
    """What the cloud needs of a bundle manifest."""

    def __init__(self, text):
        self.text = text if isinstance(text, str) else text.decode('utf-8')
        root = _parse(self.text)
        if root.tag != 'manifest':
            raise InvalidManifest(reason='the root element is not manifest')
        conf = root.find('machine_configuration')
        image = root.find('image')
        if image is None:
            raise InvalidManifest(reason='no image element')
        self.architecture = 'x86_64'
        self.kernel_id = self.ramdisk_id = None
        self.mappings = []
        self.kind = (image.findtext('type') or 'machine').strip()
        if conf is not None:
            self.architecture = (conf.findtext('architecture') or
                                 'x86_64').strip()
            kernel = (conf.findtext('kernel_id') or '').strip()
            ramdisk = (conf.findtext('ramdisk_id') or '').strip()
            if kernel == 'true':
                self.kind = 'kernel'
            elif kernel:
                self.kernel_id = kernel
            if ramdisk == 'true':
                self.kind = 'ramdisk'
            elif ramdisk:
                self.ramdisk_id = ramdisk
            for mapping in conf.findall('block_device_mapping/mapping'):
                self.mappings.append(
                    {'virtual': mapping.findtext('virtual'),
                     'device': mapping.findtext('device')})
        if self.kind not in ('machine', 'kernel', 'ramdisk'):
            raise InvalidManifest(reason='unknown image type %s' % self.kind)
        self.name = (image.findtext('name') or '').strip()
        self.user = (image.findtext('user') or '').strip()
        self.digest = (image.findtext('digest') or '').strip().lower()
        self.encrypted_key = (image.findtext('ec2_encrypted_key') or
                              '').strip()
        self.encrypted_iv = (image.findtext('ec2_encrypted_iv') or '').strip()
        if not self.encrypted_key or not self.encrypted_iv:
            raise InvalidManifest(reason='no ec2_encrypted_key/iv')
        self.parts = []
        for part in image.findall('parts/part'):
            filename = (part.findtext('filename') or '').strip()
            if not filename or '/' in filename or filename in ('.', '..'):
                raise InvalidManifest(reason='bad part file name %r'
                                      % filename)
            self.parts.append((filename,
                               (part.findtext('digest') or '').strip()
                               .lower()))
        if not self.parts:
            raise InvalidManifest(reason='no parts')
        try:
            self.size = int(image.findtext('size') or 0)
        except ValueError:
            raise InvalidManifest(reason='size is not a number')

    @property
    def container_format(self):
        """``ami``, ``aki`` or ``ari``."""
        return {'machine': 'ami', 'kernel': 'aki', 'ramdisk': 'ari'}[
            self.kind]


# -- making -----------------------------------------------------------------
class _HashingWriter(object):
    """A file-like sink updating a hash (and passing bytes on)."""

    def __init__(self, target, digest):
        self.target = target
        self.digest = digest

    def write(self, data):
        self.digest.update(data)
        return self.target.write(data)

    def flush(self):
        self.target.flush()


class _PartWriter(object):
    """Encrypts what it is given and cuts it into part files."""

    def __init__(self, directory, prefix, key, iv, part_size):
        from cryptography.hazmat.primitives import padding
        from cryptography.hazmat.primitives.ciphers import (algorithms,
                                                            Cipher, modes)
        self.encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        self.padder = padding.PKCS7(128).padder()
        self.directory = directory
        self.prefix = prefix
        self.part_size = part_size
        self.parts = []
        self._file = None
        self._digest = None
        self._written = 0
        self.total = 0

    def _emit(self, data):
        while data:
            if self._file is None or self._written >= self.part_size:
                self._close_part()
                name = '%s.part.%02d' % (self.prefix, len(self.parts))
                self._file = open(os.path.join(self.directory, name), 'wb')
                self._digest = hashlib.sha1()
                self._written = 0
                self.parts.append([name, None])
            room = self.part_size - self._written
            piece, data = data[:room], data[room:]
            self._file.write(piece)
            self._digest.update(piece)
            self._written += len(piece)
            self.total += len(piece)

    def _close_part(self):
        if self._file is not None:
            self._file.close()
            self.parts[-1][1] = self._digest.hexdigest()
            self._file = None

    def write(self, data):
        self._emit(self.encryptor.update(self.padder.update(data)))
        return len(data)

    def flush(self):
        pass

    def close(self):
        tail = self.encryptor.update(self.padder.finalize())
        self._emit(tail + self.encryptor.finalize())
        self._close_part()


def _element(name, value, **attrs):
    text = ''.join(' %s="%s"' % (k, saxutils.escape(str(v)))
                   for k, v in attrs.items())
    return '<%s%s>%s</%s>' % (name, text, saxutils.escape(str(value)), name)


def make_bundle(image_path, destination, cloud_cert_pem, user_cert_pem,
                user_key_pem, user_id, kind='machine', kernel_id=None,
                ramdisk_id=None, architecture='x86_64', prefix=None,
                part_size=PART_SIZE, mappings=None):
    """Bundle ``image_path`` into ``destination``; returns the manifest path.

    ``kind`` is ``machine``, ``kernel`` or ``ramdisk``; ``kernel_id`` and
    ``ramdisk_id`` (``aki-…``/``ari-…``) name those a machine image boots.
    Memory use is flat: the image streams through tar, gzip, AES and the
    part files.
    """
    prefix = prefix or os.path.basename(image_path)
    key, iv = secrets.token_bytes(16), secrets.token_bytes(16)
    parts = _PartWriter(destination, prefix, key, iv, part_size)
    tar_digest = hashlib.sha1()
    size = os.path.getsize(image_path)
    with gzip.GzipFile(fileobj=parts, mode='wb', mtime=0) as gz:
        sink = _HashingWriter(gz, tar_digest)
        with tarfile.open(fileobj=sink, mode='w|',
                          format=tarfile.GNU_FORMAT) as tar:
            info = tar.gettarinfo(image_path, arcname=os.path.basename(
                image_path))
            info.uid = info.gid = 0
            info.uname = info.gname = 'root'
            with open(image_path, 'rb') as source:
                tar.addfile(info, source)
    parts.close()
    conf = [_element('architecture', architecture)]
    if mappings:
        conf.append('<block_device_mapping>%s</block_device_mapping>' % ''.join(
            '<mapping>%s%s</mapping>' % (_element('virtual', m['virtual']),
                                         _element('device', m['device']))
            for m in mappings))
    if kind == 'kernel':
        conf.append(_element('kernel_id', 'true'))
    elif kind == 'ramdisk':
        conf.append(_element('ramdisk_id', 'true'))
    else:
        if kernel_id:
            conf.append(_element('kernel_id', kernel_id))
        if ramdisk_id:
            conf.append(_element('ramdisk_id', ramdisk_id))
    machine = '<machine_configuration>%s</machine_configuration>' % ''.join(
        conf)
    part_xml = ''.join(
        '<part index="%d">%s%s</part>' % (
            index, _element('filename', name),
            _element('digest', digest, algorithm='SHA1'))
        for index, (name, digest) in enumerate(parts.parts))
    image = ''.join([
        '<image>', _element('name', prefix), _element('user', user_id),
        _element('type', kind),
        _element('digest', tar_digest.hexdigest(), algorithm='SHA1'),
        _element('size', size), _element('bundled_size', parts.total),
        _element('ec2_encrypted_key', _rsa_encrypt(
            cloud_cert_pem, key.hex().encode()), algorithm='AES-128-CBC'),
        _element('user_encrypted_key', _rsa_encrypt(
            user_cert_pem, key.hex().encode()), algorithm='AES-128-CBC'),
        _element('ec2_encrypted_iv', _rsa_encrypt(cloud_cert_pem,
                                                  iv.hex().encode())),
        _element('user_encrypted_iv', _rsa_encrypt(user_cert_pem,
                                                   iv.hex().encode())),
        '<parts count="%d">%s</parts>' % (len(parts.parts), part_xml),
        '</image>'])
    signature = sign_text(user_key_pem, machine + image)
    text = ''.join([
        '<?xml version="1.0" ?>\n<manifest>',
        _element('version', MANIFEST_VERSION),
        '<bundler>%s%s%s</bundler>' % (_element('name', 'nova-bundle'),
                                       _element('version', '2011.3'),
                                       _element('release', '1')),
        machine, image, _element('signature', signature), '</manifest>\n'])
    path = os.path.join(destination, '%s.manifest.xml' % prefix)
    with open(path, 'w', encoding='utf-8') as out:
        out.write(text)
    return path


def part_files(manifest_path):
    """The part files a manifest names, beside it."""
    with open(manifest_path, encoding='utf-8') as source:
        manifest = Manifest(source.read())
    directory = os.path.dirname(os.path.abspath(manifest_path))
    return [os.path.join(directory, name) for name, _d in manifest.parts]
