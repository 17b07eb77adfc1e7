"""Volume snapshots (``snapshots``) and block device mappings of instances
(``block_device_mapping``).

Non-admin contexts only see their own project's snapshots; mappings are
reached through their instance, which the caller has already checked.
A destroyed snapshot's EC2 tags go with it; :func:`snapshot_get_page` reads
snapshots in id order with keyset paging (EC2's MaxResults/NextToken).
"""

from sqlalchemy import exists, false, select, update
from sqlalchemy.orm import joinedload

from nova import exception
from nova import utils
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_page import keyset_page
from nova.db.sqlalchemy.api_tag import tag_delete_by_resources
from nova.db.sqlalchemy.session import connection_scope
from nova.db.sqlalchemy.api_common import (authorize_project_context,
                                           model_query, require_admin_context,
                                           require_context,
                                           retry_on_deadlock, session_scope,
                                           soft_delete_query)

__all__ = [
    'snapshot_create', 'snapshot_get', 'snapshot_get_all',
    'snapshot_get_all_by_project', 'snapshot_get_all_for_volume',
    'snapshot_get_page',
    'snapshot_update', 'snapshot_update_if_status', 'snapshot_destroy',
    'block_device_mapping_create', 'block_device_mapping_update',
    'block_device_mapping_get_all_by_instance',
    'block_device_mapping_get_all_by_instances',
    'instance_block_devices_exist',
    'block_device_mapping_destroy',
    'block_device_mapping_destroy_by_instance_and_volume',
]

_Snapshot = models.Snapshot
_Bdm = models.BlockDeviceMapping


def _snapshot_id(snapshot_id):
    try:
        return int(snapshot_id)
    except (TypeError, ValueError):
        raise exception.SnapshotNotFound(snapshot_id=snapshot_id)


def _get_snapshot(context, session, snapshot_id):
    result = model_query(context, _Snapshot, session,
                         project_only=True).filter(
        _Snapshot.id == _snapshot_id(snapshot_id)).first()
    if result is None:
        raise exception.SnapshotNotFound(snapshot_id=snapshot_id)
    return result


@require_context
@retry_on_deadlock
def snapshot_create(context, values):
    """Record a snapshot; returns it."""
    authorize_project_context(context, values.get('project_id'))
    with session_scope() as session:
        snapshot = _Snapshot()
        snapshot.update(values)
        snapshot.save(session)
        return snapshot


@require_context
def snapshot_get(context, snapshot_id):
    """A snapshot; raises SnapshotNotFound."""
    with session_scope() as session:
        return _get_snapshot(context, session, snapshot_id)


@require_admin_context
def snapshot_get_all(context):
    """Every live snapshot."""
    with session_scope() as session:
        return model_query(context, _Snapshot, session).order_by(
            _Snapshot.id).all()


@require_context
def snapshot_get_all_by_project(context, project_id):
    """The live snapshots of a project."""
    authorize_project_context(context, project_id)
    with session_scope() as session:
        return model_query(context, _Snapshot, session).filter(
            _Snapshot.project_id == project_id).order_by(_Snapshot.id).all()


@require_context
def snapshot_get_page(context, ids=None, marker=None, limit=None):
    """Up to ``limit`` live snapshots with ids above ``marker``, in id order.

    ``ids`` (integers) restricts the rows to those snapshots.  Non-admins
    only see their project's snapshots.
    """
    with session_scope() as session:
        query = model_query(context, _Snapshot, session, project_only=True)
        if ids is not None:
            query = query.filter(_Snapshot.id.in_([int(i) for i in ids]))
        return keyset_page(query, _Snapshot.id,
                           None if marker is None else int(marker),
                           limit).all()


@require_context
def snapshot_get_all_for_volume(context, volume_id):
    """The live snapshots taken of a volume."""
    with session_scope() as session:
        return model_query(context, _Snapshot, session,
                           project_only=True).filter(
            _Snapshot.volume_id == int(volume_id)).order_by(
            _Snapshot.id).all()


@require_context
@retry_on_deadlock
def snapshot_update(context, snapshot_id, values):
    """Change columns of a snapshot; returns it."""
    with session_scope() as session:
        snapshot = _get_snapshot(context, session, snapshot_id)
        snapshot.update(values)
        snapshot.save(session)
        return snapshot


