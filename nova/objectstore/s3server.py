"""nova-objectstore's S3 WSGI application.

Buckets and objects as :mod:`nova.objectstore.store` keeps them; every
request signed with an EC2 access/secret key (:mod:`.s3auth`).  A bucket
belongs to the project that created it: other projects get
``AccessDenied``, admins see everything.  Path-style (``/bucket/key``) and
virtual-host style (``Host: bucket.<s3 host>``) addressing both work.
Bodies stream through in constant memory both ways.
"""

import base64
import contextlib
import datetime
import email.utils
import hashlib
import logging
import os
import socket
import urllib.parse
import uuid
import xml.etree.ElementTree as ElementTree

from nova import flags
from nova.objectstore import body
from nova.objectstore import diskwriter
from nova.objectstore import multipart
from nova.objectstore import multipart_api
from nova.objectstore import s3auth
from nova.objectstore import s3xml
from nova.objectstore import store
from nova.objectstore.errors import S3Error
from nova.utils import concurrency

LOG = logging.getLogger('nova.objectstore.s3server')
FLAGS = flags.FLAGS

flags.DEFINE_string('buckets_path', '$state_path/buckets',
                    'directory of the objectstore buckets')
flags.DEFINE_string('s3_listen', '0.0.0.0',
                    'IP address nova-objectstore listens on')
flags.DEFINE_integer('s3_max_object_size', 5 * 1024 ** 3,
                     'largest object nova-objectstore accepts (bytes)')
flags.DEFINE_list('s3_virtual_host_domains', ['localhost'],
                  'host names under which Host: <bucket>.<name> addresses '
                  'a bucket (besides --s3_host and --s3_dmz)')

READ_SIZE = 1 << 20
FIRST_PIECE = 1 << 16
SENDFILE_SIZE = 16 << 20
MAX_XML_BODY = 1 << 20
_CHECKSUMS = {'x-amz-checksum-crc32': 'crc32',
              'x-amz-checksum-sha1': 'sha1',
              'x-amz-checksum-sha256': 'sha256'}


def _http_date(when):
    return email.utils.format_datetime(
        when.replace(tzinfo=datetime.timezone.utc), usegmt=True)


class FileIterator(object):
    """A WSGI body streaming part of an open file.

    Given the client's socket (eventlet's ``wsgi.input`` offers it), the
    first piece goes through the WSGI server, which sends the headers with
    it, and the rest straight from the page cache to the socket with
    ``os.sendfile`` (no copy through Python); otherwise it yields
    :data:`READ_SIZE` pieces.
    """

    def __init__(self, source, start, length, sock=None):
        self.source = source
        self.offset = start
        self.remaining = length
        self.sock = sock
        self.started = False

    def __iter__(self):
        return self

    def __next__(self):
        if self.remaining <= 0:
            raise StopIteration
        if self.sock is not None and self.started:
            self._sendfile()
            raise StopIteration
        self.started = True
        want = FIRST_PIECE if self.sock is not None else READ_SIZE
        data = os.pread(self.source.fileno(), min(want, self.remaining),
                        self.offset)
        if not data:
            raise StopIteration
        self.offset += len(data)
        self.remaining -= len(data)
        return data

    def _sendfile(self):
        out, source = self.sock.fileno(), self.source.fileno()
        timeout = self.sock.gettimeout() or None
        try:
            while self.remaining > 0:
                try:
                    sent = os.sendfile(out, source, self.offset,
                                       min(SENDFILE_SIZE, self.remaining))
                except BlockingIOError:
                    if not concurrency.wait_writable(out, timeout):
                        raise TimeoutError('client stopped reading')
                    continue
                if sent == 0:
                    raise OSError('the object shrank while being sent')
                self.offset += sent
                self.remaining -= sent
        except OSError as exc:
            # The response cannot be completed: end the connection rather
            # than leave a short body on a kept-alive one.
            LOG.info('GET body interrupted: %s', exc)
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)

    def close(self):
        """Close the file (WSGI calls this when done)."""
        self.source.close()


