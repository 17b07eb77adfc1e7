"""The embedded message transport (``--fake_rabbit``): no broker to install.

Two kinds, chosen by ``--fake_rabbit_transport``:

``filesystem`` (the default)
    kombu's own file-system transport under ``--fake_rabbit_path``
    (``$state_path/rpc``): a message is a file in ``queues/``, exchange
    bindings live in ``control/``.  Every process on the machine that reads
    the same flagfile reaches it, so ``nova-manage`` talks to a running
    ``nova-all`` and a separately started ``nova-compute`` joins it.
    Consumers do not poll: a publisher rings a *bell*, one Unix datagram
    socket per process (abstract names, listed as files in ``bells/``), and
    each woken process reads its queues at once.  A periodic safety poll
    (the caller's idle wait) covers a lost ring.
``memory``
    kombu's in-memory transport: only the services of one process see the
    messages (in-process tests).

The rest of :mod:`nova.rpc.impl_kombu` treats both alike: it asks
:func:`params` how to connect and :func:`bell` what to ring and wait on.
"""

import hashlib
import os
import socket
import time
import uuid

from nova import flags
from nova import log as logging
from nova.utils import concurrency

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.rpc.embedded')

flags.DEFINE_string('fake_rabbit_transport', 'filesystem',
                    'transport used with --fake_rabbit: filesystem (reached '
                    'by every process on this machine) or memory (one '
                    'process only)')
flags.DEFINE_string('fake_rabbit_path', '$state_path/rpc',
                    'directory of the filesystem transport of --fake_rabbit')

#: Idle fanout queues whose oldest message is older than this are taken to
#: belong to a process that died without unbinding them.
STALE_FANOUT_SECONDS = 600


def kind():
    """``'filesystem'`` or ``'memory'``."""
    value = (FLAGS.fake_rabbit_transport or 'filesystem').lower()
    if value not in ('filesystem', 'memory'):
        raise ValueError('--fake_rabbit_transport must be filesystem or '
                         'memory, not %r' % value)
    return value


def _folder(*parts):
    path = os.path.join(os.path.abspath(FLAGS.fake_rabbit_path), *parts)
    os.makedirs(path, exist_ok=True)
    return path


def where():
    """A short name of the transport, for log lines."""
    if kind() == 'memory':
        return 'memory'
    return 'filesystem:%s' % os.path.abspath(FLAGS.fake_rabbit_path)


def params():
    """Keyword arguments of :class:`kombu.Connection` for the transport."""
    if kind() == 'memory':
        return {'hostname': 'memory://'}
    queues = _folder('queues')
    control = _folder('control')
    _prune_once(queues, control)
    return {'hostname': 'filesystem://',
            'transport': _transport_class(queues),
            'transport_options': {
                'data_folder_in': queues,
                'data_folder_out': queues,
                'control_folder': control,
                # Only used if someone drains with a timeout; our consumers
                # drain without one and wait on the bell instead.
                'polling_interval': 0.005}}


_transports = {}


def _transport_class(folder):
    """kombu's file-system transport for ``folder``, in publish order.

    kombu names a message file after the millisecond it was written, so two
    messages of one millisecond come out in random order (a multicall's
    replies must not).  Here the name starts with nanoseconds of the
    system-wide monotonic clock, then a per-process sequence number.

    kombu keeps the bindings a process declared in one state per transport
    class and skips declaring a binding it has seen; a class per folder
    keeps two folders (two clouds, or tests) from hiding each other's.
    """
    if folder in _transports:
        return _transports[folder]
    import itertools

    from kombu.transport import filesystem
    from kombu.transport import virtual
    from kombu.utils import json as kombu_json

    sequence = itertools.count()

    class OrderedChannel(filesystem.Channel):
        """Writes each message to a file named in publish order."""

        def _put(self, queue, payload, **kwargs):
            name = '%020d%06d-%s.%s.msg' % (
                time.monotonic_ns(), next(sequence) % 1000000,
                uuid.uuid4().hex, queue)
            folder = self.data_folder_out
            tmp = os.path.join(folder, '.' + name)
            with open(tmp, 'wb') as handle:
                handle.write(kombu_json.dumps(payload).encode('utf-8'))
            # Appear whole: a reader never sees a half-written message.
            os.rename(tmp, os.path.join(folder, name))

    class Transport(filesystem.Transport):
        """The file-system transport with :class:`OrderedChannel`."""

        Channel = OrderedChannel
        global_state = virtual.BrokerState()

    _transports[folder] = Transport
    return Transport


