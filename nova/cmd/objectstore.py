"""nova-objectstore: the S3-compatible image store."""

from nova import service
from nova.utils import cmdline as common


def main(argv=None):
    """Run nova-objectstore until SIGTERM or SIGINT."""
    common.parse_args(argv, 'nova-objectstore')
    from nova.objectstore import s3server
    common.start_or_exit('nova-objectstore',
                         lambda: service.serve(s3server.S3Service()))
    service.wait()
    return 0
