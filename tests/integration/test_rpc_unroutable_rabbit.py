"""On RabbitMQ a cast nobody consumes comes back (``basic.return``) and
stays in the outbox, instead of being dropped by the broker.

Uses this machine's broker on 127.0.0.1:5672 with a control exchange and
topics unique to the test; both are deleted afterwards.
"""

import socket
import uuid

import pytest

from nova import context
from nova import db
from nova import flags
from nova import rpc
from nova.rpc import common
from nova.rpc import outbox
from nova.utils import concurrency

FLAGS = flags.FLAGS
pytestmark = [pytest.mark.rabbitmq, pytest.mark.timeout(90)]


def _rabbit_up():
    try:
        socket.create_connection(('127.0.0.1', 5672), timeout=2).close()
        return True
    except OSError:
        return False


class Recorder(object):
    """A manager that remembers what it was asked."""

    def __init__(self):
        self.seen = []

    def record(self, ctxt, value):
        self.seen.append(value)


def _wait(predicate, timeout=15):
    waited = 0.0
    while not predicate():
        if waited >= timeout:
            return False
        concurrency.sleep(0.05)
        waited += 0.05
    return True


@pytest.fixture
def rabbit(set_flags):
    """The real broker, a private exchange; queues removed afterwards."""
    if not _rabbit_up():
        pytest.skip('RabbitMQ is not reachable on 127.0.0.1:5672')
    exchange = 'nova_unroutable_%s' % uuid.uuid4().hex[:10]
    set_flags(fake_rabbit=False, rabbit_host='127.0.0.1', rabbit_port=5672,
              control_exchange=exchange, rpc_response_timeout=20,
              rabbit_confirm_publish=True)
    connections, topics = [], []
    yield connections, topics
    for conn in connections:
        conn.close()
    rpc.cleanup()
    import kombu
    with kombu.Connection(hostname='127.0.0.1', port=5672,
                          userid=FLAGS.rabbit_userid,
                          password=FLAGS.rabbit_password,
                          virtual_host=FLAGS.rabbit_virtual_host) as conn:
        channel = conn.channel()
        for topic in topics:
            try:
                channel.queue_delete(topic)
            except Exception:  # noqa: BLE001 - never declared
                channel = conn.channel()
        try:
            channel.exchange_delete(exchange)
        except Exception:  # noqa: BLE001 - never declared
            pass


def _topic(topics):
    name = 'unroutable_%s' % uuid.uuid4().hex[:10]
    topics.append(name)
    return name


def _consume(connections, topic, manager):
    conn = rpc.create_connection(new=True)
    connections.append(conn)
    conn.create_consumer(topic, manager)
    conn.consume_in_thread()


def test_returned_cast_raises_unroutable_then_is_delivered(rabbit):
    connections, topics = rabbit
    topic = _topic(topics)
    ctxt = context.get_admin_context()
    with pytest.raises(common.Unroutable):
        with common.routed():
            rpc.cast(ctxt, topic, {'method': 'record',
                                   'args': {'value': 'returned'}})
    # The connection is still good for the next publish.
    rpc.cast(ctxt, topic, {'method': 'record', 'args': {'value': 'gone'}})
    manager = Recorder()
    _consume(connections, topic, manager)
    with common.routed():
        rpc.cast(ctxt, topic, {'method': 'record', 'args': {'value': 1}})
    assert _wait(lambda: manager.seen == [1])
    concurrency.sleep(0.3)
    assert manager.seen == [1]


def test_relay_keeps_the_cast_until_the_queue_exists(rabbit, sqlite_db,
                                                     set_flags):
    connections, topics = rabbit
    set_flags(outbox_poll_interval=30)
    topic = _topic(topics)
    ctxt = context.get_admin_context()
    the_relay = outbox.relay()
    the_relay.unrouted.clear()
    try:
        outbox.cast(ctxt, topic, {'method': 'record', 'args': {'value': 7}})
        assert topic in the_relay.unrouted
        concurrency.sleep(1.0)
        assert db.outbox_count(ctxt) == 1       # kept, not counted sent
        manager = Recorder()
        _consume(connections, topic, manager)
        assert _wait(lambda: manager.seen == [7])
        assert _wait(lambda: db.outbox_count(ctxt) == 0)
        concurrency.sleep(0.5)
        assert manager.seen == [7]              # once
    finally:
        outbox.stop_relay()
        the_relay.unrouted.clear()
