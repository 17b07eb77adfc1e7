"""Images registered from bundles in nova-objectstore (``S3ImageService``).

Wraps a backing image service (``--image_service``, or the local one when
that names this class).  :meth:`S3ImageService.register_manifest` fetches
``bucket/name.manifest.xml`` from nova-objectstore as the registering user,
checks it (well-formed, signed by one of the user's certificates), records
the image at once with ``image_state=pending`` and returns it; a green
thread then moves the image through ``downloading`` (parts fetched, each
SHA1 checked), ``decrypting`` (key and IV decrypted with the cloud's CA
key, AES-128-CBC), ``untarring`` (gunzip, untar the one file, the tar
stream's SHA1 checked), ``uploading`` (into the backing service) to
``available``.  A failure stops at ``failed_download``, ``failed_decrypt``,
``failed_untar`` or ``failed_upload`` with a short, stable reason in
``properties.image_error`` (``failed_decrypt: ...``, shown by EC2 as the
image's ``stateReason``); what exactly went wrong (an exception's text,
with paths and library messages) goes to the log only.  No image data is
stored then.
"""

import gzip
import hashlib
import logging
import os
import shutil
import tarfile
import tempfile

from nova import crypto
from nova import exception
from nova import flags
from nova import utils
from nova.image import bundle
from nova.image import s3client
from nova.image import service
from nova.utils import concurrency

LOG = logging.getLogger('nova.image.s3')
FLAGS = flags.FLAGS

flags.DEFINE_string('image_decryption_dir', '/tmp',
                    'parent directory of the temporary directories used '
                    'to decrypt images')
flags.DEFINE_string('s3_access_key', 'notchecked',
                    'access key to use for the S3 server for images')
flags.DEFINE_string('s3_secret_key', 'notchecked',
                    'secret key to use for the S3 server for images')

MAX_MANIFEST = 1 << 20
READ_SIZE = 1 << 16
_STATES = ('pending', 'downloading', 'decrypting', 'untarring', 'uploading',
           'available')


#: The reasons a registration fails, as the user sees them.
PART_UNREADABLE = 'a part of the bundle cannot be read from the object store'
PART_DIGEST = 'a part of the bundle does not match its SHA1 digest in the ' \
    'manifest'
UNDECRYPTABLE = ("the bundle cannot be decrypted with this cloud's key (was "
                 "it bundled for this cloud's cacert.pem?)")
NOT_A_TARBALL = 'the decrypted bundle is not a gzipped tar archive'
NO_IMAGE_FILE = 'the bundle holds no image file'
IMAGE_DIGEST = 'the image does not match its SHA1 digest in the manifest'
NOT_STORED = 'the image could not be stored'


class ImageProcessingError(Exception):
    """A failure of one stage: ``state`` (the ``failed_*`` to record),
    ``reason`` (one of the short reasons above, for the user) and
    ``detail`` (what exactly failed, for the log)."""

    def __init__(self, state, reason, detail=None):
        self.state = state
        self.reason = reason
        self.detail = detail
        super().__init__('%s: %s' % (state, reason))

    @property
    def user_message(self):
        """``properties.image_error``: ``<state>: <reason>``."""
        return '%s: %s' % (self.state, self.reason)


def _ec2_number(value):
    """``aki-0000000a`` (or ``10``) as the integer image id."""
    if value in (None, ''):
        return None
    text = str(value)
    prefix, sep, rest = text.partition('-')
    try:
        return int(rest, 16) if sep else int(text)
    except ValueError:
        raise bundle.InvalidManifest(reason='bad image id %s' % value)


class _HashingReader(object):
    """A readable wrapper updating a hash with what passes through."""

    def __init__(self, source, digest):
        self.source = source
        self.digest = digest

    def read(self, size=-1):
        data = self.source.read(size)
        self.digest.update(data)
        return data


