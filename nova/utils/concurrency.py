"""The one seam between Nova and its green-thread library.

Every module spawns, sleeps, waits and pools through these functions, never
by importing eventlet directly, so that a later move to native threads
touches this file alone.  :func:`monkey_patch` is called once, by the daemon
entry points, before anything else is imported.
"""

import os
import warnings

# eventlet's green DNS resolver pulls in dnspython and, through it,
# cryptography: ~20 MB in every daemon, for lookups that the daemons make
# at connect time only (the broker, the database; mostly addresses).
# Without it name lookups use the C library, as eventlet did in Diablo's
# day; EVENTLET_NO_GREENDNS=no in the environment brings it back.
os.environ.setdefault('EVENTLET_NO_GREENDNS', 'yes')

with warnings.catch_warnings():
    # eventlet warns on import that it is in maintenance mode; the seam below
    # exists so that moving off it later touches this file alone.
    warnings.simplefilter('ignore')
    import eventlet
import greenlet
import eventlet.event
import eventlet.patcher
import eventlet.greenpool
import eventlet.queue
import eventlet.semaphore
import eventlet.timeout

_patched = False


def monkey_patch():
    """Make the standard library cooperative (sockets, threads, time)."""
    global _patched
    if not _patched:
        eventlet.monkey_patch()
        _patched = True


def reset_after_fork():
    """In a forked child: start from a fresh hub of its own.

    The parent's hub (its epoll descriptor, timers and listeners) must not
    be shared with the child; green threads of the parent never run here.
    """
    import eventlet.hubs
    eventlet.hubs.use_hub()


def is_monkey_patched():
    """Whether :func:`monkey_patch` has run in this process."""
    return _patched


def os_thread_id():
    """The id of the OS thread running (not of the green thread)."""
    return eventlet.patcher.original('_thread').get_ident()


def current():
    """The green thread running this code (an identity to compare)."""
    return greenlet.getcurrent()


def spawn(func, *args, **kwargs):
    """Run ``func`` in a new green thread; returns a waitable thread."""
    return eventlet.spawn(func, *args, **kwargs)


def spawn_n(func, *args, **kwargs):
    """Run ``func`` in a new green thread whose result nobody waits for."""
    eventlet.spawn_n(func, *args, **kwargs)


def spawn_after(seconds, func, *args, **kwargs):
    """Run ``func`` in a green thread after ``seconds``."""
    return eventlet.spawn_after(seconds, func, *args, **kwargs)


def sleep(seconds=0):
    """Yield to other green threads for ``seconds``."""
    eventlet.sleep(seconds)


def wait_readable(fileno, timeout=None):
    """Block this green thread until ``fileno`` can be read.

    Returns False if ``timeout`` seconds passed first, True otherwise.
    """
    import eventlet.hubs
    try:
        eventlet.hubs.trampoline(fileno, read=True, timeout=timeout,
                                 timeout_exc=_ReadTimeout)
    except _ReadTimeout:
        return False
    return True


def wait_writable(fileno, timeout=None):
    """Block this green thread until ``fileno`` can be written.

    Returns False if ``timeout`` seconds passed first, True otherwise.
    """
    import eventlet.hubs
    try:
        eventlet.hubs.trampoline(fileno, write=True, timeout=timeout,
                                 timeout_exc=_ReadTimeout)
    except _ReadTimeout:
        return False
    return True


def run_in_os_thread(func, *args):
    """Run ``func(*args)`` in a native thread; this green thread waits for
    its result while the others run (for calls that block in the kernel or
    hash with the GIL released: fsync, large hashlib updates)."""
    import eventlet.tpool
    return eventlet.tpool.execute(func, *args)


def release_os_threads():
    """Stop the native threads of :func:`run_in_os_thread`; the next call
    starts them again, bound to the hub of the thread that makes it (a
    process that runs one hub after another, as tests do, needs this when
    a hub ends)."""
    import eventlet.tpool
    eventlet.tpool.killall()


class _ReadTimeout(Exception):
    """Raised inside :func:`wait_readable` when its timeout passes."""


def kill(thread):
    """Stop a thread started by :func:`spawn`."""
    thread.kill()


Event = eventlet.event.Event
GreenPool = eventlet.greenpool.GreenPool
Queue = eventlet.queue.Queue
LightQueue = eventlet.queue.LightQueue
Empty = eventlet.queue.Empty
Semaphore = eventlet.semaphore.Semaphore
Timeout = eventlet.timeout.Timeout
GreenletExit = greenlet.GreenletExit


def listen(address, backlog=128):
    """A listening socket for a WSGI server."""
    return eventlet.listen(address, backlog=backlog)


def wsgi_server(sock, app, log=None, **kwargs):
    """Serve a WSGI ``app`` on ``sock`` until killed (blocks)."""
    import eventlet.wsgi
    eventlet.wsgi.server(sock, app, log=log, **kwargs)


