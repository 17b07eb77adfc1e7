"""The embedded default (``--fake_rabbit``) reaches across processes.

A nova-all runs on one flagfile with no broker; ``nova-manage service
describe_resource`` / ``update_resource`` in other processes talk to it, and a
separately started ``nova-compute --flagfile=<same>`` joins and runs the
instances the scheduler sends it.  Once nova-all is gone, the commands fail
within ``--rpc_response_timeout`` with one line, never exit 0.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.ports import free_port as _free_port

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
NOVA_ALL_HOST = 'embedded-all'
OTHER_HOST = 'embedded-compute'

# Each nova-manage run starts a Python process: slow on a busy machine.
pytestmark = [pytest.mark.functional, pytest.mark.timeout(420)]


def _manage(flagfile, *words, timeout=60):
    return subprocess.run(
        [sys.executable, os.path.join(REPO, 'bin', 'nova-manage'),
         '--flagfile=%s' % flagfile] + list(words),
        capture_output=True, text=True, cwd=REPO, timeout=timeout)


def _wait(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError('timed out waiting for %s' % what)


def _alive(flagfile):
    rows = _manage(flagfile, 'service', 'list').stdout.splitlines()
    return {(r.split()[0], r.split()[1]) for r in rows if ':-)' in r}


@pytest.fixture
def cloud(tmp_path):
    """nova-all on a flagfile of the embedded default; yields the flagfile."""
    port = _free_port()
    flagfile = tmp_path / 'nova.conf'
    flagfile.write_text('\n'.join([
        '--state_path=%s' % tmp_path, '--fake_rabbit',
        '--connection_type=fake', '--report_interval=1',
        '--rpc_response_timeout=5', '--logdir=%s' % (tmp_path / 'logs'),
        '--image_service=nova.image.local.LocalImageService',
        '--ec2_listen=127.0.0.1', '--ec2_listen_port=%d' % port,
        '--ec2_port=%d' % port, '--osapi_listen=127.0.0.1',
        '--osapi_listen_port=%d' % _free_port(), '--enabled_apis=ec2',
        '--api_paste_config=%s' % os.path.join(REPO, 'etc', 'nova',
                                               'api-paste.ini'),
        '']))
    procs = []

    def start(binary, host):
        proc = subprocess.Popen(
            [sys.executable, os.path.join(REPO, 'bin', binary),
             '--flagfile=%s' % flagfile, '--host=%s' % host],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
        procs.append(proc)
        return proc

    assert _manage(flagfile, 'db', 'sync').returncode == 0
    all_proc = start('nova-all', NOVA_ALL_HOST)
    try:
        _wait(lambda: (NOVA_ALL_HOST, 'nova-compute') in _alive(flagfile),
              60, 'nova-all')
        yield flagfile, start, all_proc, port
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def test_manage_and_a_second_compute_reach_nova_all(cloud):
    flagfile, start, all_proc, port = cloud
    # The cast makes nova-all's compute write its resource record, which
    # the call then reads through nova-all's scheduler.
    got = _manage(flagfile, 'service', 'update_resource',
                  '--host=%s' % NOVA_ALL_HOST)
    assert (got.returncode, got.stderr) == (0, '')
    got = _wait(lambda: _described(flagfile, NOVA_ALL_HOST), 30,
                'the resource record')
    assert got.stdout.splitlines()[1].split()[:2] == [NOVA_ALL_HOST,
                                                      '(total)']

    # A separately started nova-compute joins, and work reaches it.
    start('nova-compute', OTHER_HOST)
    _wait(lambda: (OTHER_HOST, 'nova-compute') in _alive(flagfile), 60,
          'the second nova-compute')
    got = _manage(flagfile, 'service', 'update_resource',
                  '--host=%s' % OTHER_HOST)
    assert (got.returncode, got.stderr) == (0, '')
    _wait(lambda: _described(flagfile, OTHER_HOST), 30,
          'the second resource record')
    assert _manage(flagfile, 'service', 'disable', '--host=%s'
                   % NOVA_ALL_HOST, '--service=nova-compute').returncode == 0
    client = _ec2_client(flagfile, port)
    image = _register_image(flagfile)
    reservation = client.run_instances(ImageId=image, MinCount=2,
                                       MaxCount=2, InstanceType='m1.tiny')
    ids = [i['InstanceId'] for i in reservation['Instances']]

    def running():
        found = client.describe_instances(InstanceIds=ids)
        items = [i for r in found['Reservations'] for i in r['Instances']]
        return all(i['State']['Name'] == 'running' for i in items)
    _wait(running, 60, 'instances on the second compute')
    rows = _manage(flagfile, 'service', 'describe_resource',
                   '--host=%s' % OTHER_HOST).stdout.splitlines()
    # Both instances are the admin project's, on the second host.
    assert rows[-1].split()[:3] == [OTHER_HOST, 'admin', '2'], rows

    # Without nova-all nobody answers: one line, non-zero, within timeout.
    all_proc.send_signal(signal.SIGTERM)
    all_proc.wait(30)
    started = time.time()
    got = _manage(flagfile, 'service', 'describe_resource',
                  '--host=%s' % NOVA_ALL_HOST)
    assert got.returncode != 0
    # --rpc_response_timeout=5, plus the command's own start-up (slow on a
    # busy machine) -- far below the 60 s it used to hang.
    assert time.time() - started < 5 + 20
    assert len(got.stderr.strip().splitlines()) == 1, got.stderr
    assert 'Timeout' in got.stderr


def _described(flagfile, host):
    got = _manage(flagfile, 'service', 'describe_resource', '--host=%s' % host)
    if got.returncode == 0:
        return got
    assert 'has no resource record' in got.stderr, got.stderr
    return None


def _register_image(flagfile):
    folder = os.path.dirname(str(flagfile))
    disk = os.path.join(folder, 'disk.img')
    with open(disk, 'wb') as handle:
        handle.write(b'\0' * 65536)
    got = _manage(flagfile, 'image', 'image_register', disk, 'admin')
    assert got.returncode == 0, got.stderr
    return 'ami-%s' % got.stdout.strip().rsplit('(', 1)[1].rstrip(').')


def _ec2_client(flagfile, port):
    import boto3
    import botocore.config
    assert _manage(flagfile, 'user', 'admin', 'root', 'rootkey',
                   'rootsecret').returncode == 0
    assert _manage(flagfile, 'project', 'create', 'admin',
                   'root').returncode == 0
    assert _manage(flagfile, 'network', 'create', 'private', '10.9.0.0/24',
                   '1', '64').returncode == 0
    return boto3.client(
        'ec2', endpoint_url='http://127.0.0.1:%d/services/Cloud' % port,
        region_name='nova', aws_access_key_id='rootkey:admin',
        aws_secret_access_key='rootsecret',
        config=botocore.config.Config(retries={'max_attempts': 0}))
