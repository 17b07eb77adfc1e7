"""Call, cast and dispatch logic shared by the AMQP-style backends.

A backend supplies a connection class (see :mod:`nova.rpc.impl_kombu`) whose
instances can publish (``topic_send``, ``fanout_send``, ``queue_send``,
``direct_send``, ``notify_send``) and consume (``declare_topic_consumer``,
``declare_fanout_consumer``, ``declare_reply_consumer``,
``consume_in_thread``).  This module adds what is the same for every such
transport: the sender connection pool, the per-process reply queue, the
proxy dispatcher and the call/multicall waiting.

Replies.  Diablo declared a direct exchange named by ``_msg_id`` for every
call; measured on RabbitMQ that makes a call about six times slower than a
plain request/reply.  A caller here keeps one reply queue per process and
sends its name as ``_reply_q`` next to ``_msg_id``; the server publishes the
replies to that queue through the default exchange, each reply carrying
``_msg_id`` so the caller can route it to the waiting call.  A request
without ``_reply_q`` (a Diablo-era caller) is answered the old way, on the
direct exchange named by ``_msg_id``.

Over ``_reply_q`` a method that is not a generator is answered with a
single message, the end marker carrying the result and ``"_single": true``
(``{"result": v, "failure": null, "ending": true, "_single": true}``); one
message fewer per call.  Generators are answered as in Diablo: one message
per value, then ``{"result": null, "failure": null, "ending": true}``.
"""

import contextlib
import time
import uuid

from nova import exception
from nova import flags
from nova import log as logging
from nova.rpc import common
from nova.utils import concurrency

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.rpc.amqp')


class ConnectionPool(object):
    """At most ``rpc_conn_pool_size`` sender connections, reused.

    Idle connections are kept alive (heartbeats answered, dead ones
    noticed) by a green thread every few seconds.
    """

    def __init__(self, factory, max_size=None):
        self.factory = factory
        self.max_size = max_size or FLAGS.rpc_conn_pool_size
        self._free = []
        self._all = []
        self._sem = concurrency.Semaphore(self.max_size)
        self._closed = False
        self._keepalive = None
        self.tended = []        # more things to keep alive, e.g. replies

    @contextlib.contextmanager
    def item(self):
        """A connection for the duration of a ``with`` block."""
        self._sem.acquire()
        try:
            if self._free:
                conn = self._free.pop()
            else:
                conn = self.factory()
                self._all.append(conn)
                self._start_keepalive(conn)
            try:
                yield conn
            finally:
                if self._closed:
                    conn.close()
                else:
                    self._free.append(conn)
        finally:
            self._sem.release()

    def _start_keepalive(self, conn):
        interval = conn.keepalive_interval()
        if self._keepalive is None and interval:
            self._keepalive = concurrency.LoopingCall(self._tend)
            self._keepalive.start(interval, now=False)

    def _tend(self):
        idle, self._free = self._free, []
        try:
            for conn in idle:
                conn.keepalive()
        finally:
            self._free.extend(idle)
        for other in self.tended:
            other.keepalive()

    def close(self):
        """Close every idle connection; busy ones close when returned."""
        self._closed = True
        if self._keepalive is not None:
            self._keepalive.stop()
        for conn in self._free:
            conn.close()
        self._free = []


_TAKE_OVER = object()
_FOLLOWER_SLICE = 0.5


