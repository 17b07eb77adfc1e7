"""Instances (the ``instances`` table) and their metadata.

Every read returns model objects with what callers use after the session
has closed already loaded: the flavor, the security groups, the metadata and
the fixed IPs with their network and floating IPs.  Lists are loaded with a
fixed number of queries (one per relation, ``selectinload``) whatever their
length.  Non-admin contexts only ever see their own project's instances.
Quota usage (:func:`instance_data_get_for_project`) is counted from the live
rows themselves, never kept in a counter.
"""

import datetime

from sqlalchemy import false, func, or_, select, text, update
from sqlalchemy.orm import joinedload, selectinload

from nova import exception
from nova import utils
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (authorize_project_context,
                                           is_admin_context,
                                           model_query, require_context,
                                           retry_on_deadlock, session_scope)

__all__ = [
    'instance_create', 'instance_create_many', 'instance_get',
    'instance_get_many', 'instance_get_by_uuid',
    'instance_get_all', 'instance_get_all_by_filters',
    'instance_get_all_by_host', 'instance_get_all_by_project',
    'instance_get_all_by_user', 'instance_get_all_by_reservation',
    'instance_update', 'instance_update_columns_many',
    'instance_launch_lock', 'instance_data_get_for_project',
    'instance_metadata_get', 'instance_metadata_update',
    'instance_metadata_delete', 'instance_get_fixed_addresses',
]

_Instance = models.Instance
_Meta = models.InstanceMetadata
_Assoc = models.SecurityGroupInstanceAssociation

#: filter keys compared for equality with the column of the same name.
_EXACT_FILTERS = ('project_id', 'user_id', 'reservation_id', 'host',
                  'vm_state', 'task_state', 'power_state', 'key_name',
                  'availability_zone', 'image_ref', 'kernel_id',
                  'ramdisk_id', 'instance_type_id', 'display_name',
                  'hostname', 'uuid', 'launched_on', 'launch_index',
                  'locked', 'os_type', 'architecture', 'client_token')


def _options():
    fixed = selectinload(_Instance.fixed_ips)
    return (joinedload(_Instance.instance_type),
            selectinload(_Instance.security_groups),
            selectinload(_Instance.instance_metadata),
            fixed.joinedload(models.FixedIp.network),
            fixed.selectinload(models.FixedIp.floating_ips))


def _query(context, session, read_deleted=None, eager=True):
    query = model_query(context, _Instance, session,
                        read_deleted=read_deleted, project_only=True)
    if eager:
        query = query.options(*_options())
    return query


def instance_id_or_not_found(value):
    """``value`` as an instance id (a number); InstanceNotFound when it
    cannot be one."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise exception.InstanceNotFound(instance_id=value)


def _get(context, session, instance_id, eager=True, options=()):
    instance_id = instance_id_or_not_found(instance_id)
    query = _query(context, session, eager=eager).options(*options)
    result = query.filter(_Instance.id == instance_id).first()
    if result is None:
        raise exception.InstanceNotFound(instance_id=instance_id)
    return result


def _set_metadata(session, instance_id, metadata):
    """Make the live metadata rows of an instance equal ``metadata``."""
    rows = session.query(_Meta).filter(_Meta.instance_id == instance_id,
                                       _Meta.deleted == false()).all()
    wanted = dict((str(k), '' if v is None else str(v))
                  for k, v in (metadata or {}).items())
    now = utils.utcnow()
    for row in rows:
        if row.key in wanted:
            row.value = wanted.pop(row.key)
        else:
            row.update({'deleted': True, 'deleted_at': now})
    for key, value in wanted.items():
        session.add(_Meta(instance_id=instance_id, key=key, value=value))


# -- create ---------------------------------------------------------------------
@require_context
@retry_on_deadlock
def instance_create(context, values):
    """Create an instance row and return it (eager-loaded).

    ``values['security_groups']`` may list security group ids to associate
    and ``values['metadata']`` a ``{key: value}`` dict; a ``uuid`` is made
    when none is given.
    """
    values = dict(values)
    group_ids = values.pop('security_groups', None) or []
    metadata = values.pop('metadata', None) or {}
    values.setdefault('uuid', str(utils.gen_uuid()))
    with session_scope() as session:
        instance = _Instance()
        instance.update(values)
        session.add(instance)
        session.flush()
        _add_groups_and_metadata(session, instance, group_ids, metadata)
        session.flush()
        session.expire(instance)
        return _get(context, session, instance.id)


def _add_groups_and_metadata(session, instance, group_ids, metadata):
    """Add an inserted instance's security group and metadata rows."""
    for group_id in group_ids:
        group_id = getattr(group_id, 'id', group_id)
        session.add(_Assoc(instance_id=instance.id,
                           security_group_id=int(group_id)))
    for key, value in metadata.items():
        session.add(_Meta(instance_id=instance.id, key=str(key),
                          value='' if value is None else str(value)))


