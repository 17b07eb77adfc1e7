#!/usr/bin/env python3
"""EC2 DescribeRegions requests per second: nova-api with 2 workers vs 1.

nova-api runs as a real process (``bin/nova-api``) on the embedded default
(SQLite, the file-system transport) with ``--ec2_workers=1`` and then
``=2``, alternating over ``--rounds``.  The load comes from a separate,
light process: ``--connections`` keep-alive HTTP/1.1 connections driven
by one selector loop, each replaying one DescribeRegions request signed
(SigV2, by nova's own signer) before the run, each connection reopened
after ``--per-connection`` requests so that both workers accept their
share.  Every answer must be a 200 with a region in it.

Prints JSON: each configuration's best req/s over the rounds, every
round's figure and the CPU seconds each serving process used in it (both
workers must have served), the load average (other work on the machine
skews the figures), and ``ratio`` = 2-worker req/s / the anchor, the 1-worker
req/s of the same run (target >= 1.7).  The machine's CPU count is given
beside it: the load generator shares the cores with the workers.

    python tools/bench/api_workers.py [--seconds 8] [--rounds 2]
                                      [--connections 32]
"""

import argparse
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
BIN = os.path.join(ROOT, 'bin')
PATH = '/services/Cloud'


def _free_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _manage(flagfile, *words):
    proc = subprocess.run(
        [sys.executable, os.path.join(BIN, 'nova-manage'),
         '--flagfile=%s' % flagfile] + list(words),
        capture_output=True, text=True, cwd=ROOT, timeout=120)
    if proc.returncode != 0:
        raise SystemExit('nova-manage %s failed: %s'
                         % (' '.join(words), proc.stderr.strip()))


def signed_request(port, access, secret):
    """The bytes of one SigV2-signed DescribeRegions GET (replayable)."""
    sys.path.insert(0, ROOT)
    from urllib.parse import urlencode
    from nova.auth import signer
    host = '127.0.0.1:%d' % port
    params = {
        'Action': 'DescribeRegions', 'Version': '2010-08-31',
        'AWSAccessKeyId': access, 'SignatureVersion': '2',
        'SignatureMethod': 'HmacSHA256',
        'Timestamp': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
    }
    params['Signature'] = signer.Signer(secret).generate(
        params, 'GET', host, PATH)
    return ('GET %s?%s HTTP/1.1\r\nHost: %s\r\n\r\n'
            % (PATH, urlencode(params), host)).encode()


