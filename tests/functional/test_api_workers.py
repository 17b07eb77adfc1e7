"""nova-api with ``--ec2_workers=2``: two forked processes on one socket.

nova-api runs as a real process on the embedded default (SQLite and the
file-system transport under the test's state path).  Requests over
separate connections are served by two distinct worker processes (the
process holding each accepted connection is found in /proc); a SIGKILLed
worker is replaced by a new one; SIGTERM stops the parent and every
worker; nova-all refuses worker processes with one line.
"""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.ports import free_port as _free_port

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

pytestmark = [pytest.mark.functional, pytest.mark.timeout(180)]


def _manage(flagfile, *words):
    proc = subprocess.run(
        [sys.executable, os.path.join(REPO, 'bin', 'nova-manage'),
         '--flagfile=%s' % flagfile] + list(words),
        capture_output=True, text=True, cwd=REPO, timeout=90)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _children(pid):
    path = '/proc/%d/task/%d/children' % (pid, pid)
    try:
        with open(path) as handle:
            return {int(word) for word in handle.read().split()}
    except FileNotFoundError:
        return set()


def _socket_inode(server_port, client_port):
    """The inode of the server side of the loopback TCP connection."""
    want_local = ':%04X' % server_port
    want_remote = ':%04X' % client_port
    with open('/proc/net/tcp') as handle:
        for line in handle.readlines()[1:]:
            fields = line.split()
            if fields[1].endswith(want_local) and \
                    fields[2].endswith(want_remote):
                return fields[9]
    return None


def _owner(pids, inode):
    target = 'socket:[%s]' % inode
    for pid in pids:
        fd_dir = '/proc/%d/fd' % pid
        try:
            names = os.listdir(fd_dir)
        except FileNotFoundError:
            continue
        for name in names:
            try:
                if os.readlink(os.path.join(fd_dir, name)) == target:
                    return pid
            except OSError:
                continue
    return None


def _serving_pid(port, pids):
    """Send one request on a new connection; the pid that answered it."""
    sock = socket.create_connection(('127.0.0.1', port), timeout=10)
    try:
        sock.sendall(b'GET /services/Cloud?Action=DescribeRegions HTTP/1.1'
                     b'\r\nHost: localhost\r\n\r\n')
        head = sock.recv(65536)
        assert head.startswith(b'HTTP/1.1 '), head[:80]
        inode = _socket_inode(port, sock.getsockname()[1])
        assert inode is not None
        return _owner(pids, inode)
    finally:
        sock.close()


