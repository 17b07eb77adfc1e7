"""Virtual storage arrays (the ``virtual_storage_arrays`` table).

The records of Diablo 2011.3's VSAs (Zadara): name ``--vsa_name_template``
of the id, display name and description, project, availability zone,
instance type and image of the VCs, VC and drive counts, status.  Their
drive types are volume types (see ``api_volume_type``).
"""

from sqlalchemy import false

from nova import exception
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (authorize_project_context,
                                           model_query,
                                           require_admin_context,
                                           require_context,
                                           retry_on_deadlock, session_scope,
                                           soft_delete_query)

__all__ = [
    'vsa_create', 'vsa_update', 'vsa_destroy', 'vsa_get', 'vsa_get_all',
    'vsa_get_all_by_project', 'vsa_volume_get_all', 'vsa_instance_get_all',
]

_Vsa = models.VirtualStorageArray
_Type = models.VolumeTypes
_Spec = models.VolumeTypeExtraSpecs


# -- virtual storage arrays ---------------------------------------------------
def _vsa_query(context, session):
    return model_query(context, _Vsa, session, project_only=True)


def _loaded(vsa):
    """A VSA with its instance type loaded (read after the session)."""
    _unused = vsa.vsa_instance_type
    return vsa


@require_context
@retry_on_deadlock
def vsa_create(context, values):
    """Record a VSA (``status``, ``vc_count``... from ``values``)."""
    with session_scope() as session:
        vsa = _Vsa()
        vsa.update(values)
        vsa.save(session)
        return _loaded(vsa)


@require_context
def vsa_get(context, vsa_id):
    """One VSA of the context's project; VirtualStorageArrayNotFound."""
    with session_scope() as session:
        vsa = _vsa_query(context, session).filter(_Vsa.id == vsa_id).first()
        if vsa is None:
            raise exception.VirtualStorageArrayNotFound(id=vsa_id)
        return _loaded(vsa)


@require_context
@retry_on_deadlock
def vsa_update(context, vsa_id, values):
    """Change columns of a VSA; the updated row."""
    with session_scope() as session:
        vsa = _vsa_query(context, session).filter(_Vsa.id == vsa_id).first()
        if vsa is None:
            raise exception.VirtualStorageArrayNotFound(id=vsa_id)
        vsa.update(values)
        vsa.save(session)
        return _loaded(vsa)


@require_context
@retry_on_deadlock
def vsa_destroy(context, vsa_id):
    """Soft-delete a VSA; VirtualStorageArrayNotFound if not live."""
    with session_scope() as session:
        if not soft_delete_query(_vsa_query(context, session).filter(
                _Vsa.id == vsa_id)):
            raise exception.VirtualStorageArrayNotFound(id=vsa_id)


@require_admin_context
def vsa_get_all(context):
    """Every live VSA, oldest first."""
    with session_scope() as session:
        return [_loaded(vsa) for vsa in model_query(
            context, _Vsa, session).order_by(_Vsa.id).all()]


@require_context
def vsa_get_all_by_project(context, project_id):
    """The live VSAs of one project, oldest first."""
    authorize_project_context(context, project_id)
    with session_scope() as session:
        return [_loaded(vsa) for vsa in model_query(
            context, _Vsa, session).filter(
                _Vsa.project_id == project_id).order_by(_Vsa.id).all()]


# -- what belongs to a VSA ----------------------------------------------------
@require_context
def vsa_volume_get_all(context, vsa_id, direction):
    """The live volumes whose metadata ``direction`` (Diablo's
    ``to_vsa_id``: the VSA's drives, ``from_vsa_id``: volumes it exports)
    is ``vsa_id``, of the context's project, by id."""
    volume = models.Volume
    meta = models.VolumeMetadata
    with session_scope() as session:
        owned = session.query(meta.volume_id).filter(
            meta.deleted == false(), meta.key == direction,
            meta.value == str(vsa_id))
        return model_query(context, volume, session,
                           project_only=True).filter(
            volume.id.in_(owned)).order_by(volume.id).all()


@require_context
def vsa_instance_get_all(context, vsa_id):
    """The live instances (VCs) whose metadata ``vsa_id`` is ``vsa_id``, of
    the context's project, by id."""
    instance = models.Instance
    meta = models.InstanceMetadata
    with session_scope() as session:
        owned = session.query(meta.instance_id).filter(
            meta.deleted == false(), meta.key == 'vsa_id',
            meta.value == str(vsa_id))
        return model_query(context, instance, session,
                           project_only=True).filter(
            instance.id.in_(owned)).order_by(instance.id).all()
