"""Lockout policy over the memory store and a (fake) memcached server."""

import socket
import socketserver
import threading
import time

import pytest

from nova import flags
from nova.auth import lockout

FLAGS = flags.FLAGS


class _FakeMemcached(socketserver.StreamRequestHandler):
    data = {}

    def handle(self):
        line = self.rfile.readline().decode().strip()
        words = line.split()
        cmd, key = words[0], words[1]
        entry = self.data.get(key)
        if entry and entry[1] and entry[1] < time.time():
            entry = self.data.pop(key)
            entry = None
        if cmd == 'get':
            if entry:
                self.wfile.write(b'VALUE %s 0 %d\r\n%s\r\nEND\r\n'
                                 % (key.encode(), len(entry[0]), entry[0]))
            else:
                self.wfile.write(b'END\r\n')
        elif cmd in ('set', 'add'):
            value = self.rfile.readline().strip()
            if cmd == 'add' and entry:
                self.wfile.write(b'NOT_STORED\r\n')
                return
            ttl = int(words[3])
            self.data[key] = [value, time.time() + ttl if ttl else 0]
            self.wfile.write(b'STORED\r\n')
        elif cmd == 'incr':
            if not entry:
                self.wfile.write(b'NOT_FOUND\r\n')
                return
            entry[0] = str(int(entry[0]) + int(words[2])).encode()
            self.wfile.write(entry[0] + b'\r\n')
        elif cmd == 'delete':
            self.data.pop(key, None)
            self.wfile.write(b'DELETED\r\n')


def _serve(listener, stop):
    """Answer one connection after another until ``stop`` is set.

    Plain accept() rather than socketserver's loop: when another test
    module has monkey-patched the process, socketserver may still hold the
    poll() it bound before, which blocks the whole hub; accept() is green
    exactly when the thread is.  The accept() times out often, so the
    thread ends soon after ``stop`` and never leaves a reader behind in the
    hub (a stale reader on a reused fd breaks later tests).
    """
    listener.settimeout(0.1)
    while not stop.is_set():
        try:
            conn, address = listener.accept()
        except socket.timeout:
            continue
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            _FakeMemcached(conn, address, None)


@pytest.fixture
def memcached():
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(8)
    stop = threading.Event()
    thread = threading.Thread(target=_serve, args=(listener, stop),
                              daemon=True)
    thread.start()
    yield '127.0.0.1:%d' % listener.getsockname()[1]
    stop.set()
    thread.join(5)
    listener.close()
    _FakeMemcached.data.clear()


def _exercise(guard):
    assert not guard.is_locked('ak:proj')
    for _ in range(FLAGS.lockout_attempts - 1):
        assert not guard.record_failure('ak:proj')
    assert not guard.is_locked('ak:proj')
    assert guard.record_failure('ak:proj')
    assert guard.is_locked('ak:proj')
    assert not guard.is_locked('other')
    guard.reset('ak:proj')
    assert not guard.is_locked('ak:proj')


def test_memory_store_policy():
    _exercise(lockout.Lockout(lockout.MemoryStore()))


def test_memcached_store_policy(memcached):
    FLAGS.set('memcached_servers', memcached)
    try:
        guard = lockout.Lockout()
        assert isinstance(guard.store, lockout.MemcacheStore)
        _exercise(guard)
        # a second worker sees the same counts
        guard.record_failure('shared')
        assert lockout.Lockout().failures('shared') == 1
    finally:
        FLAGS.reset('memcached_servers')


def test_window_expires():
    store = lockout.MemoryStore()
    store.increment('k', 0.05)
    assert store.get('k') == 1
    time.sleep(0.1)
    assert store.get('k') is None


def test_failure_key_is_memcache_safe():
    assert lockout.failure_key('a b') != 'authfailures-a b'
    assert ' ' not in lockout.failure_key('a b')
    assert lockout.failure_key('ak:p') == 'authfailures-ak:p'
