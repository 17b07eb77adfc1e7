"""Verification of signed EC2 requests.

Supports the EC2 query signatures (``SignatureVersion`` 0, 1 and 2, the last
with ``HmacSHA1`` or ``HmacSHA256``) and AWS Signature Version 4, both the
``Authorization: AWS4-HMAC-SHA256 ...`` header and the presigned
``X-Amz-Algorithm``/``X-Amz-Signature`` query form.  A version 4 credential
scope must name the service ``ec2`` and one of this cloud's regions
(:func:`check_scope`), or be exactly the scope boto 2.49 derives from the
host name it connects to (``DATE/0/127/aws4_request`` for ``127.0.0.1``).

A wrong signature that was fully computed with the user's secret raises
:class:`SignatureMismatch`; every other refusal (malformed, stale, unknown
version, foreign scope) raises plain ``InvalidSignature``/``RequestExpired``:
only the former is evidence of someone guessing the secret, so only it
counts towards a lockout.

Everything here is a pure function of the request facts and the secret key,
so the EC2 middleware builds a :class:`SignedRequest` from the WSGI request,
reads :attr:`SignedRequest.access_key` to find the user, then calls
``Signer(secret).verify(request)``.  A request whose timestamp lies outside
the allowed window is refused (replay protection).
"""

import base64
import datetime
import hashlib
import hmac
import posixpath
import urllib.parse

from nova import exception

#: How far a request's timestamp may be from the server's clock.
DEFAULT_WINDOW = datetime.timedelta(minutes=15)

V4_ALGORITHM = 'AWS4-HMAC-SHA256'
#: The longest lifetime of a presigned URL AWS allows (7 days).
MAX_PRESIGN_SECONDS = 604800
UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'
_V4_DATE_FORMAT = '%Y%m%dT%H%M%SZ'


class SignatureMismatch(exception.InvalidSignature):
    """The signature was computed with the real secret and differs."""


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _b64(digest):
    return base64.b64encode(digest).decode('ascii')


def _to_bytes(value):
    if isinstance(value, bytes):
        return value
    return str(value).encode('utf-8')


def _quote(value, safe):
    return urllib.parse.quote(_to_bytes(value), safe=safe)


class SignedRequest(object):
    """The facts of an HTTP request that a signature covers.

    ``params`` are all request parameters (query string and form body merged,
    decoded); ``query`` are the URL's query-string pairs only (decoded;
    derived from ``params`` for GET when not given); ``headers`` is any
    mapping (looked up case-insensitively); ``body`` the raw body bytes.
    ``path`` is the request path as the client addressed it (decoded).
    """

    def __init__(self, method, host, path, params=None, headers=None,
                 body=b'', query=None):
        self.method = (method or 'GET').upper()
        self.host = host or ''
        self.path = path or '/'
        self.params = dict(params or {})
        self.headers = {str(k).lower(): str(v)
                        for k, v in (headers or {}).items()}
        self.body = _to_bytes(body or b'')
        if query is None:
            query = [] if self.method == 'POST' else list(
                self.params.items())
        elif isinstance(query, dict):
            query = list(query.items())
        elif isinstance(query, (str, bytes)):
            text = query.decode('utf-8') if isinstance(query, bytes) \
                else query
            query = urllib.parse.parse_qsl(text, keep_blank_values=True)
        self.query = [(str(k), str(v)) for k, v in query]
        self.version = self._detect_version()
        self._v4 = self._parse_v4() if self.version == 4 else None

    # -- what kind of request this is ------------------------------------
    def _detect_version(self):
        auth = self.headers.get('authorization', '')
        if auth.startswith(V4_ALGORITHM):
            return 4
        if self._query_value('X-Amz-Algorithm') == V4_ALGORITHM:
            return 4
        if self.params.get('X-Amz-Algorithm') == V4_ALGORITHM:
            return 4
        version = self.params.get('SignatureVersion')
        if version is None:
            return None
        try:
            return int(str(version).strip())
        except ValueError:
            raise exception.InvalidSignature(
                reason='unknown signature version %s' % version)

    def _query_value(self, name):
        for key, value in self.query:
            if key == name:
                return value
        return None

    def _parse_v4(self):
        auth = self.headers.get('authorization', '')
        if auth.startswith(V4_ALGORITHM):
            fields = {}
            for part in auth[len(V4_ALGORITHM):].split(','):
                key, _sep, value = part.strip().partition('=')
                fields[key.strip()] = value.strip()
            facts = {
                'credential': fields.get('Credential'),
                'signed_headers': fields.get('SignedHeaders'),
                'signature': fields.get('Signature'),
                'date': self.headers.get('x-amz-date') or
                self.headers.get('date'),
                'expires': None,
                'in_query': False,
            }
        else:
            if not self._query_value('X-Amz-Algorithm'):
                # A presigned signature covers the URL's query string only;
                # its fields in a form body would leave the body unsigned.
                raise exception.InvalidSignature(
                    reason='presigned Signature Version 4 fields must be in '
                    'the URL query')
            source = dict(self.query)
            facts = {
                'credential': source.get('X-Amz-Credential'),
                'signed_headers': source.get('X-Amz-SignedHeaders'),
                'signature': source.get('X-Amz-Signature'),
                'date': source.get('X-Amz-Date'),
                'expires': source.get('X-Amz-Expires'),
                'in_query': True,
            }
        for key in ('credential', 'signed_headers', 'signature', 'date'):
            if not facts[key]:
                raise exception.InvalidSignature(
                    reason='Signature Version 4 request lacks its %s'
                    % key.replace('_', ' '))
        parts = facts['credential'].split('/')
        if len(parts) < 5 or parts[-1] != 'aws4_request':
            raise exception.InvalidSignature(
                reason='malformed credential %s' % facts['credential'])
        facts['access_key'] = '/'.join(parts[:-4])
        facts['scope'] = '/'.join(parts[-4:])
        facts['scope_date'] = parts[-4]
        return facts

    @property
    def access_key(self):
        """The access key the client signed with (``ACCESS[:PROJECT]``)."""
        if self.version == 4:
            return self._v4['access_key']
        return self.params.get('AWSAccessKeyId')

    @property
    def signature(self):
        """The signature the client sent."""
        if self.version == 4:
            return self._v4['signature']
        return self.params.get('Signature')


