"""nova-scheduler and nova-compute as separate OS processes over RabbitMQ.

Both daemons share one database and one flagfile; `nova-manage service list`
shows them alive (``:-)``), then ``XXX`` for the one that was killed.  The
scheduler stops cleanly on SIGTERM.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BIN = os.path.join(REPO, 'bin')

pytestmark = [pytest.mark.functional, pytest.mark.rabbitmq,
              pytest.mark.timeout(120)]


def _rabbit_up():
    try:
        socket.create_connection(('127.0.0.1', 5672), timeout=2).close()
        return True
    except OSError:
        return False


@pytest.fixture
def flagfile(tmp_path):
    if not _rabbit_up():
        pytest.skip('RabbitMQ is not reachable on 127.0.0.1:5672')
    state = tmp_path / 'state'
    state.mkdir()
    path = tmp_path / 'nova.conf'
    path.write_text('\n'.join([
        '# written by the test',
        '--state_path=%s' % state,
        '--sql_connection=sqlite:///%s/nova.sqlite' % state,
        '--rabbit_host=127.0.0.1',
        '--control_exchange=nova_test_%s' % uuid.uuid4().hex[:8],
        '--report_interval=1',
        '--periodic_interval=60',
        '--service_down_time=4',
        '--connection_type=fake',
        '--logdir=%s' % tmp_path,
        '',
    ]))
    _run_manage(str(path), 'db', 'sync')
    return str(path)


def _run_manage(flagfile, *words):
    proc = subprocess.run(
        [sys.executable, os.path.join(BIN, 'nova-manage'),
         '--flagfile=%s' % flagfile] + list(words),
        capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _start(flagfile, binary, host):
    return subprocess.Popen(
        [sys.executable, os.path.join(BIN, binary),
         '--flagfile=%s' % flagfile, '--host=%s' % host],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO)


def _states(flagfile):
    """{(binary, host): state} from `nova-manage service list`."""
    rows = {}
    lines = _run_manage(flagfile, 'service', 'list').splitlines()
    for line in lines:
        # Diablo's row: host binary status :-)|XXX updated_at
        host, binary, status, state = line.split()[:4]
        rows[(binary, host)] = (status, state)
    return rows


def _wait_for(flagfile, predicate, seconds):
    deadline = time.time() + seconds
    states = {}
    while time.time() < deadline:
        states = _states(flagfile)
        if predicate(states):
            return states
        time.sleep(0.5)
    raise AssertionError('timed out; last service list: %r' % states)


def test_daemons_register_heartbeat_and_go_stale(flagfile):
    scheduler = _start(flagfile, 'nova-scheduler', 'sched-host')
    compute = _start(flagfile, 'nova-compute', 'compute-host')
    try:
        both_up = _wait_for(flagfile, lambda s: s.get(
            ('nova-scheduler', 'sched-host')) == ('enabled', ':-)') and
            s.get(('nova-compute', 'compute-host')) == ('enabled', ':-)'),
            60)
        assert len(both_up) == 2

        compute.kill()
        compute.wait(10)
        states = _wait_for(flagfile, lambda s: s.get(
            ('nova-compute', 'compute-host')) == ('enabled', 'XXX'), 30)
        assert states[('nova-scheduler', 'sched-host')] == \
            ('enabled', ':-)')

        _run_manage(flagfile, 'service', 'disable', 'sched-host',
                    'nova-scheduler')
        assert _states(flagfile)[('nova-scheduler', 'sched-host')][0] == \
            'disabled'

        scheduler.send_signal(signal.SIGTERM)
        assert scheduler.wait(30) == 0
    finally:
        for proc in (scheduler, compute):
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
