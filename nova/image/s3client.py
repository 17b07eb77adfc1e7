"""A small S3 client signing with AWS Signature Version 4.

What the S3 image service (fetching bundle parts) and the bundler
(uploading them) need of nova-objectstore: create a bucket, PUT an object
from a file — plain, or ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` chunk-signed
so that nothing is read twice — and GET an object into a file, streamed.
This is the client side of signing; nova-objectstore verifies with
:mod:`nova.auth.signer` (the image layer may not import it).
"""

import datetime
import hashlib
import hmac
import http.client
import os
import urllib.parse
import xml.etree.ElementTree as ElementTree

ALGORITHM = 'AWS4-HMAC-SHA256'
STREAMING = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'
EMPTY_SHA256 = hashlib.sha256(b'').hexdigest()
READ_SIZE = 1 << 16
GET_READ_SIZE = 1 << 20


class S3ClientError(Exception):
    """An S3 error answer: ``status``, ``code`` and ``message``."""

    def __init__(self, status, code, message):
        self.status = status
        self.code = code
        self.message = message
        super().__init__('%s %s: %s' % (status, code, message))


def _hmac(key, text):
    return hmac.new(key, text.encode('utf-8'), hashlib.sha256)


def _quote(text, safe='-_.~'):
    return urllib.parse.quote(text, safe=safe)


