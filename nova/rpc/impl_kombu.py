"""RPC over kombu: RabbitMQ, or an embedded transport (``--fake_rabbit``).

Wire layout (as Diablo): a topic exchange ``--control_exchange``; a service
consumes the shared queue ``<topic>`` and ``<topic>.<host>``, both bound
with their own name as routing key, and a fanout exchange ``<topic>_fanout``
through an exclusive auto-delete queue of its own.

Robustness.  A :class:`Connection` remembers every consumer it declared.
When the broker goes away it reconnects with jittered exponential back-off
(``--rabbit_retry_interval`` growing by ``--rabbit_retry_backoff`` up to
``--rabbit_max_retry_interval``) and declares every consumer again on the
new channel; fanout and reply queues get fresh names each time, so an old
exclusive queue the broker has not yet dropped never locks us out.  A
publisher notices a dead connection before using it (and on error),
reconnects and publishes again.  AMQP heartbeats (``--rabbit_heartbeat``)
are checked from the consumer loop and, for idle pooled senders, by the
pool.  After ``--rabbit_max_retries`` failed attempts (0 = forever)
:class:`nova.exception.RpcUnavailable` is raised.

Green threads.  Daemons monkey-patch before importing this module; the
consumer loop then blocks in ``drain_events`` cooperatively.  Without
monkey-patching (tests, tools) the loop polls the socket without blocking
and sleeps through :mod:`nova.utils.concurrency` between polls, so callers
and consumers still share one OS thread.  The embedded transports
(:mod:`nova.rpc.embedded`: kombu's file-system transport, reached by every
process on the machine, or the in-memory one) are always driven that way,
woken at once by the bell a publisher rings.
"""

import contextlib
import random
import select
import socket
import ssl
import time
import uuid

from nova.rpc import kombu_json  # noqa: F401, I001 - before kombu
import kombu
from kombu.utils import url as kombu_url

from nova import exception
from nova import flags
from nova import log as logging
from nova.rpc import amqp
from nova.rpc import common
from nova.rpc import embedded
from nova.rpc import kombu_failover
from nova.rpc.kombu_declare import ConsumerSpec as _ConsumerSpec
from nova.rpc.kombu_declare import has_route as _has_route
from nova.rpc.kombu_declare import may_be_durable as _may_be_durable
from nova.utils import concurrency

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.rpc.impl_kombu')

_POLL_INTERVAL = 0.002      # un-patched socket polling, growing when idle
_POLL_MAX = 0.02
_DRAIN_TIMEOUT = 1.0        # patched blocking drain; heartbeats in between
_MEMORY_IDLE_WAIT = 1.0


def _sockets_are_green():
    return concurrency.is_monkey_patched() or \
        'eventlet' in getattr(socket.socket, '__module__', '')




