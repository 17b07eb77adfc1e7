"""Nothing lost at start-up: RunInstances sent the instant the EC2 port
opens, while nova-scheduler has not declared its queue yet, still runs.

The cloud runs in this process (see conftest.InProcessCloud) without its
scheduler; a client thread connects to the EC2 port in a loop and sends
RunInstances the moment it is accepted.  The cast to the scheduler finds
no queue: it must stay in the outbox (not be counted delivered and
dropped), the instance stays pending, and once the scheduler starts, late
on purpose, the relay delivers the cast and the instance is ``running``.
Both transports: the embedded default, and RabbitMQ on 127.0.0.1:5672 with
an exchange and topics unique to the test (deleted afterwards).
"""

import socket
import threading
import time
import traceback
import uuid

import pytest
from sqlalchemy import select

from tests import green_calls
from tests.functional.conftest import InProcessCloud
from tests.ports import free_port as _free_port

pytestmark = [pytest.mark.functional, pytest.mark.timeout(240)]


def _rabbit_up():
    try:
        socket.create_connection(('127.0.0.1', 5672), timeout=2).close()
        return True
    except OSError:
        return False


class LateSchedulerCloud(InProcessCloud):
    """The cloud of conftest, with its scheduler started on request only.

    The user and image exist before any service starts, so a client can
    send RunInstances the instant the port opens.
    """

    def __init__(self, state_path, ec2_port, compute_host='compute0',
                 **kwargs):
        super(LateSchedulerCloud, self).__init__(state_path, **kwargs)
        self.ec2_port = ec2_port
        self.compute_host = compute_host
        self.credentials = None
        self.image = None

    def _create_network(self):
        super(LateSchedulerCloud, self)._create_network()
        self.credentials = self.create_user('early', 'early')
        self.image = self.register_image('early-image')

    def _topics(self):
        from nova import flags
        flags_ = flags.FLAGS
        return flags_.scheduler_topic, flags_.network_topic, \
            flags_.compute_topic

    def _start_services(self):
        from nova import flags
        from nova import service
        flags_ = flags.FLAGS
        _scheduler, network, compute = self._topics()
        services = [
            service.Service.create(binary='nova-network', topic=network,
                                   manager=flags_.network_manager),
            service.Service.create(host=self.compute_host,
                                   binary='nova-compute', topic=compute,
                                   manager=flags_.compute_manager),
        ]
        api = service.WSGIService('ec2', host='127.0.0.1',
                                  port=self.ec2_port)
        service.serve(*(services + [api]))
        return services + [api]

    def _stop_services(self):
        green_calls.stop_all(self.services)
        from nova import rpc
        from nova.rpc import outbox
        outbox.stop_relay()
        rpc.cleanup()

    def start_scheduler(self):
        """Start nova-scheduler now (in the cloud's thread)."""
        from nova import flags
        from nova import service

        def start():
            svc = service.Service.create(
                binary='nova-scheduler', topic=flags.FLAGS.scheduler_topic,
                manager=flags.FLAGS.scheduler_manager)
            svc.start()
            self.services.insert(0, svc)
        self.call_in_cloud(start)


def _send_when_port_opens(port, cloud, box):
    """Connect until accepted, then RunInstances at once (a thread)."""
    import boto3
    import botocore.config
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            sock = socket.create_connection(('127.0.0.1', port), timeout=1)
        except OSError:
            time.sleep(0.005)
            continue
        # A loop connecting to a free ephemeral port can connect to itself
        # (TCP simultaneous open): that is not the server.
        self_connected = sock.getsockname() == sock.getpeername()
        sock.close()
        if not self_connected:
            break
    box['opened'] = time.time()
    credentials, image = cloud.credentials, cloud.image
    try:
        client = boto3.client(
            'ec2', endpoint_url='http://127.0.0.1:%d/services/Cloud' % port,
            region_name='nova', aws_access_key_id=credentials[0],
            aws_secret_access_key=credentials[1],
            config=botocore.config.Config(retries={'max_attempts': 0}))
        box['reply'] = client.run_instances(
            ImageId=image, MinCount=1, MaxCount=1, InstanceType='m1.tiny')
        box['client'] = client
    except Exception:  # noqa: BLE001 - asserted by the test
        box['error'] = traceback.format_exc()


