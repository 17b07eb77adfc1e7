"""Buckets and objects on the local disk, under ``--buckets_path``.

Layout::

    buckets/
        mybucket/                   a bucket
            .bucket.json            its owner (project) and creation time
            server.img.part.0       an object: the file name is the key,
            dir%2Ffile.txt          percent-encoded (``/``, ``%`` and a
                                    leading ``.`` included), so any key maps
                                    to one file inside its bucket directory
            .tmp-XXXX               an upload in progress

A key can never name a file outside its bucket: it is encoded into a single
file name, and keys with ``.``/``..`` segments, NUL or a leading ``/`` are
refused anyway.  Objects are written to a temporary file and renamed into
place once the body is complete and verified, so a client that disconnects
mid-upload, a bad ``Content-MD5`` or a bad chunk signature leaves nothing.
The MD5 (ETag), content type and ``x-amz-meta-*`` headers are extended
attributes of the file, so they change with it atomically.
"""

import base64
import contextlib
import datetime
import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
import urllib.parse
import zlib

from nova.objectstore import diskwriter
from nova.objectstore.errors import S3Error
from nova.utils import concurrency

BUCKET_INFO = '.bucket.json'
TMP_PREFIX = '.tmp-'
XATTR_ETAG = 'user.nova.etag'
XATTR_META = 'user.nova.meta'
MAX_KEY_BYTES = 1024
MAX_NAME_BYTES = 255
CHUNK = 1 << 16
_BUCKET_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$')


def validate_bucket_name(name):
    """Refuse names that are not S3-style bucket names (InvalidBucketName)."""
    if not name or not _BUCKET_RE.match(name) or '..' in name:
        raise S3Error('InvalidBucketName', resource=name or '')
    return name


def validate_key(key):
    """Refuse keys that could address anything but an object of a bucket."""
    if not key:
        raise S3Error('InvalidArgument', 'An object key is required')
    if '\x00' in key:
        raise S3Error('InvalidArgument', 'Object keys may not contain NUL')
    if key.startswith('/'):
        raise S3Error('InvalidArgument', 'Object keys may not start with /')
    if any(part in ('.', '..') for part in key.split('/')):
        raise S3Error('InvalidArgument',
                      'Object keys may not contain . or .. segments')
    if len(key.encode('utf-8')) > MAX_KEY_BYTES:
        raise S3Error('KeyTooLongError')
    return key


def encode_key(key):
    """The file name of a key (one path component, never starting '.')."""
    name = urllib.parse.quote(key, safe='')
    if name.startswith('.'):
        name = '%2E' + name[1:]
    if len(name) > MAX_NAME_BYTES:
        raise S3Error('KeyTooLongError',
                      'Keys are limited to %d bytes once encoded'
                      % MAX_NAME_BYTES)
    return name


def decode_key(name):
    """The key stored in a file name."""
    return urllib.parse.unquote(name)


def _utc(timestamp):
    return datetime.datetime.fromtimestamp(
        timestamp, datetime.timezone.utc).replace(tzinfo=None)


class ObjectInfo(object):
    """What a listing or a HEAD shows of an object."""

    def __init__(self, key, size, mtime, etag, content_type=None,
                 metadata=None):
        self.key = key
        self.size = size
        self.last_modified = _utc(mtime)
        self.etag = etag
        self.content_type = content_type or 'application/octet-stream'
        self.metadata = metadata or {}


class Digests(object):
    """Hashes of a body computed while it streams, checked at the end.

    ``expected`` maps an algorithm (``md5``, ``sha256``, ``sha1``,
    ``crc32``) to the digest the client declared (bytes), each with the S3
    error code a mismatch gives.
    """

    def __init__(self, expected=None):
        self.expected = dict(expected or {})
        self.md5 = hashlib.md5(usedforsecurity=False)
        self._others = {}
        for algorithm in self.expected:
            if algorithm in ('sha256', 'sha1'):
                self._others[algorithm] = hashlib.new(algorithm)
        self._crc32 = 0 if 'crc32' in self.expected else None

    def update(self, chunk):
        """Account for one more piece of the body."""
        self.md5.update(chunk)
        for digest in self._others.values():
            digest.update(chunk)
        if self._crc32 is not None:
            self._crc32 = zlib.crc32(chunk, self._crc32)

    def check(self):
        """Raise the S3 error of the first digest that does not match."""
        for algorithm, (wanted, code) in self.expected.items():
            if algorithm == 'md5':
                actual = self.md5.digest()
            elif algorithm == 'crc32':
                actual = self._crc32.to_bytes(4, 'big')
            else:
                actual = self._others[algorithm].digest()
            if actual != wanted:
                raise S3Error(code, 'The %s of the body does not match the '
                              'one the request declared' % algorithm)


