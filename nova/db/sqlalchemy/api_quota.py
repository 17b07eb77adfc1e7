"""Per-project quotas: one ``quotas`` row per (project, resource)."""

from nova import exception
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (authorize_project_context,
                                           model_query, require_admin_context,
                                           require_context, retry_on_deadlock,
                                           session_scope, soft_delete_query)

__all__ = [
    'quota_get', 'quota_get_all_by_project', 'quota_create', 'quota_update',
    'quota_destroy', 'quota_destroy_all_by_project',
]

_Quota = models.Quota


@require_context
def quota_get(context, project_id, resource, session=None):
    """The quota row of ``resource`` for a project; ProjectQuotaNotFound."""
    authorize_project_context(context, project_id)
    with session_scope(session) as session:
        result = model_query(context, _Quota, session, read_deleted='no') \
            .filter(_Quota.project_id == project_id,
                    _Quota.resource == resource).first()
        if not result:
            raise exception.ProjectQuotaNotFound(project_id=project_id)
        return result


@require_context
def quota_get_all_by_project(context, project_id):
    """``{'project_id': id, resource: hard_limit, ...}`` of a project."""
    authorize_project_context(context, project_id)
    with session_scope() as session:
        rows = model_query(context, _Quota, session, read_deleted='no') \
            .filter(_Quota.project_id == project_id) \
            .order_by(_Quota.id).all()
        result = {'project_id': project_id}
        for row in rows:
            result[row.resource] = row.hard_limit
        return result


@require_admin_context
@retry_on_deadlock
def quota_create(context, project_id, resource, limit):
    """Set a project's limit of ``resource`` (None = unlimited)."""
    with session_scope() as session:
        quota_ref = _Quota(project_id=project_id, resource=resource,
                           hard_limit=limit)
        quota_ref.save(session)
        return quota_ref


@require_admin_context
@retry_on_deadlock
def quota_update(context, project_id, resource, limit):
    """Change a project's limit of ``resource``; ProjectQuotaNotFound."""
    with session_scope() as session:
        quota_ref = quota_get(context, project_id, resource, session=session)
        quota_ref.hard_limit = limit
        quota_ref.save(session)
        return quota_ref


@require_admin_context
@retry_on_deadlock
def quota_destroy(context, project_id, resource):
    """Remove a project's limit of ``resource`` (soft delete)."""
    with session_scope() as session:
        quota_ref = quota_get(context, project_id, resource, session=session)
        quota_ref.delete(session)


@require_admin_context
@retry_on_deadlock
def quota_destroy_all_by_project(context, project_id):
    """Remove every quota row of a project (soft delete)."""
    with session_scope() as session:
        soft_delete_query(
            model_query(context, _Quota, session, read_deleted='no')
            .filter(_Quota.project_id == project_id))