class Signer(object):
    """Computes and checks request signatures with one secret key."""

    def __init__(self, secret_key):
        self.secret = _to_bytes(secret_key)

    # -- EC2 query signatures (v0, v1, v2) -------------------------------
    def generate(self, params, verb, server_string, path):
        """The v0/v1/v2 signature of ``params`` (base64 text).

        Diablo's entry point: ``params`` holds every request parameter except
        ``Signature``; the version comes from ``params['SignatureVersion']``.
        """
        version = str(params.get('SignatureVersion', ''))
        if version == '0':
            return self._calc_v0(params)
        if version == '1':
            return self._calc_v1(params)
        if version == '2':
            return self._calc_v2(params, verb, server_string, path)
        raise exception.InvalidSignature(
            reason='Unknown Signature Version: %s' % version)

    def _calc_v0(self, params):
        text = '%s%s' % (params.get('Action', ''), params.get('Timestamp', ''))
        return _b64(hmac.new(self.secret, _to_bytes(text),
                             hashlib.sha1).digest())

    def _calc_v1(self, params):
        digest = hmac.new(self.secret, digestmod=hashlib.sha1)
        for key in sorted(params, key=lambda k: k.lower()):
            if key == 'Signature':
                continue
            digest.update(_to_bytes(key))
            digest.update(_to_bytes(params[key]))
        return _b64(digest.digest())

    def _calc_v2(self, params, verb, server_string, path):
        method = params.get('SignatureMethod', 'HmacSHA256')
        if method == 'HmacSHA256':
            digestmod = hashlib.sha256
        elif method == 'HmacSHA1':
            digestmod = hashlib.sha1
        else:
            raise exception.InvalidSignature(
                reason='unsupported SignatureMethod %s' % method)
        pairs = []
        for key in sorted(params):
            if key == 'Signature':
                continue
            pairs.append('%s=%s' % (_quote(key, safe=''),
                                    _quote(params[key], safe='-_~')))
        text = '%s\n%s\n%s\n%s' % (verb.upper(), server_string.lower(),
                                   path, '&'.join(pairs))
        return _b64(hmac.new(self.secret, _to_bytes(text),
                             digestmod).digest())

    # -- Signature Version 4 --------------------------------------------
    @staticmethod
    def v4_canonical_uri(path):
        """The canonical URI of a path: dot segments removed, encoded."""
        if not path:
            return '/'
        normalized = posixpath.normpath(path)
        if normalized.startswith('//'):
            normalized = '/' + normalized.lstrip('/')
        if path.endswith('/') and not normalized.endswith('/'):
            normalized += '/'
        return _quote(normalized, safe='/~')

    @staticmethod
    def v4_canonical_query(pairs):
        """The canonical query string of decoded (key, value) pairs."""
        encoded = sorted((_quote(k, safe='-_.~'), _quote(v, safe='-_.~'))
                         for k, v in pairs if k != 'X-Amz-Signature')
        return '&'.join('%s=%s' % kv for kv in encoded)

    @staticmethod
    def v4_canonical_headers(request, signed_headers):
        """The canonical header block of the named (signed) headers."""
        lines = []
        for name in signed_headers:
            value = request.headers.get(name)
            if value is None and name == 'host':
                value = request.host
            if value is None:
                raise exception.InvalidSignature(
                    reason='signed header %s is missing' % name)
            lines.append('%s:%s' % (name, ' '.join(value.split())))
        return '\n'.join(lines) + '\n'

    def v4_canonical_request(self, request, payload_hash, path=None):
        """The canonical request text (AWS Signature Version 4)."""
        facts = request._v4
        signed = [h.strip().lower()
                  for h in facts['signed_headers'].split(';') if h.strip()]
        return '\n'.join([
            request.method,
            self.v4_canonical_uri(request.path if path is None else path),
            self.v4_canonical_query(request.query),
            self.v4_canonical_headers(request, signed),
            ';'.join(signed),
            payload_hash,
        ])

    def v4_signing_key(self, scope):
        """The derived key for a ``date/region/service/aws4_request`` scope."""
        key = b'AWS4' + self.secret
        for part in scope.split('/'):
            key = hmac.new(key, _to_bytes(part), hashlib.sha256).digest()
        return key

    def v4_signature(self, request, payload_hash, path=None):
        """The hex v4 signature of ``request`` for a payload hash."""
        facts = request._v4
        canonical = self.v4_canonical_request(request, payload_hash, path)
        string_to_sign = '\n'.join([
            V4_ALGORITHM, facts['date'], facts['scope'],
            hashlib.sha256(_to_bytes(canonical)).hexdigest()])
        return hmac.new(self.v4_signing_key(facts['scope']),
                        _to_bytes(string_to_sign), hashlib.sha256).hexdigest()

    def _v4_payload_hashes(self, request):
        """The payload hashes a v4 signature may have been computed over.

        Always the hash of the body actually received: a declared
        ``x-amz-content-sha256`` must equal it, so a captured request's body
        cannot be swapped.  ``UNSIGNED-PAYLOAD`` is accepted only for a
        request without a body (presigned GET URLs).
        """
        actual = hashlib.sha256(request.body).hexdigest()
        declared = request.headers.get('x-amz-content-sha256')
        unsigned_ok = not request.body
        if declared and declared != actual and not (
                declared == UNSIGNED_PAYLOAD and unsigned_ok):
            raise exception.InvalidSignature(
                reason='x-amz-content-sha256 does not match the body')
        hashes = [actual]
        if unsigned_ok and (declared == UNSIGNED_PAYLOAD or
                            request._v4['in_query']):
            hashes.append(UNSIGNED_PAYLOAD)
        return hashes

    # -- verification ---------------------------------------------------
    def verify(self, request, now=None, window=DEFAULT_WINDOW):
        """Check a :class:`SignedRequest`; returns True or raises.

        Raises :class:`nova.exception.InvalidSignature` when the signature is
        missing or wrong, :class:`nova.exception.RequestExpired` when the
        request's timestamp is outside ``window`` of ``now`` (UTC).
        """
        if request.version is None:
            raise exception.InvalidSignature(reason='request is not signed')
        if not request.signature:
            raise exception.InvalidSignature(reason='no signature given')
        now = now or _utcnow()
        check_timestamp(request, now, window)
        if request.version == 4:
            ok = self._verify_v4(request)
        else:
            ok = self._verify_query(request)
        if not ok:
            raise SignatureMismatch(reason='signature does not match')
        return True

    def _verify_query(self, request):
        params = dict(request.params)
        params.pop('Signature', None)
        given = request.signature
        for host in _host_variants(request.host):
            expected = self.generate(params, request.method, host,
                                     request.path)
            if hmac.compare_digest(_to_bytes(expected), _to_bytes(given)):
                return True
            if request.version != 2:
                break
        return False

    def _verify_v4(self, request):
        given = request.signature.lower()
        for payload_hash in self._v4_payload_hashes(request):
            expected = self.v4_signature(request, payload_hash)
            if hmac.compare_digest(_to_bytes(expected), _to_bytes(given)):
                return True
        return False


