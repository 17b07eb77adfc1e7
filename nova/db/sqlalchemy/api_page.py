"""Instances and security groups a page at a time (keyset paging for
EC2's MaxResults).

Instance pages run newest first by id: ``WHERE id < marker ORDER BY id DESC LIMIT
n``, so a page costs one indexed range scan (plus the eager loads of its
rows) wherever it lies, and rows created meanwhile never shift a later page.
"""

from nova.db.sqlalchemy import api_instance
from nova.db.sqlalchemy import api_security_group
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (authorize_project_context,
                                           require_context, session_scope)

__all__ = ['instance_get_page', 'security_group_get_page', 'keyset_page']

_Instance = models.Instance


def keyset_page(query, column, marker=None, limit=None, descending=False):
    """Keyset paging of an ORM query on a unique ``column`` (e.g. ``id``).

    Rows after ``marker`` in ``column`` order (before it when
    ``descending``), at most ``limit`` of them.  For the Describe calls of
    other resources (volumes, snapshots): pass ``page.marker`` and
    ``page.fetch`` of :class:`nova.api.ec2.paging.Page`, then
    ``page.split(rows, key)``.
    """
    if marker is not None:
        query = query.filter(column < marker if descending
                             else column > marker)
    query = query.order_by(column.desc() if descending else column)
    if limit is not None:
        query = query.limit(int(limit))
    return query


@require_context
def instance_get_page(context, filters, marker=None, limit=None):
    """Up to ``limit`` instances matching ``filters`` with ids below
    ``marker``, highest id first.

    ``filters`` are those of ``instance_get_all_by_filters``; non-admins
    are confined to their project.
    """
    filters = dict(filters or {})
    with session_scope() as session:
        query = api_instance._apply_filters(
            api_instance._query(context, session), filters)
        return keyset_page(query, _Instance.id,
                           None if marker is None else int(marker), limit,
                           descending=True).all()


@require_context
def security_group_get_page(context, project_id, marker=None, limit=None):
    """Up to ``limit`` live groups of a project with ids above ``marker``,
    in id order, with their rules."""
    authorize_project_context(context, project_id)
    group = models.SecurityGroup
    with session_scope() as session:
        query = api_security_group._query(context, session).filter(
            group.project_id == project_id)
        return keyset_page(query, group.id,
                           None if marker is None else int(marker),
                           limit).all()
