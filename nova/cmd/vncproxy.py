"""nova-vncproxy: noVNC and the console websocket relay on
--vncproxy_host:--vncproxy_port, and the token manager on --vncproxy_topic.

Like Diablo's, it refuses to start without noVNC in --vncproxy_wwwroot
(Debian's ``novnc`` package: /usr/share/novnc).  It registers in the
services table and heartbeats as any Nova service.
"""

import os

from nova import exception
from nova import flags
from nova import service
from nova import vnc
from nova import wsgi
from nova.utils import cmdline as common
from nova.vnc import auth  # noqa: F401 - its flags
from nova.vnc import proxy

FLAGS = flags.FLAGS


class VNCProxyService(object):
    """The proxy's web server as a startable/stoppable service."""

    def __init__(self, host=None, port=None, wwwroot=None,
                 check_token=None):
        self.wwwroot = wwwroot or FLAGS.vncproxy_wwwroot
        page = os.path.join(self.wwwroot, vnc.NOVNC_PAGE)
        if not os.path.isfile(page):
            raise exception.NovaException(
                'no noVNC in --vncproxy_wwwroot=%s (no %s): install '
                'Debian\'s novnc package or point the flag at noVNC'
                % (self.wwwroot, vnc.NOVNC_PAGE))
        self.app = proxy.VNCProxyApp(self.wwwroot, check_token=check_token)
        host = host or FLAGS.vncproxy_host
        port = FLAGS.vncproxy_port if port is None else port
        try:
            self.server = wsgi.Server('vncproxy', self.app, host=host,
                                      port=port)
        except OSError as exc:
            raise exception.NovaException(
                'cannot listen on %s:%s: %s' % (host, port,
                                                exc.strerror or exc))
        self.host = host
        self.port = self.server.port

    def start(self):
        """Serve in a green thread."""
        self.server.start()

    def stop(self):
        """Stop serving (sessions in progress end with the process)."""
        self.server.stop()

    def wait(self):
        """Block until stopped."""
        self.server.wait()


def main(argv=None):
    """Run nova-vncproxy until SIGTERM or SIGINT."""
    common.parse_args(argv, 'nova-vncproxy')
    common.start_or_exit('nova-vncproxy', lambda: service.serve(
        service.Service.create(binary='nova-vncproxy', topic='vncproxy'),
        VNCProxyService()))
    service.wait()
    return 0
