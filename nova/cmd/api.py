"""nova-api: serves every API named by --enabled_apis from api-paste.ini."""

from nova import flags
from nova import service
from nova.utils import cmdline as common

FLAGS = flags.FLAGS


def main(argv=None):
    """Run nova-api until SIGTERM or SIGINT."""
    common.parse_args(argv, 'nova-api')
    common.start_or_exit('nova-api', lambda: service.serve(
        *[service.WSGIService(name) for name in FLAGS.enabled_apis]))
    service.wait()
    return 0
