"""Small queries that keep work from being lost or done twice.

Handlers delivered again (at-least-once messaging) look at where an
instance already is before acting; these answer in one small query.
"""

import datetime

from sqlalchemy import (bindparam, delete, false, func, insert, or_, select,
                        update)

from nova import exception
from nova import utils
from nova.db.sqlalchemy import batched
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (cached_statement,
                                           require_context, session_scope)
from nova.db.sqlalchemy.session import connection_scope

__all__ = ['instance_get_placement', 'outbox_add', 'outbox_add_many',
           'outbox_claim',
           'outbox_delete', 'outbox_release', 'outbox_restamp',
           'outbox_count',
           'instance_build_retry_count']


def _placements(context, instance_ids):
    table = models.Instance.__table__
    statement = cached_statement(('placements',), lambda: select(
        table.c.id, table.c.vm_state, table.c.task_state, table.c.host)
        .where(table.c.id.in_(bindparam('ids', expanding=True)),
               table.c.deleted == false()))
    with connection_scope(single_statement=True) as conn:
        found = dict((row[0], (row[1], row[2], row[3])) for row in
                     conn.execute(statement,
                                  {'ids': sorted(set(instance_ids))}))
    return [(True, found[i]) if i in found else
            (False, exception.InstanceNotFound(instance_id=i))
            for i in instance_ids]


_PLACEMENTS = batched.batcher(_placements)


@require_context
def instance_get_placement(context, instance_id):
    """``(vm_state, task_state, host)`` of a live instance, in one query
    (shared by the admin calls made together: a scheduler placing many).

    Raises InstanceNotFound when it is gone.
    """
    try:
        instance_id = int(instance_id)
    except (TypeError, ValueError):
        raise exception.InstanceNotFound(instance_id=instance_id)
    return batched.submit(_PLACEMENTS, context, instance_id, _placements)


# -- the outbox -------------------------------------------------------------
def outbox_add(context, topic, body, claimed_by=None):
    """Queue a serialized cast; joins the caller's transaction.

    ``claimed_by`` names the relay that will publish it (others leave it
    alone until ``outbox_claim``'s ``stale_after``).  Returns the new id.
    """
    table = models.OutboxMessage.__table__
    now = utils.utcnow()
    with session_scope() as session:
        result = session.execute(insert(table).values(
            created_at=now, deleted=False, topic=topic, body=body,
            claimed_by=claimed_by, claimed_at=now if claimed_by else None))
        return result.inserted_primary_key[0]


def outbox_add_many(context, messages, claimed_by=None):
    """Queue serialized casts (``[(topic, body)]``) in one round trip;
    joins the caller's transaction.  Returns their ids, in order."""
    if not messages:
        return []
    table = models.OutboxMessage.__table__
    now = utils.utcnow()
    rows = [{'created_at': now, 'deleted': False, 'topic': topic,
             'body': body, 'claimed_by': claimed_by,
             'claimed_at': now if claimed_by else None}
            for topic, body in messages]
    with session_scope() as session:
        result = session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            rows)
        return [row[0] for row in result]


def outbox_claim(context, owner, ids=None, limit=100, stale_after=60,
                 skip_topics=(), skip_ids=()):
    """Claim up to ``limit`` messages for ``owner``; return them in order.

    Given ``ids``, only those.  A message claimed by another relay more
    than ``stale_after`` seconds ago (that relay died) is claimed again.
    Messages to ``skip_topics`` (nobody consumes them yet) are left alone,
    and so are ``skip_ids`` (``owner`` is sending them already).
    Returns ``[(id, topic, body)]``.
    """
    table = models.OutboxMessage.__table__
    now = utils.utcnow()
    stale = now - datetime.timedelta(seconds=stale_after)
    free = or_(table.c.claimed_by.is_(None), table.c.claimed_at < stale,
               table.c.claimed_by == owner)
    with session_scope() as session:
        query = select(table.c.id).where(free).order_by(table.c.id)
        if ids is not None:
            query = query.where(table.c.id.in_(list(ids)))
        if skip_topics:
            query = query.where(table.c.topic.notin_(list(skip_topics)))
        if skip_ids:
            query = query.where(table.c.id.notin_(list(skip_ids)))
        wanted = [row[0] for row in session.execute(query.limit(limit))]
        if not wanted:
            return []
        session.execute(update(table).where(table.c.id.in_(wanted), free)
                        .values(claimed_by=owner, claimed_at=now))
        rows = session.execute(
            select(table.c.id, table.c.topic, table.c.body)
            .where(table.c.id.in_(wanted), table.c.claimed_by == owner)
            .order_by(table.c.id)).all()
    return [(row[0], row[1], row[2]) for row in rows]


def outbox_delete(context, ids):
    """Remove published messages."""
    if not ids:
        return
    table = models.OutboxMessage.__table__
    with session_scope() as session:
        session.execute(delete(table).where(table.c.id.in_(list(ids))))


def outbox_release(context, owner, ids):
    """Give back claimed messages that could not be published."""
    if not ids:
        return
    table = models.OutboxMessage.__table__
    with session_scope() as session:
        session.execute(update(table).where(
            table.c.id.in_(list(ids)), table.c.claimed_by == owner)
            .values(claimed_by=None, claimed_at=None))


def outbox_restamp(context, owner, ids):
    """Renew ``owner``'s claim on ``ids`` (a relay still publishing them);
    returns the set of those it still holds (another relay took the rest
    over once the claim had grown stale)."""
    if not ids:
        return set()
    table = models.OutboxMessage.__table__
    ids = list(ids)
    with session_scope() as session:
        session.execute(update(table).where(
            table.c.id.in_(ids), table.c.claimed_by == owner)
            .values(claimed_at=utils.utcnow()))
        return {row[0] for row in session.execute(
            select(table.c.id).where(table.c.id.in_(ids),
                                     table.c.claimed_by == owner))}


def outbox_count(context):
    """How many messages wait in the outbox."""
    table = models.OutboxMessage.__table__
    with session_scope() as session:
        return session.execute(select(func.count(table.c.id))).scalar()


def instance_build_retry_count(context, instance_id):
    """How many times the build of an instance was retried (its faults
    recorded by :mod:`nova.compute.build_retry`)."""
    table = models.InstanceFault.__table__
    with session_scope() as session:
        return session.execute(
            select(func.count(table.c.id)).where(
                table.c.instance_id == int(instance_id),
                table.c.code == 503,
                table.c.message.like('Build retried%'))).scalar()
