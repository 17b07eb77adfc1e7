"""What nova-compute reads and writes of the instances it builds and deletes.

Every launch and every delete passes here several times: the instance with
its flavor and groups, its states, each state transition, its soft delete.
A compute host building a hundred instances at once would pay a transaction
(and its round trips) per call; instead, calls of admin contexts made while
another runs are gathered by a :class:`~nova.utils.concurrency.Batcher` and
run together, in one transaction, with ``IN`` lists and executemany: under
load the cost per instance falls with the batch size, and a call made alone
runs at once as before.  Each call still gets its own answer, and its own
InstanceNotFound.

Calls inside a caller's transaction, and calls of user contexts (scoped to
their project, or reading deleted rows) run alone, in the caller's scope.
"""

from sqlalchemy import (bindparam, delete, exists, false, or_, select,
                        update)
from sqlalchemy.orm import joinedload

from nova import exception
from nova import utils
from nova.db.sqlalchemy import batched
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy import session as db_session
from nova.db.sqlalchemy.api_instance import (
    instance_id_or_not_found as _instance_id)
from nova.db.sqlalchemy.api_snapshot import block_devices_exist_clauses
from nova.db.sqlalchemy.api_common import (cached_statement,
                                           is_admin_context,
                                           read_deleted_mode,
                                           require_context,
                                           retry_on_deadlock)

__all__ = ['instance_get_for_host', 'instance_get_states',
           'instance_update_columns', 'instance_update_if_building',
           'instance_destroy']

_Instance = models.Instance
_TABLE = models.Instance.__table__


def _scope(context, table):
    """The conditions of a context's scope on ``table`` (live rows; its own
    project's for a user context)."""
    conditions = [table.c.deleted == false()]
    if not is_admin_context(context):
        conditions.append(table.c.project_id == context.project_id)
    return conditions


def _by_id(ids, found):
    """One outcome per id: the row found for it, or InstanceNotFound."""
    return [(True, found[i]) if i in found else
            (False, exception.InstanceNotFound(instance_id=i)) for i in ids]


# -- the instance with its flavor and groups ------------------------------------
def _for_host_statement(context):
    """The read of instances for their host by id (``ids``), with EXISTS
    columns: block device mappings, attached volumes, and a live rule
    naming one of its groups.  Built once for admin contexts reading live
    rows, whose calls are batched (building it cost more than running
    it); anew for the others."""
    if is_admin_context(context) and read_deleted_mode(context) == 'no':
        return cached_statement(('instance_for_host',),
                                lambda: _build_for_host(context))
    return _build_for_host(context)


def _build_for_host(context):
    assoc = models.SecurityGroupInstanceAssociation.__table__
    rule = models.SecurityGroupIngressRule.__table__
    granted = exists().where(
        assoc.c.instance_id == _Instance.id, assoc.c.deleted == false(),
        rule.c.group_id == assoc.c.security_group_id,
        rule.c.deleted == false())
    columns = block_devices_exist_clauses(context, _Instance.id) + (granted,)
    statement = select(_Instance, *[column.correlate(_Instance)
                                    for column in columns]).options(
        joinedload(_Instance.instance_type),
        # in the same statement (a row per group: most have one)
        joinedload(_Instance.security_groups)).where(
        _Instance.id.in_(bindparam('ids', expanding=True)))
    mode = read_deleted_mode(context)
    if mode != 'yes':
        statement = statement.where(_Instance.deleted == (mode == 'only'))
    if not is_admin_context(context):
        statement = statement.where(
            _Instance.project_id == context.project_id)
    return statement


def _get_for_host_many(context, ids):
    statement = _for_host_statement(context)
    with db_session.read_scope() as session:
        found = {}
        for row, has_mappings, has_volumes, is_granted in session.execute(
                statement, {'ids': sorted(set(ids))}).unique():
            row.block_devices = (bool(has_mappings), bool(has_volumes))
            row.groups_granted = bool(is_granted)
            found[row.id] = row
    return _by_id(ids, found)


_GET_FOR_HOST = batched.batcher(_get_for_host_many)


@require_context
def instance_get_for_host(context, instance_id):
    """The instance with its flavor and security groups, not its addresses
    or metadata: what nova-compute reads to build or delete it.  Its
    ``block_devices`` attribute says, as
    :func:`~nova.db.sqlalchemy.api_snapshot.instance_block_devices_exist`
    does, whether it has mappings and attached volumes (read in the same
    query), and its ``groups_granted`` whether a live rule lets members of
    one of its groups in (then hosts are to be told when it comes or
    goes).  Raises InstanceNotFound."""
    return batched.submit(_GET_FOR_HOST, context,
                          _instance_id(instance_id), _get_for_host_many)