def parse_range(header, size):
    """``(start, end)`` of a single ``bytes=`` range, None to ignore it."""
    if not header or not header.startswith('bytes=') or ',' in header:
        return None
    first, _sep, last = header[6:].strip().partition('-')
    try:
        if first == '':
            count = int(last)
            if count <= 0:
                raise S3Error('InvalidRange', ActualObjectSize=size)
            return max(0, size - count), size - 1
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if start >= size or end < start:
        raise S3Error('InvalidRange', ActualObjectSize=size)
    return start, min(end, size - 1)


class S3Application(multipart_api.MultipartHandlers):
    """The WSGI application of nova-objectstore."""

    def __init__(self, root=None, auth_manager=None):
        self.store = store.BucketStore(root or FLAGS.buckets_path)
        self.uploads = multipart.Multipart(self.store)
        if auth_manager is None:
            from nova.auth import manager
            auth_manager = manager.AuthManager()
        self.auth = auth_manager

    # -- WSGI -------------------------------------------------------------
    def __call__(self, environ, start_response):
        request_id = uuid.uuid4().hex[:16].upper()
        method = environ['REQUEST_METHOD'].upper()
        try:
            status, headers, payload = self._dispatch(environ, method)
        except S3Error as exc:
            status, headers = exc.status, [
                ('Content-Type', 'application/xml')]
            payload = exc.to_xml(request_id)
            LOG.info('%s %s -> %s %s', method, environ.get('PATH_INFO'),
                     exc.status, exc.code)
        except Exception:  # noqa: BLE001 - never a traceback to the client
            LOG.exception('objectstore request failed')
            exc = S3Error('InternalError')
            status, headers = exc.status, [
                ('Content-Type', 'application/xml')]
            payload = exc.to_xml(request_id)
        if isinstance(payload, bytes):
            headers.append(('Content-Length', str(len(payload))))
            payload = [payload]
        if method == 'HEAD':
            if hasattr(payload, 'close'):
                payload.close()
            payload = []
        headers.append(('x-amz-request-id', request_id))
        start_response('%d %s' % (status, _REASONS.get(status, 'Unknown')),
                       headers)
        return payload

    def _virtual_bucket(self, environ):
        host = (environ.get('HTTP_HOST') or '').lower()
        name = host.rsplit(':', 1)[0] if not host.endswith(']') else host
        domains = [d.lower() for d in (list(FLAGS.s3_virtual_host_domains)
                                       + [FLAGS.s3_host, FLAGS.s3_dmz]) if d]
        for domain in domains:
            if name.endswith('.' + domain):
                return name[:-len(domain) - 1]
        return None

    def _dispatch(self, environ, method):
        raw_path = environ.get('RAW_PATH_INFO') or environ.get(
            'PATH_INFO') or '/'
        query = _query_pairs(environ.get('QUERY_STRING', ''))
        headers = _headers(environ)
        vbucket = self._virtual_bucket(environ)
        request = s3auth.S3Request(method, raw_path, query, headers,
                                   environ.get('HTTP_HOST', ''), vbucket)
        identity = s3auth.authenticate(request, self.auth)
        if vbucket is not None:
            bucket, key = vbucket, request.path[1:]
        else:
            path = raw_path[1:]
            segment, _sep, rest = path.partition('/')
            bucket = _unquote(segment)
            key = _unquote(rest)
        ctx = _Call(environ, request, identity, query)
        if not bucket:
            if method != 'GET':
                raise S3Error('MethodNotAllowed')
            return self.list_buckets(ctx)
        if not key:
            handler = {'GET': self.get_bucket, 'HEAD': self.head_bucket,
                       'PUT': self.put_bucket, 'DELETE': self.delete_bucket,
                       'POST': self.post_bucket}.get(method)
        else:
            handler = {'GET': self.get_object, 'HEAD': self.get_object,
                       'PUT': self.put_object, 'POST': self.post_object,
                       'DELETE': self.delete_object}.get(method)
            names = set(k for k, _v in query)
            if names & {'acl', 'tagging', 'torrent', 'retention'} or (
                    'uploadId' in names and method in ('GET', 'HEAD')):
                raise S3Error('NotImplemented', 'ACLs, tagging and ListParts '
                              'are not implemented by nova-objectstore')
        if handler is None:
            raise S3Error('MethodNotAllowed')
        if key:
            return handler(ctx, bucket, key)
        return handler(ctx, bucket)

    # -- access ------------------------------------------------------------
    def _owned_bucket(self, ctx, bucket):
        info = self.store.bucket_info(bucket)
        if not ctx.identity.is_admin and (
                info['owner'] is None or
                info['owner'] != ctx.identity.project_id):
            raise S3Error('AccessDenied', resource=bucket)
        return info

    # -- buckets -----------------------------------------------------------
    def list_buckets(self, ctx):
        """GET / : the caller's buckets (every bucket for an admin)."""
        buckets = [b for b in self.store.list_buckets()
                   if ctx.identity.is_admin or
                   b['owner'] == ctx.identity.project_id]
        return 200, _xml(), s3xml.list_buckets(buckets,
                                               ctx.identity.project_id)

    def put_bucket(self, ctx, bucket):
        """PUT /bucket : create it for the caller's project."""
        ctx.read_small_body()
        self.store.create_bucket(bucket, ctx.identity.project_id)
        return 200, [('Location', '/' + bucket)], b''

    def head_bucket(self, ctx, bucket):
        """HEAD /bucket : 200 if it exists and is the caller's."""
        self._owned_bucket(ctx, bucket)
        return 200, [], b''

    def delete_bucket(self, ctx, bucket):
        """DELETE /bucket : only an empty one."""
        self._owned_bucket(ctx, bucket)
        self.store.delete_bucket(bucket)
        return 204, [], b''

    def get_bucket(self, ctx, bucket):
        """GET /bucket : a listing (v1 or ``list-type=2``), or ?location."""
        info = self._owned_bucket(ctx, bucket)
        query = dict(ctx.query)
        if 'location' in query:
            return 200, _xml(), s3xml.location()
        unsupported = set(query) & (s3auth.SUB_RESOURCES | {'uploads'})
        if unsupported:
            raise S3Error('NotImplemented', 'nova-objectstore does not '
                          'implement ?%s' % sorted(unsupported)[0])
        try:
            max_keys = int(query.get('max-keys', 1000))
        except ValueError:
            raise S3Error('InvalidArgument', 'max-keys must be an integer')
        if not 0 <= max_keys:
            raise S3Error('InvalidArgument', 'max-keys must be >= 0')
        max_keys = min(max_keys, 1000)
        params = {'prefix': query.get('prefix', ''),
                  'delimiter': query.get('delimiter', ''),
                  'max_keys': max_keys,
                  'encoding_type': query.get('encoding-type')}
        version = 2 if query.get('list-type') == '2' else 1
        if version == 2:
            token = query.get('continuation-token')
            params['continuation_token'] = token
            params['start_after'] = query.get('start-after')
            marker = params['start_after'] or ''
            if token:
                try:
                    marker = s3xml.decode_token(token)
                except ValueError:
                    raise S3Error('InvalidArgument',
                                  'The continuation token is not valid')
        else:
            marker = params['marker'] = query.get('marker', '')
        page = self.store.list_objects(bucket, params['prefix'], marker,
                                       max_keys, params['delimiter'])
        return 200, _xml(), s3xml.list_objects(bucket, info['owner'], page,
                                               params, version)

    def post_bucket(self, ctx, bucket):
        """POST /bucket?delete : delete several objects."""
        if 'delete' not in dict(ctx.query):
            raise S3Error('NotImplemented')
        self._owned_bucket(ctx, bucket)
        text = ctx.read_small_body()
        try:
            root = ElementTree.fromstring(text)
        except ElementTree.ParseError:
            raise S3Error('MalformedXML')
        deleted, errors = [], []
        quiet = False
        for element in root.iter():
            tag = element.tag.rsplit('}', 1)[-1]
            if tag == 'Quiet':
                quiet = (element.text or '').strip().lower() == 'true'
            elif tag == 'Object':
                key = None
                for child in element:
                    if child.tag.rsplit('}', 1)[-1] == 'Key':
                        key = child.text or ''
                try:
                    self.store.delete_object(bucket, key)
                    deleted.append(key)
                except S3Error as exc:
                    errors.append((key, exc))
        return 200, _xml(), s3xml.delete_result(deleted, errors, quiet)

    # -- objects -----------------------------------------------------------
    def get_object(self, ctx, bucket, key):
        """GET/HEAD /bucket/key, with a single ``Range`` if asked."""
        self._owned_bucket(ctx, bucket)
        source, info = self.store.open_object(bucket, key)
        try:
            headers = _object_headers(info)
            span = parse_range(ctx.environ.get('HTTP_RANGE'), info.size)
        except BaseException:
            source.close()
            raise
        status, start, length = 200, 0, info.size
        if span is not None:
            status, start = 206, span[0]
            length = span[1] - span[0] + 1
            headers.append(('Content-Range', 'bytes %d-%d/%d'
                            % (span[0], span[1], info.size)))
        headers.append(('Content-Length', str(length)))
        return status, headers, FileIterator(source, start, length,
                                             _client_socket(ctx.environ))

    def put_object(self, ctx, bucket, key):
        """PUT /bucket/key : stream the body into place, verified."""
        self._owned_bucket(ctx, bucket)
        if 'partNumber' in dict(ctx.query):
            return self.upload_part(ctx, bucket, key)
        if 'HTTP_X_AMZ_COPY_SOURCE' in ctx.environ:
            raise S3Error('NotImplemented', 'CopyObject is not implemented')
        store.validate_key(key)
        store.encode_key(key)
        digests = body_digests(ctx)
        chunks, size = ctx.body_chunks(diskwriter.REUSED_BUFFERS)
        if size is not None and size > FLAGS.s3_max_object_size:
            raise S3Error('EntityTooLarge',
                          MaxSizeAllowed=FLAGS.s3_max_object_size)
        info = self.store.put_object(
            bucket, key, chunks, digests,
            max_size=FLAGS.s3_max_object_size,
            content_type=ctx.request.headers.get('content-type'),
            metadata=user_metadata(ctx), expected_size=size)
        return 200, [('ETag', '"%s"' % info.etag)], b''

    def delete_object(self, ctx, bucket, key):
        """DELETE /bucket/key : 204 whether or not it existed."""
        self._owned_bucket(ctx, bucket)
        if 'uploadId' in dict(ctx.query):
            return self.abort_upload(ctx, bucket, key)
        self.store.delete_object(bucket, key)
        return 204, [], b''


