"""Declaring what a kombu connection consumes, durable where possible.

:class:`ConsumerSpec` remembers one consumer (queue, binding, callback) so
that :mod:`nova.rpc.impl_kombu` can declare it again after a reconnect;
:func:`may_be_durable` tells whether a queue or exchange can be declared
durable on RabbitMQ; :func:`has_route` whether a message would reach a
queue on an embedded (kombu virtual) transport.
"""

import logging

from nova.rpc import kombu_json  # noqa: F401, I001 - before kombu
import kombu
from amqp import exceptions as amqp_exceptions

from nova.rpc import kombu_failover

LOG = logging.getLogger('nova.rpc.impl_kombu')


_durability = {}


def may_be_durable(channel, kind, name, exchange_type='topic'):
    """Whether ``name`` (a queue or exchange) can be declared durable.

    One left by a Diablo-style deployment (or an older release) as
    transient makes a durable declaration fail with PRECONDITION_FAILED
    and close the channel; it is probed on a throwaway channel first, and
    then used as it is (with a warning) rather than never consumed.
    """
    key = (kind, name)
    known = _durability.get(key)
    if known is not None:
        return known
    probe = channel.connection.channel()
    try:
        if kind == 'queue':
            probe.queue_declare(queue=name, durable=True, auto_delete=False)
        else:
            probe.exchange_declare(exchange=name, type=exchange_type,
                                   durable=True, auto_delete=False)
        allowed = True
    except amqp_exceptions.PreconditionFailed:
        LOG.warning('the %s %s exists and is not durable: using it as it '
                    'is (its messages do not survive a broker restart); '
                    'delete it to make it durable', kind, name)
        allowed = False
    finally:
        try:
            probe.close()
        except Exception:  # noqa: BLE001 - closed by the broker already
            pass
    _durability[key] = allowed
    return allowed


def has_route(channel, exchange, routing_key):
    """Whether a queue is bound for ``routing_key`` on ``exchange``.

    For kombu's virtual transports (in-memory, file system), whose
    exchanges silently drop what matches no binding.  The file-system
    transport reads the bindings every process wrote, so a consumer in
    another process counts.
    """
    if not exchange:
        return True                 # the default exchange: a queue name
    try:
        table = channel.get_table(exchange)
    except KeyError:
        return False
    kind = channel.typeof(exchange, default='topic')
    try:
        found = kind.lookup(table, exchange, routing_key, None)
    except KeyError:
        return False
    return bool(found)


class ConsumerSpec(object):
    """One consumer to (re)declare: queue, its binding and its callback."""

    def __init__(self, queue_name, callback, exchange=None,
                 routing_key=None, durable=False, auto_delete=False,
                 exclusive=False, fresh_name=None, ack_late=False,
                 probe=False, quorum=False):
        self.queue_name = queue_name
        self.quorum = quorum        # see kombu_failover.quorum_allowed
        self.ack_late = ack_late
        self.probe = probe          # RabbitMQ: see _may_be_durable
        self.callback = callback
        self.exchange = exchange
        self.routing_key = routing_key
        self.durable = durable
        self.auto_delete = auto_delete
        self.exclusive = exclusive
        self.fresh_name = fresh_name
        self.consumer = None
        self.declared = None

    def declare(self, channel, on_message):
        """Declare the queue (and binding) on ``channel`` and consume.

        An ``ack_late`` consumer acknowledges each message only once its
        handler has finished (see :meth:`Connection._on_message`).
        """
        if self.fresh_name is not None:
            self.queue_name = self.fresh_name()
        durable, exchange = self.durable, self.exchange
        arguments = None
        if self.quorum and kombu_failover.quorum_allowed(channel,
                                                         self.queue_name):
            durable, arguments = True, dict(kombu_failover.QUORUM_ARGUMENTS)
        elif durable and self.probe:
            durable = may_be_durable(channel, 'queue', self.queue_name)
            if exchange is not None and exchange.durable and \
                    not may_be_durable(channel, 'exchange', exchange.name,
                                        exchange.type):
                exchange = kombu.Exchange(exchange.name, type=exchange.type,
                                          durable=False, auto_delete=False)
        queue = kombu.Queue(self.queue_name, exchange or '',
                            routing_key=self.routing_key or '',
                            durable=durable,
                            auto_delete=self.auto_delete,
                            exclusive=self.exclusive,
                            queue_arguments=arguments, channel=channel)
        queue.declare()
        self.consumer = kombu.Consumer(channel, queues=[queue],
                                       no_ack=not self.ack_late,
                                       auto_declare=False,
                                       on_message=on_message)
        self.consumer.consume()
