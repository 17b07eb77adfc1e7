"""The transactional outbox: casts commit with their rows, are published
after the commit (or by the relay once the broker is back), never lost."""

import datetime
import time

import pytest
from sqlalchemy import update

from nova import context
from nova import db
from nova import rpc
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy import session as db_session
from nova.rpc import outbox
from nova.utils import concurrency


@pytest.fixture
def sent(sqlite_db, monkeypatch):
    got = []
    monkeypatch.setattr(rpc, 'cast', lambda ctxt, topic, msg: got.append(
        (topic, msg['method'], msg.get('args'), ctxt.request_id)))
    return got


@pytest.fixture
def ctxt(sqlite_db):
    return context.get_admin_context()


def _wait(predicate, seconds=5):
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return True
        concurrency.sleep(0.05)
    return predicate()


def test_cast_in_a_transaction_goes_out_after_the_commit(ctxt, sent):
    with db_session.session_scope():
        outbox.cast(ctxt, 'scheduler', {'method': 'a', 'args': {'x': 1}})
        outbox.cast(ctxt, 'scheduler', {'method': 'b', 'args': {}})
        assert sent == []
    assert [(t, m, a) for t, m, a, _r in sent] == [
        ('scheduler', 'a', {'x': 1}), ('scheduler', 'b', {})]
    assert sent[0][3] == ctxt.request_id       # the context travels
    outbox.relay().delete_published()
    assert db.outbox_count(ctxt) == 0


def test_rolled_back_transaction_sends_nothing(ctxt, sent):
    with pytest.raises(RuntimeError):
        with db_session.session_scope():
            outbox.cast(ctxt, 'scheduler', {'method': 'a', 'args': {}})
            raise RuntimeError('the launch failed')
    assert sent == []
    assert db.outbox_count(ctxt) == 0


def test_cast_outside_a_transaction(ctxt, sent):
    outbox.cast(ctxt, 'compute.h1', {'method': 'a', 'args': {}})
    assert [s[:2] for s in sent] == [('compute.h1', 'a')]


def test_broker_away_then_back(ctxt, sent, monkeypatch, set_flags):
    set_flags(outbox_poll_interval=1)
    taken = list(sent)

    def down(*_args):
        raise IOError('connection refused')

    monkeypatch.setattr(rpc, 'cast', down)
    for n in range(3):
        outbox.cast(ctxt, 'scheduler', {'method': 'm%d' % n, 'args': {}})
    assert db.outbox_count(ctxt) == 3
    monkeypatch.setattr(rpc, 'cast', lambda c, t, m: taken.append(
        m['method']))
    assert _wait(lambda: len(taken) == 3)
    assert taken == ['m0', 'm1', 'm2']          # in order
    assert _wait(lambda: db.outbox_count(ctxt) == 0)


def test_messages_of_a_dead_relay_are_taken_over(ctxt, sent):
    db.outbox_add(ctxt, 'scheduler', '{"method": "x", "args": {}}',
                  claimed_by='dead-relay')
    assert db.outbox_claim(ctxt, 'me', stale_after=60) == []
    old = datetime.datetime.utcnow() - datetime.timedelta(seconds=120)
    with db_session.session_scope() as session:
        session.execute(update(models.OutboxMessage).values(claimed_at=old))
    [(row_id, topic, body)] = db.outbox_claim(ctxt, 'me', stale_after=60)
    assert topic == 'scheduler' and '"x"' in body
    assert outbox.relay()._publish([(row_id, topic, body)]) == 1
    assert sent[-1][:2] == ('scheduler', 'x')


def test_outbox_off_casts_directly_after_commit(ctxt, sent, set_flags):
    set_flags(rpc_outbox=False)
    with db_session.session_scope():
        outbox.cast(ctxt, 'scheduler', {'method': 'a', 'args': {}})
        assert sent == []
    assert [s[:2] for s in sent] == [('scheduler', 'a')]
    assert db.outbox_count(ctxt) == 0


# -- calls survive a reconnect ------------------------------------------------
class _FakeConn(object):
    generation = 1


class _FakeWaiter(object):
    """Loses the first request: no reply until it is sent again."""

    def __init__(self):
        self.conn = _FakeConn()
        self.replies = []
        self.unregistered = []

    def get(self, queue, timeout):
        if self.replies:
            return self.replies.pop(0)
        self.conn.generation = 2        # the broker came back meanwhile
        raise concurrency.Empty()

    def unregister(self, msg_id):
        self.unregistered.append(msg_id)


def test_call_is_sent_again_after_a_reconnect():
    from nova.rpc import amqp
    waiter = _FakeWaiter()
    resent = []

    def resend():
        resent.append(True)
        waiter.replies.append({'result': 42, 'ending': True,
                               '_single': True})

    call = amqp.MulticallWaiter(waiter, 'm1', None, 5, 'network',
                                'allocate_for_instance', resend=resend)
    assert list(call) == [42]
    assert resent == [True]


