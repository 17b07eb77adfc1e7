"""nova-all: the whole cloud in one process.

Runs the APIs, the objectstore and the compute, network, volume and
scheduler services together.  Unless the flags say otherwise it uses the
embedded default: SQLite under --state_path (created and migrated on
start), the in-memory message transport and the fake hypervisor.
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
    """Choose the in-process transport and fake driver unless configured."""
    if not FLAGS.is_set('fake_rabbit') and not FLAGS.is_set('rabbit_host'):
        FLAGS.fake_rabbit = True
    if not FLAGS.is_set('connection_type'):
        FLAGS.connection_type = 'fake'


def sync_embedded_database():
    """Create or upgrade an SQLite database; others are the operator's job."""
    if FLAGS.sql_connection.startswith('sqlite'):
        from nova.db import migration
        migration.db_sync()


def build_services():
    """Every service of the cloud, not yet started."""
    services = [service.WSGIService(name) for name in FLAGS.enabled_apis]
    services.extend(service.Service.create(binary=binary)
                    for binary in SERVICE_BINARIES)
    return services


def describe(services):
    """The lines telling a user how to reach the running cloud."""
    lines = ['nova-all is running (state in %s):' % FLAGS.state_path]
    for svc in services:
        if isinstance(svc, service.WSGIService):
            host = FLAGS.my_ip if svc.host == '0.0.0.0' else svc.host
            lines.append('  %-14s http://%s:%s/' % (svc.name, host,
                                                    svc.port))
        else:
            lines.append('  %-14s topic %s on host %s' % (
                svc.binary, svc.topic, svc.host))
    return lines


def main(argv=None):
    """Run the whole cloud until SIGTERM or SIGINT."""
    common.parse_args(argv, 'nova-all')
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