def boto2_scope(host):
    """``(region, service)`` boto 2.49 derives from the host it connects to.

    boto 2 splits the host name on dots: the service is the first part, the
    region the second (``us-east-1`` for three parts, the only part for
    one).  ``127.0.0.1`` gives region ``0``, service ``127``.
    """
    bare = _host_variants(host)[-1]
    parts = bare.split('.')
    if len(parts) > 1:
        if parts[1] == 'us-gov':
            region = 'us-gov-west-1'
        elif len(parts) == 3:
            region = 'us-east-1'
        else:
            region = parts[1]
    else:
        region = parts[0]
    return region, parts[0]


def check_scope(request, regions, service='ec2'):
    """Refuse a v4 credential scope meant for another service or region.

    Accepted: ``DATE/<region>/<service>/aws4_request`` with ``region`` in
    ``regions``, or the scope boto 2.49 derives from the request's host.
    Query signatures (v0-v2) carry no scope and always pass.
    """
    if request.version != 4:
        return
    _date, region, scope_service = request._v4['scope'].split('/')[:3]
    if scope_service == service and region in regions:
        return
    if (region, scope_service) == boto2_scope(request.host):
        return
    raise exception.InvalidSignature(
        reason='credential scope %s/%s is not %s in region %s'
        % (region, scope_service, service, '/'.join(sorted(regions))))