def instance_create_many(context, values_list, hostname=None):
    """Create instance rows together; return them (eager-loaded) in order.

    Each ``values`` is as for :func:`instance_create`.  The rows are
    inserted in one round trip, their security group and metadata rows in
    another, and read back with the fixed number of queries of a list.
    ``hostname(instance)``, when given, names each row once its id is
    known (written with the inserts' flush, not one UPDATE per row).
    """
    with session_scope() as session:
        made = []
        extras = []
        for values in values_list:
            values = dict(values)
            extras.append((values.pop('security_groups', None) or [],
                           values.pop('metadata', None) or {}))
            values.setdefault('uuid', str(utils.gen_uuid()))
            instance = _Instance()
            instance.update(values)
            made.append(instance)
        session.add_all(made)
        session.flush()
        for instance, (group_ids, metadata) in zip(made, extras):
            if hostname is not None:
                instance.hostname = hostname(instance)
            _add_groups_and_metadata(session, instance, group_ids, metadata)
        session.flush()
        ids = [instance.id for instance in made]
        for instance in made:
            session.expire(instance)
        found = dict((inst.id, inst) for inst in _query(context, session)
                     .filter(_Instance.id.in_(ids)).all())
        return [found[instance_id] for instance_id in ids]


# -- reads ----------------------------------------------------------------------
@require_context
def instance_get(context, instance_id, session=None):
    """The instance with this id; raises InstanceNotFound."""
    with session_scope(session) as session:
        return _get(context, session, instance_id)


@require_context
def instance_get_many(context, instance_ids):
    """The instances with these ids, in the order given, read with a
    list's fixed number of queries; InstanceNotFound names the first id
    that is not one (gone, or out of the caller's scope)."""
    numbers = []
    for instance_id in instance_ids:
        try:
            numbers.append(int(instance_id))
        except (TypeError, ValueError):
            raise exception.InstanceNotFound(instance_id=instance_id)
    if not numbers:
        return []
    with session_scope() as session:
        found = dict((inst.id, inst) for inst in _query(context, session)
                     .filter(_Instance.id.in_(sorted(set(numbers)))).all())
    for number in numbers:
        if number not in found:
            raise exception.InstanceNotFound(instance_id=number)
    return [found[number] for number in numbers]


@require_context
def instance_get_by_uuid(context, uuid):
    """The instance with this uuid; raises InstanceNotFound."""
    with session_scope() as session:
        result = _query(context, session).filter(
            _Instance.uuid == str(uuid)).first()
        if result is None:
            raise exception.InstanceNotFound(instance_id=uuid)
        return result


def _order(query):
    return query.order_by(_Instance.created_at.desc(), _Instance.id.desc())


@require_context
def instance_get_all(context):
    """Every instance the context may see (all projects for admins)."""
    with session_scope() as session:
        return _order(_query(context, session)).all()


def _as_list(value):
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


