"""The last line of defence of every API: no traceback ever reaches a client.

:class:`FaultGuard` wraps a whole WSGI application (EC2, OpenStack,
metadata, objectstore; :class:`nova.wsgi.Server` applies it to each).
An exception escaping the application becomes a short error in the API's
own format: 503 ``ServiceUnavailable`` when the database or the message
broker is unreachable, 500 otherwise, each with a request id; the details
go to the log only.  An error response (4xx/5xx) the application itself
produced is read before it is sent, and one that carries a traceback, a
database driver's name or a source path is replaced the same way.
Successful responses pass through untouched (and unbuffered).
"""

import json
import logging
import re
import uuid
from xml.sax import saxutils

from nova import exception
from nova.db import retry as db_retry

LOG = logging.getLogger('nova.api.fault_guard')

#: what no response body may carry (a traceback, whatever the status).
TRACEBACK = re.compile(r'Traceback \(most recent call last\)|'
                       r'File "[^"]*", line \d+')

#: what must never be in a server error's body.
LEAKS = re.compile(
    r'Traceback \(most recent call last\)|File "[^"]*", line \d+|'
    r'\.py\b|sqlalchemy|psycopg|pymysql|mysqldb|sqlite3|OperationalError|'
    r'postgresql(\+\w+)?://|mysql(\+\w+)?://|amqp://|kombu|'
    r'(?:^|[\s"\'(])/(?:usr|home|var|etc|opt|tmp|srv|work|root)/',
    re.IGNORECASE)

_MESSAGES = {
    503: ('ServiceUnavailable', 'The service is unavailable at this time. '
          'Please try your request again later.'),
    500: ('InternalError', 'An unknown error has occurred. Please try your '
          'request again.'),
}
_MAX_ERROR_BODY = 256 * 1024


def is_outage(exc):
    """Whether ``exc`` means the database or the broker is unreachable."""
    if isinstance(exc, (exception.RpcTimeout, exception.RpcUnavailable,
                        exception.DBUnavailable,
                        exception.ServiceUnavailable)):
        return True
    if type(exc).__name__ == 'RemoteError' and getattr(
            exc, 'exc_type', None) in ('RpcTimeout', 'RpcUnavailable',
                                       'DBUnavailable'):
        return True
    return db_retry.is_disconnect(exc)


def leaks(body, status=500):
    """Whether an error response body gives away internals.

    Client errors (4xx) may echo what the client sent, so only a traceback
    counts there; server errors must not name drivers, URLs or paths either.
    """
    if isinstance(body, bytes):
        body = body.decode('utf-8', 'replace')
    pattern = LEAKS if status >= 500 else TRACEBACK
    return bool(pattern.search(body))


# -- renderers: (status, code, message, request_id) -> (type, bytes) ------
def render_ec2(status, code, message, request_id):
    """EC2's error document."""
    body = ('<?xml version="1.0"?>\n<Response><Errors><Error><Code>%s</Code>'
            '<Message>%s</Message></Error></Errors><RequestID>%s'
            '</RequestID></Response>' % (
                saxutils.escape(code), saxutils.escape(message),
                saxutils.escape(request_id)))
    return 'text/xml', body.encode('utf-8')


def render_s3(status, code, message, request_id):
    """S3's error document (the objectstore)."""
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code>'
            '<Message>%s</Message><RequestId>%s</RequestId></Error>' % (
                saxutils.escape(code), saxutils.escape(message),
                saxutils.escape(request_id)))
    return 'application/xml', body.encode('utf-8')


def render_openstack(status, code, message, request_id):
    """An OpenStack API fault (JSON)."""
    name = 'serviceUnavailable' if status == 503 else 'computeFault'
    body = json.dumps({name: {'code': status, 'message': message,
                              'requestId': request_id}})
    return 'application/json', body.encode('utf-8')


def render_text(status, code, message, request_id):
    """Plain text (the metadata service)."""
    return 'text/plain', ('%s: %s (request %s)\n' % (
        code, message, request_id)).encode('utf-8')


RENDERERS = {'ec2': render_ec2, 'osapi': render_openstack,
             'openstack': render_openstack, 'objectstore': render_s3,
             's3': render_s3, 'metadata': render_text}


class FaultGuard(object):
    """WSGI middleware: errors in the API's format, never internals."""

    def __init__(self, application, render=render_text, name='api'):
        self.application = application
        self.render = render
        self.name = name

    def _error(self, start_response, status, request_id, exc_info=None):
        code, message = _MESSAGES[503 if status == 503 else 500]
        content_type, body = self.render(status, code, message, request_id)
        reason = 'Service Unavailable' if status == 503 else \
            'Internal Server Error'
        headers = [('Content-Type', '%s; charset=UTF-8' % content_type),
                   ('Content-Length', str(len(body)))]
        if status == 503:
            headers.append(('Retry-After', '5'))
        start_response('%d %s' % (status, reason), headers, exc_info)
        return [body]

    def __call__(self, environ, start_response):
        captured = {}

        def capture(status, headers, exc_info=None):
            captured['status'] = status
            captured['headers'] = headers
            captured['exc_info'] = exc_info
            return lambda data: captured.setdefault('written', []).append(
                data)

        request_id = 'req-%s' % uuid.uuid4()
        try:
            result = self.application(environ, capture)
            status = int(str(captured.get('status', '500'))[:3])
            if status < 400:
                start_response(captured['status'], captured['headers'])
                written = captured.get('written')
                if written:
                    return written + list(result)
                return result
            try:
                body = b''.join(captured.get('written', []) +
                                list(result))
            finally:
                close = getattr(result, 'close', None)
                if close is not None:
                    close()
        except Exception as exc:  # noqa: BLE001 - the point of the guard
            outage = is_outage(exc)
            if outage:
                LOG.error('%s request %s: a service is unreachable: %s',
                          self.name, request_id,
                          ' '.join(str(exc).split())[:300])
            else:
                LOG.exception('%s request %s failed', self.name, request_id)
            return self._error(start_response, 503 if outage else 500,
                               request_id)
        if len(body) > _MAX_ERROR_BODY or leaks(body, status):
            LOG.error('%s request %s: replacing an error response that '
                      'gave away internals: %r', self.name, request_id,
                      body[:2000])
            return self._error(start_response,
                               503 if status == 503 else 500, request_id)
        start_response(captured['status'], captured['headers'])
        return [body]


def guard(application, name):
    """``application`` wrapped in a :class:`FaultGuard` for API ``name``."""
    if isinstance(application, FaultGuard):
        return application
    render = RENDERERS.get(name, render_text)
    return FaultGuard(application, render=render, name=name)
