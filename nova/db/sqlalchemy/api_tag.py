"""EC2 tags (the ``tags`` table of revision 005).

A tag row names its resource by EC2 id and type and belongs to the
resource's project.  Non-admin contexts only see their project's tags.
Lists are read in id order with keyset paging (``marker`` = the last id
seen, ``limit`` rows at most), so a page costs the same whatever its place.
Filter values may hold AWS's ``*`` and ``?`` wildcards (SQL ``LIKE``).
"""

from sqlalchemy import and_, delete, or_, select

from nova import exception
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (is_admin_context,
                                           require_context,
                                           retry_on_deadlock, session_scope)

__all__ = ['tag_set', 'tag_delete', 'tag_get_page', 'tag_get_by_resources',
           'tag_match_resources', 'tag_delete_by_resources',
           'tag_instance_ids', 'TAGS_PER_RESOURCE']

_Tag = models.Tag
_table = _Tag.__table__

#: AWS's limit of tags per resource.
TAGS_PER_RESOURCE = 50


def _scoped(context, conditions):
    if not is_admin_context(context):
        conditions.append(_table.c.project_id == context.project_id)
    return conditions


def _like(column, patterns):
    """``column`` matching any of ``patterns`` (AWS wildcards)."""
    clauses = []
    exact = []
    for pattern in patterns:
        pattern = str(pattern)
        if '*' in pattern or '?' in pattern:
            escaped = (pattern.replace('\\', '\\\\').replace('%', '\\%')
                       .replace('_', '\\_').replace('*', '%')
                       .replace('?', '_'))
            clauses.append(column.like(escaped, escape='\\'))
        else:
            exact.append(pattern)
    if exact:
        clauses.append(column.in_(exact))
    return or_(*clauses) if clauses else column.in_([])


@require_context
@retry_on_deadlock
def tag_set(context, project_id, resources, tags):
    """Create or overwrite ``tags`` (``[(key, value)]``) on ``resources``.

    ``resources`` is ``[(resource_type, ec2_id)]``.  All or nothing: a
    resource that would hold more than :data:`TAGS_PER_RESOURCE` tags
    raises TagLimitExceeded before anything changes.
    """
    wanted = dict((str(k), '' if v is None else str(v)) for k, v in tags)
    ids = [rid for _rtype, rid in resources]
    with session_scope() as session:
        rows = session.execute(select(_table.c.resource_id, _table.c['key'])
                               .where(_table.c.resource_id.in_(ids),
                                      _table.c.project_id == project_id)
                               ).all()
        existing = {}
        for rid, key in rows:
            existing.setdefault(rid, set()).add(key)
        for rid in ids:
            keys = existing.get(rid, set())
            if len(keys | set(wanted)) > TAGS_PER_RESOURCE:
                raise exception.TagLimitExceeded(limit=TAGS_PER_RESOURCE)
        for rtype, rid in resources:
            keys = existing.get(rid, set())
            for key, value in wanted.items():
                if key in keys:
                    session.execute(_table.update().where(
                        _table.c.resource_id == rid,
                        _table.c.project_id == project_id,
                        _table.c['key'] == key).values(value=value))
                else:
                    session.add(_Tag(project_id=project_id,
                                     resource_type=rtype, resource_id=rid,
                                     key=key, value=value))


@require_context
@retry_on_deadlock
def tag_delete(context, resource_ids, tags=None):
    """Delete tags of ``resource_ids``; returns the number removed.

    ``tags`` is ``[(key, value)]``: a value of None deletes the key whatever
    its value, any other value (also '') only a tag holding exactly it.
    No ``tags`` deletes every tag of the resources.
    """
    conditions = _scoped(context, [_table.c.resource_id.in_(
        list(resource_ids))])
    if tags:
        pairs = []
        for key, value in tags:
            if value is None:
                pairs.append(_table.c['key'] == str(key))
            else:
                pairs.append(and_(_table.c['key'] == str(key),
                                  _table.c.value == str(value)))
        conditions.append(or_(*pairs))
    with session_scope() as session:
        return session.execute(delete(_table).where(*conditions)).rowcount


def tag_delete_by_resources(context, resource_ids, session=None):
    """Remove every tag of resources that are gone (any project)."""
    with session_scope(session) as session:
        session.execute(delete(_table).where(
            _table.c.resource_id.in_(list(resource_ids))))