def _int_list(values, key):
    result = []
    for value in _as_list(values):
        try:
            result.append(int(value))
        except (TypeError, ValueError):
            raise exception.InvalidParameterValue(
                err='Invalid value %r for filter %s' % (value, key))
    return result


def _time(value, key):
    if isinstance(value, datetime.datetime):
        return value
    try:
        return utils.parse_isotime(str(value))
    except ValueError:
        raise exception.InvalidParameterValue(
            err='Invalid time %r for filter %s' % (value, key))


def _apply_filters(query, filters):
    for key, value in filters.items():
        if key in ('deleted', 'read_deleted'):
            continue
        if key in ('instance_id', 'id', 'instance_ids'):
            query = query.filter(_Instance.id.in_(_int_list(value, key)))
        elif key == 'changes-since':
            query = query.filter(_Instance.updated_at >= _time(value, key))
        elif key == 'deleted-since':
            query = query.filter(_Instance.deleted_at >= _time(value, key))
        elif key == 'changes-before':
            # Rows never updated count from their creation.
            stamp = func.coalesce(_Instance.updated_at, _Instance.created_at)
            query = query.filter(stamp < _time(value, key))
        elif key in _EXACT_FILTERS:
            column = getattr(_Instance, key)
            values = _as_list(value)
            if None in values or (key == 'host' and '' in values):
                others = [v for v in values if v not in (None, '')]
                clause = or_(column.is_(None), column == '',
                             column.in_(others))
                query = query.filter(clause)
            elif len(values) == 1:
                query = query.filter(column == values[0])
            else:
                query = query.filter(column.in_(values))
        else:
            raise exception.InvalidParameterValue(
                err='Unsupported instance filter: %s' % key)
    return query


@require_context
def instance_get_all_by_filters(context, filters):
    """The instances matching every filter, newest first.

    Keys: ``project_id``, ``user_id``, ``reservation_id``, ``host`` (None
    matches unscheduled instances), ``vm_state`` / ``task_state`` (a value
    or a list), ``instance_id`` / ``id`` (an id or a list of ids),
    ``key_name``, ``availability_zone``, ``image_ref``, ``display_name``,
    ``uuid`` and other columns by equality, ``changes-since`` /
    ``changes-before`` / ``deleted-since`` (datetime or ISO time), and
    ``deleted`` (True: also
    deleted rows, 'only': just them).  Any other key raises
    InvalidParameterValue.  Non-admins are confined to their project.
    """
    filters = dict(filters or {})
    read_deleted = None
    if 'deleted' in filters:
        deleted = filters['deleted']
        read_deleted = 'only' if deleted == 'only' else \
            ('yes' if deleted else 'no')
    with session_scope() as session:
        query = _query(context, session, read_deleted=read_deleted)
        return _order(_apply_filters(query, filters)).all()


@require_context
def instance_get_all_by_host(context, host):
    """The live instances placed on ``host``."""
    return instance_get_all_by_filters(context, {'host': host})


@require_context
def instance_get_all_by_project(context, project_id):
    """The live instances of a project."""
    authorize_project_context(context, project_id)
    return instance_get_all_by_filters(context, {'project_id': project_id})


@require_context
def instance_get_all_by_user(context, user_id):
    """The live instances a user launched."""
    return instance_get_all_by_filters(context, {'user_id': user_id})


@require_context
def instance_get_all_by_reservation(context, reservation_id):
    """The live instances of one reservation (one RunInstances call)."""
    return sorted(instance_get_all_by_filters(
        context, {'reservation_id': reservation_id}),
        key=lambda inst: (inst.launch_index or 0, inst.id))


@require_context
def instance_get_fixed_addresses(context, instance_id):
    """The fixed IP addresses of an instance (a list of strings)."""
    with session_scope() as session:
        instance = _get(context, session, instance_id)
        return [fixed_ip.address for fixed_ip in instance.fixed_ips]


