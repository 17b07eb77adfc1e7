"""What was done to an instance and how it ended (``instance_actions``).

Diablo's table: ``instance_id``, ``action`` and ``error`` (None when the
action succeeded).  The compute host records the actions it carries out
for the record; the OpenStack admin API lists them
(``GET /servers/{id}/actions``), for administrators only as in Diablo.
"""

from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (model_query, require_admin_context,
                                           require_context, retry_on_deadlock,
                                           session_scope)

__all__ = ['instance_action_create', 'instance_get_actions']

_Action = models.InstanceActions


@require_context
@retry_on_deadlock
def instance_action_create(context, values):
    """Record an action: ``instance_id``, ``action``, ``error``."""
    values = dict(values)
    values['action'] = str(values.get('action') or '')[:255]
    if values.get('error') is not None:
        values['error'] = str(values['error'])
    with session_scope() as session:
        action = _Action()
        action.update(values)
        action.save(session)
        return action


@require_admin_context
def instance_get_actions(context, instance_id):
    """The actions of ``instance_id``, oldest first."""
    with session_scope() as session:
        return model_query(context, _Action, session).filter(
            _Action.instance_id == instance_id).order_by(
            _Action.created_at, _Action.id).all()
