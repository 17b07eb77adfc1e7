"""nova-direct-api: the direct API (:mod:`nova.api.direct`) on
--direct_host:--direct_port (Diablo's 0.0.0.0:8001; requests are
believed from this host only)."""

from nova import flags
from nova import service
from nova import wsgi
from nova.api import direct
from nova.utils import cmdline as common

FLAGS = flags.FLAGS


class DirectService(object):
    """The direct API's server as a startable/stoppable service."""

    def __init__(self, host=None, port=None):
        self.server = wsgi.Server(
            'direct', direct.DirectApp(), host=host or FLAGS.direct_host,
            port=FLAGS.direct_port if port is None else port)
        self.port = self.server.port

    def start(self):
        """Serve in a green thread."""
        self.server.start()

    def stop(self):
        """Stop serving."""
        self.server.stop()

    def wait(self):
        """Block until stopped."""
        self.server.wait()


def main(argv=None):
    """Run nova-direct-api until SIGTERM or SIGINT."""
    common.parse_args(argv, 'nova-direct-api')
    common.start_or_exit('nova-direct-api',
                         lambda: service.serve(DirectService()))
    service.wait()
    return 0