class _Call(object):
    """One request being served: the environ, its facts and its signer."""

    def __init__(self, environ, request, identity, query):
        self.environ = environ
        self.request = request
        self.identity = identity
        self.query = query

    def _length(self, name):
        value = self.environ.get(name) if name.isupper() else \
            self.request.headers.get(name)
        if value in (None, ''):
            return None
        try:
            length = int(value)
        except ValueError:
            raise S3Error('InvalidArgument', 'Malformed %s' % name)
        if length < 0:
            raise S3Error('InvalidArgument', 'Malformed %s' % name)
        return length

    def body_chunks(self, buffers=0):
        """``(iterable of body chunks, decoded length or None)``;
        ``buffers``: see :func:`body.plain_chunks`."""
        stream = self.environ['wsgi.input']
        length = self._length('CONTENT_LENGTH')
        chunked = 'chunked' in (self.environ.get('HTTP_TRANSFER_ENCODING')
                                or '').lower()
        if length is None and not chunked:
            raise S3Error('MissingContentLength')
        if self.identity.chunk_signer is not None:
            decoded = self._length('x-amz-decoded-content-length')
            if decoded is None:
                raise S3Error('MissingContentLength', 'aws-chunked uploads '
                              'need x-amz-decoded-content-length')
            return body.aws_chunked(stream, self.identity.chunk_signer), \
                decoded
        return body.plain_chunks(stream, length, buffers), length

    def read_small_body(self):
        """A small (XML) request body, checked like any other."""
        length = self._length('CONTENT_LENGTH')
        if not length and self.identity.chunk_signer is None:
            return b''
        chunks, _size = self.body_chunks()
        data = b''
        for chunk in chunks:
            data += chunk
            if len(data) > MAX_XML_BODY:
                raise S3Error('EntityTooLarge')
        if self.identity.payload_sha256:
            if hashlib.sha256(data).hexdigest() != \
                    self.identity.payload_sha256:
                raise S3Error('XAmzContentSHA256Mismatch')
        return data


