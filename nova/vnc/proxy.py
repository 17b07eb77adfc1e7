"""nova-vncproxy's web side: noVNC's files and the websocket relay.

:class:`VNCProxyApp` is a WSGI application:

* a websocket upgrade on ``/websockify`` (or ``/``) carrying
  ``?token=...``: the token is checked (``check_token``, over RPC by
  default); a missing, wrong or expired one is answered ``403`` and no
  VNC server is contacted; a valid one is relayed (:class:`Relay`) to
  the VNC server of the one instance it was minted for;
* ``GET /?token=...`` (the URL shape of Diablo's manual) and Diablo's
  ``/vnc_auto.html?token=...``: a redirect to noVNC's page with the
  websocket path that carries the token;
* any other ``GET``/``HEAD``: a file of ``--vncproxy_wwwroot`` (Debian's
  ``novnc`` package installs noVNC in ``/usr/share/novnc``).
"""

import logging
import mimetypes
import os
import socket
from urllib import parse

from nova import context as nova_context
from nova import flags
from nova import rpc
from nova import vnc
from nova.utils import concurrency
from nova.vnc import websocket

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.vncproxy')

flags.DEFINE_string('vncproxy_host', '0.0.0.0',
                    'address the VNC proxy binds')
flags.DEFINE_integer('vncproxy_port', 6080, 'port the VNC proxy binds')
flags.DEFINE_string('vncproxy_wwwroot', '/usr/share/novnc',
                    'directory of the noVNC web client (Debian\'s novnc '
                    'package installs it in /usr/share/novnc)')

#: seconds to wait for a guest's VNC server to accept the connection.
CONNECT_TIMEOUT = 10
#: seconds the client gets to answer our close frame.
CLOSE_TIMEOUT = 2
_CHUNK = 65536


def rpc_check_token(token):
    """Ask nova-vncproxy's manager (``--vncproxy_topic``) about ``token``."""
    return rpc.call(nova_context.get_admin_context(), FLAGS.vncproxy_topic,
                    {'method': 'check_token', 'args': {'token': token}})


def _plain(start_response, status, text, headers=()):
    body = (text + '\n').encode('utf-8')
    start_response(status, [('Content-Type', 'text/plain; charset=utf-8'),
                            ('Content-Length', str(len(body)))]
                   + list(headers))
    return [body]


def _same_origin(environ):
    """No Origin (a non-browser client) or the proxy's own host:port."""
    origin = environ.get('HTTP_ORIGIN')
    if not origin:
        return True
    netloc = parse.urlsplit(origin).netloc.lower()
    host = (environ.get('HTTP_HOST') or '').lower()
    return bool(netloc) and netloc == host


class Relay(object):
    """Bytes between a websocket (the browser) and a VNC server, both
    ways, until either side goes; then both connections are closed."""

    def __init__(self, client, server, reader=None, label=''):
        self.client = client
        self.server = server
        self.reader = reader or websocket.FrameReader(client.recv)
        self.label = label
        self._send_lock = concurrency.Semaphore(1)
        self._closed_sent = False
        self.client_done = concurrency.Event()

    def _send(self, opcode, payload=b''):
        with self._send_lock:
            if self._closed_sent:
                return
            if opcode == websocket.OP_CLOSE:
                self._closed_sent = True
            self.client.sendall(websocket.encode_frame(opcode, payload))

    def _close_client(self, code, reason=''):
        try:
            self._send(websocket.OP_CLOSE,
                       websocket.close_payload(code, reason))
        except OSError:
            pass

    def _from_server(self):
        """VNC server -> browser; ends when the server goes."""
        try:
            while True:
                data = self.server.recv(_CHUNK)
                if not data:
                    break
                self._send(websocket.OP_BINARY, data)
        except OSError:
            pass
        self._close_client(websocket.CLOSE_NORMAL, 'VNC server closed')
        # The browser answers our close frame; one that does not is cut.
        concurrency.spawn_n(self._cut_client_after, CLOSE_TIMEOUT)

    def _cut_client_after(self, seconds):
        concurrency.sleep(seconds)
        if not self.client_done.ready():
            _shutdown(self.client)

    def _from_client(self):
        """Browser -> VNC server; ends on close, error or disconnect."""
        try:
            while True:
                opcode, payload = self.reader.read_message(
                    on_ping=lambda data: self._send(websocket.OP_PONG, data))
                if opcode != websocket.OP_BINARY:
                    self._close_client(websocket.CLOSE_UNSUPPORTED_DATA,
                                       'binary frames only')
                    return
                self.server.sendall(payload)
        except websocket.ConnectionClosed as closed:
            if closed.code is not None:
                self._close_client(websocket.CLOSE_NORMAL)
        except websocket.ProtocolError as exc:
            self._close_client(exc.code, str(exc))
        except OSError:
            pass

    def run(self):
        """Relay until done; both sockets are closed on return."""
        upstream = concurrency.spawn(self._from_server)
        try:
            self._from_client()
        finally:
            self.client_done.send(True)
            _shutdown(self.server)
            try:
                upstream.wait()
            except Exception:  # noqa: BLE001 - ending anyway
                pass
            _shutdown(self.client)
            self.server.close()
        LOG.info('VNC console session %s ended', self.label)