def _waiting_casts(topic):
    from nova.db.sqlalchemy import models
    from nova.db.sqlalchemy import session
    table = models.OutboxMessage.__table__
    with session.session_scope() as sess:
        return [row[0] for row in sess.execute(
            select(table.c.body).where(table.c.topic == topic))]


def _state(client, instance_id):
    found = client.describe_instances(InstanceIds=[instance_id])
    return found['Reservations'][0]['Instances'][0]['State']['Name']


def _run_instances_at_once(tmp_path, extra_flags, compute_host='compute0'):
    port = _free_port()
    cloud = LateSchedulerCloud(tmp_path / 'state', port,
                               compute_host=compute_host,
                               extra_flags=dict(extra_flags,
                                                outbox_poll_interval=30))
    box = {}
    try:
        cloud._configure()
        from nova import flags
        scheduler_topic = flags.FLAGS.scheduler_topic

        def knock():
            _send_when_port_opens(port, cloud, box)
        # The client thread is already knocking when the cloud starts; the
        # user and image it reads are made in start() before the port opens.
        knocker = threading.Thread(target=knock, daemon=True)
        knocker.start()
        cloud.start()
        knocker.join(120)
        assert 'error' not in box, box.get('error')
        [instance] = box['reply']['Instances']
        instance_id = instance['InstanceId']
        assert instance['State']['Name'] == 'pending'
        # Nobody consumes the scheduler topic: the cast stays in the
        # outbox (the broker would have dropped it), the instance waits.
        time.sleep(2.0)
        waiting = _waiting_casts(scheduler_topic)
        assert len(waiting) == 1 and 'run_instance' in waiting[0], waiting
        client = box['client']
        assert _state(client, instance_id) == 'pending'

        cloud.start_scheduler()
        assert cloud.wait_for(
            lambda: _state(client, instance_id) == 'running', timeout=90), \
            _state(client, instance_id)
        assert cloud.wait_for(lambda: not _waiting_casts(scheduler_topic),
                              timeout=30)
        reservations = client.describe_instances()['Reservations']
        assert sum(len(r['Instances']) for r in reservations) == 1
    finally:
        cloud.stop()


def test_run_instances_at_once_embedded(tmp_path):
    # The file-system transport under this test's state (as run_cloud.sh
    # uses it): kombu's in-memory one keeps the bindings of earlier tests
    # of this process, whose stale "scheduler" queue would take the cast.
    _run_instances_at_once(tmp_path, {'fake_rabbit_transport': 'filesystem'})


def test_run_instances_at_once_rabbitmq(tmp_path):
    if not _rabbit_up():
        pytest.skip('RabbitMQ is not reachable on 127.0.0.1:5672')
    # Queues are named after topics and hosts, whatever the exchange: the
    # scheduler's and network's topics and the compute host are unique, so
    # no other test's service shares a queue with these.  (The compute
    # topic stays "compute": the database finds compute hosts by it; only
    # "compute.<host>" is used here.)
    unique = uuid.uuid4().hex[:8]
    topics = dict(scheduler_topic='scheduler_%s' % unique,
                  network_topic='network_%s' % unique,
                  volume_topic='volume_%s' % unique)
    host = 'compute_%s' % unique
    exchange = 'nova_startup_%s' % unique
    try:
        _run_instances_at_once(tmp_path, dict(
            topics, fake_rabbit=False, rabbit_host='127.0.0.1',
            rabbit_port=5672, control_exchange=exchange), compute_host=host)
    finally:
        _delete_from_broker(exchange, list(topics.values()), host)


