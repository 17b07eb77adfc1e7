"""Helpers of the VNC console tests: a fake RFB server standing in for a
guest's VNC display, a websocket client, a boto3 EC2 client that knows
GetVncConsole, and green services run in a native thread of their own
(the test thread stays blocking)."""

import base64
import copy
import json
import os
import queue
import socket
import threading

from nova.vnc import websocket
from tests import green_calls

GREETING = b'RFB 003.008\n'


class FakeRFBServer(object):
    """A VNC server on 127.0.0.1: sends the RFB 3.8 greeting (after
    ``delay`` seconds, or never when ``delay`` is None), then records what
    the client sends; ``vanish`` closes right after the greeting."""

    def __init__(self, delay=0.0, vanish=False, extra=b''):
        self.delay = delay
        self.vanish = vanish
        self.extra = extra
        self.received = bytearray()
        self.connections = 0
        self.closed = threading.Event()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(('127.0.0.1', 0))
        self._sock.listen(8)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while True:
            try:
                conn, _addr = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._session, args=(conn,),
                             daemon=True).start()

    def _session(self, conn):
        try:
            if self.delay is None:
                conn.settimeout(30)
            else:
                threading.Event().wait(self.delay)
                conn.sendall(GREETING + self.extra)
                if self.vanish:
                    return
            conn.settimeout(30)
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                self.received += data
        except OSError:
            return
        finally:
            conn.close()
            self.closed.set()

    def stop(self):
        """Stop accepting."""
        self._sock.close()


class WSClient(object):
    """A blocking websocket client (masked frames, as RFC 6455 asks)."""

    def __init__(self, sock, leftover=b''):
        self.sock = sock
        self.reader = websocket.FrameReader(sock.recv, require_mask=False)
        self.reader.feed(leftover)

    def send_binary(self, data):
        """Send one binary message."""
        self.sock.sendall(websocket.encode_frame(websocket.OP_BINARY, data,
                                                 mask=True))

    def send_frame(self, opcode, payload=b'', fin=True, mask=True):
        """Send one raw frame."""
        self.sock.sendall(websocket.encode_frame(opcode, payload, fin=fin,
                                                 mask=mask))

    def recv_message(self):
        """``(opcode, payload)``; ConnectionClosed on a close frame."""
        return self.reader.read_message()

    def recv_exactly(self, count):
        """Binary payload bytes until ``count`` arrived."""
        data = b''
        while len(data) < count:
            opcode, payload = self.recv_message()
            assert opcode == websocket.OP_BINARY
            data += payload
        return data

    def close(self):
        """Close the TCP connection."""
        self.sock.close()


def ws_connect(port, path, origin=None, host='127.0.0.1', timeout=10):
    """Open a websocket; returns ``(status, headers, client or None)``."""
    sock = socket.create_connection((host, port), timeout=timeout)
    key = base64.b64encode(os.urandom(16)).decode('ascii')
    lines = ['GET %s HTTP/1.1' % path, 'Host: %s:%d' % (host, port),
             'Upgrade: websocket', 'Connection: Upgrade',
             'Sec-WebSocket-Key: %s' % key, 'Sec-WebSocket-Version: 13',
             'Sec-WebSocket-Protocol: binary']
    if origin:
        lines.append('Origin: %s' % origin)
    sock.sendall(('\r\n'.join(lines) + '\r\n\r\n').encode('ascii'))
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _sep, rest = data.partition(b'\r\n\r\n')
    status_line, *header_lines = head.decode('latin-1').split('\r\n')
    status = int(status_line.split()[1])
    headers = {}
    for line in header_lines:
        name, _colon, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    if status != 101:
        body = rest
        length = int(headers.get('content-length', 0))
        while len(body) < length:
            chunk = sock.recv(4096)
            if not chunk:
                break
            body += chunk
        sock.close()
        headers['body'] = body.decode('utf-8', 'replace')
        return status, headers, None
    assert headers['sec-websocket-accept'] == websocket.accept_key(key)
    return status, headers, WSClient(sock, rest)


def console_ec2_client(model_dir, endpoint, access, secret):
    """A boto3 EC2 client whose model has Diablo's GetVncConsole and
    GetAjaxConsole (``InstanceId`` in, ``Url`` out); the extended model is
    written under ``model_dir``."""
    import boto3
    import botocore.config
    import botocore.session
    loader = botocore.session.get_session().get_component('data_loader')
    version = loader.list_api_versions('ec2', 'service-2')[-1]
    model = copy.deepcopy(loader.load_service_model('ec2', 'service-2',
                                                    version))
    model['shapes']['ConsoleRequest'] = {
        'type': 'structure', 'required': ['InstanceId'],
        'members': {'InstanceId': {'shape': 'String'}}}
    model['shapes']['ConsoleResult'] = {
        'type': 'structure',
        'members': {'Url': {'shape': 'String', 'locationName': 'url'}}}
    for name in ('GetVncConsole', 'GetAjaxConsole'):
        model['operations'][name] = {
            'name': name, 'http': {'method': 'POST', 'requestUri': '/'},
            'input': {'shape': 'ConsoleRequest'},
            'output': {'shape': 'ConsoleResult'}}
    target = os.path.join(model_dir, 'ec2', version)
    os.makedirs(target)
    with open(os.path.join(target, 'service-2.json'), 'w') as out:
        json.dump(model, out)
    session = botocore.session.get_session()
    session.set_config_variable('data_path', model_dir)
    return boto3.Session(botocore_session=session).client(
        'ec2', endpoint_url=endpoint, region_name='nova',
        aws_access_key_id=access, aws_secret_access_key=secret,
        config=botocore.config.Config(retries={'max_attempts': 1}))


class GreenRunner(object):
    """Run green services in a native thread with its own hub.

    ``setup()`` runs in that thread and returns the started services
    (objects with ``stop()``); :meth:`call` runs more there.
    """

    def __init__(self, setup):
        self._setup = setup
        self._calls = queue.Queue()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self.result = None
        self.error = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        """Start; returns what ``setup`` returned."""
        self._thread.start()
        self._ready.wait(30)
        if self.error is not None:
            raise self.error
        return self.result

    def _run(self):
        try:
            self.result = self._setup()
        except BaseException as exc:  # noqa: BLE001 - handed to start()
            self.error = exc
            self._ready.set()
            return
        self._ready.set()
        green_calls.serve_calls(self._calls, self._stop)
        green_calls.stop_all(self.result)

    def call(self, func, *args):
        """Run ``func(*args)`` in the green thread's hub."""
        return green_calls.call_through(self._calls, func, args, 60)

    def stop(self):
        """Stop the services and the thread."""
        self._stop.set()
        self._thread.join(30)