class S3ImageService(service.BaseImageService):
    """Bundle registration over a backing image service."""

    def __init__(self, service=None):
        if service is None:
            name = FLAGS.image_service
            if name.endswith('.S3ImageService'):
                name = 'nova.image.local.LocalImageService'
            service = utils.import_object(name)
        self.service = service

    # -- the plain interface, delegated ----------------------------------
    def detail(self, context, filters=None, marker=None, limit=None):
        """The backing service's images."""
        return self.service.detail(context, filters, marker, limit)

    def show(self, context, image_id):
        """One image of the backing service."""
        return self.service.show(context, image_id)

    def get(self, context, image_id, data):
        """An image's bytes from the backing service."""
        return self.service.get(context, image_id, data)

    def create(self, context, metadata, data=None):
        """Store an image in the backing service."""
        return self.service.create(context, metadata, data)

    def update(self, context, image_id, metadata, data=None,
               purge_props=False):
        """Change an image in the backing service."""
        return self.service.update(context, image_id, metadata, data,
                                   purge_props=purge_props)

    def delete(self, context, image_id):
        """Delete an image from the backing service."""
        return self.service.delete(context, image_id)

    # -- registration ------------------------------------------------------
    @staticmethod
    def client(credentials):
        """An S3 client of nova-objectstore for ``(access, secret)``."""
        access, secret = credentials or (FLAGS.s3_access_key,
                                         FLAGS.s3_secret_key)
        return s3client.S3Client(FLAGS.s3_host, FLAGS.s3_port, access,
                                 secret)

    def register_manifest(self, context, location, credentials=None,
                          user_certs=(), properties=None, wait=False):
        """Register the bundle at ``bucket/path.manifest.xml``.

        ``credentials`` are the registering user's ``(access, secret)``
        (nova-objectstore checks that the bucket is the project's);
        ``user_certs`` the PEM certificates one of which must verify the
        manifest's signature.  Raises InvalidManifest or NotFound before
        anything is recorded; returns the new image (state ``pending``).
        """
        bucket, _sep, key = (location or '').lstrip('/').partition('/')
        if not bucket or not key:
            raise bundle.InvalidManifest(
                reason='the location must be bucket/name.manifest.xml')
        client = self.client(credentials)
        try:
            text = client.get_bytes(bucket, key, MAX_MANIFEST)
        except s3client.S3ClientError as exc:
            if exc.status == 404:
                raise exception.NotFound('manifest %s not found (%s)'
                                         % (location, exc.code))
            if exc.status == 403:
                raise exception.NotAuthorized('manifest %s: %s'
                                              % (location, exc.message))
            raise bundle.InvalidManifest(reason='cannot fetch %s: %s'
                                         % (location, exc))
        except OSError as exc:
            # An outage, not the user's fault: EC2 answers 503
            # ServiceUnavailable and the client tries again later.
            LOG.warning('nova-objectstore at %s:%s is unreachable: %s',
                        FLAGS.s3_host, FLAGS.s3_port, exc)
            raise exception.ServiceUnavailable()
        try:
            manifest = bundle.Manifest(text)
        except UnicodeDecodeError:
            raise bundle.InvalidManifest(reason='not UTF-8 text')
        if not bundle.verify_signature(manifest.text, list(user_certs)):
            raise bundle.InvalidManifest(
                reason='the signature is not made with a certificate of '
                'this user (a bundle of another user, or altered)')
        props = {'image_location': location,
                 'project_id': context.project_id,
                 'owner_id': context.project_id,
                 'architecture': manifest.architecture,
                 'image_state': 'pending'}
        if manifest.kind == 'machine':
            for name in ('kernel_id', 'ramdisk_id'):
                number = _ec2_number(getattr(manifest, name))
                if number is not None:
                    props[name] = number
        if manifest.mappings:
            props['mappings'] = manifest.mappings
        props.update(properties or {})
        prefix = key.rpartition('/')[0]
        prefix = prefix + '/' if prefix else ''
        fmt = manifest.container_format
        image = self.service.create(context, {
            'name': location, 'is_public': False, 'status': 'queued',
            'container_format': fmt, 'disk_format': fmt,
            'properties': props})
        LOG.info('registering %s from %s', image['id'], location)
        if wait:
            self._process(context, image['id'], manifest, bucket, prefix,
                          client)
        else:
            concurrency.spawn_n(self._process, context, image['id'],
                                manifest, bucket, prefix, client)
        return image

    # -- the stages -------------------------------------------------------
    def _set_state(self, context, image_id, state, **extra):
        props = {'image_state': state}
        props.update(extra.pop('properties', {}))
        metadata = dict(extra, properties=props)
        self.service.update(context, image_id, metadata)

    def _record_failure(self, context, image_id, error):
        try:
            self._set_state(context, image_id, error.state, status='killed',
                            properties={'image_error': error.user_message})
        except Exception:  # noqa: BLE001 - the log says it all
            LOG.exception('image %s: could not record %s', image_id,
                          error.state)

    def _process(self, context, image_id, manifest, bucket, prefix, client):
        workdir = tempfile.mkdtemp(prefix='nova-image-',
                                   dir=FLAGS.image_decryption_dir)
        try:
            self._set_state(context, image_id, 'downloading')
            encrypted = self._download(manifest, bucket, prefix, client,
                                       workdir)
            self._set_state(context, image_id, 'decrypting')
            tarball = self._decrypt(context, manifest, encrypted, workdir)
            self._set_state(context, image_id, 'untarring')
            image_path = self._untar(manifest, tarball, workdir)
            self._set_state(context, image_id, 'uploading')
            try:
                with open(image_path, 'rb') as data:
                    self.service.update(context, image_id, {}, data)
            except Exception as exc:  # noqa: BLE001 - recorded below
                raise ImageProcessingError('failed_upload', NOT_STORED,
                                           '%s: %s' % (type(exc).__name__,
                                                       exc))
            self._set_state(context, image_id, 'available',
                            status='active')
            LOG.info('image %s from %s is available', image_id,
                     manifest.name)
        except ImageProcessingError as exc:
            LOG.warning('image %s from %s: %s (%s)', image_id, manifest.name,
                        exc, exc.detail or 'no more detail')
            self._record_failure(context, image_id, exc)
        except Exception:  # noqa: BLE001 - never leave it pending
            LOG.exception('image %s: registration failed', image_id)
            self._record_failure(context, image_id, ImageProcessingError(
                'failed_upload', NOT_STORED))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    @staticmethod
    def _download(manifest, bucket, prefix, client, workdir):
        """Fetch the parts (beside the manifest) into one file."""
        path = os.path.join(workdir, 'image.encrypted')
        with open(path, 'wb') as out:
            for filename, wanted in manifest.parts:
                digest = hashlib.sha1()
                try:
                    client.get_to_file(bucket, prefix + filename, out,
                                       digest)
                except (s3client.S3ClientError, OSError) as exc:
                    raise ImageProcessingError(
                        'failed_download', PART_UNREADABLE,
                        'part %s: %s' % (filename, exc))
                if wanted and digest.hexdigest() != wanted:
                    raise ImageProcessingError(
                        'failed_download', PART_DIGEST,
                        'part %s: SHA1 %s, the manifest says %s'
                        % (filename, digest.hexdigest(), wanted))
        return path

    @staticmethod
    def _decrypt(context, manifest, encrypted, workdir):
        path = os.path.join(workdir, 'image.tar.gz')
        try:
            crypto.decrypt_image(encrypted, manifest.encrypted_key,
                                 manifest.encrypted_iv, context.project_id,
                                 path)
        except (exception.NovaException, ValueError, OSError) as exc:
            raise ImageProcessingError('failed_decrypt', UNDECRYPTABLE,
                                       '%s: %s' % (type(exc).__name__, exc))
        return path

    @staticmethod
    def _untar(manifest, tarball, workdir):
        path = os.path.join(workdir, 'image')
        digest = hashlib.sha1()
        try:
            with gzip.open(tarball, 'rb') as gz:
                reader = _HashingReader(gz, digest)
                with tarfile.open(fileobj=reader, mode='r|') as tar:
                    member = tar.next()
                    if member is None or not member.isfile():
                        raise ImageProcessingError('failed_untar',
                                                   NO_IMAGE_FILE)
                    source = tar.extractfile(member)
                    with open(path, 'wb') as out:
                        shutil.copyfileobj(source, out, READ_SIZE)
                    while tar.next() is not None:
                        pass
                for _data in iter(lambda: reader.read(READ_SIZE), b''):
                    pass
        except (tarfile.TarError, OSError, EOFError, gzip.BadGzipFile) as exc:
            raise ImageProcessingError('failed_untar', NOT_A_TARBALL,
                                       '%s: %s' % (type(exc).__name__, exc))
        if manifest.digest and digest.hexdigest() != manifest.digest:
            raise ImageProcessingError(
                'failed_untar', IMAGE_DIGEST, 'SHA1 %s, the manifest says %s'
                % (digest.hexdigest(), manifest.digest))
        return path
