"""A bundle that cannot be registered records a short ``failed_*`` reason
(``properties.image_error``); the paths and library messages go to the log."""

import gzip
import hashlib
import logging
import types

import pytest

from nova import context
from nova.image import s3


class _Images(object):
    """A backing image service that keeps the updates it gets."""

    def __init__(self, fail_upload=False):
        self.updates = []
        self.fail_upload = fail_upload

    def update(self, _context, image_id, metadata, data=None, **_kwargs):
        if data is not None and self.fail_upload:
            raise OSError(28, 'No space left on device',
                          '/var/lib/nova/images/7')
        self.updates.append((image_id, metadata))


def _manifest(**values):
    base = {'name': 'x.img', 'parts': [], 'digest': None,
            'encrypted_key': 'ab' * 128, 'encrypted_iv': 'cd' * 128}
    base.update(values)
    return types.SimpleNamespace(**base)


def _failure(call):
    with pytest.raises(s3.ImageProcessingError) as err:
        call()
    return err.value


def test_an_undecryptable_bundle(tmp_path):
    encrypted = tmp_path / 'image.encrypted'
    encrypted.write_bytes(b'\0' * 64)
    error = _failure(lambda: s3.S3ImageService._decrypt(
        context.RequestContext('u', 'no-such-project'), _manifest(),
        str(encrypted), str(tmp_path)))
    assert error.state == 'failed_decrypt'
    assert error.user_message == 'failed_decrypt: ' + s3.UNDECRYPTABLE
    assert str(tmp_path) not in error.user_message
    assert error.detail


def test_not_a_tarball(tmp_path):
    tarball = tmp_path / 'image.tar.gz'
    tarball.write_bytes(b'plain bytes, not gzip')
    error = _failure(lambda: s3.S3ImageService._untar(
        _manifest(), str(tarball), str(tmp_path)))
    assert error.user_message == 'failed_untar: ' + s3.NOT_A_TARBALL
    assert 'gzip' in error.detail.lower() or 'Gzip' in error.detail


def test_an_empty_tar_holds_no_image(tmp_path):
    tarball = tmp_path / 'image.tar.gz'
    with gzip.open(tarball, 'wb') as out:
        out.write(b'\0' * 1024)
    error = _failure(lambda: s3.S3ImageService._untar(
        _manifest(), str(tarball), str(tmp_path)))
    assert error.user_message == 'failed_untar: ' + s3.NO_IMAGE_FILE


def test_a_part_that_cannot_be_read(tmp_path):
    class Client(object):
        def get_to_file(self, bucket, key, out, digest):
            raise OSError(2, 'No such file or directory',
                          '/var/lib/nova/buckets/b/x.img.part.0')
    error = _failure(lambda: s3.S3ImageService._download(
        _manifest(parts=[('x.img.part.0', None)]), 'b', '', Client(),
        str(tmp_path)))
    assert error.user_message == 'failed_download: ' + s3.PART_UNREADABLE
    assert '/var/lib/nova/buckets' in error.detail


def test_a_part_with_another_digest(tmp_path):
    class Client(object):
        def get_to_file(self, bucket, key, out, digest):
            out.write(b'data')
            digest.update(b'data')
    wanted = hashlib.sha1(b'other').hexdigest()
    error = _failure(lambda: s3.S3ImageService._download(
        _manifest(parts=[('x.img.part.0', wanted)]), 'b', '', Client(),
        str(tmp_path)))
    assert error.user_message == 'failed_download: ' + s3.PART_DIGEST
    assert wanted in error.detail


@pytest.mark.parametrize('fail_upload', [True, False])
def test_process_records_only_the_short_reason(tmp_path, monkeypatch,
                                               caplog, set_flags,
                                               fail_upload):
    set_flags(image_decryption_dir=str(tmp_path))
    images = _Images(fail_upload=fail_upload)
    service = s3.S3ImageService(images)
    image_file = tmp_path / 'image'
    image_file.write_bytes(b'disk')
    monkeypatch.setattr(service, '_download', lambda *a: 'encrypted')
    if fail_upload:
        monkeypatch.setattr(service, '_decrypt', lambda *a: 'tarball')
        monkeypatch.setattr(service, '_untar', lambda *a: str(image_file))
    else:
        def broken(*_args):
            raise RuntimeError('unexpected: /tmp/nova-image-x/image.tar.gz')
        monkeypatch.setattr(service, '_decrypt', broken)
    # A store that failed, or an error no stage expected: never pending.
    wanted = 'failed_upload: ' + s3.NOT_STORED
    with caplog.at_level(logging.INFO, logger='nova.image.s3'):
        service._process(context.get_admin_context(), 7, _manifest(), 'b',
                         '', None)
    image_id, last = images.updates[-1]
    assert image_id == 7
    assert last['status'] == 'killed'
    assert last['properties']['image_error'] == wanted
    assert '/var/lib' not in str(images.updates)
    assert '/tmp/' not in str(images.updates)
    # The operator reads what happened in the log.
    assert ('/var/lib/nova/images/7' if fail_upload else
            '/tmp/nova-image-x/image.tar.gz') in caplog.text
