"""The body shared by the manager daemons (compute, network, volume, ...)."""

from nova import service
from nova.utils import cmdline as common


def run(binary, argv=None):
    """Parse flags, start the service named by ``binary`` and wait."""
    common.parse_args(argv, binary)
    server = common.start_or_exit(
        binary, lambda: service.serve(service.Service.create(binary=binary)))
    service.wait()
    return 0 if server else 1