class ReplyWaiter(object):
    """The per-process reply queue and the calls waiting on it.

    Where the connection can block cooperatively (monkey-patched sockets),
    the waiting callers read the reply connection themselves, one at a
    time (leader/followers): the leader drains until its own reply is in,
    handing every other reply to its caller's queue, then passes the lead
    on.  That saves a green-thread hop per call.  Idle, the pool's
    keep-alive answers heartbeats and notices a dead broker.  Elsewhere (the
    in-memory transport, un-patched processes) a green thread consumes and
    callers wait on their queues.
    """

    def __init__(self, connection_class):
        self.queue_name = 'reply_%s' % uuid.uuid4().hex
        self._waiters = {}
        self._draining = False
        self._followers = []
        self.conn = connection_class()
        self.conn.declare_reply_consumer(self.queue_name, self._on_reply)
        self.callers_drain = self.conn.can_block_cooperatively()
        if not self.callers_drain:
            self.conn.consume_in_thread()

    def register(self, msg_id):
        """A queue that will receive the replies to ``msg_id``."""
        queue = concurrency.LightQueue()
        self._waiters[msg_id] = queue
        return queue

    def unregister(self, msg_id):
        """Forget ``msg_id``; later replies to it are dropped."""
        self._waiters.pop(msg_id, None)

    def _on_reply(self, data):
        queue = self._waiters.get(data.get('_msg_id'))
        if queue is None:
            LOG.debug('dropping reply to %s: nobody waits for it',
                      data.get('_msg_id'))
            return
        queue.put(data)

    def get(self, queue, timeout):
        """The next reply in ``queue``; :class:`concurrency.Empty` if none
        comes within ``timeout`` seconds (None: no limit).
        """
        if not self.callers_drain:
            return queue.get(timeout=timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if queue.qsize():
                item = queue.get_nowait()
                if item is not _TAKE_OVER:
                    return item
            if not self._draining:
                return self._lead(queue, deadline)
            wait = _FOLLOWER_SLICE
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    raise concurrency.Empty()
            self._followers.append(queue)
            try:
                item = queue.get(timeout=wait)
            except concurrency.Empty:
                continue
            finally:
                if queue in self._followers:
                    self._followers.remove(queue)
            if item is not _TAKE_OVER:
                return item

    def _lead(self, queue, deadline):
        self._draining = True
        try:
            while True:
                while queue.qsize():
                    item = queue.get_nowait()
                    if item is not _TAKE_OVER:
                        return item
                wait = 1.0
                if deadline is not None:
                    wait = min(wait, deadline - time.monotonic())
                    if wait <= 0:
                        raise concurrency.Empty()
                self.conn.drain_once(wait)
        finally:
            self._draining = False
            if self._followers:
                self._followers.pop(0).put(_TAKE_OVER)

    def keepalive(self):
        """Tend the reply connection while no caller reads it."""
        if self.callers_drain and not self._draining:
            self._draining = True
            try:
                self.conn.keepalive()
                while self.conn.has_input():
                    self.conn.drain_once(0.05)
            finally:
                self._draining = False
                if self._followers:
                    self._followers.pop(0).put(_TAKE_OVER)

    def close(self):
        """Stop listening for replies."""
        self.conn.close()


class Backend(object):
    """Process-wide state of one backend: the pools and the reply waiter.

    Replies go out through a pool of their own whose connections publish
    without waiting for the broker's confirmation: a reply is a transient
    message to the caller's exclusive queue, which a broker that fails
    loses anyway, and the caller sends its request again when its reply
    connection comes back (:class:`MulticallWaiter`).  Waiting for the
    confirm would delay the acknowledgement of the request, and with it the
    caller's own confirm, by a round trip to the broker.
    """

    def __init__(self, connection_class):
        self.connection_class = connection_class
        self.pool = ConnectionPool(connection_class)
        self.reply_pool = ConnectionPool(
            lambda: connection_class(confirms=False))
        self._reply_waiter = None
        self._waiter_lock = concurrency.Semaphore(1)

    def reply_waiter(self):
        """The reply waiter, started on first use."""
        if self._reply_waiter is None:
            with self._waiter_lock:
                if self._reply_waiter is None:
                    waiter = ReplyWaiter(self.connection_class)
                    if waiter.callers_drain:
                        self.pool.tended.append(waiter)
                    self._reply_waiter = waiter
        return self._reply_waiter

    def close(self):
        """Close the pools and the reply listener."""
        self.pool.close()
        self.reply_pool.close()
        if self._reply_waiter is not None:
            self._reply_waiter.close()
            self._reply_waiter = None
            self.pool.tended = []


class ProxyCallback(object):
    """Turns incoming messages into calls on ``proxy`` in green threads.

    Work is delivered at least once: the message is acknowledged (``ack``,
    given by the connection) only when its handler has finished and its
    reply is sent, so a message whose consumer dies meanwhile is delivered
    again, to another consumer or to this one after a restart.
    """

    acks_late = True

    def __init__(self, backend, proxy):
        self.backend = backend
        self.proxy = proxy
        self.pool = concurrency.GreenPool(FLAGS.rpc_thread_pool_size)

    def __call__(self, data, ack=None):
        """Handle one decoded message (a dict); ``ack()`` when done."""
        msg_id = data.pop('_msg_id', None)
        reply_q = data.pop('_reply_q', None)
        try:
            context = common.unpack_context(data)
        except Exception:  # noqa: BLE001 - a bad context must not kill us
            LOG.exception('malformed context in message %s', data)
            context = common.unpack_context({})
        method = data.get('method')
        args = data.get('args') or {}
        self.pool.spawn_n(self._process, context, method, args, msg_id,
                          reply_q, ack)

    def _process(self, context, method, args, msg_id, reply_q, ack=None):
        try:
            self._handle(context, method, args, msg_id, reply_q)
        finally:
            if ack is not None:
                ack()

    def _handle(self, context, method, args, msg_id, reply_q):
        try:
            rval = common.dispatch(self.proxy, context, method, args)
            if msg_id is None:
                if common.is_generator(rval):
                    for _ in rval:
                        pass
                return
            with self.backend.reply_pool.item() as conn:
                if common.is_generator(rval):
                    for value in rval:
                        self._reply(conn, msg_id, reply_q, value)
                    self._reply(conn, msg_id, reply_q, None, ending=True)
                elif reply_q:
                    self._reply(conn, msg_id, reply_q, rval, ending=True,
                                single=True)
                else:
                    with conn.batch():
                        self._reply(conn, msg_id, reply_q, rval)
                        self._reply(conn, msg_id, reply_q, None,
                                    ending=True)
        except Exception:  # noqa: BLE001 - reported to the caller
            failure = common.serialize_failure()
            LOG.error('Exception during message handling (%s):\n%s',
                      method, ''.join(failure[2]).rstrip(), context=context)
            if msg_id is not None:
                try:
                    with self.backend.reply_pool.item() as conn:
                        self._reply(conn, msg_id, reply_q, None,
                                    failure=failure)
                except Exception:  # noqa: BLE001
                    LOG.exception('could not send the failure of %s', method)

    @staticmethod
    def _reply(conn, msg_id, reply_q, result, failure=None, ending=False,
               single=False):
        msg = {'result': result, 'failure': failure, 'ending': ending,
               '_msg_id': msg_id}
        if single:
            msg['_single'] = True
        try:
            body = common.serialize_msg(msg)
        except (TypeError, ValueError):
            failure = common.serialize_failure()
            body = common.serialize_msg({'result': None, 'failure': failure,
                                         'ending': False, '_msg_id': msg_id})
        if reply_q:
            conn.queue_send(reply_q, body)
        else:
            conn.direct_send(msg_id, body)

    def wait(self):
        """Block until every message being handled is done."""
        self.pool.waitall()


_RESEND_CHECK = 1.0


class MulticallWaiter(object):
    """Iterates over the replies to one call as they arrive.

    A call survives a broker restart: when the reply connection had to
    reconnect while no reply had come yet (the request or its reply may
    have been lost with the broker), the request is sent again once the
    connection is back (``resend``); handlers are idempotent, and a second
    reply is dropped.  ``timeout`` bounds the whole wait for each reply.
    """

    def __init__(self, waiter, msg_id, queue, timeout, topic, method,
                 resend=None):
        self._waiter = waiter
        self._msg_id = msg_id
        self._queue = queue
        self._timeout = timeout
        self._topic = topic
        self._method = method
        self._done = False
        self._resend = resend
        self._replied = False
        self._generation = self._reply_generation()

    def _reply_generation(self):
        return getattr(getattr(self._waiter, 'conn', None), 'generation', 0)

    def __iter__(self):
        return self

    def _get(self):
        deadline = None if self._timeout is None else \
            time.monotonic() + self._timeout
        while True:
            wait = _RESEND_CHECK
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    raise concurrency.Empty()
            try:
                return self._waiter.get(self._queue, wait)
            except concurrency.Empty:
                pass
            generation = self._reply_generation()
            if generation != self._generation and not self._replied and \
                    self._resend is not None:
                self._generation = generation
                LOG.warning('sending %s to %s again: the connection to '
                            'the broker was lost while waiting for its '
                            'reply', self._method, self._topic)
                left = None if deadline is None else \
                    deadline - time.monotonic()
                try:
                    with common.deadline(left):
                        self._resend()
                except Exception as exc:  # noqa: BLE001 - times out below
                    LOG.warning('could not send %s again: %s',
                                self._method, exc)

    def __next__(self):
        if self._done:
            raise StopIteration
        try:
            data = self._get()
        except concurrency.Empty:
            self.close()
            raise common.Timeout(topic=self._topic, method=self._method)
        self._replied = True
        if data.get('failure'):
            self.close()
            raise common.deserialize_failure(data['failure'])
        if data.get('ending'):
            self.close()
            if not data.get('_single'):
                raise StopIteration
        return data.get('result')

    next = __next__

    def close(self):
        """Stop waiting; later replies are dropped."""
        if not self._done:
            self._done = True
            self._waiter.unregister(self._msg_id)

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


def _envelope(context, msg):
    msg = dict(msg)
    common.pack_context(msg, context)
    return msg


def create_connection(backend, new=True):
    """A new consuming connection (``new`` kept for Diablo's signature)."""
    return backend.connection_class(backend=backend)


def multicall(backend, context, topic, msg, timeout=None):
    """Send a call to ``topic``; return an iterator over its replies.

    ``timeout`` bounds the wait for each reply (default
    ``--rpc_response_timeout``; 0 waits forever) and raises
    :class:`common.Timeout`.  The request is sent before this returns.
    """
    if timeout is None:
        timeout = FLAGS.rpc_response_timeout
    timeout = timeout or None
    try:
        with common.deadline(timeout):
            waiter = backend.reply_waiter()
    except exception.RpcUnavailable:
        raise common.Timeout(topic=topic, method=msg.get('method'))
    msg_id = uuid.uuid4().hex
    msg = _envelope(context, msg)
    msg['_msg_id'] = msg_id
    msg['_reply_q'] = waiter.queue_name
    body = common.serialize_msg(msg)
    queue = waiter.register(msg_id)

    def send():
        with backend.pool.item() as conn:
            conn.ensure_reply_queue(waiter.queue_name)
            conn.topic_send(topic, body)

    try:
        # A broker that stays away fails the call within its timeout.
        with common.deadline(timeout):
            send()
    except exception.RpcUnavailable:
        waiter.unregister(msg_id)
        raise common.Timeout(topic=topic, method=msg.get('method'))
    except BaseException:
        waiter.unregister(msg_id)
        raise
    return MulticallWaiter(waiter, msg_id, queue, timeout, topic,
                           msg.get('method'), resend=send)


def call(backend, context, topic, msg, timeout=None):
    """Send a call and return its last reply."""
    last = None
    for value in multicall(backend, context, topic, msg, timeout):
        last = value
    return last


def cast(backend, context, topic, msg):
    """Send a message to one consumer of ``topic``; no reply."""
    body = common.serialize_msg(_envelope(context, msg))
    with backend.pool.item() as conn:
        conn.topic_send(topic, body)


def fanout_cast(backend, context, topic, msg):
    """Send a message to every consumer of ``topic``'s fanout exchange."""
    body = common.serialize_msg(_envelope(context, msg))
    with backend.pool.item() as conn:
        conn.fanout_send(topic, body)


def notify(backend, context, topic, msg):
    """Publish a notification on ``topic`` (kept in a queue until read)."""
    body = common.serialize_msg(_envelope(context, msg))
    with backend.pool.item() as conn:
        conn.notify_send(topic, body)
