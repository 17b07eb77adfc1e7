"""Casts committed with the database rows they concern (transactional outbox).

``outbox.cast(context, topic, msg)`` inside a ``db.session_scope()`` writes
the message into the ``outbox`` table in the same transaction as the rows
(an instance and the request to build it exist together or not at all).
Once the transaction commits, the message is published at once if the
broker is known to be reachable (bounded by ``--outbox_publish_timeout``),
else it is left to the relay, so the API answers in milliseconds while the
broker is away.

The relay (:func:`start_relay`; nova-api and every daemon that casts run
one) claims waiting messages, publishes them through :func:`nova.rpc.cast`
(persistent, with publisher confirms on RabbitMQ) and deletes them.  A
message is deleted only after the broker took it, so it may be published
twice (a relay dies between the two) but is never lost; handlers are
idempotent.  A relay still publishing a slow batch renews its claim every
quarter of ``--outbox_claim_timeout`` (and leaves alone any message another
relay took over meanwhile), so a live relay's messages are not taken as a
dead one's and sent twice.  Its rounds leave alone the messages this
process is publishing, or has published and not yet deleted (looked at
again once the claim query returned: handlers publish meanwhile), so one
process sends each message once.  ``--rpc_outbox=false`` publishes
directly, as Diablo did.

A message is deleted only once a queue took it, not merely the broker: it
is published ``mandatory`` (see :func:`nova.rpc.common.routed`), and one
nobody consumes yet (the scheduler has not declared its queue: it is
still starting, or not started at all) stays in the outbox.  Its topic is
tried again after 0.25 s, then twice as long each time up to 5 s; later
messages to that topic wait behind it (they keep their order), messages
to other topics go on.  Nothing is lost and, as before, a message is
published again only if a relay dies between publishing and deleting it.
"""

import logging
import os
import socket
import time
import uuid

from nova import db
from nova import flags
from nova import rpc
from nova.rpc import common
from nova.utils import concurrency

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.rpc.outbox')

flags.DEFINE_bool('rpc_outbox', True,
                  'commit casts of work with the database rows they concern '
                  '(outbox table) and publish them from a relay, so that '
                  'the API never waits for the message broker')
flags.DEFINE_integer('outbox_poll_interval', 5,
                     'seconds between two looks of the outbox relay for '
                     'messages left by others')
flags.DEFINE_integer('outbox_publish_timeout', 10,
                     'seconds a relay tries to reach the broker before it '
                     'leaves a message for a later round')
flags.DEFINE_integer('outbox_claim_timeout', 60,
                     'seconds after which a message claimed by a relay '
                     'that never published it is taken by another')

_BATCH = 100
_FIRST_RETRY = 0.25     # seconds before a topic nobody consumed is retried
_MAX_RETRY = 5.0        # ... doubling up to this


def _owner():
    return '%s:%d:%s' % (socket.gethostname()[:32], os.getpid(),
                         uuid.uuid4().hex[:8])