class LocalBell(object):
    """Wakes the consumers of this process when a message was published."""

    def __init__(self):
        self._waiting = []

    def ring(self):
        """Wake every waiting consumer of this process."""
        waiting, self._waiting = self._waiting, []
        for event in waiting:
            if not event.ready():
                event.send(True)

    def wait(self, timeout):
        """Wait until :meth:`ring` or ``timeout`` seconds."""
        event = concurrency.Event()
        self._waiting.append(event)
        with concurrency.Timeout(timeout, False):
            event.wait()


class FileBell(LocalBell):
    """A bell every process using the same ``bells/`` folder hears.

    Each process binds an abstract Unix datagram socket and leaves an empty
    file of the same name in the folder; :meth:`ring` sends one byte to every
    other listed socket (dropping files whose process is gone).  A green
    thread of each process reads its socket and wakes local waiters.
    """

    def __init__(self, folder):
        super(FileBell, self).__init__()
        self.folder = folder
        self.pid = os.getpid()
        self.scope = hashlib.sha1(folder.encode()).hexdigest()[:16]
        self.name = '%d-%s' % (self.pid, uuid.uuid4().hex[:12])
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sock.bind(self._address(self.name))
        open(os.path.join(folder, self.name), 'w').close()
        self._listener = None

    def _address(self, name):
        return '\0nova-rpc/%s/%s' % (self.scope, name)

    def ring(self):
        """Wake local waiters and every other process's consumers."""
        super(FileBell, self).ring()
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return
        for name in names:
            if name == self.name:
                continue
            try:
                self.sock.sendto(b'!', self._address(name))
            except (ConnectionRefusedError, FileNotFoundError):
                self._forget(name)      # its process is gone
            except OSError:
                pass                    # a full buffer: it is awake anyway

    def _forget(self, name):
        try:
            os.unlink(os.path.join(self.folder, name))
        except OSError:
            pass

    def wait(self, timeout):
        """Wait for a ring from any process (or ``timeout`` seconds)."""
        if self._listener is None:
            self._listener = concurrency.spawn(self._listen)
        super(FileBell, self).wait(timeout)

    def _listen(self):
        while True:
            concurrency.wait_readable(self.sock.fileno())
            while True:
                try:
                    self.sock.recv(512)
                except (BlockingIOError, InterruptedError):
                    break
            LocalBell.ring(self)

    def close(self):
        """Stop listening and remove this process's file."""
        if self._listener is not None:
            concurrency.kill(self._listener)
            self._listener = None
        self._forget(self.name)
        self.sock.close()


_bells = {}


def bell():
    """This process's bell for the configured transport."""
    if kind() == 'memory':
        key = 'memory'
    else:
        key = os.path.abspath(FLAGS.fake_rabbit_path)
    found = _bells.get(key)
    if found is not None and getattr(found, 'pid', os.getpid()) != \
            os.getpid():
        found = None                    # inherited across a fork
    if found is None:
        found = LocalBell() if key == 'memory' else FileBell(
            _folder('bells'))
        _bells[key] = found
    return found


_pruned = set()


def _prune_once(queues, control):
    """Once per process: drop fanout queues nobody has read for long.

    An exclusive fanout queue is unbound when its process closes it; one
    whose process was killed stays bound, and every fanout cast would add a
    file to it forever.  Such a queue is recognised by its oldest message
    being older than :data:`STALE_FANOUT_SECONDS`.
    """
    if queues in _pruned:
        return
    _pruned.add(queues)
    now = time.time()
    stale = set()
    try:
        names = os.listdir(queues)
    except OSError:
        return
    for name in names:
        queue = name.partition('.')[2][:-len('.msg')]
        if '_fanout_' not in queue:
            continue
        path = os.path.join(queues, name)
        try:
            if now - os.path.getmtime(path) > STALE_FANOUT_SECONDS:
                stale.add(queue)
        except OSError:
            continue
    if not stale:
        return
    for name in names:
        if name.partition('.')[2][:-len('.msg')] in stale:
            try:
                os.unlink(os.path.join(queues, name))
            except OSError:
                pass
    _unbind(control, stale)
    LOG.info('dropped %d fanout queues of processes that are gone',
             len(stale))


def _unbind(control, queues):
    """Remove ``queues`` from every exchange table in ``control``."""
    import json
    for name in os.listdir(control):
        if not name.endswith('.exchange'):
            continue
        path = os.path.join(control, name)
        try:
            with open(path) as handle:
                table = json.load(handle)
        except (OSError, ValueError):
            continue
        kept = [row for row in table if row[2] not in queues]
        if len(kept) != len(table):
            tmp = '%s.%s.tmp' % (path, uuid.uuid4().hex[:8])
            with open(tmp, 'w') as handle:
                json.dump(kept, handle)
            os.replace(tmp, path)
