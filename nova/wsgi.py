"""WSGI plumbing: load apps from api-paste.ini and serve them."""

import logging
import os
import sys

from paste import deploy

from nova import exception
from nova import flags
from nova.utils import concurrency

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.wsgi')


class PasteConfigNotFound(exception.NotFound):
    message = 'Could not find paste config at %(path)s'


class PasteAppNotFound(exception.NotFound):
    message = "Could not load paste app '%(name)s' from %(path)s: %(reason)s"


def _package_etc():
    here = os.path.dirname(os.path.abspath(__file__))
    return [os.path.join(os.path.dirname(here), 'etc', 'nova'),
            os.path.join(sys.prefix, 'etc', 'nova')]


def find_config(name):
    """Find api-paste.ini: as given, then ./, ./etc/nova, /etc/nova, the package."""
    if os.path.isabs(name):
        return name if os.path.exists(name) else None
    candidates = [os.path.abspath(name),
                  os.path.abspath(os.path.join('etc', 'nova', name)),
                  os.path.join('/etc/nova', name)]
    candidates += [os.path.join(d, name) for d in _package_etc()]
    for path in candidates:
        if os.path.exists(path):
            return path
    return None


class Loader(object):
    """Loads WSGI applications from a paste.deploy config file."""

    def __init__(self, config_path=None):
        config_path = config_path or FLAGS.api_paste_config
        self.config_path = find_config(config_path)
        if not self.config_path:
            raise PasteConfigNotFound(path=config_path)

    def load_app(self, name):
        """The WSGI app of section ``[composite:NAME]`` / ``[app:NAME]``."""
        try:
            return deploy.loadapp('config:%s' % self.config_path, name=name)
        except LookupError as exc:
            raise PasteAppNotFound(name=name, path=self.config_path,
                                   reason=exc)


class _LogAdapter(object):
    """File-like object eventlet.wsgi writes its access log lines to."""

    def __init__(self, logger):
        self.logger = logger

    def write(self, text):
        text = text.rstrip()
        if text:
            self.logger.info(text)


class _SharedListener(object):
    """A listening socket shared with other worker processes.

    The WSGI server accepts in a loop for as long as connections are
    pending, so the worker that wakes first would take a whole burst of new
    keep-alive connections (measured: all 32 of a load generator's, the
    other worker idle).  After each connection this one yields its CPU
    (``sched_yield``), so that a sibling woken by the same readiness can
    take the next; an idle sibling-less machine loses nothing.
    """

    def __init__(self, sock):
        self._sock = sock

    def accept(self):
        """Accept one connection, then give the siblings their turn."""
        accepted = self._sock.accept()
        os.sched_yield()
        concurrency.sleep(0)
        return accepted

    def __getattr__(self, name):
        return getattr(self._sock, name)


class Server(object):
    """A WSGI server in a green thread; port 0 picks a free port."""

    def __init__(self, name, app, host='0.0.0.0', port=0, backlog=128):
        from nova.api import fault_guard
        self.name = name
        # No traceback, driver name or path in any answer, whatever fails.
        self.app = fault_guard.guard(app, name)
        self.host = host
        self.port = port
        self._socket = concurrency.listen((host, port), backlog=backlog)
        self.port = self._socket.getsockname()[1]
        self._thread = None
        self._logger = logging.getLogger('nova.%s.wsgi.server' % name)

    def share_socket(self):
        """This server's socket is served by several processes (API
        workers): accept one connection at a time and let another worker
        take the next (see :class:`_SharedListener`)."""
        self._socket = _SharedListener(self._socket)

    def start(self):
        """Serve in a green thread."""
        LOG.info('%s listening on %s:%s', self.name, self.host, self.port)
        self._thread = concurrency.spawn(
            concurrency.wsgi_server, self._socket, self.app,
            log=_LogAdapter(self._logger), debug=False)

    def stop(self):
        """Stop accepting; the requests in flight go on (see :meth:`wait`)."""
        if self._thread is not None:
            # The server's own shutdown closes the idle keep-alive
            # connections and waits for the requests being handled.
            self._thread.kill()
        try:
            self._socket.close()
        except OSError:
            pass

    def wait(self):
        """Block until the server has stopped and its requests finished."""
        if self._thread is not None:
            try:
                self._thread.wait()
            except concurrency.GreenletExit:
                pass
            self._thread = None
