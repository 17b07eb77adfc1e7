"""The cloud as separate daemons over the real RabbitMQ and PostgreSQL.

nova-api, nova-scheduler, nova-network and two nova-compute daemons run as
OS processes sharing one flagfile; an operator's nova-manage sets up the
user, project, network and image; boto3 launches 20 instances through the
EC2 API and both compute hosts receive some; then all are terminated.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest

from tests.ports import free_port as _free_port

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BIN = os.path.join(REPO, 'bin')

pytestmark = [pytest.mark.integration, pytest.mark.rabbitmq,
              pytest.mark.postgresql, pytest.mark.timeout(300)]


def _reachable(port):
    try:
        socket.create_connection(('127.0.0.1', port), timeout=2).close()
        return True
    except OSError:
        return False


@pytest.fixture
def pg_database():
    if not _reachable(5432):
        pytest.skip('PostgreSQL is not reachable on 127.0.0.1:5432')
    import psycopg
    name = 'nova_it_%s' % uuid.uuid4().hex[:10]
    with psycopg.connect('host=127.0.0.1 user=postgres dbname=postgres',
                         autocommit=True) as conn:
        conn.execute('CREATE DATABASE %s' % name)
    yield 'postgresql://postgres@127.0.0.1/%s' % name
    with psycopg.connect('host=127.0.0.1 user=postgres dbname=postgres',
                         autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS %s WITH (FORCE)' % name)


class Deployment(object):
    """One flagfile, nova-manage, and the daemons started from it."""

    def __init__(self, tmp_path, sql_connection):
        self.state = tmp_path / 'state'
        self.state.mkdir()
        self.port = _free_port()
        self.flagfile = str(tmp_path / 'nova.conf')
        with open(self.flagfile, 'w') as conf:
            conf.write('\n'.join([
                '--state_path=%s' % self.state,
                '--sql_connection=%s' % sql_connection,
                '--rabbit_host=127.0.0.1',
                '--control_exchange=nova_it_%s' % uuid.uuid4().hex[:8],
                '--connection_type=fake',
                '--network_manager=nova.network.manager.FlatManager',
                '--scheduler_driver=nova.scheduler.simple.SimpleScheduler',
                '--enabled_apis=ec2',
                '--ec2_listen=127.0.0.1',
                '--ec2_listen_port=%d' % self.port,
                '--api_paste_config=%s' % os.path.join(
                    REPO, 'etc', 'nova', 'api-paste.ini'),
                '--report_interval=1',
                '--logdir=%s' % tmp_path,
                '',
            ]))
        self.procs = []

    def manage(self, *words):
        proc = subprocess.run(
            [sys.executable, os.path.join(BIN, 'nova-manage'),
             '--flagfile=%s' % self.flagfile] + list(words),
            capture_output=True, text=True, timeout=120, cwd=REPO)
        assert proc.returncode == 0, (words, proc.stdout, proc.stderr)
        return proc.stdout

    def start(self, binary, host):
        proc = subprocess.Popen(
            [sys.executable, os.path.join(BIN, binary),
             '--flagfile=%s' % self.flagfile, '--host=%s' % host],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
        self.procs.append(proc)
        return proc

    def stop_all(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _wait(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError('timed out waiting for %s' % what)


def test_twenty_instances_spread_over_two_compute_daemons(tmp_path,
                                                            pg_database):
    if not _reachable(5672):
        pytest.skip('RabbitMQ is not reachable on 127.0.0.1:5672')
    cloud = Deployment(tmp_path, pg_database)
    cloud.manage('db', 'sync')
    exports = cloud.manage('user', 'admin', 'alice')
    access = re.search(r'EC2_ACCESS_KEY=(\S+)', exports).group(1)
    secret = re.search(r'EC2_SECRET_KEY=(\S+)', exports).group(1)
    cloud.manage('project', 'create', 'wonderland', 'alice')
    cloud.manage('project', 'quota', 'wonderland', 'instances', '30')
    cloud.manage('network', 'create', 'private', '10.20.0.0/24', '1', '256')
    image = tmp_path / 'disk.img'
    image.write_bytes(b'\0' * 4096)
    registered = cloud.manage('image', 'image_register', str(image),
                              'wonderland')
    ami = 'ami-%s' % re.search(r'\((\w{8})\)', registered).group(1)

    try:
        cloud.start('nova-scheduler', 'ctl')
        cloud.start('nova-network', 'ctl')
        cloud.start('nova-compute', 'compute-a')
        cloud.start('nova-compute', 'compute-b')
        cloud.start('nova-api', 'ctl')

        def all_up():
            rows = cloud.manage('service', 'list').splitlines()
            alive = [r for r in rows if ':-)' in r]
            return len(alive) == 4 and _reachable(cloud.port)
        _wait(all_up, 90, 'four services and the API')

        import boto3
        import botocore.config
        client = boto3.client(
            'ec2', endpoint_url='http://127.0.0.1:%d/services/Cloud'
            % cloud.port, region_name='nova',
            aws_access_key_id='%s:wonderland' % access,
            aws_secret_access_key=secret,
            config=botocore.config.Config(retries={'max_attempts': 1}))
        reply = client.run_instances(ImageId=ami, InstanceType='m1.tiny',
                                     MinCount=20, MaxCount=20)
        ids = [i['InstanceId'] for i in reply['Instances']]
        assert len(ids) == 20

        def states():
            found = {}
            for res in client.describe_instances()['Reservations']:
                for inst in res['Instances']:
                    found[inst['InstanceId']] = inst['State']['Name']
            return found

        _wait(lambda: len(states()) == 20 and set(
            states().values()) == {'running'}, 120, '20 running instances')

        vm_list = cloud.manage('vm', 'list')
        hosts = {'compute-a': 0, 'compute-b': 0}
        for line in vm_list.splitlines()[1:]:
            for host in hosts:
                if host in line.split():
                    hosts[host] += 1
        assert sum(hosts.values()) == 20, vm_list
        assert hosts['compute-a'] > 0 and hosts['compute-b'] > 0, hosts

        addresses = [inst['PrivateIpAddress']
                     for res in client.describe_instances()['Reservations']
                     for inst in res['Instances']]
        assert len(set(addresses)) == 20

        client.terminate_instances(InstanceIds=ids)
        _wait(lambda: not [s for s in states().values()
                           if s != 'terminated'], 120, 'instances to go')
        fixed = cloud.manage('fixed', 'list')
        assert 'i-' not in fixed and 'instance-' not in fixed
    finally:
        cloud.stop_all()
