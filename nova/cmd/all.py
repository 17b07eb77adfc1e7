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
import os
import sys

from nova import exception
from nova import flags
from nova import service
from nova import vnc
from nova.utils import cmdline as common
from nova.virt import driver  # noqa: F401 - --vnc_enabled
from nova.vnc import server as vncserver

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
    """Create or upgrade an SQLite database; others are the operator's job.

    The migration runs in a short-lived child process: alembic (with mako
    and pygments) would otherwise stay resident in nova-all for its whole
    life, ~25 MB of its idle memory.  A failure ends the start with the
    child's one-line reason.
    """
    if not FLAGS.sql_connection.startswith('sqlite'):
        return
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reader)
        _migrate_in_child(writer)
    os.close(writer)
    with os.fdopen(reader, 'rb') as pipe:
        reason = pipe.read().decode('utf-8', 'replace').strip()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        from nova import exception
        raise exception.DBMigrationError(
            reason=reason or 'the migration process failed (status %d)'
            % status)


def _migrate_in_child(writer):
    """The body of the migration child; never returns."""
    status = 1
    try:
        from nova.utils import concurrency
        concurrency.reset_after_fork()
        from nova.db import migration
        from nova.db.sqlalchemy import session as db_session
        db_session.reset()
        migration.db_sync()
        status = 0
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        reason = getattr(exc, 'kwargs', {}).get('reason') or str(exc)
        os.write(writer, reason.encode('utf-8', 'replace')[:4000])
    finally:
        os._exit(status)


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


class _OptionalVNCProxy(object):
    """nova-vncproxy's web side (noVNC and the console websocket relay).

    Like the S3 server, the rest of nova-all outlives it: a port that is
    taken, or no noVNC in --vncproxy_wwwroot, is one log line and a "not
    served" line in the banner.  Console URLs follow the port it bound
    unless --vncproxy_url or --vnc_console_proxy_url say otherwise.
    """

    name = 'nova-vncproxy'

    def __init__(self):
        self.server = None
        self.error = None
        self.host = FLAGS.vncproxy_host
        self.port = FLAGS.vncproxy_port

    def start(self):
        try:
            self.server = vncserver.VNCProxyService()
        except exception.NovaException as exc:
            self.error = str(exc)
            LOG.error('nova-vncproxy not started: %s', exc)
            return
        self.server.start()
        self.host, self.port = self.server.host, self.server.port
        if not (FLAGS.is_set('vncproxy_url') or
                FLAGS.is_set('vnc_console_proxy_url')):
            FLAGS.vnc_console_proxy_url = 'http://%s:%d' % (
                _reachable(self.host), self.port)

    def stop(self):
        if self.server is not None:
            self.server.stop()

    def wait(self):
        if self.server is not None:
            self.server.wait()


def _reachable(host):
    """The address to print for a listener on ``host``."""
    return FLAGS.my_ip if host in ('0.0.0.0', '') else host


def vncproxy_services():
    """nova-vncproxy (token manager and web side) when --vnc_enabled and
    noVNC is in --vncproxy_wwwroot; nothing otherwise."""
    if not FLAGS.vnc_enabled:
        return []
    page = os.path.join(FLAGS.vncproxy_wwwroot, vnc.NOVNC_PAGE)
    if not os.path.isfile(page):
        LOG.info('nova-vncproxy not started: no noVNC in '
                 '--vncproxy_wwwroot=%s', FLAGS.vncproxy_wwwroot)
        return []
    return [service.Service.create(binary='nova-vncproxy',
                                   topic=FLAGS.vncproxy_topic),
            _OptionalVNCProxy()]


def build_services():
    """Every service of the cloud, not yet started, in start order.

    The manager services come first: each has declared its queues and
    consumes them before the first API port opens, so a request sent the
    moment the banner is printed (or the port answers) finds its queue.
    """
    services = [service.Service.create(binary=binary)
                for binary in SERVICE_BINARIES]
    vncproxy = vncproxy_services()
    services.extend(vncproxy[:1])
    services.extend(service.WSGIService(name)
                    for name in FLAGS.enabled_apis)
    services.append(_OptionalS3())
    services.extend(vncproxy[1:])
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
        elif isinstance(svc, _OptionalVNCProxy):
            where = 'not served: %s' % svc.error if svc.error else \
                'http://%s:%s/%s' % (_reachable(svc.host), svc.port,
                                     vnc.NOVNC_PAGE)
            lines.append('  %-14s %s' % ('vncproxy', where))
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
