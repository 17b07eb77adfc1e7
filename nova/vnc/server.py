"""nova-vncproxy's web server as a startable/stoppable service."""

import logging
import os

from nova import exception
from nova import flags
from nova import vnc
from nova.utils import concurrency
from nova.vnc import proxy

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.vncproxy')


class _AccessLog(object):
    """File-like object the WSGI server writes its access lines to."""

    def write(self, text):
        text = text.rstrip()
        if text:
            # Query strings carry console tokens: keep them out of logs.
            LOG.info(text.split('?', 1)[0])


def guarded(app):
    """``app`` whose unexpected errors are a bare 500 (logged, never sent)."""
    def guard(environ, start_response):
        try:
            return app(environ, start_response)
        except Exception:  # noqa: BLE001 - no traceback to a client
            LOG.exception('VNC proxy request failed')
            body = b'Internal error\n'
            start_response('500 Internal Server Error', [
                ('Content-Type', 'text/plain'),
                ('Content-Length', str(len(body)))])
            return [body]
    return guard


class VNCProxyService(object):
    """noVNC and the websocket relay on ``host:port`` (default
    ``--vncproxy_host:--vncproxy_port``).  Refuses to start without noVNC
    in ``wwwroot`` (``--vncproxy_wwwroot``), as Diablo's did."""

    def __init__(self, host=None, port=None, wwwroot=None,
                 check_token=None):
        self.wwwroot = wwwroot or FLAGS.vncproxy_wwwroot
        page = os.path.join(self.wwwroot, vnc.NOVNC_PAGE)
        if not os.path.isfile(page):
            raise exception.NovaException(
                'no noVNC in --vncproxy_wwwroot=%s (no %s): install '
                'Debian\'s novnc package or point the flag at noVNC'
                % (self.wwwroot, vnc.NOVNC_PAGE))
        self.app = guarded(proxy.VNCProxyApp(self.wwwroot,
                                             check_token=check_token))
        self.host = host or FLAGS.vncproxy_host
        port = FLAGS.vncproxy_port if port is None else port
        try:
            self._socket = concurrency.listen((self.host, port))
        except OSError as exc:
            raise exception.NovaException(
                'cannot listen on %s:%s: %s' % (self.host, port,
                                                exc.strerror or exc))
        self.port = self._socket.getsockname()[1]
        self._thread = None

    def start(self):
        """Serve in a green thread."""
        LOG.info('nova-vncproxy listening on %s:%s (noVNC from %s)',
                 self.host, self.port, self.wwwroot)
        self._thread = concurrency.spawn(
            concurrency.wsgi_server, self._socket, self.app,
            log=_AccessLog(), debug=False)

    def stop(self):
        """Stop serving."""
        if self._thread is not None:
            self._thread.kill()
            self._thread = None
        try:
            self._socket.close()
        except OSError:
            pass

    def wait(self):
        """Block until stopped."""
        if self._thread is not None:
            try:
                self._thread.wait()
            except concurrency.GreenletExit:
                pass