# -- its states -----------------------------------------------------------------
def _get_states_many(context, ids):
    with db_session.connection_scope(single_statement=True) as conn:
        rows = conn.execute(
            select(_TABLE.c.id, _TABLE.c.vm_state, _TABLE.c.task_state)
            .where(_TABLE.c.id.in_(sorted(set(ids))),
                   *_scope(context, _TABLE))).all()
    return _by_id(ids, dict((row[0], (row[1], row[2])) for row in rows))


_GET_STATES = batched.batcher(_get_states_many)


@require_context
def instance_get_states(context, instance_id):
    """``(vm_state, task_state)`` of a live instance, in one small query.

    Raises InstanceNotFound when it is gone (deleted meanwhile).
    """
    return batched.submit(_GET_STATES, context, _instance_id(instance_id),
                          _get_states_many)


# -- column updates -------------------------------------------------------------
def _build_update(columns, scoped):
    """The UPDATE of ``columns`` of one live row by id (``b_id``; of the
    project ``b_project`` when ``scoped``)."""
    conditions = [_TABLE.c.id == bindparam('b_id'),
                  _TABLE.c.deleted == false()]
    if scoped:
        conditions.append(_TABLE.c.project_id == bindparam('b_project'))
    return update(_TABLE).where(*conditions).values(
        {name: bindparam('b_' + name) for name in columns})


def _grouped(context, changes):
    """``{column names: [executemany parameters]}`` of ``changes``."""
    scoped = not is_admin_context(context)
    groups = {}
    for instance_id, values in changes:
        params = {'b_' + name: value for name, value in values.items()}
        params['b_id'] = instance_id
        if scoped:
            params['b_project'] = context.project_id
        groups.setdefault(tuple(sorted(values)), []).append(params)
    return groups


def _update_rows(conn, context, changes, groups=None):
    """Apply ``changes`` ([(id, values)]) with one executemany per set of
    columns; whether every change matched a live row of the scope (None:
    the driver cannot tell for an executemany)."""
    scoped = not is_admin_context(context)
    groups = groups or _grouped(context, changes)
    matched = 0
    for columns, params in groups.items():
        result = conn.execute(cached_statement(
            ('instance_columns', columns, scoped), _build_update), params)
        if len(params) > 1 and not result.supports_sane_multi_rowcount():
            return None
        matched += result.rowcount
    return matched == len(changes)


def _ids_where(conn, ids, *conditions):
    """Which of ``ids`` have a row meeting ``conditions``."""
    return set(row[0] for row in conn.execute(
        select(_TABLE.c.id).where(_TABLE.c.id.in_(sorted(ids)),
                                  *conditions)))


def _update_many(context, changes):
    groups = _grouped(context, changes)
    missing = set()
    with db_session.connection_scope(
            single_statement=len(groups) == 1) as conn:
        if not _update_rows(conn, context, changes, groups):
            ids = set(instance_id for instance_id, _ in changes)
            missing = ids - _ids_where(conn, ids, *_scope(context, _TABLE))
    return [(False, exception.InstanceNotFound(instance_id=instance_id))
            if instance_id in missing else (True, None)
            for instance_id, _ in changes]


_UPDATE_COLUMNS = batched.batcher(_update_many)


@require_context
@retry_on_deadlock
def instance_update_columns(context, instance_id, values):
    """Change columns of a live instance in one UPDATE, returning nothing.

    The cheap form of ``instance_update`` for callers that do not need the
    instance back (state transitions on the launch and terminate paths).
    Raises InstanceNotFound when no live instance of the caller's scope has
    that id.
    """
    values = dict(values)
    values.setdefault('updated_at', utils.utcnow())
    batched.submit(_UPDATE_COLUMNS, context,
                   (_instance_id(instance_id), values), _update_many)


@require_context
@retry_on_deadlock
def instance_update_if_building(context, instance_id, values):
    """Set ``values`` on a live instance only while it is ``building``
    and not being deleted (``task_state`` other than ``deleting``), in one
    conditional UPDATE: how a build ends, without overwriting a delete or
    an error that came meanwhile.  Whether it applied."""
    values = dict(values)
    values.setdefault('updated_at', utils.utcnow())
    scoped = not is_admin_context(context)
    params = {'b_' + name: value for name, value in values.items()}
    params['b_id'] = _instance_id(instance_id)
    if scoped:
        params['b_project'] = context.project_id
    statement = cached_statement(
        ('instance_if_building', tuple(sorted(values)), scoped),
        _build_update_if_building)
    with db_session.connection_scope(single_statement=True) as conn:
        return conn.execute(statement, params).rowcount == 1


def _build_update_if_building(columns, scoped):
    task = _TABLE.c.task_state
    return _build_update(columns, scoped).where(
        _TABLE.c.vm_state == 'building',
        or_(task.is_(None), task != 'deleting'))


