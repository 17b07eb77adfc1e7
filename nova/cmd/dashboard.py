"""nova-dashboard: the web dashboard on --dashboard_listen:
--dashboard_listen_port (the ``dashboard`` app of api-paste.ini: the pages,
and the X-Auth-Key checked OpenStack API they use at ``/osapi/v1.1``).

The same app can instead be served by nova-api (``--enabled_apis=...,
dashboard``).  On a non-loopback --dashboard_listen it refuses to start
unless --dashboard_any_address is set.
"""

from nova import flags
from nova import service
from nova.dashboard import app  # noqa: F401 - its flags
from nova.utils import cmdline as common

FLAGS = flags.FLAGS


def main(argv=None):
    """Run nova-dashboard until SIGTERM or SIGINT."""
    common.parse_args(argv, 'nova-dashboard')
    common.start_or_exit('nova-dashboard', lambda: service.serve(
        service.WSGIService('dashboard')))
    service.wait()
    return 0
