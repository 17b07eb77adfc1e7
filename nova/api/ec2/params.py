"""Reading an EC2 request's parameters safely, before anyone is trusted.

Everything here runs for unauthenticated requests, so each step is bounded:

* the body is read in chunks of 64 KiB and refused (HTTP 413
  ``RequestEntityTooLarge``, connection closed) as soon as it passes
  ``--max_request_body_size`` -- or before a byte is read when the declared
  ``Content-Length`` already does;
* query string and form body are split once, in linear time (never
  ``dict(req.params)`` over webob's MultiDict, which is quadratic), and
  refused past ``--ec2_max_parameters`` parameters;
* a parameter name must be printable ASCII (``[A-Za-z0-9._:-]``), at most
  255 characters and ``--ec2_max_parameter_depth`` dotted parts, so a list
  index is always an ASCII number and unflattening never recurses deeply;
* values must be UTF-8 and free of characters XML cannot carry; a name may
  appear once.

The result is kept in the WSGI environ; the signature check, the lockout and
the action decoder all read the same parse (:func:`request_params`).
"""

import io
import re
import urllib.parse

import webob.dec

from nova import context
from nova import exception
from nova import flags
from nova.api.ec2 import ec2utils
from nova.api.ec2 import faults
from nova.api.ec2 import xmlsafe

FLAGS = flags.FLAGS
flags.DEFINE_integer('max_request_body_size', 1024 * 1024,
                     'Largest request body (bytes) the EC2 API reads; '
                     'larger requests get 413 before they are parsed')
flags.DEFINE_integer('ec2_max_parameters', 1000,
                     'Most parameters one EC2 request may carry')
flags.DEFINE_integer('ec2_max_parameter_depth', 6,
                     'Most dotted parts in an EC2 parameter name '
                     '(IpPermissions.1.Groups.1.GroupName has 5)')

PARAMS_KEY = 'nova.ec2.params'
CHUNK_SIZE = 64 * 1024
MAX_NAME_LENGTH = 255
_NAME_RE = re.compile(r'^[A-Za-z0-9_.:\-]+$')
_FORM_TYPES = ('', 'application/x-www-form-urlencoded')


class RequestEntityTooLarge(ec2utils.EC2APIError):
    """The body is larger than ``--max_request_body_size``."""

    message = 'The request body is larger than %(limit)s bytes.'
    ec2_code = 'RequestEntityTooLarge'
    code = 413


class MalformedQueryString(ec2utils.EC2APIError):
    """The query string or form body cannot be read as parameters."""

    message = '%(reason)s'
    ec2_code = 'MalformedQueryString'


class ParsedRequest(object):
    """The parameters of a request: ``params`` (name -> value, in order),
    ``query`` (the URL's own pairs) and the raw ``body`` bytes."""

    def __init__(self, params, query, body):
        self.params = params
        self.query = query
        self.body = body


def read_body(environ, limit):
    """The request body (bytes), read in chunks and never past ``limit``.

    The environ's input is replaced by the bytes read, so webob and the
    application can read it again.
    """
    declared = environ.get('CONTENT_LENGTH') or ''
    length = None
    if declared.strip():
        try:
            length = int(declared)
        except ValueError:
            raise MalformedQueryString(reason='Invalid Content-Length')
        if length < 0:
            raise MalformedQueryString(reason='Invalid Content-Length')
        if length > limit:
            raise RequestEntityTooLarge(limit=limit)
    chunked = 'chunked' in environ.get('HTTP_TRANSFER_ENCODING', '').lower()
    if length is None and not chunked:
        return b''
    stream = environ['wsgi.input']
    chunks = []
    total = 0
    while length is None or total < length:
        want = CHUNK_SIZE if length is None else min(CHUNK_SIZE,
                                                     length - total)
        data = stream.read(want)
        if not data:
            break
        total += len(data)
        if total > limit:
            raise RequestEntityTooLarge(limit=limit)
        chunks.append(data)
    body = b''.join(chunks)
    environ['wsgi.input'] = io.BytesIO(body)
    environ['CONTENT_LENGTH'] = str(len(body))
    environ.pop('HTTP_TRANSFER_ENCODING', None)
    environ['webob.is_body_seekable'] = True
    return body