class Relay(object):
    """Publishes the outbox of this process (and any left over)."""

    def __init__(self):
        self.owner = _owner()
        self.healthy = True         # the last publish reached the broker
        self.published = []         # ids sent but not yet deleted
        self._busy = set()          # ids being sent by a green thread
        self._pending = {}          # id -> monotonic: written, to publish
        self._wake = concurrency.Event()
        self._thread = None
        self._os_thread = None
        self._stopped = False
        self.unrouted = {}          # topic -> (next try, delay) monotonic
        self._claim_stamped = 0.0   # monotonic time of the last claim
        self.held_last = False      # the last batch kept some back
        self._look = False          # the next round looks at the table

    # -- topics nobody consumes yet -------------------------------------------
    def _not_consumed(self, topic):
        """``topic`` had no queue: try it again later, less and less often."""
        known = self.unrouted.get(topic)
        delay = _FIRST_RETRY if known is None else \
            min(known[1] * 2, _MAX_RETRY)
        self.unrouted[topic] = (time.monotonic() + delay, delay)
        if known is None:
            LOG.warning('outbox: nothing consumes %s yet; its messages wait '
                        'in the outbox until a service does', topic)

    def _consumed(self, topic):
        if self.unrouted.pop(topic, None) is not None:
            LOG.info('outbox: %s is consumed now; sending what waited for '
                     'it', topic)

    def _topics_to_skip(self):
        now = time.monotonic()
        return sorted(topic for topic, (at, _delay) in self.unrouted.items()
                      if at > now)

    def _next_retry(self):
        """Seconds until the next topic nobody consumed is due (or None)."""
        if not self.unrouted:
            return None
        return max(0.0, min(at for at, _d in self.unrouted.values()) -
                   time.monotonic())

    # -- publishing ---------------------------------------------------------
    def _publish(self, rows=None, timeout=None, claimed=None):
        """Publish claimed messages and delete them; returns how many went.

        ``rows`` (``[(id, topic, body)]``) are messages this relay claimed
        when it wrote them (at ``claimed``, a ``time.monotonic()``; now if
        not given); without them a batch is claimed from the table
        (skipping topics not yet due for another try).  Stops at the first
        message the broker does not take (it and the rest are given back
        for a later round).  A message no queue is bound for stays claimed
        by this relay, with every later one of its topic, for the next try.

        A slow batch renews its claim as it goes (see :meth:`_keep_claim`),
        so no other relay takes a message while this one still sends it.
        """
        given = rows is not None
        if rows is None:
            claimed = None
            rows = db.outbox_claim(
                None, self.owner, limit=_BATCH,
                stale_after=FLAGS.outbox_claim_timeout,
                skip_topics=self._topics_to_skip(),
                skip_ids=self._in_hand())
            # The claim returns rows claimed by this same relay, and its
            # query waited for the database meanwhile: a handler of this
            # process may have written, committed and published some of
            # them since ``skip_ids`` was taken.  Not twice.
            mine = self._in_hand()
            rows = [row for row in rows if row[0] not in mine]
        # Another green thread of this process may be sending some of
        # them (they are claimed by this same relay): not twice.
        rows = [row for row in rows if row[0] not in self._busy]
        self._busy.update(row[0] for row in rows)
        for row in rows:
            self._pending.pop(row[0], None)
        self._claim_stamped = time.monotonic() if claimed is None \
            else claimed
        sent = []
        held = set()
        lost = set()
        try:
            with common.deadline(timeout), common.routed():
                for index, (row_id, topic, body) in enumerate(rows):
                    if topic in held or (given and topic in self.unrouted):
                        held.add(topic)     # behind an older message
                        continue
                    lost |= self._keep_claim(rows[index:], sent)
                    if row_id in lost:
                        continue            # another relay sends it now
                    data = common.deserialize_msg(body)
                    ctxt = common.unpack_context(data)
                    try:
                        rpc.cast(ctxt, topic, data)
                    except common.Unroutable:
                        self._not_consumed(topic)
                        held.add(topic)
                        continue
                    self._consumed(topic)
                    sent.append(row_id)
            self.healthy = True
        except Exception as exc:  # noqa: BLE001 - kept for a later round
            self.healthy = False
            LOG.warning('outbox: the message broker did not take a message '
                        '(%s); %d left for a later round',
                        ' '.join(str(exc).split())[:200],
                        len(rows) - len(sent))
            db.outbox_release(None, self.owner,
                              [r[0] for r in rows
                               if r[0] not in sent and r[0] not in lost])
            raise
        finally:
            self._busy.difference_update(row[0] for row in rows)
            self._forget(sent)
        self.held_last = bool(held)
        if held and self._thread is None:
            self.start()                # tries them again later
        return len(sent)

    def _in_hand(self):
        """Ids this process publishes, or published and has not deleted
        yet: a relay round that claims them leaves them alone."""
        return self._busy | set(self.published) | self._committing()

    def _written(self, ids, claimed):
        """Casts written (claimed by this relay) by a transaction of this
        process: its thread publishes them once it commits."""
        for row_id in ids:
            self._pending[row_id] = claimed

    def _committing(self):
        """Ids written by this process's transactions and not yet in the
        hands of their publish (the relay's rounds leave them alone; after
        --outbox_claim_timeout, as when a rollback dropped them, no more)."""
        limit = time.monotonic() - FLAGS.outbox_claim_timeout
        for row_id in [i for i, at in self._pending.items() if at < limit]:
            del self._pending[row_id]
        return set(self._pending)

    def _keep_claim(self, rows, sent):
        """Renew this relay's claim on ``rows`` (still to send), ``sent``
        and the published messages not yet deleted, once a quarter of
        --outbox_claim_timeout has passed since the last renewal; returns
        the ids of ``rows`` another relay has taken over meanwhile (this
        one stalled longer than the timeout): they are not sent here."""
        now = time.monotonic()
        if now - self._claim_stamped < FLAGS.outbox_claim_timeout / 4.0:
            return set()
        wanted = [r[0] for r in rows] + list(sent) + list(self.published)
        kept = db.outbox_restamp(None, self.owner, wanted)
        self._claim_stamped = now
        lost = {r[0] for r in rows if r[0] not in kept}
        if lost:
            LOG.warning('outbox: %d message(s) were taken over by another '
                        'relay (this one was too slow); left to it',
                        len(lost))
        return lost

    def _drain(self):
        """Publish batches until the outbox has nothing more to send now.

        A batch that found a topic nobody consumes is followed by another
        one (that topic is then skipped until its retry is due), so a pile
        of such messages never keeps the others waiting.
        """
        while True:
            self.held_last = False
            sent = self._publish(timeout=FLAGS.outbox_publish_timeout)
            if sent:
                self.delete_published()
            elif not self.held_last:
                return

    def _forget(self, ids):
        """Delete published messages: by the relay thread (woken here,
        it deletes all it finds in one statement, outside any handler's
        transaction).  A process that runs no relay thread (nova-manage, a
        short-lived command) deletes them at once: left behind, they
        would be taken as unpublished once their claim grows stale and
        sent a second time."""
        if not ids:
            return
        self.published.extend(ids)
        if self._thread is not None:
            self.wake(look=False)       # a delete, nothing to claim
            return
        try:
            self.delete_published()
        except Exception:  # noqa: BLE001 - kept in self.published
            LOG.warning('outbox: could not delete %d published message(s) '
                        'yet', len(self.published))

    def delete_published(self):
        """Delete the messages published so far.

        They stay in :attr:`published` (which relay rounds leave alone)
        until their delete has committed: a round whose claim ran while
        the delete was under way would otherwise take them as unsent
        (their rows are still there, claimed by this relay) and send them
        again.  In a transaction that rolls back they stay there, to be
        deleted next time.
        """
        ids = list(self.published)
        if not ids:
            return
        db.outbox_delete(None, ids)
        db.on_commit(lambda: self._deleted(ids))

    def _deleted(self, ids):
        gone = set(ids)
        self.published = [i for i in self.published if i not in gone]

    def publish_now(self, rows, claimed=None):
        """Publish just-committed messages (claimed at ``claimed``, a
        ``time.monotonic()``), or leave them to the relay."""
        if self.healthy:
            try:
                self._publish(rows, timeout=min(
                    1.0, float(FLAGS.outbox_publish_timeout)),
                    claimed=claimed)
                return
            except Exception:  # noqa: BLE001 - the relay takes over
                LOG.info('outbox: %d message(s) left to the relay',
                         len(rows))
        else:
            for row in rows:
                self._pending.pop(row[0], None)
            db.outbox_release(None, self.owner, [r[0] for r in rows])
        self.start()
        self.wake()

    # -- the relay thread -----------------------------------------------------
    def wake(self, look=True):
        """Run a round of the relay thread now: it deletes what was
        published and, with ``look``, claims and sends what waits."""
        if look:
            self._look = True
        if not self._wake.ready():
            self._wake.send(True)

    def start(self):
        """Run the relay in a green thread (once; again if it died)."""
        if self._thread is not None and getattr(self._thread, 'dead', False):
            self._thread = None
        if self._thread is None:
            self._stopped = False
            self._thread = concurrency.spawn(self._loop)
            self._os_thread = concurrency.os_thread_id()
        return self._thread

    def stop(self):
        """Stop the relay thread (deleting what it published)."""
        self._stopped = True
        thread, self._thread = self._thread, None
        if thread is None:
            return
        if self._os_thread != concurrency.os_thread_id():
            # Green threads of another OS thread cannot be killed from
            # here; the loop sees the flag within --outbox_poll_interval.
            return
        concurrency.kill(thread)
        if self.published:
            try:
                self.delete_published()
            except Exception:  # noqa: BLE001 - sent again later: harmless
                LOG.warning('outbox: could not delete %d published '
                            'message(s)', len(self.published))

    def _loop(self):
        delay = 0.5
        while not self._stopped:
            wait = max(1, FLAGS.outbox_poll_interval)
            due = self._next_retry()
            if due is not None:
                wait = min(wait, max(due, 0.05))
            with concurrency.Timeout(wait, False):
                self._wake.wait()
            woken = self._wake.ready()
            self._wake = concurrency.Event()
            # Woken only to delete what a handler published: no claim
            # query (one round trip per cast saved); the poll (timed out)
            # and every other wake look at the table.
            look, self._look = self._look or not woken, False
            try:
                if self.published:
                    self.delete_published()
                if look:
                    self._drain()
                delay = 0.5
            except concurrency.GreenletExit:
                raise
            except Exception as exc:  # noqa: BLE001 - try again later
                LOG.debug('outbox relay: %s', exc)
                concurrency.sleep(delay)
                delay = min(delay * 2, 5.0)
                self.wake()


