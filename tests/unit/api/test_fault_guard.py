"""The WSGI-level guard: no traceback, driver, port or path in any answer."""

import webob
import webob.dec
from sqlalchemy import exc as sa_exc

from nova import exception
from nova.api import fault_guard
from nova.api.ec2 import faults

PG_ERROR = sa_exc.OperationalError(
    'SELECT 1', {}, Exception('connection to server at "127.0.0.1", port '
                              '5433 failed: Connection refused'))


def _app(exc=None, status=200, body=b'ok'):
    @webob.dec.wsgify
    def app(req):
        if exc is not None:
            raise exc
        return webob.Response(status=status, body=body)
    return app


def _get(app, name='ec2'):
    return webob.Request.blank('/x').get_response(
        fault_guard.guard(app, name))


def _clean(resp):
    text = resp.text
    for word in ('Traceback', 'psycopg', 'sqlalchemy', '5433', '127.0.0.1',
                 '.py', 'OperationalError', '/usr/'):
        assert word not in text, text


def test_database_outage_is_ec2_service_unavailable_with_request_id():
    resp = _get(_app(PG_ERROR))
    assert resp.status_int == 503
    assert '<Code>ServiceUnavailable</Code>' in resp.text
    assert '<RequestID>req-' in resp.text
    assert resp.headers['Retry-After'] == '5'
    _clean(resp)


def test_unexpected_error_is_a_generic_500():
    resp = _get(_app(RuntimeError('/usr/lib/python3/x.py exploded')))
    assert resp.status_int == 500
    assert '<Code>InternalError</Code>' in resp.text
    _clean(resp)


def test_rpc_timeout_is_503():
    resp = _get(_app(exception.RpcTimeout(topic='compute', method='x')))
    assert resp.status_int == 503


def test_a_500_body_with_a_traceback_is_replaced():
    leak = (b'Traceback (most recent call last):\n  File "/work/nova/'
            b'db.py", line 3, in f\npsycopg.OperationalError: port 5433')
    resp = _get(_app(status=500, body=leak), name='osapi')
    assert resp.status_int == 500
    assert resp.json['computeFault']['code'] == 500
    _clean(resp)


def test_client_errors_and_successes_pass_unchanged():
    resp = _get(_app(status=400, body=b'<Code>InvalidParameterValue</Code>'
                     b' name x.py'))
    assert resp.status_int == 400 and b'x.py' in resp.body
    resp = _get(_app(body=b'console: /usr/bin/init started'))
    assert resp.status_int == 200 and b'/usr/bin/init' in resp.body


def test_renderers_per_api():
    for name, marker in (('objectstore', '<Error><Code>ServiceUnavailable'),
                         ('metadata', 'ServiceUnavailable: '),
                         ('osapi', 'serviceUnavailable')):
        resp = _get(_app(PG_ERROR), name=name)
        assert resp.status_int == 503 and marker in resp.text, resp.text


def test_ec2_error_mapping_of_outages():
    for exc in (PG_ERROR, exception.DBUnavailable(url='u', attempts=1,
                                                  reason='r'),
                exception.RpcTimeout(topic='t', method='m')):
        status, code, message = faults.ec2_error(exc)
        assert (status, code) == (503, 'ServiceUnavailable')
        assert '5433' not in message


def test_wsgi_server_applies_the_guard():
    from nova import wsgi
    server = wsgi.Server('ec2', _app(PG_ERROR), host='127.0.0.1', port=0)
    try:
        assert isinstance(server.app, fault_guard.FaultGuard)
        assert server.app.render is fault_guard.render_ec2
    finally:
        server.stop()
