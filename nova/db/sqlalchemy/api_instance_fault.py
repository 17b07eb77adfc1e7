"""Instance faults: why an instance went to ``error`` (``instance_faults``).

A fault is written by whoever gives up on an instance (the scheduler when no
host fits, the compute manager when a spawn fails or a build times out) and
read by the APIs to tell the user the reason.
"""

from sqlalchemy import false

from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (require_context, retry_on_deadlock,
                                           session_scope)

__all__ = [
    'instance_fault_create', 'instance_fault_get_latest',
    'instance_fault_get_by_instance', 'instance_fault_get_latest_by_instances',
]

_Fault = models.InstanceFault


@require_context
@retry_on_deadlock
def instance_fault_create(context, values):
    """Record a fault: ``instance_id``, ``code``, ``message``, ``details``.

    The message is cut to the column's 255 characters; ``code`` defaults
    to 500.
    """
    values = dict(values)
    values['message'] = str(values.get('message') or '')[:255]
    if values.get('details') is not None:
        values['details'] = str(values['details'])
    values.setdefault('code', 500)
    with session_scope() as session:
        fault = _Fault()
        fault.update(values)
        fault.save(session)
        return fault


def _live(session):
    return session.query(_Fault).filter(_Fault.deleted == false())


@require_context
def instance_fault_get_by_instance(context, instance_id):
    """The faults of an instance, newest first."""
    with session_scope() as session:
        return _live(session).filter(_Fault.instance_id == instance_id) \
            .order_by(_Fault.id.desc()).all()


@require_context
def instance_fault_get_latest(context, instance_id):
    """The newest fault of an instance, or None."""
    with session_scope() as session:
        return _live(session).filter(_Fault.instance_id == instance_id) \
            .order_by(_Fault.id.desc()).first()


@require_context
def instance_fault_get_latest_by_instances(context, instance_ids):
    """``{instance_id: newest fault}`` for many instances in one query."""
    instance_ids = [int(i) for i in instance_ids or []]
    if not instance_ids:
        return {}
    with session_scope() as session:
        rows = _live(session).filter(_Fault.instance_id.in_(instance_ids)) \
            .order_by(_Fault.id).all()
        return dict((row.instance_id, row) for row in rows)