# -- the load generator (its own process) ----------------------------------------
class _Conn(object):
    """One keep-alive connection replaying the request."""

    def __init__(self, port):
        self.sock = socket.create_connection(('127.0.0.1', port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buf = b''
        self.sent = 0


def _answer_length(buf):
    """Bytes of the first full response in ``buf`` (None: incomplete)."""
    end = buf.find(b'\r\n\r\n')
    if end < 0:
        return None
    head = buf[:end].decode('latin-1')
    if not head.startswith('HTTP/1.1 200'):
        raise RuntimeError('unexpected answer: %s' % head.split('\r\n')[0])
    for line in head.split('\r\n')[1:]:
        name, _, value = line.partition(':')
        if name.strip().lower() == 'content-length':
            total = end + 4 + int(value)
            return total if len(buf) >= total else None
    raise RuntimeError('answer without Content-Length')


def load(port, request, seconds, connections, per_connection):
    """Drive the API; returns (answers, elapsed seconds)."""
    sel = selectors.DefaultSelector()

    def open_conn():
        conn = _Conn(port)
        conn.sock.send(request)
        conn.sent = 1
        sel.register(conn.sock, selectors.EVENT_READ, conn)

    for _ in range(connections):
        open_conn()
    answers = 0
    start = time.monotonic()
    deadline = start + seconds
    while time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            conn = key.data
            data = conn.sock.recv(65536)
            if not data:
                raise RuntimeError('connection closed by nova-api')
            conn.buf += data
            length = _answer_length(conn.buf)
            if length is None:
                continue
            if b'regionName' not in conn.buf[:length]:
                raise RuntimeError('DescribeRegions answered no region')
            conn.buf = conn.buf[length:]
            answers += 1
            if conn.sent >= per_connection:
                sel.unregister(conn.sock)
                conn.sock.close()
                open_conn()
            else:
                conn.sock.send(request)
                conn.sent += 1
    elapsed = time.monotonic() - start
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    return answers, elapsed


def _load_main(args):
    request = args.request.encode('latin-1').decode('unicode_escape')
    answers, elapsed = load(args.port, request.encode('latin-1'),
                            args.seconds, args.connections,
                            args.per_connection)
    print(json.dumps({'answers': answers, 'seconds': elapsed}))


# -- the runs ---------------------------------------------------------------
def _wait_port(port, proc, seconds=90):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit('nova-api exited: %s'
                             % proc.stderr.read().decode()[-500:])
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit('nova-api did not listen on %d' % port)


def _children(pid):
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as handle:
            return handle.read().split()
    except FileNotFoundError:
        return []


def _cpu_ticks(pid):
    try:
        with open('/proc/%d/stat' % pid) as handle:
            fields = handle.read().rsplit(')', 1)[1].split()
    except FileNotFoundError:
        return 0
    return int(fields[11]) + int(fields[12])


def run_one(flagfile, workers, args):
    """(req/s, CPU seconds of each serving process) of one nova-api."""
    port = _free_port()
    api = subprocess.Popen(
        [sys.executable, os.path.join(BIN, 'nova-api'),
         '--flagfile=%s' % flagfile, '--ec2_listen_port=%d' % port,
         '--ec2_workers=%d' % workers],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        _wait_port(port, api)
        if workers > 1:
            deadline = time.time() + 60
            while len(_children(api.pid)) < workers:
                if time.time() > deadline:
                    raise SystemExit('the workers did not start')
                time.sleep(0.2)
            time.sleep(1.0)     # each worker's start-up is done
        request = signed_request(port, 'benchkey:bench', 'benchsecret')
        escaped = request.decode('latin-1').encode(
            'unicode_escape').decode('latin-1')
        servers = [int(pid) for pid in _children(api.pid)] or [api.pid]
        # A warm-up of one second, then the measured run.
        for seconds in (1.0, args.seconds):
            before = [_cpu_ticks(pid) for pid in servers]
            out = subprocess.run(
                [sys.executable, os.path.abspath(__file__), '--load',
                 '--port=%d' % port, '--request=%s' % escaped,
                 '--seconds=%s' % seconds,
                 '--connections=%d' % args.connections,
                 '--per-connection=%d' % args.per_connection],
                capture_output=True, text=True, timeout=seconds + 120)
            if out.returncode != 0:
                raise SystemExit('load generator failed: %s'
                                 % out.stderr.strip()[-800:])
        figures = json.loads(out.stdout)
        hertz = os.sysconf('SC_CLK_TCK')
        cpu = [round((_cpu_ticks(pid) - was) / hertz, 2)
               for pid, was in zip(servers, before)]
        return figures['answers'] / figures['seconds'], cpu
    finally:
        api.send_signal(signal.SIGTERM)
        try:
            api.wait(60)
        except subprocess.TimeoutExpired:
            api.kill()
            api.wait(10)


def _setup(state):
    flagfile = os.path.join(state, 'nova.conf')
    with open(flagfile, 'w') as handle:
        handle.write('\n'.join([
            '--state_path=%s' % state, '--fake_rabbit',
            '--connection_type=fake', '--logdir=%s' % state,
            '--ec2_listen=127.0.0.1', '--enabled_apis=ec2',
            '--api_paste_config=%s' % os.path.join(ROOT, 'etc', 'nova',
                                                   'api-paste.ini'),
            '']))
    _manage(flagfile, 'db', 'sync')
    _manage(flagfile, 'user', 'admin', 'benchuser', 'benchkey',
            'benchsecret')
    _manage(flagfile, 'project', 'create', 'bench', 'benchuser')
    return flagfile


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seconds', type=float, default=8.0)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--connections', type=int, default=32)
    parser.add_argument('--per-connection', type=int, default=20)
    parser.add_argument('--load', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--port', type=int, help=argparse.SUPPRESS)
    parser.add_argument('--request', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        _load_main(args)
        return
    rounds = {1: [], 2: []}
    cpu = {1: [], 2: []}
    with tempfile.TemporaryDirectory(prefix='bench-api-workers-') as state:
        flagfile = _setup(state)
        for _ in range(args.rounds):
            for workers in (1, 2):
                rate, seconds = run_one(flagfile, workers, args)
                rounds[workers].append(rate)
                cpu[workers].append(seconds)
    one, two = max(rounds[1]), max(rounds[2])
    with open('/proc/loadavg') as handle:
        load_average = float(handle.read().split()[0])
    print(json.dumps({
        'bench': 'api_workers',
        'request': 'EC2 DescribeRegions (SigV2, keep-alive)',
        'cpus': os.cpu_count(),
        'connections': args.connections,
        'seconds_per_run': args.seconds,
        'anchor_req_per_s_1_worker': round(one, 1),
        'req_per_s_2_workers': round(two, 1),
        'ratio': round(two / one, 2),
        'target_ratio': 1.7,
        'rounds_req_per_s': {'1': [round(x, 1) for x in rounds[1]],
                             '2': [round(x, 1) for x in rounds[2]]},
        # CPU seconds each serving process used in each measured run:
        # both workers must have served for the ratio to mean anything.
        'rounds_cpu_s_per_process': {'1': cpu[1], '2': cpu[2]},
        'load_average_at_end': load_average,
        # Requests per CPU second of the serving processes (best round):
        # equal figures mean the workers cost nothing per request, and the
        # ratio is bounded by the CPU the machine gave them.
        'req_per_cpu_s': {
            str(n): round(max(rate * args.seconds / max(sum(used), 0.01)
                              for rate, used in zip(rounds[n], cpu[n])), 1)
            for n in (1, 2)},
    }, indent=2))


if __name__ == '__main__':
    main()