class Connection(common.Connection):
    """One broker connection, with its consumers and a publisher."""

    def __init__(self, backend=None, confirms=None):
        """``confirms``: wait for publisher confirms (default
        ``--rabbit_confirm_publish``; the reply pool passes False)."""
        self.backend = backend or _backend()
        self.memory = bool(FLAGS.fake_rabbit)
        # Read once: flag look-ups resolve templates on every access.
        self.exchange_name = FLAGS.control_exchange
        self.durable = bool(FLAGS.rabbit_durable_queues)
        self.delivery_mode = 2 if self.durable else 1
        self.prefetch = max(0, int(FLAGS.rpc_prefetch_count or 0))
        self.generation = 0     # bumped by every successful (re)connect
        self._next_heartbeat = 0.0
        self.quorum = bool(FLAGS.rabbit_quorum_queues) and not self.memory
        # The cluster's nodes (one unless --rabbit_hosts): each connection
        # starts at a random one, spreading the clients over the cluster.
        self.urls = [] if self.memory else kombu_failover.broker_urls()
        self._first = random.randrange(len(self.urls)) if self.urls else 0
        self.where = embedded.where() if self.memory else _where(
            self.urls[self._first])
        self.bell = embedded.bell() if self.memory else None
        self.conn = None
        self.channel = None
        self.producer = None
        self.specs = []
        self._pending = []
        self._declared = set()
        self._thread = None
        self._closed = False
        self._callbacks = []
        self._returned = []
        self.confirms = bool(FLAGS.rabbit_confirm_publish
                             if confirms is None else confirms)
        probe = kombu.Connection(**self._params())
        self._error_types = (tuple(probe.connection_errors) +
                             tuple(probe.channel_errors) +
                             (OSError, socket.timeout))
        self._channel_error_types = tuple(probe.channel_errors)
        self.reconnect()

    # -- connecting -----------------------------------------------------
    def _params(self):
        if self.memory:
            return embedded.params()
        return {
            # kombu fails over between the nodes, round-robin.
            'hostname': kombu_failover.rotated(self.urls, self._first),
            'failover_strategy': 'round-robin',
            'ssl': FLAGS.rabbit_use_ssl,
            'transport': 'pyamqp',
            'heartbeat': FLAGS.rabbit_heartbeat or 0,
            'connect_timeout': 5,
            # Each publish waits for the broker's confirmation, so a message
            # the broker did not take raises instead of vanishing.
            'transport_options': {
                'confirm_publish': self.confirms},
        }

    def _connect(self):
        conn = kombu.Connection(**self._params())
        try:
            # Each node once; the back-off is reconnect()'s.
            conn.ensure_connection(max_retries=max(len(self.urls) - 1, 0),
                                   interval_start=0, interval_step=0,
                                   interval_max=0,
                                   reraise_as_library_errors=False)
            if not self.memory:
                self.where = '%s:%s' % (conn.hostname, conn.port)
            channel = conn.channel()
            if self.prefetch:
                channel.basic_qos(0, self.prefetch, False)
            self.conn, self.channel = conn, channel
            # kombu's virtual channels have no basic.return (nor events).
            self.producer = kombu.Producer(
                channel, auto_declare=False,
                on_return=None if self.memory else self._on_return)
            self._declared = set()
            for spec in self.specs:
                spec.declare(channel, self._on_message(spec))
        except BaseException:
            self.conn = self.channel = self.producer = None
            if not self.memory:     # every node was tried
                self.where = ', '.join(_where(url) for url in self.urls)
            _discard(conn)
            raise

    def reconnect(self):
        """(Re)connect, retrying with back-off; re-declare all consumers."""
        if self.conn is not None:
            if len(self.urls) > 1:
                # Lost: try the next node first.
                self._first = (self._node_index() + 1) % len(self.urls)
            _discard(self.conn)
            self.conn = None
        attempt = 0
        while True:
            attempt += 1
            try:
                self._connect()
            except Exception as exc:  # noqa: BLE001 - any failure retries
                if self._closed:
                    raise
                reason = str(exc) or exc.__class__.__name__
                max_retries = FLAGS.rabbit_max_retries
                left = common.time_left()
                if left is not None and left <= 0:
                    raise exception.RpcUnavailable(
                        url=self.where, attempts=attempt,
                        reason=reason) from None
                if max_retries and attempt >= max_retries:
                    LOG.error('AMQP server on %s is unreachable: %s. '
                              'Giving up after %d attempts.',
                              self.where, reason, attempt)
                    raise exception.RpcUnavailable(
                        url=self.where, attempts=attempt,
                        reason=reason) from None
                delay = self._backoff(attempt)
                if left is not None:
                    delay = max(0.05, min(delay, left))
                LOG.error('AMQP server on %s is unreachable: %s. Trying '
                          'again in %.1f seconds (attempt %d).',
                          self.where, reason, delay, attempt)
                concurrency.sleep(delay)
                continue
            self.generation += 1
            if attempt > 1:
                LOG.info('Connected to AMQP server on %s after %d attempts',
                         self.where, attempt)
            return

    def _node_index(self):
        for index, url in enumerate(self.urls):
            if _where(url) == self.where:
                return index
        return self._first

    @staticmethod
    def _backoff(attempt):
        base = max(float(FLAGS.rabbit_retry_interval), 0.1)
        growth = max(float(FLAGS.rabbit_retry_backoff), 1.0)
        cap = max(float(FLAGS.rabbit_max_retry_interval), base)
        delay = min(cap, base * growth ** (attempt - 1))
        return delay * random.uniform(0.5, 1.0)

    def _errors(self):
        return self._error_types

    def _sock(self):
        try:
            return self.conn.connection.sock
        except AttributeError:
            return None

    def _readable(self):
        """Whether the broker sent something we have not read (or closed).

        A non-blocking peek costs one system call; a green ``select`` would
        cost a trip through the hub on every publish.
        """
        sock = self._sock()
        if sock is None:
            return False
        raw = getattr(sock, 'fd', sock)
        if isinstance(raw, ssl.SSLSocket) or \
                raw.gettimeout() not in (None, 0.0):
            readable, _, _ = select.select([sock], [], [], 0)
            return bool(readable)
        try:
            raw.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            pass                # drain_events will raise the real error
        return True

    @contextlib.contextmanager
    def batch(self):
        """Send what is published inside the block in as few TCP segments
        as possible (Linux ``TCP_CORK``), e.g. a reply and its end marker.
        """
        sock = self._sock()
        raw = getattr(sock, 'fd', sock)
        cork = getattr(socket, 'TCP_CORK', None)
        if raw is None or cork is None or isinstance(raw, ssl.SSLSocket):
            yield
            return
        try:
            raw.setsockopt(socket.IPPROTO_TCP, cork, 1)
        except OSError:
            yield
            return
        try:
            yield
        finally:
            try:
                raw.setsockopt(socket.IPPROTO_TCP, cork, 0)
            except OSError:
                pass

    def check_alive(self):
        """Read what the broker sent (heartbeats, a close) while we idled.

        Raises a connection error if the broker closed the connection.
        """
        if self.memory:
            return
        if self.conn is None:
            raise OSError('not connected')
        while self._readable():
            try:
                self.conn.drain_events(timeout=0.05)
            except socket.timeout:
                break

    def can_block_cooperatively(self):
        """Whether a blocking read here lets other green threads run."""
        return not self.memory and _sockets_are_green()

    def has_input(self):
        """Whether the broker sent something not read yet."""
        return not self.memory and self._readable()

    def drain_once(self, timeout):
        """Handle what arrives within ``timeout`` seconds (used by callers
        reading their replies); reconnects if the connection is lost.
        """
        try:
            try:
                self.conn.drain_events(timeout=timeout)
            except socket.timeout:
                pass
            self._heartbeat()
        except self._errors() as exc:
            if self._closed:
                raise
            LOG.error('AMQP connection to %s lost (%s); reconnecting',
                      self.where, str(exc) or exc.__class__.__name__)
            self.reconnect()

    def _heartbeat(self):
        """Send/check AMQP heartbeats, at most every second."""
        now = time.monotonic()
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + 1.0
            self.conn.heartbeat_check()

    def keepalive_interval(self):
        """How often an idle pooled connection needs :meth:`keepalive`."""
        if self.memory or not FLAGS.rabbit_heartbeat:
            return 0
        return max(FLAGS.rabbit_heartbeat / 3.0, 1.0)

    def keepalive(self):
        """Answer heartbeats of an idle connection; reconnect if dead."""
        if self.memory or self._closed:
            return
        try:
            self.check_alive()
            self.conn.heartbeat_check()
        except Exception as exc:  # noqa: BLE001
            LOG.warning('AMQP connection to %s lost while idle (%s); '
                        'reconnecting', self.where, exc)
            self.reconnect()

    # -- consuming ------------------------------------------------------
    def _on_message(self, spec):
        callback = spec.callback
        ack_late = spec.ack_late

        def on_message(message):
            ack = self._acker(message) if ack_late else None
            try:
                data = common.deserialize_msg(message.body)
            except (ValueError, UnicodeDecodeError):
                LOG.error('dropping a message that is not JSON: %r',
                          message.body[:200])
                data = None
            if not isinstance(data, dict):
                if data is not None:
                    LOG.error('dropping a message that is not an object: '
                              '%r', data)
                if ack is not None:
                    ack()
                return
            try:
                if ack is None:
                    callback(data)
                else:
                    callback(data, ack)
            except Exception:  # noqa: BLE001 - keep consuming
                LOG.exception('error handling a message')
                if ack is not None:
                    ack()
        return on_message

    def _acker(self, message):
        """A function acknowledging ``message`` once, if still possible.

        A message delivered on a channel that has since been lost is not
        acknowledged: the broker has put it back in its queue and delivers
        it again (handlers are idempotent).
        """
        done = []

        def ack():
            if done:
                return
            done.append(True)
            if message.channel is not self.channel or self.channel is None:
                LOG.debug('not acknowledging a message of a lost channel; '
                          'the broker delivers it again')
                return
            try:
                message.ack()
            except self._errors() as exc:
                LOG.warning('could not acknowledge a message (%s); the '
                            'broker delivers it again', exc)
        return ack

    def _declare(self, spec):
        if self._thread is not None:
            # The consumer loop owns the channel now; it declares between
            # two reads (within a second) and tells us.
            spec.declared = concurrency.Event()
            self._pending.append(spec)
            if self.memory:
                self.bell.ring()
            spec.declared.wait()
            return
        self.specs.append(spec)
        while True:
            try:
                spec.declare(self.channel, self._on_message(spec))
                return
            except self._errors() as exc:
                LOG.warning('declaring %s on %s failed (%s); reconnecting',
                            spec.queue_name, self.where, exc)
                self.reconnect()   # declares every spec, this one too
                return

    def declare_topic_consumer(self, topic, callback, queue_name=None):
        """Consume ``topic`` from the control exchange (shared queue)."""
        exchange = kombu.Exchange(self.exchange_name, type='topic',
                                  durable=self.durable, auto_delete=False)
        self._declare(_ConsumerSpec(
            queue_name or topic, callback, exchange, routing_key=topic,
            durable=self.durable, auto_delete=False,
            ack_late=getattr(callback, 'acks_late', False),
            probe=not self.memory, quorum=self.quorum))

    def declare_fanout_consumer(self, topic, callback):
        """Consume every message of the ``<topic>_fanout`` exchange."""
        name = '%s_fanout' % topic
        exchange = kombu.Exchange(name, type='fanout', durable=False,
                                  auto_delete=True)
        self._declare(_ConsumerSpec(
            name, callback, exchange, durable=False, auto_delete=True,
            exclusive=True,
            fresh_name=lambda: '%s_%s' % (name, uuid.uuid4().hex)))

    def declare_reply_consumer(self, queue_name, callback):
        """Consume the process's reply queue (default exchange)."""
        self._declare(_ConsumerSpec(queue_name, callback, None,
                                    durable=False, auto_delete=True))

    def create_consumer(self, topic, proxy, fanout=False):
        """Deliver ``topic`` (or its fanout) messages to ``proxy`` methods."""
        callback = amqp.ProxyCallback(self.backend, proxy)
        self._callbacks.append(callback)
        if fanout:
            self.declare_fanout_consumer(topic, callback)
        else:
            self.declare_topic_consumer(topic, callback)

    def consume_in_thread(self):
        """Consume in a green thread; returns it (``kill`` to stop)."""
        if self._thread is None:
            self._thread = concurrency.spawn(self._consume_loop)
        return self._thread

    def consume(self, limit=None):
        """Consume in the calling thread (until closed or ``limit``)."""
        self._consume_loop(limit)

    def _apply_pending(self):
        while self._pending:
            spec = self._pending.pop(0)
            self.specs.append(spec)
            try:
                spec.declare(self.channel, self._on_message(spec))
            finally:
                # On failure the reconnect declares it with all the others.
                if spec.declared is not None and not spec.declared.ready():
                    spec.declared.send(True)

    def _consume_loop(self, limit=None):
        green = _sockets_are_green()
        idle = _POLL_INTERVAL
        while not self._closed:
            try:
                self._apply_pending()
                if self.memory:
                    got = self._drain_memory()
                elif green:
                    got = self._drain_blocking()
                else:
                    got = self._drain_polling()
                    if not got:
                        concurrency.sleep(idle)
                        idle = min(idle * 2, _POLL_MAX)
                    else:
                        idle = _POLL_INTERVAL
                if got and limit is not None:
                    limit -= 1
                    if limit <= 0:
                        return
            except concurrency.GreenletExit:
                raise
            except Exception as exc:  # noqa: BLE001 - reconnect on anything
                if self._closed:
                    return
                LOG.error('AMQP connection to %s lost (%s); reconnecting',
                          self.where, str(exc) or exc.__class__.__name__)
                try:
                    self.reconnect()
                except exception.RpcUnavailable as exc:
                    LOG.error('%s; consumer stopped', exc)
                    return

    def _drain_memory(self):
        got = False
        while not self._closed:
            try:
                self.conn.drain_events(timeout=0)
                got = True
                concurrency.sleep(0)
            except socket.timeout:
                break
        if not got and not self._closed:
            self.bell.wait(_MEMORY_IDLE_WAIT)
        return got

    def _drain_blocking(self):
        try:
            self.conn.drain_events(timeout=_DRAIN_TIMEOUT)
            got = True
        except socket.timeout:
            got = False
        self._heartbeat()
        return got

    def _drain_polling(self):
        got = False
        while self._readable():
            try:
                self.conn.drain_events(timeout=0.05)
                got = True
            except socket.timeout:
                break
        self._heartbeat()
        return got

    # -- publishing -----------------------------------------------------
    def _on_return(self, exc, exchange, routing_key, message):
        """RabbitMQ gave back a ``mandatory`` message nobody consumes."""
        self._returned.append((exchange, routing_key))
        if self.confirms:
            LOG.debug('the broker returned a message to %s/%s: %s',
                      exchange, routing_key, exc)
        else:
            LOG.warning('the broker dropped a message to %s/%s (%s): '
                        'without --rabbit_confirm_publish it cannot be '
                        'kept for later', exchange, routing_key, exc)

    def _publish(self, exchange, routing_key, body, declare=None,
                 persistent=False, mandatory=False):
        """Publish, reconnecting as needed.

        ``mandatory``: raise :class:`common.Unroutable` (nothing was
        delivered) when no queue is bound for ``routing_key``.
        """
        delivery_mode = self.delivery_mode if persistent else 1
        retried_channel_error = False
        while True:
            try:
                self.check_alive()
                if declare is not None:
                    declare()
                if mandatory and self.memory and not _has_route(
                        self.channel, exchange, routing_key):
                    raise common.Unroutable(topic=routing_key,
                                            exchange=exchange)
                self._returned = []
                self.producer.publish(
                    body, exchange=exchange, routing_key=routing_key,
                    content_type='application/json',
                    content_encoding='utf-8', retry=False,
                    delivery_mode=delivery_mode,
                    mandatory=mandatory and not self.memory)
                if self.memory:
                    self.bell.ring()
                elif self._returned and self.confirms:
                    # With publisher confirms the return comes before the
                    # confirm, i.e. before publish() returned.
                    self._returned = []
                    raise common.Unroutable(topic=routing_key,
                                            exchange=exchange)
                return
            except self._errors() as exc:
                if self._closed:
                    raise
                if isinstance(exc, self._channel_error_types):
                    if retried_channel_error:
                        raise
                    retried_channel_error = True
                LOG.warning('publishing to %s failed (%s); reconnecting',
                            self.where, str(exc) or exc.__class__.__name__)
                self.reconnect()

    def _declare_exchange(self, name, kind, durable, auto_delete):
        key = ('exchange', name)
        if key not in self._declared:
            if durable and not self.memory:
                durable = _may_be_durable(self.channel, 'exchange', name,
                                          kind)
            kombu.Exchange(name, type=kind, durable=durable,
                           auto_delete=auto_delete)(self.channel).declare()
            self._declared.add(key)

    def topic_send(self, topic, body):
        """Publish to the control exchange with routing key ``topic``.

        Inside :func:`common.routed` a topic no queue is bound for raises
        :class:`common.Unroutable` instead of being dropped.
        """
        self._publish(self.exchange_name, topic, body, self._declare_topic,
                      persistent=True, mandatory=common.must_route())

    def _declare_topic(self):
        self._declare_exchange(self.exchange_name, 'topic', self.durable,
                               False)

    def fanout_send(self, topic, body):
        """Publish to the ``<topic>_fanout`` exchange."""
        name = '%s_fanout' % topic
        self._publish(name, '', body, lambda: self._declare_exchange(
            name, 'fanout', False, True))

    def notify_send(self, topic, body):
        """Publish a notification; its queue is declared so none is lost."""
        def declare():
            key = ('notify', topic)
            if key not in self._declared:
                durable = self.durable
                if durable and not self.memory:
                    durable = _may_be_durable(self.channel, 'queue', topic)
                exchange = kombu.Exchange(
                    self.exchange_name, type='topic',
                    durable=self.durable and (
                        self.memory or _may_be_durable(
                            self.channel, 'exchange', self.exchange_name)),
                    auto_delete=False)
                kombu.Queue(topic, exchange, routing_key=topic,
                            durable=durable,
                            auto_delete=False,
                            channel=self.channel).declare()
                self._declared.add(key)
        self._publish(self.exchange_name, topic, body, declare,
                      persistent=True)

    def ensure_reply_queue(self, queue_name):
        """Declare the caller's reply queue once per broker connection.

        After a broker restart the queue is gone until the caller's reply
        listener reconnects; declaring it here first means replies sent
        meanwhile wait in it instead of being dropped.
        """
        key = ('reply', queue_name)
        if key in self._declared:
            return

        def declare():
            kombu.Queue(queue_name, '', durable=False, auto_delete=True,
                        channel=self.channel).declare()
            self._declared.add(key)
        self._publish_declare(declare)

    def _publish_declare(self, declare):
        while True:
            try:
                self.check_alive()
                declare()
                return
            except self._errors() as exc:
                if self._closed:
                    raise
                LOG.warning('declaring on %s failed (%s); reconnecting',
                            self.where, exc)
                self.reconnect()

    def queue_send(self, queue_name, body):
        """Publish straight to a queue (default exchange): replies."""
        self._publish('', queue_name, body)

    def direct_send(self, msg_id, body):
        """Publish to the direct exchange ``msg_id`` (Diablo-style reply)."""
        self._publish(msg_id, msg_id, body, lambda: self._declare_exchange(
            msg_id, 'direct', False, True))

    # -- closing --------------------------------------------------------
    def close(self):
        """Stop consuming and close the broker connection.

        Messages being handled get up to ``--rpc_close_timeout`` seconds to
        finish and be acknowledged first; the broker delivers those that
        do not (and any prefetched but not started) again.
        """
        if self._closed:
            return
        self._closed = True
        thread, self._thread = self._thread, None
        if thread is not None:
            concurrency.kill(thread)
        if self._callbacks:
            with concurrency.Timeout(FLAGS.rpc_close_timeout, False):
                self.wait()
        if self.memory and self.channel is not None:
            for spec in self.specs:
                if spec.exclusive or spec.auto_delete:
                    try:
                        self.channel.queue_delete(spec.queue_name)
                    except Exception:  # noqa: BLE001
                        pass
        if self.conn is not None:
            _release(self.conn)
        self.conn = self.channel = self.producer = None

    def wait(self):
        """Block until the messages being handled are done."""
        for callback in self._callbacks:
            callback.wait()


