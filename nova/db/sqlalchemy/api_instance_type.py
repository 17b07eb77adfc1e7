"""Instance types (flavors) and their extra specs.

As in Diablo these functions return plain dicts of the columns plus
``extra_specs`` (a ``{key: value}`` dict), and ``instance_type_get_all``
returns ``{name: dict}``.  Lookups by id, name or flavorid also find deleted
flavors: instances keep referring to the flavor they were built from, and
names and flavorids stay reserved until ``instance_type_purge``.
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
    'instance_type_create', 'instance_type_get_all', 'instance_type_get',
    'instance_type_get_by_name', 'instance_type_get_by_flavor_id',
    'instance_type_get_rxtx_cap',
    'instance_type_destroy', 'instance_type_purge',
    'instance_type_extra_specs_get', 'instance_type_extra_specs_delete',
    'instance_type_extra_specs_update_or_create',
]

_Type = models.InstanceTypes
_Spec = models.InstanceTypeExtraSpecs


def _as_dict(inst_type):
    """The flavor as a dict with its extra specs as ``{key: value}``."""
    result = dict(inst_type.items())
    result['extra_specs'] = dict((spec.key, spec.value)
                                 for spec in inst_type.extra_specs)
    return result


def _query(context, session, read_deleted='yes'):
    return model_query(context, _Type, session,
                       read_deleted=read_deleted).options(
        selectinload(_Type.extra_specs))


def _check_unique(session, name, flavorid):
    for column, value, exc_class, kwargs in (
            (_Type.name, name, exception.InstanceTypeExists,
             {'name': name}),
            (_Type.flavorid, flavorid, exception.InstanceTypeIdExists,
             {'flavor_id': flavorid})):
        if value is None:
            continue
        found = session.query(_Type).filter(column == value).first()
        if found is None:
            continue
        error = exc_class(**kwargs)
        if found.deleted:
            error = exc_class(
                message='%s (it is deleted; purge it to reuse it)' % error,
                **kwargs)
        raise error


@require_admin_context
@retry_on_deadlock
def instance_type_create(context, values):
    """Create a flavor from ``values`` (``extra_specs`` may be a dict).

    Raises InstanceTypeExists (name) or InstanceTypeIdExists (flavorid)
    when a flavor, even a deleted one, already holds them.
    """
    values = dict(values)
    specs = values.pop('extra_specs', None) or {}
    with session_scope() as session:
        _check_unique(session, values.get('name'), values.get('flavorid'))
        inst_type = _Type()
        inst_type.update(values)
        inst_type.extra_specs = [_Spec(key=key, value=value)
                                 for key, value in specs.items()]
        try:
            inst_type.save(session)
        except sa_exc.IntegrityError:
            raise exception.InstanceTypeExists(name=values.get('name'))
        return _as_dict(inst_type)


@require_context
def instance_type_get_all(context, inactive=False):
    """``{name: dict}`` of the flavors; ``inactive`` adds deleted ones."""
    with session_scope() as session:
        query = _query(context, session,
                       read_deleted='yes' if inactive else 'no')
        return dict((inst_type.name, _as_dict(inst_type))
                    for inst_type in query.order_by(_Type.name).all())


@require_context
def instance_type_get(context, instance_type_id):
    """The flavor with this id; raises InstanceTypeNotFound."""
    with session_scope() as session:
        inst_type = _query(context, session).filter(
            _Type.id == instance_type_id).first()
        if inst_type is None:
            raise exception.InstanceTypeNotFound(
                instance_type_id=instance_type_id)
        return _as_dict(inst_type)


@require_context
def instance_type_get_rxtx_cap(context, instance_type_id):
    """The ``rxtx_cap`` of a flavor (0 when unset); one narrow query, for
    nova-network's network info at every boot and delete.  Raises
    InstanceTypeNotFound."""
    with session_scope() as session:
        row = session.query(_Type.rxtx_cap).filter(
            _Type.id == instance_type_id).first()
        if row is None:
            raise exception.InstanceTypeNotFound(
                instance_type_id=instance_type_id)
        return row[0] or 0


@require_context
def instance_type_get_by_name(context, name):
    """The flavor named ``name``; raises InstanceTypeNotFoundByName."""
    with session_scope() as session:
        inst_type = _query(context, session).filter(
            _Type.name == name).first()
        if inst_type is None:
            raise exception.InstanceTypeNotFoundByName(
                instance_type_name=name)
        return _as_dict(inst_type)


@require_context
def instance_type_get_by_flavor_id(context, flavor_id):
    """The flavor with this flavorid; raises FlavorNotFound."""
    try:
        flavor_id = int(flavor_id)
    except (TypeError, ValueError):
        raise exception.FlavorNotFound(flavor_id=flavor_id)
    if not -2 ** 63 <= flavor_id < 2 ** 63:
        # Beyond the integer column: no flavor (and no overflow error).
        raise exception.FlavorNotFound(flavor_id=flavor_id)
    with session_scope() as session:
        inst_type = _query(context, session).filter(
            _Type.flavorid == flavor_id).first()
        if inst_type is None:
            raise exception.FlavorNotFound(flavor_id=flavor_id)
        return _as_dict(inst_type)


@require_admin_context
@retry_on_deadlock
def instance_type_destroy(context, name):
    """Mark a flavor deleted; raises InstanceTypeNotFoundByName."""
    with session_scope() as session:
        query = session.query(_Type).filter(_Type.name == name,
                                            _Type.deleted == false())
        if soft_delete_query(query) == 0:
            raise exception.InstanceTypeNotFoundByName(
                instance_type_name=name)


@require_admin_context
@retry_on_deadlock
def instance_type_purge(context, name):
    """Remove a flavor row (and its extra specs) for good."""
    with session_scope() as session:
        inst_type = session.query(_Type).filter(_Type.name == name).first()
        if inst_type is None:
            raise exception.InstanceTypeNotFoundByName(
                instance_type_name=name)
        session.execute(sql_delete(_Spec).where(
            _Spec.instance_type_id == inst_type.id))
        session.execute(sql_delete(_Type).where(_Type.id == inst_type.id))


# -- extra specs ------------------------------------------------------------------
@require_context
def instance_type_extra_specs_get(context, instance_type_id):
    """``{key: value}`` of a flavor's live extra specs."""
    return api_extra_specs.specs_get(context, _Spec, 'instance_type_id',
                                     instance_type_id)


@require_admin_context
@retry_on_deadlock
def instance_type_extra_specs_delete(context, instance_type_id, key):
    """Soft-delete one extra spec of a flavor."""
    api_extra_specs.specs_delete(context, _Spec, 'instance_type_id',
                                 instance_type_id, key)


@require_admin_context
@retry_on_deadlock
def instance_type_extra_specs_update_or_create(context, instance_type_id,
                                               specs):
    """Set extra specs of a flavor from a ``{key: value}`` dict."""
    return api_extra_specs.specs_update_or_create(
        context, _Spec, 'instance_type_id', instance_type_id, specs)
