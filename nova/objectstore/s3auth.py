"""Authentication of S3 requests with the users' EC2 access/secret keys.

Accepted: Signature Version 2 (``Authorization: AWS ACCESS:sig`` and the
``AWSAccessKeyId``/``Signature``/``Expires`` query), Signature Version 4
(header and presigned query) and its ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``
chunked uploads, whose every chunk signature is checked while the body
streams.  Unsigned requests are refused.  The HMAC/SigV4 primitives are
those of :mod:`nova.auth.signer`; only S3's canonical forms differ (S3 does
not normalize the path, and version 2 signs headers rather than params).
"""

import base64
import datetime
import email.utils
import hashlib
import hmac
import logging
import urllib.parse

from nova import exception
from nova.auth import signer
from nova.objectstore.errors import S3Error

LOG = logging.getLogger('nova.objectstore.s3auth')
WINDOW = signer.DEFAULT_WINDOW
STREAMING = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'
UNSIGNED = signer.UNSIGNED_PAYLOAD
EMPTY_SHA256 = hashlib.sha256(b'').hexdigest()

#: Query parameters that are part of a version 2 canonical resource.
SUB_RESOURCES = frozenset((
    'accelerate', 'acl', 'cors', 'delete', 'lifecycle', 'location',
    'logging', 'storageClass', 'select', 'select-type', 'object-lock',
    'replication', 'analytics', 'metrics', 'inventory',
    'notification', 'partNumber', 'policy', 'requestPayment', 'restore',
    'response-cache-control', 'response-content-disposition',
    'response-content-encoding', 'response-content-language',
    'response-content-type', 'response-expires', 'tagging', 'torrent',
    'uploadId', 'uploads', 'versionId', 'versioning', 'versions', 'website'))


class Identity(object):
    """Who signed a request, and how its body is to be checked."""

    def __init__(self, user, project, is_admin, payload=None,
                 chunk_signer=None):
        self.user = user
        self.project = project
        self.is_admin = is_admin
        #: hex SHA-256 the body must have, or None (not signed)
        self.payload_sha256 = payload
        #: a :class:`ChunkSigner` for aws-chunked bodies, or None
        self.chunk_signer = chunk_signer

    @property
    def project_id(self):
        """The project the request acts for."""
        return self.project.id

    @property
    def user_id(self):
        """The user who signed."""
        return self.user.id


class S3Request(object):
    """The facts of a request that S3 signatures cover."""

    def __init__(self, method, raw_path, query, headers, host,
                 virtual_bucket=None):
        self.method = method.upper()
        self.raw_path = raw_path or '/'
        self.path = urllib.parse.unquote(self.raw_path)
        self.query = list(query)
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.host = host
        self.virtual_bucket = virtual_bucket

    def param(self, name):
        """The first value of a query parameter, or None."""
        for key, value in self.query:
            if key == name:
                return value
        return None


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _hmac(key, text, digest=hashlib.sha256):
    if isinstance(text, str):
        text = text.encode('utf-8')
    return hmac.new(key, text, digest)


def _equal(a, b):
    return hmac.compare_digest(str(a).encode('utf-8'),
                               str(b).encode('utf-8'))


# -- version 2 -----------------------------------------------------------
def v2_string_to_sign(request, date_line, path=None):
    """The text a version 2 S3 signature is an HMAC-SHA1 of."""
    headers = request.headers
    lines = [request.method, headers.get('content-md5', '').strip(),
             headers.get('content-type', '').strip(), date_line]
    amz = sorted((k, v.strip()) for k, v in headers.items()
                 if k.startswith('x-amz-'))
    lines.extend('%s:%s' % kv for kv in amz)
    resource = path if path is not None else request.raw_path
    if request.virtual_bucket:
        resource = '/' + request.virtual_bucket + resource
    subs = sorted((k, v) for k, v in request.query if k in SUB_RESOURCES)
    if subs:
        resource += '?' + '&'.join(k if v == '' else '%s=%s' % (k, v)
                                   for k, v in subs)
    lines.append(resource)
    return '\n'.join(lines)