def wsgi_take_socket(environ):
    """The client socket of a request served by :func:`wsgi_server`,
    taken over by the application (a websocket after its handshake).

    The server then writes no response of its own and closes the
    connection when the application returns.
    """
    import eventlet.wsgi
    sock = environ['eventlet.input'].get_socket()
    eventlet.wsgi.WSGI_LOCAL.already_handled = True
    set_idle = environ.get('eventlet.set_idle')
    if set_idle is not None:
        set_idle()
    return sock


def connect(address, timeout=None):
    """A cooperative TCP connection to ``(host, port)``; connecting gives
    up after ``timeout`` seconds (OSError), reads and writes block."""
    from eventlet.green import socket as green_socket
    sock = green_socket.create_connection(address, timeout=timeout)
    sock.settimeout(None)
    return sock


class LoopingCall(object):
    """Call a function every ``interval`` seconds in a green thread.

    :meth:`stop` ends the loop at once if it is waiting between calls, or
    right after the call in progress otherwise.
    """

    def __init__(self, func, *args, **kwargs):
        self.func = func
        self.args = args
        self.kwargs = kwargs
        self._running = False
        self._in_call = False
        self._done = None
        self._thread = None

    def start(self, interval, initial_delay=None, now=True):
        """Start calling; returns an :class:`Event` fired when stopped."""
        self._running = True
        done = Event()

        def _loop():
            try:
                if initial_delay:
                    sleep(initial_delay)
                elif not now:
                    sleep(interval)
                while self._running:
                    self._in_call = True
                    try:
                        self.func(*self.args, **self.kwargs)
                    except Exception:  # noqa: BLE001 - keep looping
                        import logging
                        logging.getLogger('nova.utils').exception(
                            'in looping call %s', self.func)
                    finally:
                        self._in_call = False
                    if not self._running:
                        break
                    sleep(interval)
            except GreenletExit:
                pass
            finally:
                if not done.ready():
                    done.send(True)

        self._done = done
        self._thread = spawn(_loop)
        return done

    def stop(self):
        """End the loop: now if it is waiting, else after the current call."""
        self._running = False
        if self._thread is not None and not self._in_call:
            self._thread.kill()

    def wait(self):
        """Block until the loop has ended (also if killed before it ran)."""
        if self._thread is None:
            return None
        try:
            return self._thread.wait()
        except GreenletExit:
            return None


class Coalescer(object):
    """Run a refresh at most once for every burst of requests.

    ``run(func)`` returns the result of a call of ``func`` that *started
    after* this request was made, so whatever the caller changed before
    asking is covered.  Calls never overlap.  Requests arriving while a
    call runs wait for it, and then share a single next call: ten requests
    at once cost two calls, not ten.  When that call raises, each request
    it covered raises the same error.
    """

    def __init__(self):
        self._lock = Semaphore(1)
        self._asked = 0         # requests so far
        self._covered = 0       # requests answered by the last call
        self._outcome = None    # (result, error) of the last call

    def run(self, func, *args, **kwargs):
        """``func(*args, **kwargs)``, or the result of a call that started
        after this request (see the class docstring)."""
        self._asked += 1
        ticket = self._asked
        with self._lock:
            if self._covered >= ticket:
                result, error = self._outcome
                if error is not None:
                    raise error
                return result
            covers = self._asked
            try:
                result = func(*args, **kwargs)
            except Exception as error:
                self._covered, self._outcome = covers, (None, error)
                raise
            self._covered, self._outcome = covers, (result, None)
            return result


class Batcher(object):
    """Run the requests that pile up while one runs as a single batch.

    ``submit(item)`` hands ``item`` to ``run_batch(items)``, which returns
    one outcome per item in order: ``(True, result)`` or ``(False,
    error)``.  A request made while nothing runs is run alone at once (no
    added wait); requests made while a batch runs wait for it and then go
    together in the next one, up to ``limit`` items.  Under load, batches
    grow with it: what costs a round trip per request (a statement, a
    transaction) is paid once per batch.

    When ``run_batch`` raises for a batch of several items, each is run
    again alone, so that one bad item fails only its own request.
    """

    def __init__(self, run_batch, limit=200):
        self._run_batch = run_batch
        self._limit = limit
        self._lock = Semaphore(1)
        self._pending = []      # [(item, slot)]; slot: [done, ok, value]

    def submit(self, item):
        """``item``'s result from ``run_batch``, or raise its error."""
        slot = [False, None, None]
        self._pending.append((item, slot))
        with self._lock:
            # The batches before ours, then ours (first in, first run).
            while not slot[0]:
                batch = self._pending[:self._limit]
                del self._pending[:self._limit]
                self._execute(batch)
        if slot[1]:
            return slot[2]
        raise slot[2]

    def _execute(self, batch):
        try:
            outcomes = self._run_batch([item for item, _ in batch])
        except Exception as error:  # noqa: BLE001 - given to its requests
            if len(batch) == 1:
                outcomes = [(False, error)]
            else:
                outcomes = [self._alone(item) for item, _ in batch]
        for (_, slot), (ok, value) in zip(batch, outcomes):
            slot[:] = [True, ok, value]

    def _alone(self, item):
        try:
            return self._run_batch([item])[0]
        except Exception as error:  # noqa: BLE001 - given to its request
            return (False, error)
