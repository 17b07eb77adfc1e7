"""Virtual interfaces (Diablo's ``virtual_interfaces``): an instance's MAC
on a network; its fixed IPs point at it."""

from sqlalchemy import delete, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import joinedload

from nova import exception
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (model_query, require_context,
                                           session_scope)

__all__ = [
    'virtual_interface_create', 'virtual_interface_get',
    'virtual_interface_get_by_address', 'virtual_interface_get_by_instance',
    'virtual_interface_get_by_instance_and_network',
    'virtual_interface_delete_by_instance',
]


def _vif_query(context, session):
    return model_query(context, models.VirtualInterface, session,
                       read_deleted='no').options(
        joinedload(models.VirtualInterface.network),
        joinedload(models.VirtualInterface.fixed_ips))


@require_context
def virtual_interface_create(context, values):
    """Create a virtual interface.

    Raises VirtualInterfaceCreateException when the MAC is taken.
    """
    try:
        with session_scope() as session:
            ref = models.VirtualInterface()
            ref.update(values)
            ref.save(session)
            return ref
    except sa_exc.IntegrityError:
        raise exception.VirtualInterfaceCreateException()


@require_context
def virtual_interface_get(context, vif_id):
    """The virtual interface with this id, or None."""
    with session_scope() as session:
        return _vif_query(context, session).filter(
            models.VirtualInterface.id == vif_id).first()


@require_context
def virtual_interface_get_by_address(context, address):
    """The virtual interface with this MAC, or None."""
    with session_scope() as session:
        return _vif_query(context, session).filter(
            models.VirtualInterface.address == address).first()


@require_context
def virtual_interface_get_by_instance(context, instance_id):
    """The virtual interfaces of an instance (network and IPs loaded)."""
    with session_scope() as session:
        return _vif_query(context, session).filter(
            models.VirtualInterface.instance_id == instance_id).order_by(
            models.VirtualInterface.id).all()


@require_context
def virtual_interface_get_by_instance_and_network(context, instance_id,
                                                  network_id):
    """The instance's virtual interface on a network, or None (its row
    alone: nova-network reads its id at every allocation)."""
    with session_scope() as session:
        return model_query(context, models.VirtualInterface, session,
                           read_deleted='no').filter(
            models.VirtualInterface.instance_id == instance_id,
            models.VirtualInterface.network_id == network_id).first()


@require_context
def virtual_interface_delete_by_instance(context, instance_id):
    """Remove an instance's virtual interfaces (their MACs become free)."""
    with session_scope() as session:
        vif_ids = select(models.VirtualInterface.id).where(
            models.VirtualInterface.instance_id == instance_id)
        session.execute(
            update(models.FixedIp).where(
                models.FixedIp.virtual_interface_id.in_(vif_ids))
            .values(virtual_interface_id=None)
            .execution_options(synchronize_session=False))
        session.execute(delete(models.VirtualInterface).where(
            models.VirtualInterface.instance_id == instance_id))
