"""nova-objectstore's S3 server as a service (start/stop/wait)."""

import logging

from nova import exception
from nova import flags
from nova.utils import concurrency

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.objectstore')


class _AccessLog(object):
    """File-like object eventlet.wsgi writes its access log lines to."""

    def write(self, text):
        text = text.rstrip()
        if text:
            LOG.info(text)


class S3Service(object):
    """The S3 WSGI server as a startable/stoppable service.

    Response header names go out as written (``x-amz-meta-*`` in lower
    case, as S3 sends them: clients derive metadata keys from them).
    """

    def __init__(self, host=None, port=None, root=None):
        from nova.objectstore import s3server
        self.app = s3server.S3Application(root)
        self.host = host or FLAGS.s3_listen
        self.port = FLAGS.s3_port if port is None else port
        self._socket = None
        self._thread = None

    def start(self):
        """Bind and serve in a green thread."""
        try:
            self._socket = concurrency.listen((self.host, self.port))
        except OSError as exc:
            raise exception.NovaException(
                'cannot listen on %s:%s: %s' % (self.host, self.port,
                                                exc.strerror or exc))
        self.port = self._socket.getsockname()[1]
        LOG.info('nova-objectstore listening on %s:%s', self.host, self.port)
        self._thread = concurrency.spawn(
            concurrency.wsgi_server, self._socket, self.app,
            log=_AccessLog(), capitalize_response_headers=False)

    def stop(self):
        """Stop serving."""
        if self._thread is not None:
            self._thread.kill()
            self._thread = None
        if self._socket is not None:
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