@require_context
@retry_on_deadlock
def snapshot_update_if_status(context, snapshot_id, statuses, values):
    """Change columns only while ``status`` is in ``statuses`` (True if so)."""
    with session_scope() as session:
        _get_snapshot(context, session, snapshot_id)
        values = dict(values, updated_at=utils.utcnow())
        result = session.execute(update(_Snapshot).where(
            _Snapshot.id == _snapshot_id(snapshot_id),
            _Snapshot.deleted == false(),
            _Snapshot.status.in_(list(statuses))).values(**values))
        return result.rowcount == 1


@require_admin_context
@retry_on_deadlock
def snapshot_destroy(context, snapshot_id):
    """Soft-delete a snapshot and drop its tags."""
    with session_scope() as session:
        snapshot = _get_snapshot(context, session, snapshot_id)
        snapshot.delete(session)
        tag_delete_by_resources(context, ['snap-%08x' % snapshot.id],
                                session=session)


# -- block device mappings --------------------------------------------------------
@require_context
@retry_on_deadlock
def block_device_mapping_create(context, values):
    """Record how a device of an instance is backed; returns the row."""
    with session_scope() as session:
        bdm = _Bdm()
        bdm.update(values)
        bdm.save(session)
        return bdm


@require_context
@retry_on_deadlock
def block_device_mapping_update(context, bdm_id, values):
    """Change columns of a mapping."""
    with session_scope() as session:
        session.execute(update(_Bdm).where(_Bdm.id == int(bdm_id)).values(
            **dict(values, updated_at=utils.utcnow())))


@require_context
def block_device_mapping_get_all_by_instance(context, instance_id):
    """The live mappings of an instance, by device name."""
    with session_scope() as session:
        return model_query(context, _Bdm, session).options(
            joinedload(_Bdm.volume), joinedload(_Bdm.snapshot)).filter(
            _Bdm.instance_id == int(instance_id)).order_by(
            _Bdm.device_name, _Bdm.id).all()


def block_devices_exist_clauses(context, instance_id):
    """Two EXISTS clauses: the instance ``instance_id`` (a number, or a
    column to correlate with) has live block device mappings; it has live
    volumes attached (of the user's project for a user context)."""
    bdm, volume = _Bdm.__table__, models.Volume.__table__
    volume_scope = [volume.c.instance_id == instance_id,
                    volume.c.deleted == false()]
    if not context.is_admin:
        volume_scope.append(volume.c.project_id == context.project_id)
    return (exists().where(bdm.c.instance_id == instance_id,
                           bdm.c.deleted == false()),
            exists().where(*volume_scope))


@require_context
def instance_block_devices_exist(context, instance_id):
    """``(mappings, volumes)``: whether an instance has live block device
    mappings, and live volumes attached, in one small query.  Most
    instances have neither, and nova-compute then reads neither list at
    build and delete."""
    query = select(*block_devices_exist_clauses(context, int(instance_id)))
    with connection_scope(single_statement=True) as conn:
        mappings, volumes = conn.execute(query).one()
    return bool(mappings), bool(volumes)


@require_context
def block_device_mapping_get_all_by_instances(context, instance_ids):
    """``{instance_id: [live mappings, by device name]}`` of many
    instances in one query (the volume and snapshot are not loaded)."""
    instance_ids = sorted(set(int(i) for i in instance_ids or []))
    found = dict((instance_id, []) for instance_id in instance_ids)
    if not instance_ids:
        return found
    with session_scope() as session:
        rows = model_query(context, _Bdm, session).filter(
            _Bdm.instance_id.in_(instance_ids)).order_by(
            _Bdm.device_name, _Bdm.id).all()
    for row in rows:
        found[row.instance_id].append(row)
    return found


@require_context
@retry_on_deadlock
def block_device_mapping_destroy(context, bdm_id):
    """Soft-delete a mapping."""
    with session_scope() as session:
        soft_delete_query(session.query(_Bdm).filter(
            _Bdm.id == int(bdm_id), _Bdm.deleted == false()))


@require_context
@retry_on_deadlock
def block_device_mapping_destroy_by_instance_and_volume(context, instance_id,
                                                        volume_id):
    """Soft-delete the mappings of a volume on an instance."""
    with session_scope() as session:
        soft_delete_query(session.query(_Bdm).filter(
            _Bdm.instance_id == int(instance_id),
            _Bdm.volume_id == int(volume_id), _Bdm.deleted == false()))
