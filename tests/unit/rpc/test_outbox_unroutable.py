"""A cast nobody consumes yet stays in the outbox until a consumer exists.

The embedded transports (in-memory and file system) look the bindings up
before publishing inside ``common.routed()``; the relay keeps what no queue
took, tries that topic again with a growing delay, keeps the order of a
topic's messages and lets other topics through.  RabbitMQ's ``basic.return``
path is covered by tests/integration/test_rpc_unroutable_rabbit.py.
"""

import pytest

from nova import context
from nova import db
from nova import rpc
from nova.rpc import common
from nova.rpc import outbox
from nova.utils import concurrency

pytestmark = pytest.mark.timeout(60)


class Recorder(object):
    """A manager that remembers what it was asked."""

    def __init__(self):
        self.seen = []

    def record(self, ctxt, value):
        self.seen.append(value)


def _consume(connections, topic, manager):
    conn = rpc.create_connection(new=True)
    connections.append(conn)
    conn.create_consumer(topic, manager)
    conn.consume_in_thread()
    return conn


# -- the transport -------------------------------------------------------------
def test_routed_cast_without_a_queue_raises_and_sends_nothing(
        fake_rabbit, topic, wait_for):
    ctxt = context.get_admin_context()
    with pytest.raises(common.Unroutable) as caught:
        with common.routed():
            rpc.cast(ctxt, topic, {'method': 'record',
                                   'args': {'value': 'lost?'}})
    assert topic in str(caught.value)
    # A plain cast (Diablo's) still goes out and is dropped, no error.
    rpc.cast(ctxt, topic, {'method': 'record', 'args': {'value': 'gone'}})
    manager = Recorder()
    _consume(fake_rabbit, topic, manager)
    with common.routed():
        rpc.cast(ctxt, topic, {'method': 'record', 'args': {'value': 1}})
    assert wait_for(lambda: manager.seen == [1])
    concurrency.sleep(0.2)
    assert manager.seen == [1]          # neither 'lost?' nor 'gone'


def test_routed_cast_sees_a_queue_bound_by_another_connection(
        fake_rabbit, topic, wait_for):
    """The binding, not this connection's own declarations, decides."""
    manager = Recorder()
    _consume(fake_rabbit, '%s.host1' % topic, manager)
    ctxt = context.get_admin_context()
    with pytest.raises(common.Unroutable):
        with common.routed():
            rpc.cast(ctxt, '%s.host2' % topic,
                     {'method': 'record', 'args': {'value': 'x'}})
    with common.routed():
        rpc.cast(ctxt, '%s.host1' % topic,
                 {'method': 'record', 'args': {'value': 'y'}})
    assert wait_for(lambda: manager.seen == ['y'])


# -- the relay ---------------------------------------------------------------
@pytest.fixture
def relay(sqlite_db, fake_rabbit):
    the_relay = outbox.relay()
    the_relay.unrouted.clear()
    yield the_relay
    outbox.stop_relay()
    the_relay.unrouted.clear()


def test_relay_keeps_unrouted_casts_until_a_consumer_exists(
        relay, fake_rabbit, topic, wait_for, set_flags):
    set_flags(outbox_poll_interval=30)     # only the retry delay wakes it
    ctxt = context.get_admin_context()
    other = Recorder()
    _consume(fake_rabbit, 'other_%s' % topic, other)
    for value in range(3):
        outbox.cast(ctxt, topic, {'method': 'record',
                                  'args': {'value': value}})
    outbox.cast(ctxt, 'other_%s' % topic, {'method': 'record',
                                          'args': {'value': 'o'}})
    # The other topic went out; the three wait, claimed, in the table.
    assert wait_for(lambda: other.seen == ['o'])
    assert topic in relay.unrouted
    assert wait_for(lambda: db.outbox_count(ctxt) == 3)
    concurrency.sleep(0.6)                  # a few retries, still nobody
    assert db.outbox_count(ctxt) == 3
    assert relay.unrouted[topic][1] > 0.25  # the delay grew
    # A consumer appears: each message exactly once, in order.
    manager = Recorder()
    _consume(fake_rabbit, topic, manager)
    assert wait_for(lambda: manager.seen == [0, 1, 2], timeout=10)
    assert wait_for(lambda: db.outbox_count(ctxt) == 0)
    assert topic not in relay.unrouted
    concurrency.sleep(0.5)
    assert manager.seen == [0, 1, 2]


def test_new_cast_waits_behind_older_unrouted_ones(relay, fake_rabbit,
                                                   topic, wait_for):
    ctxt = context.get_admin_context()
    outbox.cast(ctxt, topic, {'method': 'record', 'args': {'value': 'a'}})
    assert topic in relay.unrouted
    manager = Recorder()
    _consume(fake_rabbit, topic, manager)
    # Routable now, but 'a' is older: 'b' must not overtake it.
    outbox.cast(ctxt, topic, {'method': 'record', 'args': {'value': 'b'}})
    assert wait_for(lambda: len(manager.seen) == 2, timeout=10)
    assert manager.seen == ['a', 'b']


def test_retry_delay_doubles_up_to_its_cap(relay):
    for _ in range(10):
        relay._not_consumed('nobody')
    assert relay.unrouted['nobody'][1] == outbox._MAX_RETRY
    assert relay._topics_to_skip() == ['nobody']
    relay._consumed('nobody')
    assert relay._topics_to_skip() == [] and relay._next_retry() is None


def test_claim_skips_topics_not_yet_due(sqlite_db):
    ctxt = context.get_admin_context()
    first = db.outbox_add(ctxt, 'scheduler', '{}')
    second = db.outbox_add(ctxt, 'compute.h1', '{}')
    rows = db.outbox_claim(ctxt, 'me', skip_topics=['scheduler'])
    assert [r[0] for r in rows] == [second]
    rows = db.outbox_claim(ctxt, 'me')
    assert [r[0] for r in rows] == [first, second]


def test_a_pile_for_a_missing_consumer_does_not_starve_others(
        relay, fake_rabbit, topic, wait_for, monkeypatch, set_flags):
    """More waiting messages than a batch holds, all to a topic nobody
    consumes, ahead of one left over for a consumer that exists."""
    set_flags(outbox_poll_interval=30)
    monkeypatch.setattr(outbox, '_BATCH', 5)
    ctxt = context.get_admin_context()
    envelope = '{"method": "record", "args": {"value": %d}}'
    for value in range(12):
        db.outbox_add(ctxt, 'nobody_%s' % topic, envelope % value)
    db.outbox_add(ctxt, topic, envelope % 99)
    manager = Recorder()
    _consume(fake_rabbit, topic, manager)
    outbox.start_relay()
    assert wait_for(lambda: manager.seen == [99], timeout=5)
    assert db.outbox_count(ctxt) == 12
