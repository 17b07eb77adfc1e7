"""Lock a user out after repeated failed authentications.

Failures are counted under ``authfailures-<user id>``: one counter per user,
whichever alias (user name or access key) the request named.  Only a
signature that was fully computed with the user's real secret and did not
match counts (see :class:`nova.auth.signer.SignatureMismatch`): a request
that names a key but carries no or a malformed signature, a stale timestamp,
a foreign SigV4 scope or an unknown key counts for nothing, so knowing a
user name is not enough to lock its owner out, and unknown keys never
create rows.  The first failure starts a window of ``--lockout_window``
minutes; when the count reaches ``--lockout_attempts`` inside it, the user
is locked for ``--lockout_minutes``.  A successful authentication resets the
count.  Rows whose window or lockout has ended are purged (at most once a
minute per process).

The count must be shared by every API worker, so it lives in memcached when
``--memcached_servers`` is set, otherwise in the database (``auth_failures``
table).  The EC2 middleware uses it like this::

    guard = lockout.Lockout()
    if guard.is_locked(user_id):
        ...answer 401 "Too many failed authentications."
    ...authenticate...
    on a signature mismatch: guard.record_failure(user_id)
    on success: guard.reset(user_id) if guard.failures(user_id)
"""

import binascii
import hashlib
import logging
import socket
import threading
import time

from nova import flags

FLAGS = flags.FLAGS
flags.DEFINE_integer('lockout_attempts', 5,
                     'Number of failed auths before lockout.')
flags.DEFINE_integer('lockout_minutes', 15,
                     'Number of minutes to lockout if triggered.')
flags.DEFINE_integer('lockout_window', 15,
                     'Number of minutes for lockout window.')

LOG = logging.getLogger('nova.auth.lockout')
KEY_PREFIX = 'authfailures-'


def failure_key(access_key):
    """The store key of an access key (safe for memcached)."""
    key = KEY_PREFIX + str(access_key)
    if len(key) > 200 or any(ord(c) <= 32 or ord(c) == 127 for c in key):
        key = KEY_PREFIX + hashlib.sha1(str(access_key).encode()).hexdigest()
    return key


# -- stores --------------------------------------------------------------------
class MemoryStore(object):
    """A process-local store (tests, single-process tools only)."""

    def __init__(self):
        self._data = {}
        self._lock = threading.Lock()

    def _live(self, key):
        entry = self._data.get(key)
        if entry and entry[1] <= time.time():
            del self._data[key]
            entry = None
        return entry

    def get(self, key):
        """The count under ``key``, or None."""
        with self._lock:
            entry = self._live(key)
            return entry[0] if entry else None

    def increment(self, key, ttl):
        """Add one to ``key`` (creating it with ``ttl`` seconds)."""
        with self._lock:
            entry = self._live(key)
            if entry is None:
                self._data[key] = [1, time.time() + ttl]
                return 1
            entry[0] += 1
            return entry[0]

    def set(self, key, count, ttl):
        """Store ``count`` under ``key`` for ``ttl`` seconds."""
        with self._lock:
            self._data[key] = [count, time.time() + ttl]

    def delete(self, key):
        """Forget ``key``."""
        with self._lock:
            self._data.pop(key, None)

    def purge(self):
        """Forget every expired key."""
        with self._lock:
            now = time.time()
            for key in [k for k, v in self._data.items() if v[1] <= now]:
                del self._data[key]


