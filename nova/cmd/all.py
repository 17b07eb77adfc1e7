"""nova-all: the whole cloud in one process.

Runs the APIs, the objectstore and the compute, network, volume and
scheduler services together.  Unless the flags say otherwise it uses the
embedded default: SQLite under --state_path (created and migrated on
start), the embedded message transport (``--fake_rabbit``: files under
``$state_path/rpc`` that other processes on the machine reach too, see
:mod:`nova.rpc.embedded`) and the fake hypervisor (with ``--fake_network``:
nova-network then only logs its host commands).
"""

import logging
import sys

from nova import flags
from nova import service
from nova.utils import cmdline as common

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.all')

SERVICE_BINARIES = ('nova-compute', 'nova-network', 'nova-volume',
                    'nova-scheduler')


def apply_embedded_defaults():
    """Choose the embedded transport and fake driver unless configured."""
    if not FLAGS.is_set('fake_rabbit') and not FLAGS.is_set('rabbit_host'):
        FLAGS.fake_rabbit = True
    if not FLAGS.is_set('connection_type'):
        FLAGS.connection_type = 'fake'
    # Volumes: sparse files (no LVM needed); with the fake hypervisor,
    # which cannot attach a real LUN, the in-memory iSCSI driver.
    import nova.volume.driver  # noqa: F401 - volume flags
    import nova.volume.manager  # noqa: F401 - volume flags
    if not FLAGS.is_set('volume_storage'):
        FLAGS.volume_storage = 'file'
    if not FLAGS.is_set('volume_driver') and \
            FLAGS.connection_type == 'fake':
        FLAGS.volume_driver = 'nova.volume.driver.FakeISCSIDriver'
    # Fake guests have no NICs: leave the host's bridges, addresses and
    # iptables alone unless the operator asks for real networking.
    if FLAGS.connection_type == 'fake' and not FLAGS.is_set('fake_network'):
        FLAGS.fake_network = True


def sync_embedded_database():
    """Create or upgrade an SQLite database; others are the operator's job."""
    if FLAGS.sql_connection.startswith('sqlite'):
        from nova.db import migration
        migration.db_sync()


class _OptionalS3(object):
    """The objectstore's S3 server, which the rest of nova-all outlives.

    A first-try cloud still starts when --s3_port is taken by another
    program; the log and the banner say that S3 is not served.
    """

    name = 'objectstore'

    def __init__(self):
        from nova.objectstore import service as s3service
        self.server = s3service.S3Service()
        self.error = None

    @property
    def host(self):
        return self.server.host

    @property
    def port(self):
        return self.server.port

    def start(self):
        try:
            self.server.start()
        except Exception as exc:  # noqa: BLE001 - reported, cloud goes on
            self.error = str(exc)
            LOG.error('nova-objectstore (S3) not started: %s', exc)

    def stop(self):
        self.server.stop()

    def wait(self):
        if self.error is None:
            self.server.wait()


def build_services():
    """Every service of the cloud, not yet started, in start order.

    The manager services come first: each has declared its queues and
    consumes them before the first API port opens, so a request sent the
    moment the banner is printed (or the port answers) finds its queue.
    """
    services = [service.Service.create(binary=binary)
                for binary in SERVICE_BINARIES]
    services.extend(service.WSGIService(name)
                    for name in FLAGS.enabled_apis)
    services.append(_OptionalS3())
    return services


def describe(services):
    """The lines telling a user how to reach the running cloud."""
    lines = ['nova-all is running (state in %s):' % FLAGS.state_path]
    # Where to reach it first, then what runs behind.
    shown = [svc for svc in services if not isinstance(svc, service.Service)]
    shown += [svc for svc in services if isinstance(svc, service.Service)]
    for svc in shown:
        if isinstance(svc, _OptionalS3):
            where = 'not served: %s' % svc.error if svc.error else \
                'http://%s:%s/' % (FLAGS.my_ip if svc.host == '0.0.0.0'
                                   else svc.host, svc.port)
            lines.append('  %-14s %s' % ('objectstore', where))
        elif isinstance(svc, service.WSGIService):
            host = FLAGS.my_ip if svc.host == '0.0.0.0' else svc.host
            lines.append('  %-14s http://%s:%s/' % (svc.name, host,
                                                    svc.port))
        else:
            lines.append('  %-14s topic %s on host %s' % (
                svc.binary, svc.topic, svc.host))
    return lines


def refuse_workers():
    """Exit with one line if API worker processes are asked of nova-all.

    Its services share one process (and, by default, one in-process view
    of the embedded transport); forked API workers are nova-api's.
    """
    for name in FLAGS.enabled_apis:
        workers = FLAGS.get('%s_workers' % name, None)
        if workers is not None and workers != 1:
            sys.stderr.write(
                'nova-all: --%s_workers=%s is not supported: nova-all serves '
                'its APIs in its one process; run nova-api for API worker '
                'processes\n' % (name, workers))
            sys.exit(2)


def main(argv=None):
    """Run the whole cloud until SIGTERM or SIGINT."""
    common.parse_args(argv, 'nova-all')
    refuse_workers()
    apply_embedded_defaults()

    def start():
        sync_embedded_database()
        return service.serve(*build_services())

    services = common.start_or_exit('nova-all', start)
    for line in describe(services):
        LOG.info(line)
        sys.stdout.write(line + '\n')
    sys.stdout.flush()
    service.wait()
    return 0
