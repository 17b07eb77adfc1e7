"""Multipart uploads (what ``aws s3 cp`` uses for files over 8 MiB).

An upload in progress lives in ``<bucket>/.uploads/<upload id>/``:
``info.json`` (the key, the content type and metadata) and one file per
part (``part-00001``…, each written to a temporary name and renamed, with
its MD5 as an extended attribute).  Completing concatenates the listed
parts, streamed, into a temporary file of the bucket and renames it onto
the key, so the object appears whole or not at all; its ETag is S3's
``md5(part digests)-N``.
"""

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
import xml.etree.ElementTree as ElementTree

from nova.objectstore import store
from nova.objectstore.errors import S3Error

UPLOADS = '.uploads'
MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PARTS = 10000
_ID_RE = re.compile(r'^[0-9a-f]{32}$')


class Multipart(object):
    """Multipart uploads of a :class:`store.BucketStore`."""

    def __init__(self, buckets):
        self.buckets = buckets

    def _dir(self, bucket, upload_id):
        self.buckets.bucket_info(bucket)
        if not _ID_RE.match(upload_id or ''):
            raise S3Error('NoSuchUpload', UploadId=upload_id or '')
        path = os.path.join(self.buckets.root, bucket, UPLOADS, upload_id)
        if not os.path.isdir(path):
            raise S3Error('NoSuchUpload', UploadId=upload_id)
        return path

    def _info(self, path):
        with open(os.path.join(path, 'info.json'), encoding='utf-8') as src:
            return json.load(src)

    def create(self, bucket, key, content_type=None, metadata=None):
        """Start an upload of ``key``; returns its id."""
        store.validate_key(key)
        store.encode_key(key)
        self.buckets.bucket_info(bucket)
        parent = os.path.join(self.buckets.root, bucket, UPLOADS)
        os.makedirs(parent, exist_ok=True)
        upload_id = uuid.uuid4().hex
        staging = tempfile.mkdtemp(prefix=store.TMP_PREFIX, dir=parent)
        with open(os.path.join(staging, 'info.json'), 'w',
                  encoding='utf-8') as out:
            json.dump({'key': key, 'content_type': content_type,
                       'metadata': metadata or {}}, out)
        os.rename(staging, os.path.join(parent, upload_id))
        return upload_id

    def upload_part(self, bucket, key, upload_id, number, chunks, digests,
                    max_size=None, expected_size=None):
        """Store one part (1..10000); returns its ETag (MD5 hex)."""
        path = self._dir(bucket, upload_id)
        if self._info(path)['key'] != key:
            raise S3Error('NoSuchUpload', UploadId=upload_id)
        try:
            number = int(number)
        except (TypeError, ValueError):
            number = 0
        if not 1 <= number <= MAX_PARTS:
            raise S3Error('InvalidArgument', 'Part number must be an '
                          'integer between 1 and %d' % MAX_PARTS)
        fd, tmp = tempfile.mkstemp(prefix=store.TMP_PREFIX, dir=path)
        size = 0
        try:
            with os.fdopen(fd, 'wb') as out:
                for chunk in chunks:
                    size += len(chunk)
                    if max_size is not None and size > max_size:
                        raise S3Error('EntityTooLarge')
                    digests.update(chunk)
                    out.write(chunk)
                if expected_size is not None and size != expected_size:
                    raise S3Error('IncompleteBody')
                digests.check()
            etag = digests.md5.hexdigest()
            os.setxattr(tmp, store.XATTR_ETAG, etag.encode('ascii'))
            os.replace(tmp, os.path.join(path, 'part-%05d' % number))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return etag

    def abort(self, bucket, key, upload_id):
        """Forget an upload and its parts."""
        path = self._dir(bucket, upload_id)
        if self._info(path)['key'] != key:
            raise S3Error('NoSuchUpload', UploadId=upload_id)
        shutil.rmtree(path, ignore_errors=True)

    @staticmethod
    def parse_complete(text):
        """``[(part number, etag)]`` of a CompleteMultipartUpload body."""
        try:
            root = ElementTree.fromstring(text)
        except ElementTree.ParseError:
            raise S3Error('MalformedXML')
        parts = []
        for element in root.iter():
            if element.tag.rsplit('}', 1)[-1] != 'Part':
                continue
            fields = {child.tag.rsplit('}', 1)[-1]: (child.text or '')
                      for child in element}
            try:
                parts.append((int(fields.get('PartNumber', '')),
                              fields.get('ETag', '').strip().strip('"')))
            except ValueError:
                raise S3Error('MalformedXML')
        if not parts:
            raise S3Error('MalformedXML')
        return parts

    def complete(self, bucket, key, upload_id, parts):
        """Assemble the listed parts into the object; returns its ETag."""
        path = self._dir(bucket, upload_id)
        info = self._info(path)
        if info['key'] != key:
            raise S3Error('NoSuchUpload', UploadId=upload_id)
        numbers = [n for n, _e in parts]
        if numbers != sorted(set(numbers)):
            raise S3Error('InvalidPartOrder', 'The list of parts was not in '
                          'ascending order')
        files = []
        for index, (number, etag) in enumerate(parts):
            part = os.path.join(path, 'part-%05d' % number)
            try:
                stored = os.getxattr(part, store.XATTR_ETAG).decode()
                size = os.path.getsize(part)
            except OSError:
                raise S3Error('InvalidPart', 'Part %d was not uploaded'
                              % number)
            if stored != etag:
                raise S3Error('InvalidPart', 'Part %d has ETag %s, not %s'
                              % (number, stored, etag))
            if size < MIN_PART_SIZE and index < len(parts) - 1:
                raise S3Error('EntityTooSmall', 'Part %d is smaller than '
                              '5 MiB' % number)
            files.append((part, bytes.fromhex(stored)))
        combined = hashlib.md5(usedforsecurity=False)
        for _part, digest in files:
            combined.update(digest)
        etag = '%s-%d' % (combined.hexdigest(), len(files))
        target = self.buckets._object_path(bucket, key)
        fd, tmp = tempfile.mkstemp(prefix=store.TMP_PREFIX,
                                   dir=os.path.dirname(target))
        try:
            with os.fdopen(fd, 'wb') as out:
                for part, _digest in files:
                    with open(part, 'rb') as source:
                        shutil.copyfileobj(source, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o644)
            os.setxattr(tmp, store.XATTR_ETAG, etag.encode('ascii'))
            os.setxattr(tmp, store.XATTR_META, json.dumps(
                {'content_type': info.get('content_type'),
                 'metadata': info.get('metadata') or {}}).encode('utf-8'))
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        shutil.rmtree(path, ignore_errors=True)
        return etag
