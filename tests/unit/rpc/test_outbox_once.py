"""Each cast of the outbox is published once under normal conditions.

The scale bench (200 instances on 10 hosts) showed ``Instance N is being
built already`` on the compute hosts for about one instance in six: the
scheduler's relay thread published again ``run_instance`` casts that a
handler of the same process had just published.  Its round decided which
rows to leave alone *before* its claim query ran; the query waits for the
database (a connection of the pool, the server's answer) and meanwhile
the handler finished publishing (or began deleting) the very rows the
claim then returned.  These tests hold the round's query (or the
handler's delete) at that point, as the loaded machine did.
"""

import pytest

from nova import context
from nova import db
from nova import rpc
from nova.rpc import outbox
from nova.utils import concurrency


@pytest.fixture
def sent(sqlite_db, monkeypatch):
    got = []
    monkeypatch.setattr(rpc, 'cast', lambda ctxt, topic, msg: got.append(
        msg['method']))
    return got


@pytest.fixture
def ctxt(sqlite_db):
    return context.get_admin_context()


@pytest.fixture
def relay_thread(sqlite_db, set_flags):
    """This process's relay with its thread started (as in a daemon): what
    a handler published waits in ``published`` for the thread's delete."""
    set_flags(outbox_poll_interval=600)
    the_relay = outbox.relay()
    the_relay.start()
    return the_relay


def test_round_whose_claim_is_overtaken_by_a_cast(ctxt, sent, relay_thread,
                                                 monkeypatch):
    """A handler writes, commits and publishes a cast while the round's
    claim query waits: the claim returns that row (committed, claimed by
    this same relay, and not known to the round when it began); it was
    sent by the handler, so it is not sent again."""
    claim = db.outbox_claim

    def claim_after_a_cast(*args, **kwargs):
        with db.session_scope():            # the handler, meanwhile
            outbox.cast(ctxt, 'compute.h1', {'method': 'run_instance',
                                             'args': {}})
        return claim(*args, **kwargs)

    monkeypatch.setattr(db, 'outbox_claim', claim_after_a_cast)
    relay_thread._publish(timeout=10)           # the relay thread's round
    assert sent == ['run_instance']
    monkeypatch.setattr(db, 'outbox_claim', claim)
    relay_thread.delete_published()
    assert db.outbox_count(ctxt) == 0


def test_round_while_published_rows_are_being_deleted(ctxt, sent,
                                                      relay_thread,
                                                      monkeypatch):
    """A round that runs while the delete of published rows waits for the
    database (another green thread's, or a handler's transaction not yet
    committed) leaves those rows alone: their delete is under way."""
    outbox.cast(ctxt, 'compute.h1', {'method': 'run_instance', 'args': {}})
    assert sent == ['run_instance']
    assert relay_thread.published                # not deleted yet
    delete = db.outbox_delete

    def delete_after_a_round(*args, **kwargs):
        relay_thread._publish(timeout=10)       # another round, meanwhile
        return delete(*args, **kwargs)

    monkeypatch.setattr(db, 'outbox_delete', delete_after_a_round)
    relay_thread.delete_published()
    assert sent == ['run_instance']
    assert db.outbox_count(ctxt) == 0
    assert relay_thread.published == []


def test_a_cast_leaves_the_delete_to_the_relay_thread(ctxt, sent,
                                                      relay_thread):
    """A handler's cast does not delete what was published in its own
    transaction (row locks held until its commit, and a rollback would
    leave the rows behind); the relay thread deletes them."""
    outbox.cast(ctxt, 'compute.h1', {'method': 'run_instance', 'args': {}})
    with db.session_scope():
        outbox.cast(ctxt, 'compute.h2', {'method': 'next', 'args': {}})
    assert sent == ['run_instance', 'next']
    assert db.outbox_count(ctxt) == 2
    relay_thread._drain()                        # a round: nothing to send
    assert sent == ['run_instance', 'next']
    relay_thread.delete_published()
    assert db.outbox_count(ctxt) == 0


def test_published_rows_whose_delete_rolled_back_are_deleted_later(
        ctxt, sent, relay_thread):
    """A transaction that deleted published rows and then rolled back
    leaves them in the table: they are deleted again, never re-sent."""
    outbox.cast(ctxt, 'compute.h1', {'method': 'run_instance', 'args': {}})
    with pytest.raises(RuntimeError):
        with db.session_scope():
            relay_thread.delete_published()     # as the next cast does
            raise RuntimeError('the handler failed')
    assert db.outbox_count(ctxt) == 1            # the delete rolled back
    relay_thread._drain()                         # a round
    relay_thread.delete_published()
    assert sent == ['run_instance']
    assert db.outbox_count(ctxt) == 0


def test_relay_woken_to_delete_claims_nothing(ctxt, sent, relay_thread,
                                             monkeypatch):
    """What handlers published is deleted by the relay thread without a
    claim query each time (one round trip per cast); a plain wake (the
    broker is back, a process starts) still looks at the table."""
    claims = []
    claim = db.outbox_claim

    def counted_claim(*args, **kwargs):
        claims.append(True)
        return claim(*args, **kwargs)

    monkeypatch.setattr(db, 'outbox_claim', counted_claim)
    for n in range(3):
        with db.session_scope():
            outbox.cast(ctxt, 'compute.h1', {'method': 'm%d' % n,
                                             'args': {}})
    assert sent == ['m0', 'm1', 'm2']
    for _ in range(200):                        # the thread's round(s)
        if not db.outbox_count(ctxt):
            break
        concurrency.sleep(0.02)
    assert db.outbox_count(ctxt) == 0
    assert claims == []
    relay_thread.wake()
    for _ in range(200):
        if claims:
            break
        concurrency.sleep(0.02)
    assert claims
