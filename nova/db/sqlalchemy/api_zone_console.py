"""Child zones (``zones``) and consoles of instances (``consoles``,
``console_pools``), Diablo's tables.

A zone row names a child zone's API (``api_url``, ``username``,
``password``, ``weight_offset``, ``weight_scale``); a console row is a
console a console proxy (a pool) serves for an instance.
"""

from sqlalchemy.orm import joinedload

from nova import exception
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (model_query, require_admin_context,
                                           require_context, retry_on_deadlock,
                                           session_scope)

__all__ = ['zone_create', 'zone_update', 'zone_delete', 'zone_get',
           'zone_get_all', 'console_get_all_by_instance', 'console_get']

_Zone = models.Zone
_Console = models.Console


def _zone_not_found(zone_id):
    return exception.NotFound(message='Zone %s could not be found.'
                              % zone_id)


@require_admin_context
@retry_on_deadlock
def zone_create(context, values):
    """A new child zone row."""
    with session_scope() as session:
        zone = _Zone()
        zone.update(values)
        zone.save(session)
        return zone


@require_admin_context
def zone_get(context, zone_id):
    """The zone ``zone_id``; NotFound otherwise."""
    with session_scope() as session:
        zone = model_query(context, _Zone, session).filter(
            _Zone.id == zone_id).first()
        if zone is None:
            raise _zone_not_found(zone_id)
        return zone


@require_admin_context
def zone_get_all(context):
    """Every child zone, by id."""
    with session_scope() as session:
        return model_query(context, _Zone, session).order_by(_Zone.id).all()


@require_admin_context
@retry_on_deadlock
def zone_update(context, zone_id, values):
    """Change a zone's columns; returns it."""
    with session_scope() as session:
        zone = model_query(context, _Zone, session).filter(
            _Zone.id == zone_id).first()
        if zone is None:
            raise _zone_not_found(zone_id)
        zone.update(values)
        zone.save(session)
        return zone


@require_admin_context
@retry_on_deadlock
def zone_delete(context, zone_id):
    """Soft-delete a zone."""
    with session_scope() as session:
        zone = model_query(context, _Zone, session).filter(
            _Zone.id == zone_id).first()
        if zone is None:
            raise _zone_not_found(zone_id)
        zone.delete(session)


@require_context
def console_get_all_by_instance(context, instance_id):
    """The consoles of an instance, with their pools."""
    with session_scope() as session:
        return model_query(context, _Console, session).options(
            joinedload(_Console.pool)).filter(
            _Console.instance_id == instance_id).order_by(_Console.id).all()


@require_context
def console_get(context, console_id, instance_id=None):
    """Console ``console_id`` (of ``instance_id`` when given), with its
    pool; NotFound otherwise."""
    with session_scope() as session:
        query = model_query(context, _Console, session).options(
            joinedload(_Console.pool)).filter(_Console.id == console_id)
        if instance_id is not None:
            query = query.filter(_Console.instance_id == instance_id)
        console = query.first()
        if console is None:
            raise exception.NotFound(message='Console %s could not be '
                                     'found.' % console_id)
        return console
