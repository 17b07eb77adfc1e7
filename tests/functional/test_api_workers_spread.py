"""Bursts of keep-alive connections are shared by the API workers.

eventlet's WSGI server accepts for as long as connections are pending, so
the worker that wakes first can take a whole burst (seen on a loaded
machine: a load generator's 32 connections all on one worker, the other
idle).  Each worker yields after every accepted connection
(nova.wsgi._SharedListener).  Who wins each accept stays up to the OS
scheduler, so this checks the share over three bursts with a margin, not an
exact split (quiet machine: 46:50; loaded: 38:58).
"""

import os
import signal
import socket
import subprocess
import sys

from tests.functional.test_api_workers import (REPO, _children,  # noqa
                                               _owner, _socket_inode, _wait,
                                               flagfile)


def test_a_burst_of_connections_reaches_both_workers(flagfile):  # noqa: F811
    path, port = flagfile
    api = subprocess.Popen(
        [sys.executable, os.path.join(REPO, 'bin', 'nova-api'),
         '--flagfile=%s' % path],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    conns = []
    try:
        workers = _wait(lambda: len(_children(api.pid)) == 2 and
                        _children(api.pid), 60, 'two workers')

        def listening():
            try:
                socket.create_connection(('127.0.0.1', port), 1).close()
                return True
            except OSError:
                return False
        _wait(listening, 60, 'the port')
        # Both workers serving (a just-forked one may still be starting).
        seen = set()

        def both_serve():
            with socket.create_connection(('127.0.0.1', port), 30) as one:
                one.sendall(b'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')
                assert one.recv(65536).startswith(b'HTTP/1.1 ')
                seen.add(_owner(workers, _socket_inode(
                    port, one.getsockname()[1])))
            return seen >= set(workers)
        _wait(both_serve, 60, 'both workers serving')
        # Bursts of 32, all connected before any is used, as a load
        # generator does.
        owners = []
        for _burst in range(3):
            conns = [socket.create_connection(('127.0.0.1', port),
                                              timeout=30)
                     for _ in range(32)]
            for conn in conns:
                conn.sendall(b'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')
                assert conn.recv(65536).startswith(b'HTTP/1.1 ')
                inode = _socket_inode(port, conn.getsockname()[1])
                owners.append(_owner(workers, inode))
            for conn in conns:
                conn.close()
            conns = []
        counts = {pid: owners.count(pid) for pid in workers}
        print('connections per worker over 3 bursts of 32: %s'
              % sorted(counts.values()))
        assert None not in owners
        assert all(count >= 10 for count in counts.values()), counts
    finally:
        for conn in conns:
            conn.close()
        api.send_signal(signal.SIGTERM)
        try:
            api.wait(60)
        except subprocess.TimeoutExpired:
            for pid in _children(api.pid):
                os.kill(pid, signal.SIGKILL)
            api.kill()
            api.wait(10)
