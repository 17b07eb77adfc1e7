"""nova-scheduler: the scheduler daemon."""

from nova.cmd import _service


def main(argv=None):
    """Run nova-scheduler until SIGTERM or SIGINT."""
    return _service.run('nova-scheduler', argv)