def test_call_without_reply_times_out_within_its_timeout():
    import time
    from nova.rpc import amqp
    waiter = _FakeWaiter()
    call = amqp.MulticallWaiter(waiter, 'm1', None, 0.3, 'compute.h1',
                                'get_console_output', resend=lambda: None)
    start = time.monotonic()
    with pytest.raises(rpc.Timeout):
        list(call)
    assert time.monotonic() - start < 2
    assert waiter.unregistered == ['m1']


# -- a claim outlasted by a slow batch ------------------------------------------
def test_slow_batch_keeps_its_claim_so_no_cast_goes_out_twice(
        ctxt, monkeypatch, set_flags):
    """A relay publishing a batch slowly (a loaded broker, each confirm
    0.4 s) for longer than --outbox_claim_timeout renews its claim as it
    goes: another relay looking meanwhile takes nothing, and every cast
    is published exactly once."""
    set_flags(outbox_claim_timeout=1)
    published = []

    def slow_cast(_ctxt, _topic, msg):
        concurrency.sleep(0.4)
        published.append(msg['method'])

    monkeypatch.setattr(rpc, 'cast', slow_cast)
    for n in range(5):
        db.outbox_add(ctxt, 'scheduler',
                      '{"method": "m%d", "args": {}}' % n)
    first, other = outbox.Relay(), outbox.Relay()
    stop = []

    def other_relay_rounds():
        while not stop:
            other._publish(timeout=10)
            concurrency.sleep(0.05)

    looker = concurrency.spawn(other_relay_rounds)
    try:
        assert first._publish(timeout=10) == 5        # 2 s: twice the claim
    finally:
        stop.append(True)
        looker.wait()
    assert sorted(published) == ['m0', 'm1', 'm2', 'm3', 'm4']
    assert db.outbox_count(ctxt) == 0


def test_relay_skips_rows_another_relay_took_from_it(ctxt, monkeypatch):
    """Rows whose claim another relay took over (this one stalled past the
    claim timeout) are left to that relay, not published a second time."""
    published = []
    monkeypatch.setattr(rpc, 'cast', lambda c, t, m: published.append(
        m['method']))
    ids = [db.outbox_add(ctxt, 'scheduler', '{"method": "m%d", "args": {}}'
                         % n) for n in range(3)]
    stalled = outbox.Relay()
    rows = db.outbox_claim(ctxt, stalled.owner, stale_after=60)
    old = datetime.datetime.utcnow() - datetime.timedelta(seconds=120)
    with db_session.session_scope() as session:
        session.execute(update(models.OutboxMessage).values(claimed_at=old))
    assert len(db.outbox_claim(ctxt, 'the-other', ids=ids[1:],
                               stale_after=60)) == 2
    # claimed two minutes ago as far as this relay knows
    assert stalled._publish(rows, claimed=time.monotonic() - 120) == 1
    assert published == ['m0']


def test_cast_many_writes_them_together_and_sends_them_in_order(ctxt, sent):
    with db_session.session_scope():
        outbox.cast(ctxt, 'scheduler', {'method': 'first', 'args': {}})
        outbox.cast_many(ctxt, [
            ('scheduler', {'method': 'm%d' % n, 'args': {'n': n}})
            for n in range(5)])
        assert sent == [] and db.outbox_count(ctxt) == 6
    assert [s[1] for s in sent] == ['first', 'm0', 'm1', 'm2', 'm3', 'm4']
    assert sent[-1][2] == {'n': 4}
    outbox.relay().delete_published()
    assert db.outbox_count(ctxt) == 0


def test_relay_round_leaves_alone_what_this_process_is_publishing(
        ctxt, monkeypatch):
    """The relay thread's round runs while a handler of the same process
    still publishes its just-committed casts (claimed by the same relay):
    it must not claim and send them a second time (seen as ``Instance N is
    being built already`` on every compute host under the scale bench)."""
    published = []

    def slow_cast(_ctxt, _topic, msg):
        concurrency.sleep(0.2)
        published.append(msg['method'])

    monkeypatch.setattr(rpc, 'cast', slow_cast)
    the_relay = outbox.relay()
    rows = []
    with db_session.session_scope():
        for n in range(3):
            outbox.cast(ctxt, 'compute.h1', {'method': 'm%d' % n,
                                             'args': {}})
        rows = list(db.transaction_info()['outbox_rows'])
        db.transaction_info()['outbox_rows'][:] = []   # published below
    handler = concurrency.spawn(the_relay.publish_now, rows)
    concurrency.sleep(0.1)                  # m0 is on its way
    the_relay._publish(timeout=10)          # the relay thread's round
    handler.wait()
    assert sorted(published) == ['m0', 'm1', 'm2']


def test_relay_round_between_commit_and_publish_sends_nothing_twice(
        ctxt, sent):
    """A relay round that runs after a transaction committed its casts
    but before the committing thread publishes them leaves them to it."""
    the_relay = outbox.relay()
    with db_session.session_scope():
        outbox.cast(ctxt, 'compute.h1', {'method': 'late', 'args': {}})
        rows = list(db.transaction_info()['outbox_rows'])
        db.transaction_info()['outbox_rows'][:] = []   # published below
    the_relay._publish(timeout=10)          # the relay thread's round
    the_relay.publish_now(rows)             # the committing thread
    assert [s[1] for s in sent] == ['late']