def _host_variants(host):
    """The host as given, then without a port (as Diablo retried)."""
    variants = [host]
    if host.startswith('['):
        bare = host.split(']')[0] + ']'
    else:
        bare = host.rsplit(':', 1)[0] if host.count(':') == 1 else host
    if bare != host:
        variants.append(bare)
    return variants


def parse_timestamp(text):
    """Parse an ISO 8601 or v4 basic timestamp into naive UTC."""
    text = str(text).strip()
    try:
        return datetime.datetime.strptime(text, _V4_DATE_FORMAT)
    except ValueError:
        pass
    candidate = text
    if candidate.endswith(('Z', 'z')):
        candidate = candidate[:-1] + '+00:00'
    try:
        when = datetime.datetime.fromisoformat(candidate)
    except ValueError:
        try:
            from email.utils import parsedate_to_datetime
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            raise exception.InvalidSignature(
                reason='malformed timestamp %s' % text)
    if when.tzinfo is not None:
        when = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return when


def check_timestamp(request, now, window=DEFAULT_WINDOW):
    """Refuse a request whose timestamp is stale, or too far ahead."""
    if request.version == 4:
        facts = request._v4
        stamp = parse_timestamp(facts['date'])
        if facts['scope_date'] != stamp.strftime('%Y%m%d'):
            raise exception.InvalidSignature(
                reason='credential scope date %s does not match the request '
                'date' % facts['scope_date'])
        if stamp - now > window:
            raise exception.RequestExpired(reason='request date is ahead')
        if facts['expires'] is not None:
            try:
                seconds = int(facts['expires'])
            except ValueError:
                raise exception.InvalidSignature(
                    reason='malformed X-Amz-Expires')
            if not 0 < seconds <= MAX_PRESIGN_SECONDS:
                raise exception.InvalidSignature(
                    reason='X-Amz-Expires must be 1 to %d seconds'
                    % MAX_PRESIGN_SECONDS)
            lifetime = datetime.timedelta(seconds=seconds)
            if now > stamp + lifetime:
                raise exception.RequestExpired(reason='presigned URL expired')
        elif now - stamp > window:
            raise exception.RequestExpired(reason='request date too old')
        return
    params = request.params
    if params.get('Expires'):
        expires = parse_timestamp(params['Expires'])
        if now > expires:
            raise exception.RequestExpired(reason='request has expired')
        if expires - now > window * 4:
            raise exception.RequestExpired(
                reason='Expires is too far in the future')
        return
    if not params.get('Timestamp'):
        raise exception.InvalidSignature(
            reason='request has neither Timestamp nor Expires')
    stamp = parse_timestamp(params['Timestamp'])
    if abs(now - stamp) > window:
        raise exception.RequestExpired(reason='request timestamp too old '
                                       'or too far ahead')