def _where(url):
    """``amqp://user:pw@host:port/vhost`` -> ``host:port`` (for logs)."""
    parts = kombu_url.parse_url(url)
    return '%s:%s' % (parts['hostname'], parts['port'])


def _discard(conn):
    """Drop a connection that may be dead, without a closing handshake."""
    try:
        conn.collect()
    except Exception:  # noqa: BLE001
        pass


def _release(conn):
    try:
        conn.release()
    except Exception:  # noqa: BLE001 - the broker may already be gone
        try:
            conn.collect()
        except Exception:  # noqa: BLE001
            pass


# -- module API (see nova.rpc) --------------------------------------------
_state = {}


def _backend():
    key = embedded.where() if FLAGS.fake_rabbit else 'amqp'
    backend = _state.get(key)
    if backend is None:
        backend = _state[key] = amqp.Backend(Connection)
    return backend


def create_connection(new=True):
    """A new connection for consumers; see :class:`Connection`."""
    return amqp.create_connection(_backend(), new)


def multicall(context, topic, msg, timeout=None):
    """Send a call; return an iterator over the replies."""
    return amqp.multicall(_backend(), context, topic, msg, timeout)


def call(context, topic, msg, timeout=None):
    """Send a call and return its last reply."""
    return amqp.call(_backend(), context, topic, msg, timeout)


def cast(context, topic, msg):
    """Send a message to one consumer of ``topic``."""
    amqp.cast(_backend(), context, topic, msg)


def fanout_cast(context, topic, msg):
    """Send a message to every consumer of ``topic``."""
    amqp.fanout_cast(_backend(), context, topic, msg)


def notify(context, topic, msg):
    """Publish a notification on ``topic``."""
    amqp.notify(_backend(), context, topic, msg)


def cleanup():
    """Close the sender pool and the reply listener."""
    for key in list(_state):
        _state.pop(key).close()