def body_digests(ctx):
    """The digests a request body must match (Content-MD5, SigV4 payload
    hash, x-amz-checksum-*), as a :class:`store.Digests`."""
    expected = {}
    md5 = ctx.environ.get('HTTP_CONTENT_MD5')
    if md5 is not None:
        expected['md5'] = (store.md5_header(md5), 'BadDigest')
    for header, algorithm in _CHECKSUMS.items():
        value = ctx.request.headers.get(header)
        if value:
            try:
                expected[algorithm] = (base64.b64decode(value, validate=True),
                                       'BadDigest')
            except ValueError:
                raise S3Error('InvalidDigest', '%s is not base64' % header)
    if ctx.identity.payload_sha256:
        wanted = bytes.fromhex(ctx.identity.payload_sha256)
        if 'sha256' in expected and expected['sha256'][0] != wanted:
            raise S3Error('BadDigest', 'x-amz-checksum-sha256 and '
                          'x-amz-content-sha256 disagree')
        expected['sha256'] = (wanted, 'XAmzContentSHA256Mismatch')
    return store.Digests(expected)


def user_metadata(ctx):
    """The ``x-amz-meta-*`` headers of a request (names without prefix)."""
    return {k[len('x-amz-meta-'):]: v for k, v in ctx.request.headers.items()
            if k.startswith('x-amz-meta-')}


