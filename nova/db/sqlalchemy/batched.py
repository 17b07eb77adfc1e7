"""Calls that run together: one statement for the calls that pile up.

A compute host building a hundred instances at once makes the same small
read or write for each of them.  :func:`batcher` wraps a function taking
``(context, items)`` in a :class:`~nova.utils.concurrency.Batcher`;
:func:`submit` hands it one call's item when the call may join others (an
admin context reading live rows, outside a caller's transaction: every
such call sees the same rows), and otherwise runs the function for that
item alone, in the caller's scope.  Each call gets its own answer or its
own error either way.
"""

from nova.db.sqlalchemy import session as db_session
from nova.db.sqlalchemy.api_common import (is_admin_context,
                                           read_deleted_mode)
from nova.utils import concurrency


def batchable(context):
    """Whether a call of ``context`` may join others."""
    return is_admin_context(context) and \
        read_deleted_mode(context) == 'no' and \
        not db_session.in_transaction()


def batcher(run_many):
    """A Batcher of ``(context, item)`` requests running ``run_many(context,
    items)`` (one ``(ok, value)`` per item) with the first request's
    context: the requests batched are all of contexts that see the same
    rows (see :func:`batchable`)."""
    return concurrency.Batcher(lambda requests: run_many(
        requests[0][0], [item for _, item in requests]))


def submit(pending, context, item, alone):
    """``item``'s result: through the Batcher ``pending`` when the call may
    join others, else from ``alone(context, [item])``; raises its error."""
    if batchable(context):
        return pending.submit((context, item))
    ok, value = alone(context, [item])[0]
    if ok:
        return value
    raise value