# -- soft delete ----------------------------------------------------------------
def _destroy_many(context, doomed):
    """Soft-delete instances ([(id, values)]) and what hangs on them."""
    now = utils.utcnow()
    gone = {'deleted': True, 'deleted_at': now, 'updated_at': now}
    try:
        live = _destroy_rows(context, doomed, gone, check_first=False)
    except _Unmatched:
        # Some were gone already (rolled back): find which, then again.
        live = _destroy_rows(context, doomed, gone, check_first=True)
    # As one after the other: a second destroy of an instance in the same
    # batch finds it gone.
    outcomes, done = [], set()
    for instance_id, _ in doomed:
        if instance_id in live and instance_id not in done:
            done.add(instance_id)
            outcomes.append((True, None))
        else:
            outcomes.append((False, exception.InstanceNotFound(
                instance_id=instance_id)))
    return outcomes


_HELD = (models.InstanceMetadata.__table__, models.InstanceFault.__table__)
_TAGS = models.Tag.__table__


def _build_soft_delete(table):
    """The soft delete of ``table``'s live rows of the instances
    ``b_ids`` (``b_deleted``, ``b_deleted_at``, ``b_updated_at``)."""
    return update(table).where(
        table.c.instance_id.in_(bindparam('b_ids', expanding=True)),
        table.c.deleted == false()).values(
        deleted=bindparam('b_deleted'), deleted_at=bindparam('b_deleted_at'),
        updated_at=bindparam('b_updated_at'))


def _build_presence():
    """Whether metadata, faults and EC2 tags of the instances exist."""
    ids = bindparam('b_ids', expanding=True)
    return select(*[
        exists().where(table.c.instance_id.in_(ids),
                       table.c.deleted == false()) for table in _HELD] + [
        exists().where(_TAGS.c.resource_id.in_(
            bindparam('b_tag_ids', expanding=True)))])


def _release_rows(conn, live_ids, gone):
    """Soft-delete the group memberships, metadata and faults of
    instances being destroyed, and delete their EC2 tags (revision 005).

    Memberships are nearly always there (the default group); metadata,
    faults and tags seldom: one query tells which of those three tables
    hold any, and only those are written.  The statements are built once.
    """
    params = {'b_ids': list(live_ids), 'b_deleted': gone['deleted'],
              'b_deleted_at': gone['deleted_at'],
              'b_updated_at': gone['updated_at']}
    assoc = models.SecurityGroupInstanceAssociation.__table__
    conn.execute(cached_statement(('soft_delete', assoc),
                                  _build_soft_delete), params)
    tag_ids = ['i-%08x' % instance_id for instance_id in live_ids]
    present = conn.execute(cached_statement(('held_rows',), _build_presence),
                           {'b_ids': list(live_ids),
                            'b_tag_ids': tag_ids}).one()
    for table, found in zip(_HELD, present):
        if found:
            conn.execute(cached_statement(('soft_delete', table),
                                          _build_soft_delete), params)
    if present[-1]:
        conn.execute(cached_statement(('delete_tags',), lambda: delete(
            _TAGS).where(_TAGS.c.resource_id.in_(
                bindparam('b_tag_ids', expanding=True)))),
            {'b_tag_ids': tag_ids})


class _Unmatched(Exception):
    """Not every instance of a batch matched a live row."""


def _destroy_rows(context, doomed, gone, check_first):
    """One transaction of :func:`_destroy_many`; the ids destroyed.

    Without ``check_first``, the instances are updated first and, when
    every one matched (the usual case), no query has to find which did;
    otherwise :class:`_Unmatched` rolls it back.
    """
    ids = set(instance_id for instance_id, _ in doomed)
    with db_session.connection_scope() as conn:
        live = ids
        if check_first:
            live = _ids_where(conn, ids, *_scope(context, _TABLE))
        changes, first = [], set()
        for instance_id, values in doomed:
            if instance_id in live and instance_id not in first:
                first.add(instance_id)
                changes.append((instance_id, dict(values or {}, **gone)))
        if changes and not _update_rows(conn, context, changes) and \
                not check_first:
            raise _Unmatched()
        if live:
            _release_rows(conn, sorted(live), gone)
    return live


_DESTROY = batched.batcher(_destroy_many)


@require_context
@retry_on_deadlock
def instance_destroy(context, instance_id, values=None):
    """Soft-delete an instance, its group memberships, its metadata and
    faults, and its EC2 tags.

    ``values`` are further columns of the instance set in the same UPDATE
    (its final vm_state, terminated_at, ...).  Raises InstanceNotFound.
    """
    batched.submit(_DESTROY, context, (_instance_id(instance_id), values),
                   _destroy_many)
