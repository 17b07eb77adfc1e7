"""Volume types and their extra specs (tables ``volume_types`` and
``volume_type_extra_specs``).

As in Diablo these functions return plain dicts of the columns plus
``extra_specs`` (a ``{key: value}`` dict), and ``volume_type_get_all``
returns ``{name: dict}``.  Deleting is a soft delete; the name of a
deleted type stays taken until ``volume_type_purge``.  Reads by id also
find a deleted type (volumes keep referring to theirs).
"""

from sqlalchemy import delete as sql_delete, false
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import selectinload

from nova import exception
from nova.db.sqlalchemy import api_extra_specs
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (model_query, require_admin_context,
                                           require_context, retry_on_deadlock,
                                           session_scope, soft_delete_query)

__all__ = [
    'volume_type_create', 'volume_type_get_all', 'volume_type_get',
    'volume_type_get_by_name', 'volume_type_destroy', 'volume_type_purge',
    'volume_type_extra_specs_get', 'volume_type_extra_specs_delete',
    'volume_type_extra_specs_update_or_create',
]

_Type = models.VolumeTypes
_Spec = models.VolumeTypeExtraSpecs


def _as_dict(volume_type):
    """The type as a dict with its extra specs as ``{key: value}``."""
    result = dict(volume_type.items())
    result['extra_specs'] = dict((spec.key, spec.value)
                                 for spec in volume_type.extra_specs)
    return result


def _query(context, session, read_deleted='yes'):
    return model_query(context, _Type, session,
                       read_deleted=read_deleted).options(
        selectinload(_Type.extra_specs))


@require_admin_context
@retry_on_deadlock
def volume_type_create(context, values):
    """Create a volume type from ``values`` (``extra_specs`` a dict).

    Raises VolumeTypeExists when a type, even a deleted one, has the name.
    """
    values = dict(values)
    specs = values.pop('extra_specs', None) or {}
    with session_scope() as session:
        found = session.query(_Type).filter(
            _Type.name == values.get('name')).first()
        if found is not None:
            raise exception.VolumeTypeExists(name=values.get('name'))
        volume_type = _Type()
        volume_type.update(values)
        volume_type.extra_specs = [_Spec(key=key, value=value)
                                   for key, value in specs.items()]
        try:
            volume_type.save(session)
        except sa_exc.IntegrityError:
            raise exception.VolumeTypeExists(name=values.get('name'))
        return _as_dict(volume_type)


@require_context
def volume_type_get_all(context, inactive=False):
    """``{name: dict}`` of the volume types; ``inactive`` adds deleted
    ones."""
    with session_scope() as session:
        query = _query(context, session,
                       read_deleted='yes' if inactive else 'no')
        return dict((volume_type.name, _as_dict(volume_type))
                    for volume_type in query.order_by(_Type.name).all())


@require_context
def volume_type_get(context, volume_type_id, read_deleted='yes'):
    """The volume type with this id; raises VolumeTypeNotFound."""
    with session_scope() as session:
        volume_type = _query(context, session, read_deleted).filter(
            _Type.id == volume_type_id).first()
        if volume_type is None:
            raise exception.VolumeTypeNotFound(volume_type_id=volume_type_id)
        return _as_dict(volume_type)


@require_context
def volume_type_get_by_name(context, name):
    """The live volume type named ``name``; raises
    VolumeTypeNotFoundByName."""
    with session_scope() as session:
        volume_type = _query(context, session, 'no').filter(
            _Type.name == name).first()
        if volume_type is None:
            raise exception.VolumeTypeNotFoundByName(volume_type_name=name)
        return _as_dict(volume_type)


@require_admin_context
@retry_on_deadlock
def volume_type_destroy(context, name):
    """Mark a volume type (and its specs) deleted; raises
    VolumeTypeNotFoundByName."""
    with session_scope() as session:
        volume_type = session.query(_Type).filter(
            _Type.name == name, _Type.deleted == false()).first()
        if volume_type is None:
            raise exception.VolumeTypeNotFoundByName(volume_type_name=name)
        soft_delete_query(session.query(_Spec).filter(
            _Spec.volume_type_id == volume_type.id,
            _Spec.deleted == false()))
        soft_delete_query(session.query(_Type).filter(
            _Type.id == volume_type.id))


@require_admin_context
@retry_on_deadlock
def volume_type_purge(context, name):
    """Remove a volume type row (and its extra specs) for good."""
    with session_scope() as session:
        volume_type = session.query(_Type).filter(_Type.name == name).first()
        if volume_type is None:
            raise exception.VolumeTypeNotFoundByName(volume_type_name=name)
        session.execute(sql_delete(_Spec).where(
            _Spec.volume_type_id == volume_type.id))
        session.execute(sql_delete(_Type).where(_Type.id == volume_type.id))


# -- extra specs ------------------------------------------------------------------
@require_context
def volume_type_extra_specs_get(context, volume_type_id):
    """``{key: value}`` of a volume type's live extra specs."""
    return api_extra_specs.specs_get(context, _Spec, 'volume_type_id',
                                     volume_type_id)


@require_admin_context
@retry_on_deadlock
def volume_type_extra_specs_delete(context, volume_type_id, key):
    """Soft-delete one extra spec; raises VolumeTypeExtraSpecsNotFound."""
    if api_extra_specs.specs_delete(context, _Spec, 'volume_type_id',
                                    volume_type_id, key) == 0:
        raise exception.VolumeTypeExtraSpecsNotFound(
            volume_type_id=volume_type_id, extra_specs_key=key)


@require_admin_context
@retry_on_deadlock
def volume_type_extra_specs_update_or_create(context, volume_type_id,
                                             specs):
    """Set extra specs of a volume type from a ``{key: value}`` dict."""
    return api_extra_specs.specs_update_or_create(
        context, _Spec, 'volume_type_id', volume_type_id, specs)
