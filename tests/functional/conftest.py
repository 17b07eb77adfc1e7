"""A whole cloud in this process, on loopback ports, for functional tests.

:class:`InProcessCloud` runs nova-api (the paste app ``ec2`` through
``nova.service.WSGIService``), nova-scheduler, nova-network and one or more
nova-compute services (``nova.service.Service.create``) over the in-memory
message transport (``--fake_rabbit``), a SQLite database under a temporary
``--state_path`` and the fake hypervisor (``--connection_type=fake``).

The services are green threads; they run in one native thread of their own
(with its own eventlet hub), so the test thread can drive the cloud with
blocking clients (boto, boto3, the AWS CLI) over real HTTP without
monkey-patching the test process.  Reusable elsewhere (benchmarks)::

    cloud = InProcessCloud(state_path, compute_hosts=10)
    cloud.start()
    access, secret = cloud.create_user('u', 'p', roles=('sysadmin',))
    ami = cloud.register_image('cirros')
    client = cloud.boto3_client(access, secret)
    ...
    cloud.stop()
"""

import os
import queue
import subprocess
import threading
import time
import uuid

import pytest

from nova import flags
from tests import boto2
from tests import green_calls

FLAGS = flags.FLAGS
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class InProcessCloud(object):
    """nova-api + scheduler + network + compute(s), in one process."""

    def __init__(self, state_path, compute_hosts=1, extra_flags=None,
                 network_cidr='10.0.0.0/16', network_size=4096,
                 volume_hosts=0):
        self.state_path = str(state_path)
        self.compute_hosts = compute_hosts
        self.volume_hosts = volume_hosts
        self.extra_flags = dict(extra_flags or {})
        self.network_cidr = network_cidr
        self.network_size = network_size
        self.port = None
        self.services = []
        self._thread = None
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._error = None
        self._calls = queue.Queue()
        self._saved_flags = {}

    # -- flags -------------------------------------------------------------------
    def _set_flag(self, name, value):
        if name not in self._saved_flags:
            self._saved_flags[name] = (FLAGS.is_set(name), FLAGS.raw(name))
        FLAGS.set(name, value)

    def _configure(self):
        # Every module that defines flags, as the daemons do: a flag of a
        # module nothing imported yet (the OpenStack API's, say) is then
        # defined, and a name no module defines is an error below rather
        # than a setting silently dropped.
        flags.import_flag_modules()
        values = {
            'state_path': self.state_path,
            'sql_connection': 'sqlite:///%s/nova.sqlite' % self.state_path,
            'fake_rabbit': True,
            'connection_type': 'fake',
            'network_manager': 'nova.network.manager.FlatManager',
            'scheduler_driver': 'nova.scheduler.simple.SimpleScheduler',
            'image_service': 'nova.image.local.LocalImageService',
            'images_path': os.path.join(self.state_path, 'images'),
            'ec2_listen': '127.0.0.1',
            'ec2_host': '127.0.0.1',
            'report_interval': 1,
            'periodic_interval': 5,
            'memcached_servers': None,
            'rpc_response_timeout': 30,
            'max_cores': 1000,
            'lock_path': os.path.join(self.state_path, 'locks'),
        }
        unknown = sorted(name for name in self.extra_flags
                         if name not in FLAGS)
        if unknown:
            raise ValueError('extra_flags names no defined flag: %s'
                             % ', '.join('--' + name for name in unknown))
        values.update(self.extra_flags)
        for name, value in values.items():
            self._set_flag(name, value)

    def _restore_flags(self):
        for name, (was_set, value) in self._saved_flags.items():
            if was_set:
                FLAGS.set(name, value)
            else:
                FLAGS.reset(name)
        self._saved_flags = {}

    # -- life cycle ------------------------------------------------------------------
    def start(self, timeout=60):
        """Start every service; returns when nova-api listens."""
        os.makedirs(self.state_path, exist_ok=True)
        self._configure()
        from nova.db import migration
        from nova.db.sqlalchemy import session
        session.reset()
        migration.db_sync()
        self._create_network()
        self._thread = threading.Thread(target=self._run, name='cloud',
                                        daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError('the cloud did not start in %ss' % timeout)
        if self._error is not None:
            raise self._error
        return self

    def _create_network(self):
        from nova import context
        from nova import utils
        manager = utils.import_object(FLAGS.network_manager)
        manager.create_networks(context.get_admin_context(), 'private',
                                self.network_cidr, num_networks=1,
                                network_size=self.network_size,
                                bridge='br100')

    def _run(self):
        try:
            self.services = self._start_services()
            self.port = self.services[-1].port
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        green_calls.serve_calls(self._calls, self._stopping)
        self._stop_services()

    def _start_services(self):
        """Start the services in the cloud's thread; nova-api last."""
        from nova import service
        services = [
            service.Service.create(binary='nova-scheduler',
                                   topic='scheduler'),
            service.Service.create(binary='nova-network',
                                   topic='network'),
        ]
        for index in range(self.compute_hosts):
            services.append(service.Service.create(
                host='compute%d' % index, binary='nova-compute',
                topic='compute'))
        for index in range(self.volume_hosts):
            services.append(service.Service.create(
                host='volume%d' % index, binary='nova-volume',
                topic='volume'))
        api = service.WSGIService('ec2', host='127.0.0.1', port=0)
        for svc in services:
            svc.start()
        api.start()
        return services + [api]

    def _stop_services(self):
        """Stop the services (in the cloud's thread) and the transport."""
        green_calls.stop_all(self.services)
        from nova import rpc
        rpc.cleanup()

    def call_in_cloud(self, func, *args):
        """Run ``func(*args)`` in the cloud's thread (green context)."""
        return green_calls.call_through(self._calls, func, args, 120)

    def stop(self):
        """Stop every service and restore the flags."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(30)
        from nova.db.sqlalchemy import session
        session.reset()
        self._restore_flags()

    # -- helpers ------------------------------------------------------------------
    @property
    def endpoint(self):
        """The EC2 endpoint URL (``/services/Cloud``)."""
        return 'http://127.0.0.1:%d/services/Cloud' % self.port

    def create_user(self, name, project, admin=False,
                    roles=('sysadmin', 'netadmin')):
        """A user (manager of a new project, with ``roles`` there).

        Returns ``(access, secret)`` with access ``ACCESS:PROJECT``.
        """
        from nova.auth import manager
        auth = manager.AuthManager()
        access = '%s-%s' % (name, uuid.uuid4().hex[:8])
        secret = uuid.uuid4().hex
        auth.create_user(name, access, secret, admin=admin)
        if auth.get_project(project) is None:
            auth.create_project(project, name)
        else:
            auth.add_to_project(name, project)
        for role in roles:
            auth.add_role(name, role)
            if role not in FLAGS.global_roles:
                auth.add_role(name, role, project)
        return '%s:%s' % (access, project), secret

    def register_image(self, name='test-image', project=None, public=True,
                       kernel=True):
        """A machine image (with a kernel and ramdisk); returns its ami id."""
        from nova import image
        from nova.api.ec2 import ec2utils
        service = image.get_default_image_service()
        props = {'image_state': 'available', 'architecture': 'x86_64'}
        if project:
            props['project_id'] = props['owner_id'] = project
        if kernel:
            for fmt in ('aki', 'ari'):
                part = service.create(None, {
                    'name': '%s-%s' % (name, fmt), 'is_public': public,
                    'status': 'active', 'container_format': fmt,
                    'disk_format': fmt, 'properties': dict(props)})
                props['kernel_id' if fmt == 'aki' else 'ramdisk_id'] = \
                    part['id']
        ami = service.create(None, {'name': name, 'is_public': public,
                                    'status': 'active',
                                    'container_format': 'ami',
                                    'disk_format': 'ami',
                                    'properties': props})
        return ec2utils.image_ec2_id(ami['id'], 'ami')

    def boto3_client(self, access, secret):
        """A boto3 EC2 client of this cloud (region ``nova``)."""
        import boto3
        import botocore.config
        return boto3.client(
            'ec2', endpoint_url=self.endpoint, region_name='nova',
            aws_access_key_id=access, aws_secret_access_key=secret,
            config=botocore.config.Config(retries={'max_attempts': 1}))

    def boto2_connection(self, access, secret, path='/services/Cloud'):
        """A boto 2.49 EC2 connection of this cloud."""
        boto2.require()
        import boto
        import boto.ec2.regioninfo
        region = boto.ec2.regioninfo.RegionInfo(name='nova',
                                                endpoint='127.0.0.1')
        return boto.connect_ec2(aws_access_key_id=access,
                                aws_secret_access_key=secret,
                                is_secure=False, region=region,
                                port=self.port, path=path)

    def aws_cli(self, access, secret, *args, check=True):
        """Run ``aws ec2 ARGS`` against this cloud; returns the process."""
        env = dict(os.environ, AWS_ACCESS_KEY_ID=access,
                   AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION='nova',
                   AWS_MAX_ATTEMPTS='1', AWS_CONFIG_FILE='/dev/null',
                   AWS_SHARED_CREDENTIALS_FILE='/dev/null')
        env.pop('AWS_PROFILE', None)
        cmd = ['aws', 'ec2', '--endpoint-url', self.endpoint,
               '--region', 'nova', '--output', 'json'] + list(args)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                              timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError('aws %s failed: %s' % (' '.join(args),
                                                        proc.stderr))
        return proc

    def wait_for(self, predicate, timeout=30.0, interval=0.1):
        """Poll ``predicate`` until true; False on timeout."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate():
                return True
            time.sleep(interval)
        return bool(predicate())


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    """A running in-process cloud, shared by the tests of a module."""
    instance = InProcessCloud(tmp_path_factory.mktemp('cloud'))
    instance.start()
    yield instance
    instance.stop()


def aws_cli_available():
    """Whether the ``aws`` command runs here."""
    try:
        return subprocess.run(['aws', '--version'], capture_output=True,
                              timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


__all__ = ['InProcessCloud', 'REPO', 'aws_cli_available']
