#!/usr/bin/env python3
"""Idle resident memory of every daemon, each started as a real process.

nova-api, nova-compute, nova-network, nova-scheduler, nova-volume,
nova-objectstore, nova-vncproxy, nova-dashboard and nova-all run one at a
time from ``bin/`` on the embedded default (SQLite under a temporary state
path, the file-system transport of ``--fake_rabbit``, the fake hypervisor,
file-backed volumes, ``--fake_network``).  Each is ready once its port
answers (the APIs, the objectstore, the VNC proxy's web side, the
dashboard) and, for the services that register, once its row in
``services`` has a heartbeat; after ``--idle`` more seconds its VmRSS is
read from /proc.  nova-vncproxy is skipped (and named so) without noVNC in
/usr/share/novnc: it refuses to start there, as Diablo's did.

Prints JSON: each daemon's idle RSS in MB beside the target (<= 80 MB),
and the anchor measured in the same run: the RSS of a bare interpreter
that imported eventlet and monkey-patched (what every daemon pays before
any Nova code); and the load average (other work on the machine slows the
start-up, not the figures).

    python tools/bench/idle_rss.py [--idle 3]
"""

import argparse
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
BIN = os.path.join(ROOT, 'bin')
TARGET_MB = 80
HOST = 'rss-host'

DAEMONS = ('nova-api', 'nova-compute', 'nova-network', 'nova-scheduler',
           'nova-volume', 'nova-objectstore', 'nova-vncproxy',
           'nova-dashboard', 'nova-all')
MANAGERS = {'nova-compute', 'nova-network', 'nova-scheduler', 'nova-volume',
            'nova-vncproxy'}
NOVNC = '/usr/share/novnc'

ANCHOR = ('import sys; sys.path.insert(0, %r)\n'
          'from nova.utils import concurrency\n'
          'concurrency.monkey_patch()\n'
          'print("ready", flush=True)\n'
          'concurrency.sleep(3600)\n')


def _free_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def rss_mb(pid):
    """VmRSS of ``pid`` in MB (10^6 bytes)."""
    with open('/proc/%d/status' % pid) as handle:
        for line in handle:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError('no VmRSS for %d' % pid)


def _port_answers(port):
    try:
        socket.create_connection(('127.0.0.1', port), timeout=1).close()
        return True
    except OSError:
        return False


def _heartbeat(state, binary):
    try:
        conn = sqlite3.connect(os.path.join(state, 'nova.sqlite'), timeout=5)
        try:
            row = conn.execute(
                'SELECT report_count FROM services WHERE "binary" = ? AND '
                'host = ? AND deleted = 0', (binary, HOST)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return bool(row and row[0] > 0)


def _ready(binary, state, ports):
    if binary == 'nova-vncproxy':
        return _port_answers(ports['vnc']) and _heartbeat(state, binary)
    if binary == 'nova-dashboard':
        return _port_answers(ports['dashboard'])
    if binary in MANAGERS:
        return _heartbeat(state, binary)
    if binary == 'nova-objectstore':
        return _port_answers(ports['s3'])
    if binary == 'nova-api':
        return _port_answers(ports['ec2']) and _port_answers(ports['osapi'])
    return _port_answers(ports['ec2']) and \
        _heartbeat(state, 'nova-compute')


def measure(binary, flagfile, state, ports, idle):
    """Idle RSS in MB of ``binary`` once ready and ``idle`` s after."""
    proc = subprocess.Popen(
        [sys.executable, os.path.join(BIN, binary),
         '--flagfile=%s' % flagfile, '--host=%s' % HOST],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        deadline = time.time() + 120
        while not _ready(binary, state, ports):
            if proc.poll() is not None:
                raise SystemExit('%s exited: %s' % (
                    binary, proc.stderr.read().decode()[-600:]))
            if time.time() > deadline:
                raise SystemExit('%s was not ready in 120 s' % binary)
            time.sleep(0.3)
        time.sleep(idle)
        return rss_mb(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def anchor_mb():
    """RSS of an interpreter that only monkey-patched with eventlet."""
    proc = subprocess.Popen([sys.executable, '-c', ANCHOR % ROOT],
                            stdout=subprocess.PIPE, cwd=ROOT)
    try:
        proc.stdout.readline()
        time.sleep(0.5)
        return rss_mb(proc.pid)
    finally:
        proc.kill()
        proc.wait(10)


def _setup(state, ports):
    flagfile = os.path.join(state, 'nova.conf')
    with open(flagfile, 'w') as handle:
        handle.write('\n'.join([
            '--state_path=%s' % state, '--fake_rabbit',
            '--connection_type=fake', '--fake_network',
            '--volume_storage=file',
            '--volume_driver=nova.volume.driver.FakeISCSIDriver',
            '--report_interval=1', '--logdir=%s' % state,
            '--ec2_listen=127.0.0.1', '--ec2_listen_port=%d' % ports['ec2'],
            '--osapi_listen=127.0.0.1',
            '--osapi_listen_port=%d' % ports['osapi'],
            '--s3_listen=127.0.0.1', '--s3_port=%d' % ports['s3'],
            '--vncproxy_host=127.0.0.1', '--vncproxy_port=%d' % ports['vnc'],
            '--vncproxy_wwwroot=%s' % NOVNC,
            '--dashboard_listen=127.0.0.1',
            '--dashboard_listen_port=%d' % ports['dashboard'],
            '--api_paste_config=%s' % os.path.join(ROOT, 'etc', 'nova',
                                                   'api-paste.ini'),
            '']))
    proc = subprocess.run(
        [sys.executable, os.path.join(BIN, 'nova-manage'),
         '--flagfile=%s' % flagfile, 'db', 'sync'],
        capture_output=True, text=True, cwd=ROOT, timeout=120)
    if proc.returncode != 0:
        raise SystemExit('db sync failed: %s' % proc.stderr.strip())
    return flagfile


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--idle', type=float, default=3.0)
    parser.add_argument('daemons', nargs='*', default=list(DAEMONS))
    args = parser.parse_args()
    figures = {}
    skipped = {}
    with tempfile.TemporaryDirectory(prefix='bench-idle-rss-') as state:
        ports = {'ec2': _free_port(), 'osapi': _free_port(),
                 's3': _free_port(), 'vnc': _free_port(),
                 'dashboard': _free_port()}
        flagfile = _setup(state, ports)
        for binary in args.daemons:
            if binary == 'nova-vncproxy' and not os.path.exists(
                    os.path.join(NOVNC, 'vnc.html')):
                skipped[binary] = 'no noVNC in %s (Debian: novnc)' % NOVNC
                continue
            figures[binary] = round(measure(binary, flagfile, state, ports,
                                            args.idle), 1)
    over = sorted(name for name, mb in figures.items() if mb > TARGET_MB)
    print(json.dumps({
        'bench': 'idle_rss',
        'setup': 'embedded default (SQLite, --fake_rabbit, fake driver)',
        'anchor_bare_interpreter_mb': round(anchor_mb(), 1),
        # each daemon: its idle RSS beside the target
        'idle_rss_mb': {name: {'mb': mb, 'target_mb': TARGET_MB}
                        for name, mb in figures.items()},
        'target_mb': TARGET_MB,
        'max_mb': max(figures.values()),
        'margin_mb': round(TARGET_MB - max(figures.values()), 1),
        'over_target': over,
        'skipped': skipped,
        'load_average_1_5_15': [round(x, 2) for x in os.getloadavg()],
        'cpus': os.cpu_count(),
    }, indent=2))


if __name__ == '__main__':
    main()
