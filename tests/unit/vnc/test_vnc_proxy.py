"""nova-vncproxy's web side over real loopback sockets: the token gate,
the relay to a fake RFB server, clean endings, and noVNC's files."""

import http.client
import socket
import time

import pytest

from nova.vnc import auth
from nova.vnc import websocket
from tests import vnc_support
from tests.vnc_support import GREETING


class Tokens(object):
    """check_token over a real TokenStore, with a clock the test moves."""

    def __init__(self):
        self.now = 0.0
        self.store = auth.TokenStore(ttl=300, clock=lambda: self.now)
        self.checked = []

    def __call__(self, token):
        self.checked.append(token)
        return self.store.get(token)

    def add(self, token, port, instance_id=1):
        self.store.add(token, {'host': '127.0.0.1', 'port': port,
                               'instance_id': instance_id})


@pytest.fixture
def wwwroot(tmp_path):
    root = tmp_path / 'novnc'
    (root / 'app').mkdir(parents=True)
    (root / 'vnc.html').write_text('<html>noVNC</html>')
    (root / 'app' / 'ui.js').write_text('export default {};')
    (tmp_path / 'secret.txt').write_text('not for you')
    return root


@pytest.fixture
def proxy(wwwroot):
    from nova.vnc import server as vncproxy
    tokens = Tokens()
    holder = {}

    def setup():
        svc = vncproxy.VNCProxyService(host='127.0.0.1', port=0,
                                       wwwroot=str(wwwroot),
                                       check_token=tokens)
        svc.start()
        holder['port'] = svc.port
        return [svc]
    runner = vnc_support.GreenRunner(setup)
    runner.start()
    yield holder['port'], tokens
    runner.stop()


@pytest.fixture
def rfb():
    servers = []

    def make(**kwargs):
        server = vnc_support.FakeRFBServer(**kwargs)
        servers.append(server)
        return server
    yield make
    for server in servers:
        server.stop()


def test_valid_token_relays_both_ways(proxy, rfb):
    port, tokens = proxy
    server = rfb(extra=b'\x00\x00\x00\x00')
    tokens.add('good', server.port)
    status, headers, client = vnc_support.ws_connect(
        port, '/websockify?token=good')
    assert status == 101 and headers['sec-websocket-protocol'] == 'binary'
    assert client.recv_exactly(len(GREETING) + 4) == GREETING + b'\0' * 4
    client.send_binary(b'RFB 003.008\n')
    client.send_binary(b'\x01')
    deadline = time.time() + 5
    while bytes(server.received) != b'RFB 003.008\n\x01':
        assert time.time() < deadline, bytes(server.received)
        time.sleep(0.02)
    client.send_frame(websocket.OP_CLOSE, websocket.close_payload(1000))
    with pytest.raises(websocket.ConnectionClosed) as closed:
        client.recv_message()
    assert closed.value.code == 1000
    assert server.closed.wait(5)
    client.close()


@pytest.mark.parametrize('path', [
    '/websockify', '/websockify?token=', '/websockify?token=forged',
    '/?token=forged', '/websockify?token=expired', '/websockify?tok=good',
])
def test_bad_tokens_get_403_and_no_vnc_connection(proxy, rfb, path):
    port, tokens = proxy
    server = rfb()
    tokens.add('good', server.port)
    tokens.add('expired', server.port)
    tokens.now += 300
    tokens.add('good', server.port)
    status, headers, client = vnc_support.ws_connect(port, path)
    assert status == 403 and client is None
    assert 'RFB' not in headers['body']
    time.sleep(0.2)
    assert server.connections == 0


def test_token_reused_after_ttl_is_refused(proxy, rfb):
    port, tokens = proxy
    server = rfb()
    tokens.add('tok', server.port)
    status, _headers, client = vnc_support.ws_connect(
        port, '/websockify?token=tok')
    assert status == 101
    assert client.recv_exactly(len(GREETING)) == GREETING
    client.close()
    tokens.now += 301
    status, _headers, client = vnc_support.ws_connect(
        port, '/websockify?token=tok')
    assert status == 403 and client is None
    time.sleep(0.2)
    assert server.connections == 1


def test_other_origin_is_refused_before_the_token_is_looked_at(proxy, rfb):
    port, tokens = proxy
    server = rfb()
    tokens.add('good', server.port)
    status, _headers, _client = vnc_support.ws_connect(
        port, '/websockify?token=good', origin='http://evil.example')
    assert status == 403 and tokens.checked == []
    status, _headers, client = vnc_support.ws_connect(
        port, '/websockify?token=good',
        origin='http://127.0.0.1:%d' % port)
    assert status == 101
    client.close()


