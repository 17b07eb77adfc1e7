"""Volumes (the ``volumes`` table) and the iSCSI targets they are exported on.

Non-admin contexts only see their own project's volumes.  State changes that
must not race (two attaches of one volume, a delete during an attach) go
through :func:`volume_update_if_status`, a compare-and-set in one UPDATE.
Quota usage (:func:`volume_data_get_for_project`) is counted from the live
rows.  A volume's ``iscsi_targets`` row is given back when it is destroyed,
and its EC2 tags go with it.  :func:`volume_get_page` reads volumes in id
order with keyset paging (EC2's MaxResults/NextToken).
"""

from sqlalchemy import false, func, update
from sqlalchemy.orm import joinedload

from nova import exception
from nova import utils
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_page import keyset_page
from nova.db.sqlalchemy.api_tag import tag_delete_by_resources
from nova.db.sqlalchemy.api_common import (authorize_project_context,
                                           model_query, require_admin_context,
                                           require_context,
                                           retry_on_deadlock, session_scope)

__all__ = [
    'volume_create', 'volume_get', 'volume_get_all', 'volume_get_all_by_host',
    'volume_get_all_by_instance', 'volume_get_all_by_project',
    'volume_update', 'volume_update_if_status', 'volume_destroy',
    'volume_attached', 'volume_detached', 'volume_data_get_for_project',
    'volume_get_instance', 'volume_get_iscsi_target_num',
    'iscsi_target_count_by_host', 'iscsi_target_create_safe',
    'volume_allocate_iscsi_target', 'volume_get_page',
]

_Volume = models.Volume
_Target = models.IscsiTarget


def _query(context, session, read_deleted=None):
    return model_query(context, _Volume, session, read_deleted=read_deleted,
                       project_only=True).options(
        joinedload(_Volume.instance))


def _volume_id(volume_id):
    try:
        return int(volume_id)
    except (TypeError, ValueError):
        raise exception.VolumeNotFound(volume_id=volume_id)


def _get(context, session, volume_id):
    volume = _query(context, session).filter(
        _Volume.id == _volume_id(volume_id)).first()
    if volume is None:
        raise exception.VolumeNotFound(volume_id=volume_id)
    return volume


@require_context
@retry_on_deadlock
def volume_create(context, values):
    """Record a volume; returns it (``status`` etc. from ``values``)."""
    authorize_project_context(context, values.get('project_id'))
    with session_scope() as session:
        volume = _Volume()
        volume.update(values)
        volume.save(session)
        return _get(context, session, volume.id)


@require_context
def volume_get(context, volume_id):
    """A volume with its instance loaded; raises VolumeNotFound."""
    with session_scope() as session:
        return _get(context, session, volume_id)


@require_admin_context
def volume_get_all(context):
    """Every live volume."""
    with session_scope() as session:
        return _query(context, session).order_by(_Volume.id).all()


@require_admin_context
def volume_get_all_by_host(context, host):
    """The live volumes whose storage is on ``host``."""
    with session_scope() as session:
        return _query(context, session).filter(
            _Volume.host == host).order_by(_Volume.id).all()


@require_context
def volume_get_all_by_instance(context, instance_id):
    """The live volumes attached to an instance."""
    with session_scope() as session:
        return _query(context, session).filter(
            _Volume.instance_id == int(instance_id)).order_by(
            _Volume.id).all()


@require_context
def volume_get_all_by_project(context, project_id):
    """The live volumes of a project."""
    authorize_project_context(context, project_id)
    with session_scope() as session:
        return _query(context, session).filter(
            _Volume.project_id == project_id).order_by(_Volume.id).all()


@require_context
def volume_get_page(context, ids=None, marker=None, limit=None):
    """Up to ``limit`` live volumes with ids above ``marker``, in id order.

    ``ids`` (integers) restricts the rows to those volumes (e.g. the ones
    a tag filter matched).  Non-admins only see their project's volumes.
    """
    with session_scope() as session:
        query = _query(context, session)
        if ids is not None:
            query = query.filter(_Volume.id.in_([int(i) for i in ids]))
        return keyset_page(query, _Volume.id,
                           None if marker is None else int(marker),
                           limit).all()


@require_context
def volume_get_instance(context, volume_id):
    """The instance a volume is attached to, or None."""
    return volume_get(context, volume_id).instance


