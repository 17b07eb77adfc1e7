"""nova-network: the network daemon."""

from nova.cmd import _service


def main(argv=None):
    """Run nova-network until SIGTERM or SIGINT."""
    return _service.run('nova-network', argv)
