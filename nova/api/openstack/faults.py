"""Fault bodies of the OpenStack API (Diablo's names, JSON or XML).

A fault answer is ``{<name>: {"code": <status>, "message": <text>}}``,
named by status (``badRequest``, ``unauthorized``, ``itemNotFound``,
``badMethod``, ``overLimit`` …; ``computeFault`` for 500 and any status
without a name).  A 413 also carries ``retryAfter`` and a ``Retry-After``
header.  In XML, ``code`` is an attribute of the root element and
``message`` (``details``) child elements, in the version's namespace.
"""

import json

import webob
import webob.dec
import webob.exc

from nova import exception
from nova.api import fault_guard
from nova.api.openstack import xmlutil

XMLNS_V10 = 'http://docs.rackspacecloud.com/servers/api/v1.0'
XMLNS_V11 = 'http://docs.openstack.org/compute/api/v1.1'
XMLNS_ATOM = 'http://www.w3.org/2005/Atom'

NAMES = {
    400: 'badRequest',
    401: 'unauthorized',
    403: 'resizeNotAllowed',
    404: 'itemNotFound',
    405: 'badMethod',
    409: 'inProgress',
    413: 'overLimit',
    415: 'badMediaType',
    500: 'computeFault',
    501: 'notImplemented',
    503: 'serviceUnavailable',
}
#: the message of a 503 (an outage's own words name hosts and URLs).
UNAVAILABLE = ('The service is unavailable at this time. Please try your '
               'request again later.')
#: the name of any other status (422 …).
DEFAULT_NAME = 'computeFault'


def version_of(environ):
    """'1.0' or '1.1' (v2 and v2.1 are v1.1) from the mount point."""
    script = environ.get('SCRIPT_NAME', '').rstrip('/')
    return '1.0' if script.endswith('/v1.0') else '1.1'


def namespace(req):
    """The XML namespace of the request's API version."""
    return XMLNS_V10 if version_of(req.environ) == '1.0' else XMLNS_V11


def too_large(message, retry_after=None):
    """A 413 ``overLimit`` error (``Retry-After`` when given)."""
    exc = webob.exc.HTTPRequestEntityTooLarge(explanation=message)
    if retry_after is not None:
        exc.headers['Retry-After'] = str(int(retry_after))
    return exc


def from_nova(exc):
    """The webob error a :class:`NovaException` maps to (never a 500 text).

    Not found → 404, quota → 413 (``Retry-After: 0``), invalid input →
    400, not authorized → 403, conflicts → 409, an unreachable service
    (database, broker, LDAP directory) → 503.  An unexpected error keeps a
    generic message.
    """
    message = str(exc)
    if isinstance(exc, exception.NotFound):
        return webob.exc.HTTPNotFound(explanation=message)
    if isinstance(exc, exception.QuotaError):
        return too_large(message, retry_after=0)
    if isinstance(exc, exception.Invalid):
        return webob.exc.HTTPBadRequest(explanation=message)
    if isinstance(exc, exception.NotAuthorized):
        return webob.exc.HTTPForbidden(explanation=message)
    if isinstance(exc, (exception.Duplicate, exception.AlreadyExists)):
        return webob.exc.HTTPConflict(explanation=message)
    if fault_guard.is_outage(exc):
        return webob.exc.HTTPServiceUnavailable(explanation=UNAVAILABLE)
    code = getattr(exc, 'code', 500)
    if isinstance(code, int) and 400 <= code < 500:
        return webob.exc.status_map.get(code, webob.exc.HTTPBadRequest)(
            explanation=message)
    return webob.exc.HTTPInternalServerError(
        explanation='The server has either erred or is incapable of '
                    'performing the requested operation.')


def body(status, message, xml, version='1.1', retry_after=None,
         details=None):
    """The bytes of a fault body."""
    name = NAMES.get(status, DEFAULT_NAME)
    fault = {'code': status, 'message': message}
    if details is not None:
        fault['details'] = details
    if status == 413 and retry_after is not None:
        fault['retryAfter'] = str(retry_after)
    if xml:
        ns = XMLNS_V10 if version == '1.0' else XMLNS_V11
        return xmlutil.to_xml({name: fault}, ns,
                              text_keys=('message', 'details'))
    return json.dumps({name: fault}).encode('utf-8')


class Fault(webob.exc.HTTPException):
    """A webob error answered with a fault body in the asked media type."""

    def __init__(self, exc):
        self.wrapped_exc = exc
        self.status_int = exc.status_int

    @webob.dec.wsgify
    def __call__(self, req):
        exc = self.wrapped_exc
        status = exc.status_int
        accept = req.environ.get('nova.osapi.format')
        if accept is None:
            try:
                match = req.accept.best_match(
                    ('application/json', 'application/xml'))
            except (ValueError, TypeError):
                match = None
            xml = match == 'application/xml' and 'Accept' in req.headers
        else:
            xml = accept == 'xml'
        message = exc.explanation or exc.title
        retry = exc.headers.get('Retry-After')
        response = webob.Response(status=status, charset='utf-8')
        response.content_type = 'application/xml' if xml \
            else 'application/json'
        details = exc.detail if status == 413 else None
        response.body = body(status, message, xml, version_of(req.environ),
                             retry_after=retry, details=details)
        for name in ('Retry-After', 'Allow', 'Location'):
            if name in exc.headers:
                response.headers[name] = exc.headers[name]
        return response


def fault(status, message, **headers):
    """A :class:`Fault` for ``status`` with ``message``."""
    exc = webob.exc.status_map[status](explanation=message)
    for name, value in headers.items():
        exc.headers[name.replace('_', '-')] = value
    return Fault(exc)


__all__ = ['Fault', 'fault', 'from_nova', 'too_large', 'body', 'namespace',
           'version_of', 'NAMES', 'XMLNS_V10', 'XMLNS_V11', 'XMLNS_ATOM']
