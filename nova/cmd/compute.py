"""nova-compute: the compute daemon."""

from nova.cmd import _service


def main(argv=None):
    """Run nova-compute until SIGTERM or SIGINT."""
    return _service.run('nova-compute', argv)