class BucketStore(object):
    """Buckets as directories under ``root``."""

    def __init__(self, root):
        self.root = root
        os.makedirs(root, exist_ok=True)

    # -- buckets -----------------------------------------------------------
    def _bucket_dir(self, name):
        validate_bucket_name(name)
        return os.path.join(self.root, name)

    def bucket_info(self, name):
        """``{'name', 'owner', 'created'}``; raises NoSuchBucket."""
        path = self._bucket_dir(name)
        if not os.path.isdir(path):
            raise S3Error('NoSuchBucket', resource=name, BucketName=name)
        try:
            with open(os.path.join(path, BUCKET_INFO),
                      encoding='utf-8') as info:
                data = json.load(info)
        except (OSError, ValueError):
            # A bucket made by hand (or by Diablo): no owner, admins only.
            data = {'owner': None, 'created': os.stat(path).st_ctime}
        return {'name': name, 'owner': data.get('owner'),
                'created': _utc(data.get('created') or 0)}

    def list_buckets(self):
        """Every bucket's info, by name."""
        result = []
        for name in sorted(os.listdir(self.root)):
            if name.startswith('.') or not _BUCKET_RE.match(name):
                continue
            with contextlib.suppress(S3Error, OSError):
                result.append(self.bucket_info(name))
        return result

    def create_bucket(self, name, owner):
        """Create a bucket owned by the project ``owner``.

        Raises BucketAlreadyOwnedByYou or BucketAlreadyExists.
        """
        path = self._bucket_dir(name)
        staging = tempfile.mkdtemp(prefix=TMP_PREFIX, dir=self.root)
        try:
            with open(os.path.join(staging, BUCKET_INFO), 'w',
                      encoding='utf-8') as info:
                json.dump({'owner': owner, 'created': datetime.datetime.now(
                    datetime.timezone.utc).timestamp()}, info)
            os.chmod(staging, 0o755)
            if os.path.exists(path):
                raise FileExistsError(path)
            os.rename(staging, path)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(exc, FileExistsError) or exc.errno in (
                    errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR):
                existing = self.bucket_info(name)
                if owner is not None and existing['owner'] == owner:
                    raise S3Error('BucketAlreadyOwnedByYou', resource=name,
                                  BucketName=name)
                raise S3Error('BucketAlreadyExists', resource=name,
                              BucketName=name)
            raise
        return self.bucket_info(name)

    def delete_bucket(self, name):
        """Remove an empty bucket; raises NoSuchBucket, BucketNotEmpty."""
        self.bucket_info(name)
        path = self._bucket_dir(name)
        if any(not entry.startswith('.') for entry in os.listdir(path)):
            raise S3Error('BucketNotEmpty', resource=name, BucketName=name)
        # Rename first, so that a concurrent PUT into it fails cleanly.
        graveyard = tempfile.mkdtemp(prefix=TMP_PREFIX, dir=self.root)
        os.rename(path, os.path.join(graveyard, 'b'))
        shutil.rmtree(graveyard, ignore_errors=True)

    # -- objects -----------------------------------------------------------
    def _object_path(self, bucket, key):
        validate_key(key)
        return os.path.join(self._bucket_dir(bucket), encode_key(key))

    def keys(self, bucket, prefix=''):
        """The sorted keys of a bucket starting with ``prefix``."""
        self.bucket_info(bucket)
        names = os.listdir(self._bucket_dir(bucket))
        keys = [decode_key(n) for n in names if not n.startswith('.')]
        return sorted(k for k in keys if k.startswith(prefix))

    def list_objects(self, bucket, prefix='', marker='', max_keys=1000,
                     delimiter=''):
        """One page of a listing.

        Returns ``(objects, common_prefixes, truncated, next_marker)``;
        keys after ``marker``, those sharing a ``prefix + ... + delimiter``
        rolled into one common prefix.
        """
        objects, prefixes = [], []
        truncated = False
        last = None
        for key in self.keys(bucket, prefix):
            if marker and key <= marker:
                continue
            common = None
            if delimiter:
                cut = key.find(delimiter, len(prefix))
                if cut >= 0:
                    common = key[:cut + len(delimiter)]
                    if (prefixes and prefixes[-1] == common) or (
                            marker and marker.startswith(common)):
                        continue
            if len(objects) + len(prefixes) >= max_keys:
                truncated = True
                break
            if common is not None:
                prefixes.append(common)
                last = common
                continue
            with contextlib.suppress(S3Error):
                objects.append(self.head_object(bucket, key))
                last = key
        return objects, prefixes, truncated, last

    def head_object(self, bucket, key):
        """An object's :class:`ObjectInfo`; raises NoSuchKey."""
        path = self._object_path(bucket, key)
        self.bucket_info(bucket)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise S3Error('NoSuchKey', resource=key, Key=key)
        return self._info(path, key, st)

    def _info(self, path, key, st):
        etag, meta = None, {}
        with contextlib.suppress(OSError):
            etag = os.getxattr(path, XATTR_ETAG).decode('ascii')
        with contextlib.suppress(OSError, ValueError):
            meta = json.loads(os.getxattr(path, XATTR_META))
        if etag is None:
            digest = hashlib.md5(usedforsecurity=False)
            with open(path, 'rb') as source:
                for chunk in iter(lambda: source.read(CHUNK), b''):
                    digest.update(chunk)
            etag = digest.hexdigest()
        return ObjectInfo(key, st.st_size, st.st_mtime, etag,
                          meta.get('content_type'), meta.get('metadata'))

    def open_object(self, bucket, key):
        """``(file, ObjectInfo)`` of an object opened for reading."""
        path = self._object_path(bucket, key)
        self.bucket_info(bucket)
        try:
            source = open(path, 'rb')
        except FileNotFoundError:
            raise S3Error('NoSuchKey', resource=key, Key=key)
        try:
            return source, self._info(path, key, os.fstat(source.fileno()))
        except BaseException:
            source.close()
            raise

    def put_object(self, bucket, key, chunks, digests=None, max_size=None,
                   content_type=None, metadata=None, expected_size=None):
        """Store an object from an iterable of byte chunks.

        ``digests`` (a :class:`Digests`) is checked once the body is in;
        ``max_size`` refuses bigger bodies (EntityTooLarge);
        ``expected_size`` (the Content-Length) refuses shorter ones
        (IncompleteBody).  Nothing is left behind on any error.
        """
        path = self._object_path(bucket, key)
        directory = self._bucket_dir(bucket)
        self.bucket_info(bucket)
        digests = digests or Digests()
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=directory)
        try:
            try:
                os.fchmod(fd, 0o644)
                size = diskwriter.write_body(fd, chunks, digests, max_size)
                if expected_size is not None and size != expected_size:
                    raise S3Error('IncompleteBody')
                digests.check()
                # Once, before the rename; in a native thread when green,
                # so other requests go on while the disk catches up.
                _blocking(os.fsync, fd)
            finally:
                os.close(fd)
            etag = digests.md5.hexdigest()
            with contextlib.suppress(OSError):
                os.setxattr(tmp, XATTR_ETAG, etag.encode('ascii'))
                os.setxattr(tmp, XATTR_META, json.dumps(
                    {'content_type': content_type,
                     'metadata': metadata or {}}).encode('utf-8'))
            if not os.path.isdir(directory):
                raise S3Error('NoSuchBucket', resource=bucket,
                              BucketName=bucket)
            os.replace(tmp, path)
            _sync_directory(directory)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return self.head_object(bucket, key)

    def delete_object(self, bucket, key):
        """Delete an object (S3 answers 204 whether it existed or not)."""
        path = self._object_path(bucket, key)
        self.bucket_info(bucket)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _blocking(func, *args):
    """``func(*args)`` in a native thread in the (green) daemon."""
    if concurrency.is_monkey_patched():
        return concurrency.run_in_os_thread(func, *args)
    return func(*args)


def _sync_directory(directory):
    """Make a rename in ``directory`` durable (best effort)."""
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def md5_header(value):
    """The digest in a ``Content-MD5`` header; InvalidDigest if malformed."""
    try:
        digest = base64.b64decode(value.strip(), validate=True)
    except (ValueError, TypeError):
        digest = b''
    if len(digest) != 16:
        raise S3Error('InvalidDigest', ContentMD5=value)
    return digest
