"""GlanceClient's identity headers and error mapping, against a canned
HTTP server in a thread (answers as glance-api 33 was seen to answer in
tests/integration/test_glance_real.py)."""

import http.server
import json
import threading

import pytest

from nova import context
from nova import exception
from nova.api.ec2 import faults
from nova.image import glance

VERSIONS = {'versions': [{'id': 'v2.17', 'status': 'CURRENT'},
                         {'id': 'v2.0', 'status': 'SUPPORTED'}]}


class _Canned(http.server.BaseHTTPRequestHandler):
    answer = (200, b'{}')
    seen = []

    def _reply(self):
        type(self).seen.append(dict(self.headers))
        status, body = type(self).answer
        self.send_response(status)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_PUT = _reply

    def log_message(self, *args):
        pass


@pytest.fixture
def canned():
    """The canned server in an OS thread, stopped by a flag it polls.

    Not ``serve_forever``/``shutdown``: once other tests have loaded
    eventlet's green socketserver, ``shutdown`` waits on a green Event that
    the serving OS thread's hub can never wake (the suite hung there).
    """
    server = http.server.HTTPServer(('127.0.0.1', 0), _Canned)
    server.timeout = 0.1
    stop = []

    def serve():
        while not stop:
            server.handle_request()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    _Canned.seen = []
    yield server
    stop.append(True)
    thread.join(5)
    server.server_close()


def _client(server, ctxt):
    return glance.GlanceClient('127.0.0.1', server.server_port,
                               identity=glance.identity_headers(ctxt))


def test_identity_headers_of_a_project_user(set_flags):
    ctxt = context.RequestContext('alice', 'proj', roles=['SysAdmin'])
    headers = glance.identity_headers(ctxt)
    assert headers == {'X-Identity-Status': 'Confirmed',
                       'X-Roles': 'sysadmin,member,reader',
                       'X-User-Id': 'alice', 'X-Project-Id': 'proj',
                       'X-Tenant-Id': 'proj'}
    set_flags(glance_member_roles=['_member_'])
    assert glance.identity_headers(ctxt)['X-Roles'] == 'sysadmin,_member_'


def test_identity_headers_of_admins():
    admin = context.RequestContext('root', None, is_admin=True)
    assert glance.identity_headers(admin) == {
        'X-Identity-Status': 'Confirmed', 'X-Roles': 'admin',
        'X-User-Id': 'root'}
    # Nova's own calls (no context) see every image, as Glance's admin.
    assert glance.identity_headers(None) == {
        'X-Identity-Status': 'Confirmed', 'X-Roles': 'admin'}


def test_headers_travel_with_every_request(canned):
    ctxt = context.RequestContext('alice', 'proj')
    ctxt.auth_token = 'tok'
    client = glance.GlanceClient('127.0.0.1', canned.server_port, 'tok',
                                 identity=glance.identity_headers(ctxt))
    client.request('GET', '/v2/images')
    seen = _Canned.seen[-1]
    assert seen['X-Project-Id'] == 'proj'
    assert seen['X-Identity-Status'] == 'Confirmed'
    assert seen['X-Auth-Token'] == 'tok'


def test_a_300_is_an_answer_only_for_the_versions_document(canned):
    _Canned.answer = (300, json.dumps(VERSIONS).encode())
    client = _client(canned, None)
    status, _headers, data = client.request('GET', '/', choices_ok=True)
    assert status == 300 and json.loads(data) == VERSIONS
    with pytest.raises(glance.GlanceError) as err:
        client.request('GET', '/v1/images/detail')
    assert err.value.status == 300
    assert 'does not serve this API version (it offers v2.0, v2.17)' in \
        str(err.value)


@pytest.mark.parametrize('status,cls,code', [
    (400, glance.GlanceBadRequest, 'InvalidParameterValue'),
    (403, glance.GlanceForbidden, 'UnauthorizedOperation'),
    (409, glance.GlanceConflict, 'IncorrectState'),
    (413, glance.GlanceTooLarge, 'RequestEntityTooLarge'),
    (500, glance.GlanceError, 'InternalError')])
def test_errors_map_to_ec2_codes(canned, status, cls, code):
    _Canned.answer = (status, b'%d Something\n\nGlance says\n no.' % status)
    with pytest.raises(cls) as err:
        _client(canned, None).request('POST', '/v2/images')
    assert err.value.status == status
    assert str(err.value) == \
        'Glance error: POST /v2/images: %d Glance says no.' % status
    assert faults.ec2_error(err.value)[1] == code


def test_unreachable_is_an_outage():
    client = glance.GlanceClient('127.0.0.1', 9, timeout=2)
    with pytest.raises(glance.GlanceUnavailable) as err:
        client.request('GET', '/')
    assert isinstance(err.value, exception.ServiceUnavailable)
    assert faults.ec2_error(err.value)[0] == 503


class _Unreadable(object):
    def read(self, size):
        raise OSError(5, 'Input/output error')


def test_unreadable_data_is_the_callers_error_not_an_outage(canned):
    with pytest.raises(glance.GlanceError) as err:
        _client(canned, None).request('PUT', '/v2/images/x/file',
                                      body=_Unreadable())
    assert not isinstance(err.value, glance.GlanceUnavailable)
    assert str(err.value) == ('Glance error: reading the image data for '
                              'PUT /v2/images/x/file failed: [Errno 5] '
                              'Input/output error')
