"""bin/nova-objectstore as an OS process: serves S3 on --s3_listen:--s3_port,
stops cleanly on SIGTERM, and a port held by another program is one clear
line."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BIN = os.path.join(REPO, 'bin')

pytestmark = [pytest.mark.functional, pytest.mark.timeout(120)]


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture
def flagfile(tmp_path, set_flags):
    state = tmp_path / 'state'
    state.mkdir()
    path = tmp_path / 'nova.conf'
    sql = 'sqlite:///%s/nova.sqlite' % state
    path.write_text('\n'.join([
        '--state_path=%s' % state, '--sql_connection=%s' % sql,
        '--fake_rabbit', '--logdir=%s' % tmp_path,
        '--s3_listen=127.0.0.1', '']))
    # The database the daemon will use, with a user (as nova-manage would).
    from nova.auth import manager
    from nova.db import migration
    from nova.db.sqlalchemy import session
    set_flags(state_path=str(state), sql_connection=sql)
    session.reset()
    migration.db_sync()
    auth = manager.AuthManager()
    auth.create_user('dana', 'dana-key', 'dana-secret')
    auth.create_project('dproj', 'dana')
    session.reset()
    yield str(path)
    session.reset()


def test_daemon_serves_s3_and_stops(flagfile, tmp_path):
    import boto3
    import botocore.config
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, os.path.join(BIN, 'nova-objectstore'),
         '--flagfile=%s' % flagfile, '--s3_port=%d' % port],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO)
    try:
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(('127.0.0.1', port), 1).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.time() < deadline
                time.sleep(0.1)
        client = boto3.client(
            's3', endpoint_url='http://127.0.0.1:%d' % port,
            region_name='nova', aws_access_key_id='dana-key:dproj',
            aws_secret_access_key='dana-secret',
            config=botocore.config.Config(s3={'addressing_style': 'path'}))
        client.create_bucket(Bucket='daemon')
        client.put_object(Bucket='daemon', Key='k', Body=b'over a process')
        assert client.get_object(Bucket='daemon',
                                 Key='k')['Body'].read() == b'over a process'
        assert (tmp_path / 'state' / 'buckets' / 'daemon').is_dir()
        # A port held by another program: one line, no traceback.
        holder = socket.socket()
        holder.bind(('127.0.0.1', 0))
        holder.listen(1)
        try:
            busy = subprocess.run(
                [sys.executable, os.path.join(BIN, 'nova-objectstore'),
                 '--flagfile=%s' % flagfile,
                 '--s3_port=%d' % holder.getsockname()[1]],
                capture_output=True, text=True, timeout=60, cwd=REPO)
        finally:
            holder.close()
        assert busy.returncode != 0
        assert 'cannot listen' in busy.stderr
        assert 'Traceback' not in busy.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