@require_context
@retry_on_deadlock
def volume_update(context, volume_id, values):
    """Change columns of a volume; returns it."""
    with session_scope() as session:
        volume = _get(context, session, volume_id)
        volume.update(values)
        volume.save(session)
        return volume


@require_context
@retry_on_deadlock
def volume_update_if_status(context, volume_id, statuses, values):
    """Change columns only while ``status`` is one of ``statuses``.

    One UPDATE (a compare-and-set): returns True if the row changed, False
    if the volume was in another state.  Raises VolumeNotFound.
    """
    with session_scope() as session:
        _get(context, session, volume_id)
        values = dict(values, updated_at=utils.utcnow())
        result = session.execute(
            update(_Volume).where(
                _Volume.id == _volume_id(volume_id),
                _Volume.deleted == false(),
                _Volume.status.in_(list(statuses))).values(**values))
        return result.rowcount == 1


@require_context
@retry_on_deadlock
def volume_attached(context, volume_id, instance_id, mountpoint):
    """Mark a volume ``in-use`` on an instance at ``mountpoint``."""
    return volume_update(context, volume_id, {
        'status': 'in-use', 'attach_status': 'attached',
        'instance_id': int(instance_id), 'mountpoint': mountpoint,
        'attach_time': utils.isotime()})


@require_context
@retry_on_deadlock
def volume_detached(context, volume_id):
    """Mark a volume ``available`` and detached from any instance."""
    return volume_update(context, volume_id, {
        'status': 'available', 'attach_status': 'detached',
        'instance_id': None, 'mountpoint': None, 'attach_time': None})


@require_admin_context
@retry_on_deadlock
def volume_destroy(context, volume_id):
    """Soft-delete a volume, give back its iSCSI target, drop its tags."""
    with session_scope() as session:
        volume = _get(context, session, volume_id)
        session.execute(update(_Target).where(
            _Target.volume_id == volume.id).values(volume_id=None))
        volume.delete(session)
        tag_delete_by_resources(context, ['vol-%08x' % volume.id],
                                session=session)


@require_context
def volume_data_get_for_project(context, project_id):
    """``(count, gigabytes)`` of a project's live volumes."""
    with session_scope() as session:
        count, size = session.query(
            func.count(_Volume.id), func.sum(_Volume.size)).filter(
            _Volume.project_id == project_id,
            _Volume.deleted == false()).one()
        return int(count or 0), int(size or 0)


# -- iSCSI targets ---------------------------------------------------------------
@require_admin_context
def volume_get_iscsi_target_num(context, volume_id):
    """The target number of a volume; ISCSITargetNotFoundForVolume."""
    with session_scope() as session:
        target = model_query(context, _Target, session).filter(
            _Target.volume_id == int(volume_id)).first()
        if target is None:
            raise exception.ISCSITargetNotFoundForVolume(volume_id=volume_id)
        return target.target_num


@require_admin_context
def iscsi_target_count_by_host(context, host):
    """How many target rows ``host`` has."""
    with session_scope() as session:
        return model_query(context, _Target, session).filter(
            _Target.host == host).count()


@require_admin_context
@retry_on_deadlock
def iscsi_target_create_safe(context, values):
    """Add a target row unless ``host`` already has that ``target_num``."""
    with session_scope() as session:
        taken = model_query(context, _Target, session).filter(
            _Target.host == values['host'],
            _Target.target_num == values['target_num']).first()
        if taken is not None:
            return None
        target = _Target()
        target.update(values)
        target.save(session)
        return target


@require_admin_context
@retry_on_deadlock
def volume_allocate_iscsi_target(context, volume_id, host):
    """Give a volume the lowest free target number of ``host``.

    A volume that already holds a target keeps it.  Raises NoMoreTargets.
    """
    with session_scope() as session:
        mine = model_query(context, _Target, session).filter(
            _Target.host == host,
            _Target.volume_id == int(volume_id)).first()
        if mine is not None:
            return mine.target_num
        query = model_query(context, _Target, session).filter(
            _Target.host == host, _Target.volume_id.is_(None)).order_by(
            _Target.target_num)
        if session.bind.dialect.name != 'sqlite':
            query = query.with_for_update()
        target = query.first()
        if target is None:
            raise exception.NoMoreTargets(host=host)
        target.volume_id = int(volume_id)
        target.save(session)
        return target.target_num