def _filter_conditions(filters):
    """DescribeTags' filters; the tag filters of every Describe apply to
    the tag itself here: ``tag-key`` as ``key``, ``tag-value`` as
    ``value``, ``tag:<key>`` a tag of that key with a matching value."""
    conditions = []
    columns = {'resource-id': _table.c.resource_id,
               'resource-type': _table.c.resource_type,
               'key': _table.c['key'], 'value': _table.c.value,
               'tag-key': _table.c['key'], 'tag-value': _table.c.value}
    for name, values in (filters or {}).items():
        if name.startswith('tag:') and len(name) > 4:
            conditions.append(and_(_table.c['key'] == name[4:],
                                   _like(_table.c.value, values)))
            continue
        if name not in columns:
            raise exception.InvalidParameterValue(
                err="The filter '%s' is invalid" % name)
        conditions.append(_like(columns[name], values))
    return conditions


@require_context
def tag_get_page(context, filters=None, marker=None, limit=None):
    """Tags passing every filter (``{name: [patterns]}``), in id order.

    Filter names: ``resource-id``, ``resource-type``, ``key``, ``value``.
    ``marker``: only ids above it; ``limit``: at most that many rows.
    Returns plain dicts with ``id``, ``resource_id``, ``resource_type``,
    ``key`` and ``value``.
    """
    conditions = _scoped(context, _filter_conditions(filters))
    if marker is not None:
        conditions.append(_table.c.id > int(marker))
    query = select(_table.c.id, _table.c.resource_id, _table.c.resource_type,
                   _table.c['key'], _table.c.value).where(*conditions) \
        .order_by(_table.c.id)
    if limit is not None:
        query = query.limit(int(limit))
    with session_scope() as session:
        return [dict(row._mapping) for row in session.execute(query)]


@require_context
def tag_get_by_resources(context, resource_ids, resource_type=None):
    """``{ec2_id: [{'key', 'value'}]}`` of the given resources.

    With ``resource_type`` and many ids, the tags of that type visible to
    the context are read in one query and those of ``resource_ids`` kept.
    """
    result = {}
    ids = list(resource_ids)
    if not ids:
        return result
    if resource_type is not None and len(ids) > 500:
        wanted = set(ids)
        with session_scope() as session:
            rows = session.execute(
                select(_table.c.resource_id, _table.c['key'],
                       _table.c.value)
                .where(*_scoped(context, [
                    _table.c.resource_type == resource_type]))
                .order_by(_table.c['key']))
            for rid, key, value in rows:
                if rid in wanted:
                    result.setdefault(rid, []).append({'key': key,
                                                       'value': value})
        return result
    with session_scope() as session:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows = session.execute(
                select(_table.c.resource_id, _table.c['key'], _table.c.value)
                .where(*_scoped(context, [_table.c.resource_id.in_(chunk)]))
                .order_by(_table.c['key']))
            for rid, key, value in rows:
                result.setdefault(rid, []).append({'key': key,
                                                   'value': value})
    return result


def _match_query(context, resource_type, kind, key, values):
    conditions = _scoped(context, [_table.c.resource_type == resource_type])
    if kind == 'tag':
        conditions.append(_table.c['key'] == key)
        conditions.append(_like(_table.c.value, values))
    elif kind == 'tag-key':
        conditions.append(_like(_table.c['key'], values))
    else:
        conditions.append(_like(_table.c.value, values))
    return select(_table.c.resource_id).where(*conditions).distinct()


@require_context
def tag_match_resources(context, resource_type, tag_filters):
    """EC2 ids of ``resource_type`` passing every tag filter.

    ``tag_filters`` is ``[(kind, key, values)]`` with kind ``tag``
    (``tag:<key>``), ``tag-key`` or ``tag-value``.
    """
    result = None
    with session_scope() as session:
        for kind, key, values in tag_filters:
            ids = set(session.execute(_match_query(
                context, resource_type, kind, key, values)).scalars())
            result = ids if result is None else result & ids
            if not result:
                return set()
    return result or set()


@require_context
def tag_instance_ids(context, tag_filters):
    """Integer ids of the instances passing every tag filter."""
    ids = []
    for ec2_id in tag_match_resources(context, 'instance', tag_filters):
        try:
            ids.append(int(ec2_id.rpartition('-')[2], 16))
        except ValueError:
            continue
    return ids