def _v2_facts(request):
    auth = request.headers.get('authorization', '')
    if auth.startswith('AWS '):
        credential = auth[4:].strip()
        access, _sep, signature = credential.rpartition(':')
        return access, signature, False
    access = request.param('AWSAccessKeyId')
    signature = request.param('Signature')
    if access and signature:
        return access, signature, True
    return None


def _check_v2_time(request, in_query):
    now = _now()
    if in_query:
        try:
            expires = datetime.datetime.fromtimestamp(
                int(request.param('Expires') or ''),
                datetime.timezone.utc).replace(tzinfo=None)
        except (ValueError, OverflowError):
            raise S3Error('AccessDenied', 'Query-string authentication '
                          'requires Expires (seconds since the epoch)')
        if now > expires:
            raise S3Error('AccessDenied', 'Request has expired')
        return request.param('Expires')
    text = request.headers.get('x-amz-date') or request.headers.get('date')
    if not text:
        raise S3Error('AccessDenied', 'AWS authentication requires a valid '
                      'Date or x-amz-date header')
    try:
        stamp = email.utils.parsedate_to_datetime(text)
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(datetime.timezone.utc).replace(
                tzinfo=None)
    except (TypeError, ValueError):
        try:
            stamp = signer.parse_timestamp(text)
        except exception.InvalidSignature:
            raise S3Error('AccessDenied', 'Invalid date %s' % text)
    if abs(now - stamp) > WINDOW:
        raise S3Error('RequestTimeTooSkewed', RequestTime=text)
    return request.headers.get('date', '')


def verify_v2(request, secret, access):
    """Check a version 2 signature; raises SignatureDoesNotMatch."""
    facts = _v2_facts(request)
    _access, given, in_query = facts
    date_line = _check_v2_time(request, in_query)
    candidates = [date_line]
    if not in_query and 'x-amz-date' in request.headers:
        candidates.append('')
    paths = [request.raw_path]
    if request.path != request.raw_path:
        paths.append(urllib.parse.quote(request.path, safe='/~'))
    if request.virtual_bucket is None and request.raw_path.count('/') == 1:
        # botocore signs a bucket's resource as /bucket/ even when it sends
        # /bucket.
        paths.append(request.raw_path + '/')
    key = signer._to_bytes(secret)
    for date in candidates:
        for path in paths:
            text = v2_string_to_sign(request, date, path)
            expected = base64.b64encode(
                _hmac(key, text, hashlib.sha1).digest()).decode('ascii')
            if _equal(expected, given):
                return True
            LOG.debug('v2 string to sign %r does not match', text)
    raise S3Error('SignatureDoesNotMatch', AWSAccessKeyId=access)


# -- version 4 -----------------------------------------------------------
def _v4_signed_request(request):
    return signer.SignedRequest(request.method, request.host, request.path,
                                headers=request.headers, query=request.query)


def v4_canonical_uris(request):
    """The canonical URIs a client may have signed: the path as sent,
    then the decoded path encoded once (S3 never normalizes its paths)."""
    uris = [request.raw_path]
    encoded = urllib.parse.quote(request.path, safe='/~')
    if encoded != request.raw_path:
        uris.append(encoded)
    return uris


def v4_canonical_request(signed, request, payload_hash, uri=None):
    """S3's canonical request (``uri``: one of :func:`v4_canonical_uris`)."""
    facts = signed._v4
    names = [h.strip().lower() for h in facts['signed_headers'].split(';')
             if h.strip()]
    if uri is None:
        uri = v4_canonical_uris(request)[-1]
    return '\n'.join([
        request.method, uri,
        signer.Signer.v4_canonical_query(request.query),
        signer.Signer.v4_canonical_headers(signed, names),
        ';'.join(names), payload_hash])


