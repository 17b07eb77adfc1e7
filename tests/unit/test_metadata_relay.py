"""tools/cloud_netns.py's metadata relay: a node's relay answers only for
the guests its dnsmasq hosts file lists and no client can name another
address in X-Forwarded-For."""

import importlib.util
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, 'tools', 'cloud_netns.py')


def _module():
    spec = importlib.util.spec_from_file_location('cloud_netns_relay', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_relay_head_drops_the_clients_forwarded_for_and_connection():
    head = (b'GET /latest/meta-data/instance-id HTTP/1.1\r\n'
            b'Host: 169.254.169.254\r\n'
            b'X-Forwarded-For: 10.0.0.3\r\n'
            b'x-forwarded-for:10.0.0.4,\r\n 10.0.0.5\r\n'
            b'Connection: keep-alive\r\n'
            b'Accept: */*\r\n\r\n'
            b'GET / HTTP/1.1\r\nX-Forwarded-For: 10.0.0.3\r\n\r\n')
    out = _module().relay_head(head, '10.0.0.7')
    first, _sep, rest = out.partition(b'\r\n\r\n')
    assert first.split(b'\r\n') == [
        b'GET /latest/meta-data/instance-id HTTP/1.1',
        b'X-Forwarded-For: 10.0.0.7', b'Host: 169.254.169.254',
        b'Accept: */*', b'Connection: close']
    # what followed the head is passed as it was (the upstream closes
    # after its answer to the first request, never reading it)
    assert rest == b'GET / HTTP/1.1\r\nX-Forwarded-For: 10.0.0.3\r\n\r\n'


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def relay(tmp_path):
    """A relay on 127.0.0.2 to a recording upstream on 127.0.0.1; the
    hosts file lists 127.0.0.3 only."""
    port = _free_port()
    upstream = socket.socket()
    upstream.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    upstream.bind(('127.0.0.1', port))
    upstream.listen(8)
    seen = []

    def serve():
        while True:
            try:
                conn, _peer = upstream.accept()
            except OSError:
                return
            data = b''
            while b'\r\n\r\n' not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            seen.append(data)
            conn.sendall(b'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok')
            conn.close()
    threading.Thread(target=serve, daemon=True).start()
    hosts = tmp_path / 'nova-br100.conf'
    hosts.write_text('02:16:3e:00:00:01,i-1.novalocal,127.0.0.3\n')
    proc = subprocess.Popen(
        [sys.executable, SCRIPT, 'metadata', '--listen',
         '127.0.0.2:%d' % port, '--port', str(port), '--upstream-host',
         '127.0.0.1', '--hosts-file', str(hosts)])
    try:
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(('127.0.0.2', port), 1).close()
                break
            except OSError:
                assert time.time() < deadline, 'the relay did not listen'
                time.sleep(0.1)
        seen.clear()
        yield port, seen
    finally:
        proc.kill()
        proc.wait()
        upstream.close()


def _get(port, source, extra=b''):
    with socket.create_connection(('127.0.0.2', port), 5,
                                  source_address=(source, 0)) as s:
        s.sendall(b'GET /latest/meta-data/local-ipv4 HTTP/1.1\r\n'
                  b'Host: 169.254.169.254\r\n' + extra + b'\r\n')
        data = b''
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return data
            data += chunk


def test_a_listed_guest_is_passed_on_under_its_own_address(relay):
    port, seen = relay
    answer = _get(port, '127.0.0.3', b'X-Forwarded-For: 127.0.0.9\r\n')
    assert answer.startswith(b'HTTP/1.0 200') and answer.endswith(b'ok')
    assert len(seen) == 1
    assert b'X-Forwarded-For: 127.0.0.3\r\n' in seen[0]
    assert b'127.0.0.9' not in seen[0]


def test_an_address_the_node_does_not_serve_gets_404_and_nothing_passed(
        relay):
    port, seen = relay
    for extra in (b'', b'X-Forwarded-For: 127.0.0.3\r\n'):
        answer = _get(port, '127.0.0.4', extra)
        assert answer.startswith(b'HTTP/1.0 404'), answer
        assert b'ok' not in answer
    assert seen == []