def _delete_from_broker(exchange, topics, compute_host):
    """Delete this test's queues and exchange (its bindings go with it;
    the shared "compute" queue is left to whoever else uses it)."""
    import kombu
    from nova import flags
    FLAGS = flags.FLAGS
    with kombu.Connection(hostname='127.0.0.1', port=5672,
                          userid=FLAGS.rabbit_userid,
                          password=FLAGS.rabbit_password,
                          virtual_host=FLAGS.rabbit_virtual_host) as conn:
        channel = conn.channel()
        names = list(topics) + ['%s.%s' % (t, FLAGS.host) for t in topics]
        names.append('compute.%s' % compute_host)
        for name in names:
            try:
                channel.queue_delete(name)
            except Exception:  # noqa: BLE001 - never declared
                channel = conn.channel()
        try:
            channel.exchange_delete(exchange)
        except Exception:  # noqa: BLE001 - never declared
            pass


# -- the real nova-all ------------------------------------------------------------
def _manage(flagfile, *words):
    import os
    import subprocess
    import sys
    from tests.functional.conftest import REPO
    got = subprocess.run(
        [sys.executable, os.path.join(REPO, 'bin', 'nova-manage'),
         '--flagfile=%s' % flagfile] + list(words),
        capture_output=True, text=True, cwd=REPO, timeout=120)
    assert got.returncode == 0, got.stderr
    return got.stdout


def test_nova_all_runs_an_instance_asked_for_the_instant_its_port_opens(
        tmp_path):
    """As a user pasting the printed lines: bin/nova-all on the embedded
    default, RunInstances sent the moment the EC2 port accepts.

    Its scheduler takes 3 s to start (slow_scheduler): had the EC2 port
    opened before the scheduler's queue was declared, the request would
    have been accepted meanwhile (with the old start order and no
    mandatory publish, the instance stayed pending for ever).
    """
    import os
    import signal
    import subprocess
    import sys
    from tests.functional.conftest import REPO
    port = _free_port()
    flagfile = tmp_path / 'nova.conf'
    flagfile.write_text('\n'.join([
        '--state_path=%s' % tmp_path, '--fake_rabbit',
        '--connection_type=fake', '--logdir=%s' % (tmp_path / 'logs'),
        '--image_service=nova.image.local.LocalImageService',
        '--network_manager=nova.network.manager.FlatManager',
        '--ec2_listen=127.0.0.1', '--ec2_listen_port=%d' % port,
        '--ec2_port=%d' % port, '--enabled_apis=ec2',
        '--s3_port=%d' % _free_port(), '--s3_listen=127.0.0.1',
        '--api_paste_config=%s' % os.path.join(REPO, 'etc', 'nova',
                                               'api-paste.ini'),
        '--scheduler_manager='
        'tests.functional.slow_scheduler.SlowSchedulerManager',
        '']))
    _manage(flagfile, 'db', 'sync')
    _manage(flagfile, 'user', 'admin', 'root', 'rootkey', 'rootsecret')
    _manage(flagfile, 'project', 'create', 'admin', 'root')
    _manage(flagfile, 'network', 'create', 'private', '10.9.0.0/24', '1',
            '64')
    disk = tmp_path / 'disk.img'
    disk.write_bytes(b'\0' * 65536)
    out = _manage(flagfile, 'image', 'image_register', str(disk), 'admin')
    image = 'ami-%s' % out.strip().rsplit('(', 1)[1].rstrip(').')

    class Ready(object):
        credentials = ('rootkey:admin', 'rootsecret')

    Ready.image = image
    box = {}
    knocker = threading.Thread(target=_send_when_port_opens,
                               args=(port, Ready, box), daemon=True)
    knocker.start()
    proc = subprocess.Popen(
        [sys.executable, os.path.join(REPO, 'bin', 'nova-all'),
         '--flagfile=%s' % flagfile],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO,
        env=dict(os.environ, PYTHONPATH=REPO, SLOW_SCHEDULER_SECONDS='3'))
    try:
        knocker.join(150)
        assert 'error' not in box, box.get('error')
        [instance] = box['reply']['Instances']
        client = box['client']
        deadline = time.time() + 90
        while _state(client, instance['InstanceId']) != 'running':
            assert time.time() < deadline, _state(client,
                                                  instance['InstanceId'])
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