def _headers(environ):
    """The request headers as sent, lower-cased (values of repeated
    headers joined by commas).

    eventlet keeps them in ``headers_raw``; its ``CONTENT_TYPE`` defaults
    to ``text/plain`` when the client sent none, which a signature over the
    real (empty) content type would not match.
    """
    raw = environ.get('headers_raw')
    headers = {}
    if raw is not None:
        for name, value in raw:
            name = name.lower()
            headers[name] = headers[name] + ',' + value \
                if name in headers else value
        return headers
    headers = {key[5:].replace('_', '-').lower(): value
               for key, value in environ.items() if key.startswith('HTTP_')}
    for name in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
        if environ.get(name):
            headers[name.replace('_', '-').lower()] = environ[name]
    return headers


def _client_socket(environ):
    """The client's socket when the server is eventlet's, else None."""
    stream = environ.get('eventlet.input')
    if stream is None or not hasattr(stream, 'get_socket'):
        return None
    sock = stream.get_socket()
    if not hasattr(sock, 'fileno') or hasattr(sock, 'do_handshake'):
        return None  # TLS (or no socket): bytes must go through the server
    return sock


def _xml():
    return [('Content-Type', 'application/xml')]


def _unquote(text):
    return urllib.parse.unquote(text)


def _query_pairs(text):
    return urllib.parse.parse_qsl(text, keep_blank_values=True)


def _object_headers(info):
    headers = [('Content-Type', info.content_type),
               ('ETag', '"%s"' % info.etag),
               ('Last-Modified', _http_date(info.last_modified)),
               ('Accept-Ranges', 'bytes')]
    for name, value in sorted(info.metadata.items()):
        headers.append(('x-amz-meta-' + name, value))
    return headers


_REASONS = {200: 'OK', 204: 'No Content', 206: 'Partial Content',
            400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found',
            405: 'Method Not Allowed', 409: 'Conflict',
            411: 'Length Required', 416: 'Requested Range Not Satisfiable',
            500: 'Internal Server Error', 501: 'Not Implemented'}
