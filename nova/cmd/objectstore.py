"""nova-objectstore: the S3 server on --s3_listen:--s3_port.

Serves :class:`nova.objectstore.s3server.S3Application` (buckets under
--buckets_path) and, like any Nova service, registers in the services
table and heartbeats.
"""

from nova import flags
from nova import service
from nova.objectstore import service as s3service
from nova.objectstore import s3server  # noqa: F401 - its flags
from nova.utils import cmdline as common

FLAGS = flags.FLAGS


def main(argv=None):
    """Run nova-objectstore until SIGTERM or SIGINT."""
    common.parse_args(argv, 'nova-objectstore')
    common.start_or_exit('nova-objectstore', lambda: service.serve(
        s3service.S3Service(),
        service.Service.create(binary='nova-objectstore',
                               topic='objectstore',
                               manager='nova.manager.Manager')))
    service.wait()
    return 0