class S3Client(object):
    """Requests to one S3 endpoint as one access/secret key pair."""

    def __init__(self, host, port, access, secret, region='nova',
                 timeout=60):
        self.host = host
        self.port = int(port)
        self.access = access
        self.secret = secret.encode('utf-8')
        self.region = region
        self.timeout = timeout

    # -- signing -----------------------------------------------------------
    def _scope(self, stamp):
        return '%s/%s/s3/aws4_request' % (stamp[:8], self.region)

    def _signing_key(self, scope):
        key = b'AWS4' + self.secret
        for part in scope.split('/'):
            key = _hmac(key, part).digest()
        return key

    def sign(self, method, path, query, headers, payload_hash, now=None):
        """Add ``x-amz-date``, ``x-amz-content-sha256`` and Authorization.

        ``path`` is the URL path as sent (already percent-encoded);
        returns the signature (the seed of a chunk-signed body).
        """
        now = now or datetime.datetime.now(datetime.timezone.utc)
        stamp = now.strftime('%Y%m%dT%H%M%SZ')
        headers['host'] = '%s:%d' % (self.host, self.port)
        headers['x-amz-date'] = stamp
        headers['x-amz-content-sha256'] = payload_hash
        names = sorted(k.lower() for k in headers)
        lowered = {k.lower(): str(v).strip() for k, v in headers.items()}
        canonical = '\n'.join([
            method, path,
            '&'.join('%s=%s' % (_quote(k), _quote(v))
                     for k, v in sorted(query)),
            ''.join('%s:%s\n' % (n, lowered[n]) for n in names),
            ';'.join(names), payload_hash])
        scope = self._scope(stamp)
        text = '\n'.join([ALGORITHM, stamp, scope,
                          hashlib.sha256(canonical.encode()).hexdigest()])
        key = self._signing_key(scope)
        signature = _hmac(key, text).hexdigest()
        headers['authorization'] = (
            '%s Credential=%s/%s, SignedHeaders=%s, Signature=%s'
            % (ALGORITHM, self.access, scope, ';'.join(names), signature))
        self._chunk_key, self._chunk_scope, self._chunk_stamp = \
            key, scope, stamp
        return signature

    def chunk_signature(self, previous, data):
        """The signature of the next aws-chunked chunk."""
        text = '\n'.join(['AWS4-HMAC-SHA256-PAYLOAD', self._chunk_stamp,
                          self._chunk_scope, previous, EMPTY_SHA256,
                          hashlib.sha256(data).hexdigest()])
        return _hmac(self._chunk_key, text).hexdigest()

    # -- transport ---------------------------------------------------------
    @staticmethod
    def _path(bucket, key=None):
        path = '/' + _quote(bucket)
        if key is not None:
            path += '/' + _quote(key, safe='-_.~/')
        return path

    def _connect(self):
        return http.client.HTTPConnection(self.host, self.port,
                                          timeout=self.timeout)

    @staticmethod
    def _error(response):
        text = response.read(65536)
        code, message = 'HTTP%d' % response.status, response.reason
        try:
            root = ElementTree.fromstring(text)
            code = root.findtext('Code') or code
            message = root.findtext('Message') or message
        except ElementTree.ParseError:
            pass
        return S3ClientError(response.status, code, message)

    def _simple(self, method, bucket, key=None, body=b''):
        path = self._path(bucket, key)
        headers = {'content-length': str(len(body))}
        self.sign(method, path, [], headers,
                  hashlib.sha256(body).hexdigest())
        conn = self._connect()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            if response.status >= 300:
                raise self._error(response)
            return response.read()
        finally:
            conn.close()

    # -- operations --------------------------------------------------------
    def create_bucket(self, bucket):
        """PUT a bucket; one the caller already owns is fine."""
        try:
            self._simple('PUT', bucket)
        except S3ClientError as exc:
            if exc.code != 'BucketAlreadyOwnedByYou':
                raise

    def delete_object(self, bucket, key):
        """DELETE an object."""
        self._simple('DELETE', bucket, key)

    def get_bytes(self, bucket, key, limit=1 << 20):
        """A small object's bytes (at most ``limit``)."""
        path = self._path(bucket, key)
        headers = {}
        self.sign('GET', path, [], headers, EMPTY_SHA256)
        conn = self._connect()
        try:
            conn.request('GET', path, headers=headers)
            response = conn.getresponse()
            if response.status >= 300:
                raise self._error(response)
            data = response.read(limit + 1)
            if len(data) > limit:
                raise S3ClientError(response.status, 'TooLarge',
                                    '%s/%s is larger than %d bytes'
                                    % (bucket, key, limit))
            return data
        finally:
            conn.close()

    def get_to_file(self, bucket, key, out, digest=None):
        """Stream an object into the file object ``out``; returns its size.

        ``digest`` (a hashlib object) is updated with every byte.
        """
        path = self._path(bucket, key)
        headers = {}
        self.sign('GET', path, [], headers, EMPTY_SHA256)
        conn = self._connect()
        size = 0
        try:
            conn.request('GET', path, headers=headers)
            response = conn.getresponse()
            if response.status >= 300:
                raise self._error(response)
            for data in iter(lambda: response.read(GET_READ_SIZE), b''):
                out.write(data)
                if digest is not None:
                    digest.update(data)
                size += len(data)
            return size
        finally:
            conn.close()

    def put_file(self, bucket, key, path, chunk_size=READ_SIZE):
        """PUT a file as a chunk-signed (aws-chunked) body; returns ETag."""
        size = os.path.getsize(path)
        counts = [chunk_size] * (size // chunk_size)
        if size % chunk_size:
            counts.append(size % chunk_size)
        counts.append(0)
        framing = sum(len('%x;chunk-signature=' % n) + 64 + 4
                      for n in counts)
        url_path = self._path(bucket, key)
        headers = {'content-encoding': 'aws-chunked',
                   'content-length': str(size + framing),
                   'x-amz-decoded-content-length': str(size)}
        previous = self.sign('PUT', url_path, [], headers, STREAMING)
        conn = self._connect()
        try:
            conn.putrequest('PUT', url_path, skip_host=True,
                            skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders()
            with open(path, 'rb') as source:
                while True:
                    data = source.read(chunk_size)
                    previous = self.chunk_signature(previous, data)
                    conn.send(b'%x;chunk-signature=%s\r\n' % (
                        len(data), previous.encode()) + data + b'\r\n')
                    if not data:
                        break
            response = conn.getresponse()
            if response.status >= 300:
                raise self._error(response)
            response.read()
            return (response.getheader('ETag') or '').strip('"')
        finally:
            conn.close()