def v4_signature(secret, signed, request, payload_hash, uri=None):
    """The hex version 4 signature of an S3 request."""
    facts = signed._v4
    canonical = v4_canonical_request(signed, request, payload_hash, uri)
    text = '\n'.join([signer.V4_ALGORITHM, facts['date'], facts['scope'],
                      hashlib.sha256(canonical.encode('utf-8')).hexdigest()])
    key = signer.Signer(secret).v4_signing_key(facts['scope'])
    return _hmac(key, text).hexdigest()


class ChunkSigner(object):
    """Checks the chain of ``aws-chunked`` chunk signatures."""

    def __init__(self, secret, signed, seed_signature):
        facts = signed._v4
        self.key = signer.Signer(secret).v4_signing_key(facts['scope'])
        self.date = facts['date']
        self.scope = facts['scope']
        self.previous = seed_signature

    def expected(self, chunk_sha256_hex):
        """The signature the next chunk (of that hash) must carry."""
        text = '\n'.join(['AWS4-HMAC-SHA256-PAYLOAD', self.date, self.scope,
                          self.previous, EMPTY_SHA256, chunk_sha256_hex])
        return _hmac(self.key, text).hexdigest()

    def verify(self, chunk_sha256_hex, given):
        """Check one chunk's signature and advance the chain."""
        wanted = self.expected(chunk_sha256_hex)
        if not _equal(wanted, (given or '').lower()):
            raise S3Error('SignatureDoesNotMatch',
                          'The chunk signature does not match')
        self.previous = wanted


def verify_v4(request, secret, access, signed):
    """Check a version 4 signature.

    Returns ``(payload_sha256 or None, ChunkSigner or None)``: what the
    body must then be checked against while it streams.
    """
    try:
        signer.check_timestamp(signed, _now())
    except exception.RequestExpired as exc:
        if signed._v4['in_query']:
            raise S3Error('AccessDenied', 'Request has expired')
        raise S3Error('RequestTimeTooSkewed', str(exc))
    except exception.InvalidSignature as exc:
        raise S3Error('AccessDenied', str(exc))
    if signed._v4['in_query']:
        declared = UNSIGNED
    else:
        declared = request.headers.get('x-amz-content-sha256')
        if not declared:
            raise S3Error('InvalidRequest', 'Missing required header for '
                          'this request: x-amz-content-sha256')
    if declared not in (UNSIGNED, STREAMING):
        if len(declared) != 64 or any(c not in '0123456789abcdef'
                                      for c in declared.lower()):
            raise S3Error('InvalidArgument', 'x-amz-content-sha256 must be '
                          'UNSIGNED-PAYLOAD, %s or a SHA-256 hex digest'
                          % STREAMING)
    for uri in v4_canonical_uris(request):
        signature = v4_signature(secret, signed, request, declared, uri)
        if _equal(signature, signed.signature.lower()):
            break
    else:
        raise S3Error('SignatureDoesNotMatch', AWSAccessKeyId=access)
    if declared == UNSIGNED:
        return None, None
    if declared == STREAMING:
        return None, ChunkSigner(secret, signed, signature)
    return declared.lower(), None


# -- entry point -----------------------------------------------------------
def authenticate(request, auth_manager):
    """The :class:`Identity` of a signed S3 request; raises S3Error."""
    try:
        signed = _v4_signed_request(request)
    except exception.InvalidSignature as exc:
        raise S3Error('AccessDenied', str(exc))
    if signed.version == 4:
        access = signed.access_key
    else:
        facts = _v2_facts(request)
        if facts is None:
            raise S3Error('AccessDenied', 'Anonymous access is not allowed; '
                          'sign requests with your EC2 access and secret '
                          'keys')
        access = facts[0]
    try:
        user, project = auth_manager.resolve_access_key(access)
    except exception.AccessKeyNotFound:
        raise S3Error('InvalidAccessKeyId', AWSAccessKeyId=access)
    except exception.NotFound as exc:
        raise S3Error('AccessDenied', str(exc))
    payload, chunks = None, None
    if signed.version == 4:
        payload, chunks = verify_v4(request, user.secret, access, signed)
    else:
        verify_v2(request, user.secret, access)
    return Identity(user, project, auth_manager.is_admin(user), payload,
                    chunks)
