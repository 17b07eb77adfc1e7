"""nova-volume: the volume daemon."""

from nova.cmd import _service


def main(argv=None):
    """Run nova-volume until SIGTERM or SIGINT."""
    return _service.run('nova-volume', argv)
