"""nova-vncproxy: noVNC and the console websocket relay on
--vncproxy_host:--vncproxy_port (:class:`nova.vnc.server.VNCProxyService`),
and the token manager on --vncproxy_topic
(:class:`nova.vnc.auth.VNCProxyAuthManager`).

Like Diablo's, it refuses to start without noVNC in --vncproxy_wwwroot
(Debian's ``novnc`` package: /usr/share/novnc).  It registers in the
services table and heartbeats as any Nova service.
"""

from nova import flags
from nova import service
from nova.utils import cmdline as common
from nova.vnc import auth  # noqa: F401 - its flags
from nova.vnc import server

FLAGS = flags.FLAGS


def main(argv=None):
    """Run nova-vncproxy until SIGTERM or SIGINT."""
    common.parse_args(argv, 'nova-vncproxy')
    common.start_or_exit('nova-vncproxy', lambda: service.serve(
        service.Service.create(binary='nova-vncproxy', topic='vncproxy'),
        server.VNCProxyService()))
    service.wait()
    return 0
