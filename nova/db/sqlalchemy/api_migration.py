"""Resizes and cold migrations of instances (the ``migrations`` table).

A row follows one resize: the destination's compute creates it
(``pre-migrating``), the source moves it through ``migrating`` and
``post-migrating``, the destination marks it ``finished`` once the guest
runs there, and the user's answer makes it ``confirmed`` or ``reverted``
(``error`` when a step fails).
"""

from nova import exception
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (model_query, require_admin_context,
                                           retry_on_deadlock, session_scope)

__all__ = [
    'migration_create', 'migration_get', 'migration_update',
    'migration_get_by_instance_and_status', 'migration_get_by_instance',
]

_Migration = models.Migration


@require_admin_context
@retry_on_deadlock
def migration_create(context, values):
    """A new migration row from ``values`` (column: value)."""
    with session_scope() as session:
        migration = _Migration()
        migration.update(values)
        migration.save(session)
        return migration


@require_admin_context
def migration_get(context, migration_id):
    """The migration ``migration_id``; raises MigrationNotFound."""
    with session_scope() as session:
        result = model_query(context, _Migration, session).filter(
            _Migration.id == migration_id).first()
        if result is None:
            raise exception.MigrationNotFound(migration_id=migration_id)
        return result


@require_admin_context
@retry_on_deadlock
def migration_update(context, migration_id, values):
    """Set columns of a migration; returns it."""
    with session_scope() as session:
        migration = model_query(context, _Migration, session).filter(
            _Migration.id == migration_id).first()
        if migration is None:
            raise exception.MigrationNotFound(migration_id=migration_id)
        migration.update(values)
        migration.save(session)
        return migration


@require_admin_context
def migration_get_by_instance_and_status(context, instance_uuid, status):
    """The newest migration of an instance in ``status``; raises
    MigrationNotFoundByStatus."""
    with session_scope() as session:
        result = model_query(context, _Migration, session).filter(
            _Migration.instance_uuid == instance_uuid,
            _Migration.status == status).order_by(
                _Migration.id.desc()).first()
        if result is None:
            raise exception.MigrationNotFoundByStatus(
                instance_id=instance_uuid, status=status)
        return result


@require_admin_context
def migration_get_by_instance(context, instance_uuid):
    """Every migration of an instance, oldest first."""
    with session_scope() as session:
        return model_query(context, _Migration, session).filter(
            _Migration.instance_uuid == instance_uuid).order_by(
                _Migration.id).all()
