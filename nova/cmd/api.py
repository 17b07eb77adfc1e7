"""nova-api: serves every API named by --enabled_apis from api-paste.ini.

With ``--ec2_workers`` or ``--osapi_workers`` above 1, the APIs are served
by forked worker processes sharing each socket (:mod:`nova.cmd._workers`).
"""

from nova import flags
from nova import service
from nova.cmd import _workers
from nova.utils import cmdline as common

FLAGS = flags.FLAGS


def main(argv=None):
    """Run nova-api until SIGTERM or SIGINT."""
    common.parse_args(argv, 'nova-api')
    apis = common.start_or_exit('nova-api', lambda: [
        service.WSGIService(name) for name in FLAGS.enabled_apis])
    if common.start_or_exit('nova-api', lambda: _workers.wanted(apis)):
        launcher = _workers.Launcher(apis)
        launcher.start()
        launcher.wait()
        return 0
    common.start_or_exit('nova-api', lambda: service.serve(*apis))
    service.wait()
    return 0