def _wait(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError('timed out waiting for %s' % what)


def _port_answers(port):
    try:
        socket.create_connection(('127.0.0.1', port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture
def flagfile(tmp_path):
    port = _free_port()
    path = tmp_path / 'nova.conf'
    path.write_text('\n'.join([
        '--state_path=%s' % tmp_path, '--fake_rabbit',
        '--connection_type=fake', '--logdir=%s' % (tmp_path / 'logs'),
        '--ec2_listen=127.0.0.1', '--ec2_listen_port=%d' % port,
        '--enabled_apis=ec2', '--ec2_workers=2',
        '--api_paste_config=%s' % os.path.join(REPO, 'etc', 'nova',
                                               'api-paste.ini'),
        '']))
    _manage(str(path), 'db', 'sync')
    return str(path), port


def test_two_workers_serve_one_socket_and_are_replaced(flagfile):
    path, port = flagfile
    _manage(path, 'user', 'admin', 'root', 'rootkey', 'rootsecret')
    _manage(path, 'project', 'create', 'admin', 'root')
    api = subprocess.Popen(
        [sys.executable, os.path.join(REPO, 'bin', 'nova-api'),
         '--flagfile=%s' % path],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    try:
        workers = _wait(lambda: len(_children(api.pid)) == 2 and
                        _children(api.pid), 60, 'two workers')
        _wait(lambda: _port_answers(port), 60, 'the EC2 port')
        # Which worker accepts a connection is the kernel's choice: ask
        # until both have answered.
        seen = set()
        deadline = time.time() + 60
        while seen != workers and time.time() < deadline:
            seen.add(_serving_pid(port, workers))
        assert seen == workers

        # A real signed call answers through the workers.
        import boto3
        import botocore.config
        client = boto3.client(
            'ec2', endpoint_url='http://127.0.0.1:%d/services/Cloud' % port,
            region_name='nova', aws_access_key_id='rootkey:admin',
            aws_secret_access_key='rootsecret',
            config=botocore.config.Config(retries={'max_attempts': 0}))
        for _ in range(4):
            regions = client.describe_regions()['Regions']
            assert regions and regions[0]['RegionName']

        # A worker that dies is replaced; the other keeps serving.
        victim = sorted(workers)[0]
        os.kill(victim, signal.SIGKILL)
        now = _wait(lambda: len(_children(api.pid)) == 2 and
                    victim not in _children(api.pid) and
                    _children(api.pid), 30, 'a replacement worker')
        assert len(now - workers) == 1
        replacement = (now - workers).pop()
        seen = set()
        deadline = time.time() + 60
        while replacement not in seen and time.time() < deadline:
            seen.add(_serving_pid(port, now))
        assert replacement in seen

        # SIGTERM stops the parent and every worker; a request in flight
        # (its body half sent) is still answered.
        body = b'Action=DescribeRegions&Version=2009-04-04'
        inflight = socket.create_connection(('127.0.0.1', port), timeout=30)
        inflight.sendall(b'POST /services/Cloud HTTP/1.1\r\nHost: localhost'
                         b'\r\nContent-Type: application/x-www-form-urlencoded'
                         b'\r\nContent-Length: %d\r\n\r\n' % len(body) +
                         body[:10])
        time.sleep(1.0)
        api.send_signal(signal.SIGTERM)
        _wait(lambda: not _port_answers(port), 30, 'the socket to close')
        assert api.poll() is None
        inflight.sendall(body[10:])
        answer = inflight.recv(65536)
        inflight.close()
        assert answer.startswith(b'HTTP/1.1 '), answer[:80]
        assert api.wait(60) == 0
        for pid in now:
            assert not os.path.exists('/proc/%d' % pid) or \
                open('/proc/%d/stat' % pid).read().split()[2] == 'Z'
        assert not _port_answers(port)
    finally:
        if api.poll() is None:
            for pid in _children(api.pid):
                os.kill(pid, signal.SIGKILL)
            api.kill()
            api.wait(10)


def test_nova_all_refuses_workers(flagfile):
    path, _port = flagfile
    proc = subprocess.run(
        [sys.executable, os.path.join(REPO, 'bin', 'nova-all'),
         '--flagfile=%s' % path],
        capture_output=True, text=True, cwd=REPO, timeout=90)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines == ['nova-all: --ec2_workers=2 is not supported: nova-all '
                     'serves its APIs in its one process; run nova-api for '
                     'API worker processes']


def test_workers_stop_when_the_parent_is_killed(flagfile):
    path, port = flagfile
    api = subprocess.Popen(
        [sys.executable, os.path.join(REPO, 'bin', 'nova-api'),
         '--flagfile=%s' % path],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    try:
        workers = _wait(lambda: len(_children(api.pid)) == 2 and
                        _children(api.pid), 60, 'two workers')
        _wait(lambda: _port_answers(port), 60, 'the EC2 port')
        api.kill()
        api.wait(10)
        # Orphans are reparented (not our children): poll /proc.
        _wait(lambda: not any(os.path.exists('/proc/%d' % pid)
                              for pid in workers), 30, 'the workers to exit')
        assert not _port_answers(port)
    finally:
        if api.poll() is None:
            api.kill()
            api.wait(10)
        for pid in _children(api.pid):
            os.kill(pid, signal.SIGKILL)
