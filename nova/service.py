"""The daemons' common body: a manager behind RPC consumers, with heartbeats.

:class:`Service` loads the manager named by ``--<topic>_manager``, registers
itself in the ``services`` table, consumes ``<topic>``, ``<topic>.<host>`` and
the ``<topic>_fanout`` broadcast, reports a heartbeat every
``--report_interval`` seconds and runs the manager's periodic tasks every
``--periodic_interval`` seconds.  :class:`WSGIService` serves an API from
``api-paste.ini``.  :func:`serve` and :func:`wait` run services until SIGTERM
or SIGINT, then stop them cleanly.
"""

import logging
import os
import signal
import sys

from nova import context
from nova import db
from nova import exception
from nova import flags
from nova import rpc
from nova import utils
from nova import version
from nova.db import retry as db_retry
from nova.rpc import outbox
from nova.utils import concurrency

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.service')

flags.DEFINE_integer('report_interval', 10,
                     'seconds between heartbeats into the services table')
flags.DEFINE_integer('periodic_interval', 60,
                     'seconds between runs of the periodic tasks')
flags.DEFINE_string('ec2_listen', '0.0.0.0', 'address the EC2 API binds')
flags.DEFINE_integer('ec2_listen_port', 8773, 'port the EC2 API binds')
flags.DEFINE_string('osapi_listen', '0.0.0.0',
                    'address the OpenStack API binds')
flags.DEFINE_integer('osapi_listen_port', 8774,
                     'port the OpenStack API binds')
flags.DEFINE_integer('ec2_workers', 1,
                     'processes serving the EC2 API on its one socket '
                     '(1: nova-api serves it itself, as Diablo)')
flags.DEFINE_integer('osapi_workers', 1,
                     'processes serving the OpenStack API on its one socket '
                     '(1: nova-api serves it itself, as Diablo)')
flags.DEFINE_string('api_paste_config', 'api-paste.ini',
                    'file name of the paste.deploy config of the APIs')


class Service(object):
    """A daemon's manager, listening on RPC and reporting to the database."""

    def __init__(self, host, binary, topic, manager, report_interval=None,
                 periodic_interval=None, *args, **kwargs):
        self.host = host
        self.binary = binary
        self.topic = topic
        self.manager_class_name = manager
        manager_class = utils.import_class(self.manager_class_name)
        self.manager = manager_class(*args, host=self.host, **kwargs)
        self.report_interval = report_interval
        self.periodic_interval = periodic_interval
        self.service_id = None
        self.conn = None
        self.timers = []
        self.model_disconnected = False
        self._stopped = concurrency.Event()

    def __getattr__(self, name):
        manager = self.__dict__.get('manager', None)
        if manager is None:
            raise AttributeError(name)
        return getattr(manager, name)

    @classmethod
    def create(cls, host=None, binary=None, topic=None, manager=None,
               report_interval=None, periodic_interval=None):
        """Build a service with defaults taken from the flags.

        ``binary`` defaults to the program name (``nova-compute``), ``topic``
        to the part after ``nova-``, and ``manager`` to the class named by
        ``--<topic>_manager``.
        """
        if not host:
            host = FLAGS.host
        if not binary:
            binary = os.path.basename(sys.argv[0])
        if not topic:
            topic = binary.rpartition('nova-')[2]
        if not manager:
            manager = FLAGS.get('%s_manager' % topic, None)
            if manager is None:
                raise exception.NovaException(
                    'no --%s_manager flag: cannot start %s'
                    % (topic, binary))
        if report_interval is None:
            report_interval = FLAGS.report_interval
        if periodic_interval is None:
            periodic_interval = FLAGS.periodic_interval
        return cls(host, binary, topic, manager, report_interval,
                   periodic_interval)

    # -- life cycle ------------------------------------------------------
    def start(self):
        """Register, start consuming and start the timers."""
        LOG.info('Starting %s node (version %s) on %s', self.topic,
                 version.version_string_with_vcs(), self.host)
        self.manager.init_host()
        self.model_disconnected = False
        # The queues exist before the service row says this host is up, so
        # a cast sent as soon as the row appears waits in its queue (the
        # start-up report of service_registered can take seconds).
        self.conn = rpc.create_connection(new=True)
        LOG.debug('Creating consumers for %s (host %s)', self.topic,
                  self.host)
        # Handlers run again while the database is away (db_retry).
        proxy = db_retry.RetryingProxy(self.manager)
        self.conn.create_consumer(self.topic, proxy, fanout=False)
        self.conn.create_consumer('%s.%s' % (self.topic, self.host),
                                  proxy, fanout=False)
        self.conn.create_consumer(self.topic, proxy, fanout=True)
        ctxt = context.get_admin_context()
        try:
            service_ref = db.service_get_by_args(ctxt, self.host, self.binary)
            self.service_id = service_ref['id']
        except exception.NotFound:
            self._create_service_ref(ctxt)
        self.manager.service_registered(ctxt)
        self.conn.consume_in_thread()
        # Casts this daemon committed (or any left over) go out from here.
        outbox.start_relay()
        if self.report_interval:
            pulse = concurrency.LoopingCall(self.report_state)
            pulse.start(interval=self.report_interval, now=False)
            self.timers.append(pulse)
        if self.periodic_interval:
            periodic = concurrency.LoopingCall(self.periodic_tasks)
            periodic.start(interval=self.periodic_interval, now=False)
            self.timers.append(periodic)

    def _create_service_ref(self, ctxt):
        zone = FLAGS.node_availability_zone
        service_ref = db.service_create(ctxt, {
            'host': self.host,
            'binary': self.binary,
            'topic': self.topic,
            'report_count': 0,
            'availability_zone': zone,
        })
        self.service_id = service_ref['id']

    def stop(self):
        """Stop consuming, let in-flight calls finish, stop the timers."""
        for timer in self.timers:
            timer.stop()
        if self.conn is not None:
            try:
                # Closing stops consuming; the calls already being handled
                # then finish (their replies go out on pooled connections).
                self.conn.close()
                self.conn.wait()
            except Exception:  # noqa: BLE001 - stopping anyway
                LOG.exception('error while closing the RPC connection')
            self.conn = None
        for timer in self.timers:
            try:
                timer.wait()
            except Exception:  # noqa: BLE001 - stopping anyway
                pass
        self.timers = []
        try:
            self.manager.cleanup_host()
        except Exception:  # noqa: BLE001 - stopping anyway
            LOG.exception('error in cleanup_host')
        if not self._stopped.ready():
            self._stopped.send(True)

    def kill(self):
        """Stop and remove this service's row from the services table."""
        self.stop()
        try:
            db.service_destroy(context.get_admin_context(), self.service_id)
        except exception.NotFound:
            LOG.warning('Service killed that has no database entry')

    def wait(self):
        """Block until :meth:`stop` has run."""
        self._stopped.wait()

    # -- timers ------------------------------------------------------------
    def periodic_tasks(self):
        """Run the manager's periodic tasks."""
        self.manager.periodic_tasks(context.get_admin_context())

    def report_state(self):
        """Heartbeat: bump report_count and updated_at in the services row."""
        ctxt = context.get_admin_context()
        try:
            try:
                db.service_heartbeat(ctxt, self.service_id)
            except exception.NotFound:
                LOG.debug('The service database object disappeared, '
                          'recreating it.')
                self._create_service_ref(ctxt)
            if self.model_disconnected:
                self.model_disconnected = False
                LOG.error('Recovered model server connection!')
        except Exception:  # noqa: BLE001 - the database may be away
            if not self.model_disconnected:
                self.model_disconnected = True
                LOG.exception('model server went away')