def _shutdown(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class VNCProxyApp(object):
    """The WSGI application of nova-vncproxy (see the module's doc)."""

    def __init__(self, wwwroot=None, check_token=None):
        self.wwwroot = os.path.abspath(wwwroot or FLAGS.vncproxy_wwwroot)
        self.check_token = check_token or rpc_check_token

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO') or '/'
        query = parse.parse_qs(environ.get('QUERY_STRING', ''))
        token = (query.get('token') or [None])[0]
        upgrade = environ.get('HTTP_UPGRADE')
        if upgrade is not None and path in ('/', '/' + vnc.WS_PATH):
            return self._websocket(environ, start_response, token)
        if upgrade is not None:
            return _plain(start_response, '404 Not Found', 'Not Found')
        if environ.get('REQUEST_METHOD') not in ('GET', 'HEAD'):
            return _plain(start_response, '405 Method Not Allowed',
                          'Method Not Allowed', [('Allow', 'GET, HEAD')])
        if path in ('/', '/vnc_auto.html') and token:
            target = vnc.console_url(token, base='')
            return _plain(start_response, '302 Found', 'Found',
                          [('Location', target)])
        if path == '/':
            return _plain(start_response, '302 Found', 'Found',
                          [('Location', '/' + vnc.NOVNC_PAGE)])
        return self._static(environ, start_response, path)

    # -- noVNC's files --------------------------------------------------
    def _static(self, environ, start_response, path):
        parts = [part for part in path.split('/') if part]
        if any(part in ('.', '..') or '\0' in part or '\\' in part
               for part in parts):
            return _plain(start_response, '404 Not Found', 'Not Found')
        full = os.path.normpath(os.path.join(self.wwwroot, *parts))
        if not (full + os.sep).startswith(self.wwwroot + os.sep) or \
                not os.path.isfile(full):
            return _plain(start_response, '404 Not Found', 'Not Found')
        try:
            with open(full, 'rb') as source:
                body = source.read()
        except OSError:
            return _plain(start_response, '404 Not Found', 'Not Found')
        kind = mimetypes.guess_type(full)[0] or 'application/octet-stream'
        if kind in ('application/javascript', 'text/javascript'):
            kind = 'text/javascript; charset=utf-8'
        start_response('200 OK', [
            ('Content-Type', kind), ('Content-Length', str(len(body))),
            ('Cache-Control', 'no-cache'),
            ('X-Content-Type-Options', 'nosniff')])
        if environ.get('REQUEST_METHOD') == 'HEAD':
            return [b'']
        return [body]

    # -- the websocket ----------------------------------------------------
    def _websocket(self, environ, start_response, token):
        try:
            accept, protocol = websocket.check_upgrade(environ)
        except websocket.HandshakeError as exc:
            return _plain(start_response, '400 Bad Request', str(exc))
        if not _same_origin(environ):
            LOG.warning('Refused a VNC websocket from origin %r',
                        environ.get('HTTP_ORIGIN', '')[:200])
            return _plain(start_response, '403 Forbidden',
                          'Cross-origin websocket refused')
        info = self.check_token(token) if token else None
        if not info:
            LOG.info('Refused a VNC websocket from %s: bad or expired token',
                     environ.get('REMOTE_ADDR'))
            return _plain(start_response, '403 Forbidden', 'Unauthorized')
        label = 'instance %s from %s' % (info.get('instance_id'),
                                         environ.get('REMOTE_ADDR'))
        try:
            server = concurrency.connect((info['host'], int(info['port'])),
                                         timeout=CONNECT_TIMEOUT)
        except OSError as exc:
            LOG.warning('VNC server of %s at %s:%s unreachable: %s', label,
                        info['host'], info['port'], exc)
            return _plain(start_response, '502 Bad Gateway',
                          'The console of this instance is unreachable')
        client = concurrency.wsgi_take_socket(environ)
        start_response('101 Switching Protocols', [])
        try:
            client.sendall(websocket.handshake_response(accept, protocol))
        except OSError:
            server.close()
            return []
        LOG.info('VNC console session %s started', label)
        Relay(client, server, label=label).run()
        return []