def _check_name(name):
    if len(name) > MAX_NAME_LENGTH or not _NAME_RE.match(name):
        raise MalformedQueryString(
            reason='Invalid parameter name: %s' % xmlsafe.printable(name, 64))
    if name.count('.') >= FLAGS.ec2_max_parameter_depth:
        raise MalformedQueryString(
            reason='Parameter name %s has more than %d parts'
            % (xmlsafe.printable(name, 64), FLAGS.ec2_max_parameter_depth))


def _split(text, what, room):
    """Decoded ``(name, value)`` pairs of a query; at most ``room``."""
    if not text:
        return []
    if not text.isascii():
        raise MalformedQueryString(
            reason='The %s must be percent-encoded ASCII' % what)
    if text.count('&') >= room:
        raise MalformedQueryString(
            reason='Too many parameters (at most %d)'
            % FLAGS.ec2_max_parameters)
    try:
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True,
                                       encoding='utf-8', errors='strict')
    except UnicodeDecodeError:
        raise MalformedQueryString(
            reason='The %s is not valid UTF-8' % what)
    except ValueError:
        raise MalformedQueryString(reason='The %s is malformed' % what)
    return [(k, v) for k, v in pairs if k]


def parse(environ, body):
    """A :class:`ParsedRequest` of the query string and the form body."""
    limit = FLAGS.ec2_max_parameters
    query = _split(environ.get('QUERY_STRING', ''), 'query string', limit)
    form = []
    ctype = environ.get('CONTENT_TYPE', '').split(';')[0].strip().lower()
    if body and environ.get('REQUEST_METHOD', 'GET').upper() == 'POST' \
            and ctype in _FORM_TYPES:
        try:
            text = body.decode('ascii')
        except UnicodeDecodeError:
            raise MalformedQueryString(
                reason='The form body must be percent-encoded ASCII')
        form = _split(text, 'form body', limit - len(query))
    params = {}
    for name, value in query + form:
        _check_name(name)
        if name in params:
            raise MalformedQueryString(
                reason='Parameter %s is given more than once' % name)
        if xmlsafe.has_invalid(value):
            raise exception.InvalidParameterValue(
                err='Value of %s holds characters that are not allowed'
                % name)
        params[name] = value
    return ParsedRequest(params, query, body)


def request_params(req):
    """The :class:`ParsedRequest` of a webob request (parsed once).

    Raises :class:`RequestEntityTooLarge`, :class:`MalformedQueryString`
    or ``InvalidParameterValue`` for a request that breaks the limits.
    """
    parsed = req.environ.get(PARAMS_KEY)
    if parsed is None:
        body = read_body(req.environ, FLAGS.max_request_body_size)
        parsed = parse(req.environ, body)
        req.environ[PARAMS_KEY] = parsed
    return parsed


class RequestLimits(object):
    """Paste filter ``ec2limits``: enforce the limits before anything else
    reads the request, answering EC2 error XML (413/400)."""

    def __init__(self, application, **local_config):
        self.application = application

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.deploy filter factory."""
        def _factory(app):
            return cls(app, **local_config)
        return _factory

    @webob.dec.wsgify
    def __call__(self, req):
        try:
            try:
                request_params(req)
            except exception.NovaException as exc:
                resp = faults.error_response(exc,
                                             context.generate_request_id())
                if isinstance(exc, RequestEntityTooLarge):
                    # The rest of the body is never read: do not let the
                    # server drain it to keep the connection alive.
                    resp.headers['Connection'] = 'close'
                return resp
            return req.get_response(self.application)
        finally:
            # The server may keep the environ alive well after the request
            # (eventlet's per-connection objects sit in reference cycles
            # until the garbage collector gets to them): drop the body and
            # its parse now, or each large request pins its size in RSS.
            _release(req.environ)


def _release(environ):
    """Forget the request body and everything parsed from it."""
    for key in (PARAMS_KEY, 'nova.ec2.signed_request'):
        environ.pop(key, None)
    environ['wsgi.input'] = io.BytesIO(b'')
    environ['CONTENT_LENGTH'] = '0'