class WSGIService(object):
    """An API (``ec2``, ``osapi``, ``metadata``) served from api-paste.ini."""

    def __init__(self, name, loader=None, host=None, port=None):
        from nova import wsgi
        self.name = name
        self.loader = loader or wsgi.Loader()
        self.app = self.loader.load_app(name)
        self.host = host or FLAGS.get('%s_listen' % name, None) or '0.0.0.0'
        self.port = port if port is not None else \
            FLAGS.get('%s_listen_port' % name, None) or 0
        self.server = wsgi.Server(name, self.app, host=self.host,
                                  port=self.port)
        # Forked worker processes sharing the socket (nova.cmd._workers).
        workers = FLAGS.get('%s_workers' % name, None)
        self.workers = 1 if workers is None else workers

    def start(self):
        """Bind and start serving in a green thread."""
        outbox.start_relay()
        self.server.start()
        self.port = self.server.port

    def stop(self):
        """Stop accepting and close the socket."""
        self.server.stop()

    def wait(self):
        """Block until the server has stopped."""
        self.server.wait()


_launched = []


def start_order(services):
    """``services`` in the order to start them: consumers before listeners.

    Every :class:`Service` (its queues declared and consumed once
    ``start`` returns) comes before any listener (an API, the S3 server),
    so that no port accepts a request whose casts would find no queue of
    this process yet.  Otherwise the given order is kept.
    """
    consumers = [svc for svc in services if isinstance(svc, Service)]
    listeners = [svc for svc in services if not isinstance(svc, Service)]
    return consumers + listeners


def serve(*services):
    """Start services (default: the one this binary names) and remember them.

    Consumers start before listeners (:func:`start_order`); the services
    are returned in the order given.
    """
    if not services:
        services = [Service.create()]
    for service in start_order(services):
        service.start()
        _launched.append(service)
    return services


def _stop_all(signum=None, frame=None):
    while _launched:
        service = _launched.pop()
        try:
            service.stop()
        except Exception:  # noqa: BLE001 - stop the others too
            LOG.exception('error stopping %s', service)


def wait():
    """Run until SIGTERM/SIGINT, then stop every service cleanly."""
    stopping = concurrency.Event()

    def handler(signum, frame):
        LOG.info('Caught signal %d, stopping', signum)
        if not stopping.ready():
            stopping.send(signum)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    services = list(_launched)
    try:
        while not stopping.ready():
            concurrency.sleep(0.2)
    finally:
        _stop_all()
        outbox.stop_relay()
        rpc.cleanup()
    LOG.info('%d service(s) stopped', len(services))