@require_context
def instance_data_get_for_project(context, project_id):
    """``(instances, vcpus, memory_mb)`` used by a project's live rows."""
    authorize_project_context(context, project_id)
    with session_scope() as session:
        row = session.query(
            func.count(_Instance.id),
            func.coalesce(func.sum(_Instance.vcpus), 0),
            func.coalesce(func.sum(_Instance.memory_mb), 0)).filter(
            _Instance.project_id == project_id,
            _Instance.deleted == false()).one()
        return int(row[0]), int(row[1]), int(row[2])


# -- writes ---------------------------------------------------------------------
@require_context
@retry_on_deadlock
def instance_update(context, instance_id, values):
    """Change columns of an instance and return it (eager-loaded).

    ``values['metadata']``, if present, replaces the instance's metadata.
    """
    values = dict(values)
    metadata = values.pop('metadata', None)
    with session_scope() as session:
        instance = _get(context, session, instance_id, eager=False)
        instance.update(values)
        if metadata is not None:
            _set_metadata(session, instance.id, metadata)
        session.flush()
        session.expire(instance)
        return _get(context, session, instance.id)


@require_context
@retry_on_deadlock
def instance_update_columns_many(context, instance_ids, values):
    """:func:`instance_update_columns` of several live instances in one
    UPDATE (those gone or out of the caller's scope are left out);
    returns how many rows changed."""
    ids = [int(instance_id) for instance_id in instance_ids]
    if not ids:
        return 0
    values = dict(values)
    values.setdefault('updated_at', utils.utcnow())
    table = _Instance.__table__
    conditions = [table.c.id.in_(ids), table.c.deleted == false()]
    if not is_admin_context(context):
        conditions.append(table.c.project_id == context.project_id)
    with session_scope() as session:
        return session.execute(update(table).where(*conditions)
                               .values(**values)).rowcount


@require_context
def instance_launch_lock(context, project_id):
    """Serialize quota-checked launches of one project across API workers.

    Call inside the :func:`session_scope` that counts usage and creates the
    rows; the lock is held until that transaction ends.  PostgreSQL takes a
    transaction-scoped advisory lock, MySQL/MariaDB locks the project's row
    (``SELECT ... FOR UPDATE``); SQLite already lets one writer at a time.
    """
    with session_scope() as session:
        dialect = session.get_bind().dialect.name
        if dialect == 'postgresql':
            session.execute(text('SELECT pg_advisory_xact_lock('
                                 'hashtext(:key))'),
                            {'key': 'nova-launch:%s' % project_id})
        elif dialect in ('mysql', 'mariadb'):
            session.execute(select(models.Project.id).where(
                models.Project.id == project_id).with_for_update())


# -- metadata -------------------------------------------------------------------
@require_context
def instance_metadata_get(context, instance_id):
    """``{key: value}`` of an instance's metadata."""
    with session_scope() as session:
        instance = _get(context, session, instance_id, eager=False)
        rows = session.query(_Meta).filter(_Meta.instance_id == instance.id,
                                           _Meta.deleted == false()).all()
        return dict((row.key, row.value) for row in rows)


@require_context
@retry_on_deadlock
def instance_metadata_update(context, instance_id, metadata, delete=False):
    """Add/overwrite metadata keys (``delete``: also drop the others)."""
    with session_scope() as session:
        instance = _get(context, session, instance_id, eager=False)
        current = {} if delete else instance_metadata_get(context,
                                                          instance.id)
        current.update(metadata or {})
        _set_metadata(session, instance.id, current)
        return current


@require_context
@retry_on_deadlock
def instance_metadata_delete(context, instance_id, key):
    """Remove one metadata key; raises NotFound when it is absent."""
    with session_scope() as session:
        instance = _get(context, session, instance_id, eager=False)
        now = utils.utcnow()
        count = session.execute(update(_Meta).where(
            _Meta.instance_id == instance.id, _Meta.key == key,
            _Meta.deleted == false()).values(
            deleted=True, deleted_at=now)).rowcount
        if not count:
            raise exception.NotFound(
                message='Instance %s has no metadata key %s'
                % (instance_id, key))