_relay = None


def relay():
    """This process's relay."""
    global _relay
    if _relay is None:
        _relay = Relay()
    return _relay


def start_relay():
    """Start this process's relay thread (daemons and nova-api do)."""
    if FLAGS.rpc_outbox:
        relay().start()
        relay().wake()


def stop_relay():
    """Stop this process's relay thread."""
    if _relay is not None:
        _relay.stop()


def cast_many(context, casts):
    """:func:`cast` of each ``(topic, msg)`` in ``casts``, the messages
    written in one round trip (a launch of many instances)."""
    if not FLAGS.rpc_outbox or not casts:
        for topic, msg in casts:
            cast(context, topic, msg)
        return
    bodies = []
    for topic, msg in casts:
        envelope = dict(msg)
        common.pack_context(envelope, context)
        bodies.append((topic, common.serialize_msg(envelope)))
    the_relay = relay()
    claimed = time.monotonic()
    ids = db.outbox_add_many(context, bodies, claimed_by=the_relay.owner)
    the_relay._written(ids, claimed)
    _publish_after_commit(the_relay, [
        (row_id, topic, body)
        for row_id, (topic, body) in zip(ids, bodies)], claimed)


def _publish_after_commit(the_relay, new, claimed):
    """Publish the ``new`` rows now, or once the current transaction
    commits (together with the rows its earlier casts wrote)."""
    info = db.transaction_info()
    if info is None:
        the_relay.publish_now(new, claimed)
        return
    rows = info.get('outbox_rows')
    if rows is None:
        rows = info['outbox_rows'] = []
        db.on_commit(lambda: the_relay.publish_now(list(rows), claimed))
    rows.extend(new)


def cast(context, topic, msg):
    """Cast ``msg`` to ``topic`` once the current transaction commits.

    Outside a transaction the message is committed on its own first.
    With ``--rpc_outbox=false`` this is :func:`nova.rpc.cast` (after the
    commit all the same).
    """
    if not FLAGS.rpc_outbox:
        db.on_commit(lambda: rpc.cast(context, topic, msg))
        return
    envelope = dict(msg)
    common.pack_context(envelope, context)
    body = common.serialize_msg(envelope)
    # Claimed by this process's relay from the start: published right
    # after the commit without another query.
    the_relay = relay()
    claimed = time.monotonic()
    row_id = db.outbox_add(context, topic, body, claimed_by=the_relay.owner)
    the_relay._written([row_id], claimed)
    _publish_after_commit(the_relay, [(row_id, topic, body)], claimed)