class MemcacheStore(object):
    """Counts in memcached (text protocol), shared by all API workers."""

    def __init__(self, servers, timeout=3.0):
        self.servers = [self._split(s) for s in servers]
        self.timeout = timeout

    @staticmethod
    def _split(server):
        host, _sep, port = server.strip().rpartition(':')
        if not host:
            return server.strip(), 11211
        return host.strip('[]'), int(port)

    def _server(self, key):
        index = binascii.crc32(key.encode()) % len(self.servers)
        return self.servers[index]

    def _command(self, key, line, data=None):
        with socket.create_connection(self._server(key),
                                      timeout=self.timeout) as sock:
            payload = line.encode() + b'\r\n'
            if data is not None:
                payload += data + b'\r\n'
            sock.sendall(payload)
            reply = b''
            while not reply.endswith(b'\r\n') or (
                    reply.startswith(b'VALUE') and
                    not reply.endswith(b'END\r\n')):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                reply += chunk
        return reply.decode()

    def get(self, key):
        """The count under ``key``, or None."""
        reply = self._command(key, 'get %s' % key)
        if not reply.startswith('VALUE'):
            return None
        return int(reply.split('\r\n')[1])

    def increment(self, key, ttl):
        """Add one to ``key`` (creating it with ``ttl`` seconds)."""
        reply = self._command(key, 'incr %s 1' % key).strip()
        if reply.isdigit():
            return int(reply)
        added = self._command(key, 'add %s 0 %d 1' % (key, int(ttl)), b'1')
        if added.strip() == 'STORED':
            return 1
        return self.increment(key, ttl)

    def set(self, key, count, ttl):
        """Store ``count`` under ``key`` for ``ttl`` seconds."""
        value = str(count).encode()
        self._command(key, 'set %s 0 %d %d' % (key, int(ttl), len(value)),
                      value)

    def delete(self, key):
        """Forget ``key``."""
        self._command(key, 'delete %s' % key)

    def purge(self):
        """Nothing to do: memcached expires keys itself."""


class DbStore(object):
    """Counts in the ``auth_failures`` table of the Nova database."""

    def __init__(self):
        from nova import context
        self._context = context.get_admin_context()

    @staticmethod
    def _db():
        from nova import db
        return db

    def get(self, key):
        """The count under ``key``, or None."""
        return self._db().auth_failure_get(self._context, key)

    def increment(self, key, ttl):
        """Add one to ``key`` (creating it with ``ttl`` seconds)."""
        return self._db().auth_failure_increment(self._context, key, ttl)

    def set(self, key, count, ttl):
        """Store ``count`` under ``key`` for ``ttl`` seconds."""
        self._db().auth_failure_set(self._context, key, count, ttl)

    def delete(self, key):
        """Forget ``key``."""
        self._db().auth_failure_delete(self._context, key)

    def purge(self):
        """Delete the rows past their window or lockout."""
        self._db().auth_failure_purge(self._context)


def default_store():
    """Memcached when ``--memcached_servers`` is set, else the database."""
    servers = FLAGS.memcached_servers
    if servers:
        if isinstance(servers, str):
            servers = [s for s in servers.split(',') if s.strip()]
        return MemcacheStore(servers)
    return DbStore()


# -- the policy ------------------------------------------------------------------
class Lockout(object):
    """Diablo's lockout policy over a shared store."""

    #: Seconds between two purges of expired rows.
    PURGE_INTERVAL = 60

    def __init__(self, store=None):
        self.store = store if store is not None else default_store()
        self._last_purge = 0.0

    def failures(self, access_key):
        """Failed attempts counted for ``access_key`` in its window."""
        return self.store.get(failure_key(access_key)) or 0

    def is_locked(self, access_key):
        """Whether ``access_key`` is locked out now."""
        return self.failures(access_key) >= FLAGS.lockout_attempts

    def record_failure(self, access_key):
        """Count one failure; returns True when the key is now locked."""
        key = failure_key(access_key)
        self.purge_expired()
        count = self.store.increment(key, FLAGS.lockout_window * 60)
        if count >= FLAGS.lockout_attempts:
            if count == FLAGS.lockout_attempts:
                LOG.warning('Access key %s has had %d failed authentications'
                            ' and will be locked out for %d minutes.',
                            access_key, count, FLAGS.lockout_minutes)
            self.store.set(key, count, FLAGS.lockout_minutes * 60)
            return True
        return False

    def reset(self, access_key):
        """Forget the failures of ``access_key``."""
        self.store.delete(failure_key(access_key))

    def purge_expired(self, force=False):
        """Purge ended windows (at most every PURGE_INTERVAL seconds)."""
        now = time.monotonic()
        if not force and now - self._last_purge < self.PURGE_INTERVAL:
            return
        self._last_purge = now
        try:
            self.store.purge()
        except Exception:  # noqa: BLE001 - purging is housekeeping only
            LOG.exception('Could not purge expired lockout counts')