def test_slow_vnc_server_session_closes_cleanly_when_client_leaves(
        proxy, rfb):
    port, tokens = proxy
    server = rfb(delay=None)
    tokens.add('slow', server.port)
    status, _headers, client = vnc_support.ws_connect(
        port, '/websockify?token=slow')
    assert status == 101
    client.sock.settimeout(0.5)
    with pytest.raises(socket.timeout):
        client.recv_message()
    client.sock.settimeout(5)
    client.send_frame(websocket.OP_CLOSE, websocket.close_payload(1001))
    with pytest.raises(websocket.ConnectionClosed):
        client.recv_message()
    assert server.closed.wait(5), 'the proxy kept the VNC connection open'
    assert client.sock.recv(1) == b''
    client.close()


def test_client_vanishing_closes_the_vnc_connection(proxy, rfb):
    port, tokens = proxy
    server = rfb(delay=None)
    tokens.add('t', server.port)
    _status, _headers, client = vnc_support.ws_connect(
        port, '/websockify?token=t')
    client.close()
    assert server.closed.wait(5)


def test_vanished_vnc_server_ends_the_websocket_with_a_close(proxy, rfb):
    port, tokens = proxy
    server = rfb(vanish=True)
    tokens.add('v', server.port)
    _status, _headers, client = vnc_support.ws_connect(
        port, '/websockify?token=v')
    assert client.recv_exactly(len(GREETING)) == GREETING
    with pytest.raises(websocket.ConnectionClosed) as closed:
        client.recv_message()
    assert closed.value.code == websocket.CLOSE_NORMAL
    client.send_frame(websocket.OP_CLOSE, websocket.close_payload(1000))
    client.sock.settimeout(5)
    assert client.sock.recv(1) == b''
    client.close()


def test_silent_client_is_cut_after_the_close_timeout(proxy, rfb):
    port, tokens = proxy
    server = rfb(vanish=True)
    tokens.add('v', server.port)
    _status, _headers, client = vnc_support.ws_connect(
        port, '/websockify?token=v')
    client.recv_exactly(len(GREETING))
    with pytest.raises(websocket.ConnectionClosed):
        client.recv_message()
    client.sock.settimeout(10)
    started = time.time()
    assert client.sock.recv(1) == b''
    assert time.time() - started < 5
    client.close()


def test_unreachable_vnc_server_is_a_502_without_details(proxy):
    port, tokens = proxy
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    closed_port = probe.getsockname()[1]
    probe.close()
    tokens.add('gone', closed_port)
    status, headers, _client = vnc_support.ws_connect(
        port, '/websockify?token=gone')
    assert status == 502
    assert '127.0.0.1' not in headers['body']


def test_text_and_unmasked_frames_close_without_relaying(proxy, rfb):
    port, tokens = proxy
    for frame in ({'opcode': websocket.OP_TEXT, 'payload': b'hi'},
                  {'opcode': websocket.OP_BINARY, 'payload': b'hi',
                   'mask': False}):
        server = rfb()
        tokens.add('t', server.port)
        _status, _headers, client = vnc_support.ws_connect(
            port, '/websockify?token=t')
        client.recv_exactly(len(GREETING))
        client.send_frame(**frame)
        with pytest.raises(websocket.ConnectionClosed) as closed:
            client.recv_message()
        assert closed.value.code in (websocket.CLOSE_UNSUPPORTED_DATA,
                                     websocket.CLOSE_PROTOCOL_ERROR)
        assert server.closed.wait(5)
        assert bytes(server.received) == b''
        client.close()


def _get(port, path, method='GET'):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    conn.request(method, path)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, dict(resp.getheaders()), body


def test_novnc_files_are_served_and_nothing_else(proxy):
    port, _tokens = proxy
    status, headers, body = _get(port, '/vnc.html')
    assert (status, body) == (200, b'<html>noVNC</html>')
    assert headers['Content-Type'].startswith('text/html')
    status, headers, _body = _get(port, '/app/ui.js')
    assert status == 200 and 'javascript' in headers['Content-Type']
    for path in ('/../secret.txt', '/app/../../secret.txt',
                 '/%2e%2e/secret.txt', '/app', '/nope.html',
                 '/vnc.html%00'):
        assert _get(port, path)[0] == 404, path
    assert _get(port, '/vnc.html', 'POST')[0] == 405


def test_diablo_style_urls_redirect_to_novnc_with_the_token(proxy):
    port, _tokens = proxy
    for path in ('/?token=abc', '/vnc_auto.html?token=abc&host=x&port=y'):
        status, headers, _body = _get(port, path)
        assert status == 302
        assert headers['Location'] == (
            '/vnc.html?autoconnect=1&reconnect=0&'
            'path=websockify%3Ftoken%3Dabc')
    status, headers, _body = _get(port, '/')
    assert (status, headers['Location']) == (302, '/vnc.html')


def test_service_refuses_to_start_without_novnc(tmp_path):
    from nova import exception
    from nova.vnc import server as vncproxy
    with pytest.raises(exception.NovaException) as err:
        vncproxy.VNCProxyService(host='127.0.0.1', port=0,
                                 wwwroot=str(tmp_path))
    assert 'novnc package' in str(err.value)
