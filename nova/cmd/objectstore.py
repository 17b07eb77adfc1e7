"""nova-objectstore: the S3-compatible image store.

The S3 server (buckets under --buckets_path, bundle uploads) arrives with
its own issue; until then the daemon starts, registers in the services
table and heartbeats with the base manager, like any Nova service.
"""

from nova import service
from nova.utils import cmdline as common


def main(argv=None):
    """Run nova-objectstore until SIGTERM or SIGINT."""
    common.parse_args(argv, 'nova-objectstore')
    common.start_or_exit('nova-objectstore', lambda: service.serve(
        service.Service.create(binary='nova-objectstore',
                               topic='objectstore',
                               manager='nova.manager.Manager')))
    service.wait()
    return 0
