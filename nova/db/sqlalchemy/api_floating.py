"""Floating IPs: their rows, and their changing hands (allocation to
projects and association).

Like fixed IPs, floating IPs are claimed with a conditional ``UPDATE ...
WHERE <still free>`` and a row-count check, so concurrent
``AllocateAddress`` calls never receive the same address, and an address
is associated or released only from the state the caller saw.
"""

import logging

from sqlalchemy import false, func, update
from sqlalchemy.orm import joinedload

from nova import exception
from nova import utils
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (is_admin_context, model_query,
                                           require_admin_context,
                                           require_context,
                                           retry_on_deadlock, session_scope)
from nova.db.sqlalchemy.api_network import (CLAIM_ATTEMPTS, _claim,
                                            _skip_locked,
                                            fixed_ip_get_by_address)

LOG = logging.getLogger('nova.db.sqlalchemy.api_floating')

__all__ = ['floating_ip_create', 'floating_ip_bulk_create',
           'floating_ip_get_all', 'floating_ip_get_all_by_host',
           'floating_ip_get_all_by_project', 'floating_ip_get_by_address',
           'floating_ip_destroy', 'floating_ip_bulk_destroy',
           'floating_ip_count_by_project',
           'floating_ip_allocate_address', 'floating_ip_deallocate',
           'floating_ip_fixed_ip_associate', 'floating_ip_disassociate',
           'floating_ip_get_by_fixed_address',
           'floating_ip_get_by_instance']


def _free():
    return [models.FloatingIp.deleted == false(),
            models.FloatingIp.project_id.is_(None)]


@require_context
@retry_on_deadlock
def floating_ip_allocate_address(context, project_id, host=None,
                                 auto_assigned=False):
    """Give a free floating IP to a project; returns its address.

    ``host`` limits the choice to that network host's addresses (or those
    without a host).  Raises NoMoreFloatingIps.
    """
    values = {'project_id': project_id, 'auto_assigned': auto_assigned}
    for _attempt in range(CLAIM_ATTEMPTS):
        with session_scope() as session:
            query = session.query(models.FloatingIp.id,
                                  models.FloatingIp.address).filter(
                *_free()).order_by(models.FloatingIp.id)
            candidate = _skip_locked(query, session).first()
            if candidate is None:
                raise exception.NoMoreFloatingIps()
            if _claim(session, models.FloatingIp, candidate[0], _free(),
                      values):
                return candidate[1]
    raise exception.NoMoreFloatingIps()


def _by_address(session, context, address):
    ref = _floating_query(context, session).filter(
        models.FloatingIp.address == address).first()
    if ref is None:
        raise exception.FloatingIpNotFoundForAddress(address=address)
    return ref


@require_context
def floating_ip_deallocate(context, address, project_id=None):
    """Return a project's unassociated floating IP to the pool.

    Raises FloatingIpNotFoundForAddress (also for another project's
    address) or FloatingIpInUse when it is associated.
    """
    with session_scope() as session:
        ref = _by_address(session, context, address)
        if project_id is not None and ref.project_id != project_id:
            raise exception.FloatingIpNotFoundForAddress(address=address)
        clause = [models.FloatingIp.fixed_ip_id.is_(None),
                  models.FloatingIp.deleted == false()]
        if not _claim(session, models.FloatingIp, ref.id, clause,
                      {'project_id': None, 'host': None,
                       'auto_assigned': False}):
            raise exception.FloatingIpInUse(address=address)


@require_context
def floating_ip_fixed_ip_associate(context, address, fixed_address, host):
    """Associate a free floating IP with a fixed IP on ``host``.

    Raises FloatingIpAlreadyAssociated when it is associated already.
    """
    fixed = fixed_ip_get_by_address(context.elevated(), fixed_address)
    with session_scope() as session:
        ref = _by_address(session, context, address)
        clause = [models.FloatingIp.fixed_ip_id.is_(None),
                  models.FloatingIp.deleted == false()]
        if not _claim(session, models.FloatingIp, ref.id, clause,
                      {'fixed_ip_id': fixed['id'], 'host': host}):
            raise exception.FloatingIpAlreadyAssociated(address=address)


@require_context
def floating_ip_disassociate(context, address):
    """Disassociate a floating IP; returns the fixed address it had.

    Returns None when it was not associated.
    """
    with session_scope() as session:
        ref = _by_address(session, context, address)
        if ref.fixed_ip_id is None:
            return None
        fixed_address = ref.fixed_ip.address if ref.fixed_ip else None
        session.execute(
            update(models.FloatingIp).where(
                models.FloatingIp.id == ref.id,
                models.FloatingIp.fixed_ip_id == ref.fixed_ip_id)
            .values(fixed_ip_id=None, host=None)
            .execution_options(synchronize_session=False))
        return fixed_address


@require_context
def floating_ip_get_by_fixed_address(context, fixed_address):
    """The floating IPs associated with a fixed address."""
    fixed = fixed_ip_get_by_address(context.elevated(), fixed_address)
    with session_scope() as session:
        return _floating_query(context, session).filter(
            models.FloatingIp.fixed_ip_id == fixed['id']).all()


@require_context
def floating_ip_get_by_instance(context, instance_id):
    """The floating IPs associated with any fixed IP of an instance."""
    with session_scope() as session:
        return _floating_query(context, session).join(
            models.FixedIp, models.FloatingIp.fixed_ip_id ==
            models.FixedIp.id).filter(
            models.FixedIp.instance_id == instance_id).all()


# -- floating IPs -------------------------------------------------------------------
def _floating_query(context, session):
    return model_query(context, models.FloatingIp, session).options(
        joinedload(models.FloatingIp.fixed_ip).joinedload(
            models.FixedIp.instance))


@require_admin_context
def floating_ip_create(context, values):
    """Create a floating IP; raises FloatingIpExists for a live duplicate."""
    return floating_ip_bulk_create(context, [values])[0]


@require_admin_context
def floating_ip_bulk_create(context, ips):
    """Create many floating IPs in one transaction; returns them.

    Raises FloatingIpExists (nothing written) when an address exists.
    """
    with session_scope() as session:
        addresses = [ip['address'] for ip in ips]
        taken = set()
        for start in range(0, len(addresses), 500):
            chunk = addresses[start:start + 500]
            taken.update(row[0] for row in session.query(
                models.FloatingIp.address).filter(
                models.FloatingIp.deleted == false(),
                models.FloatingIp.address.in_(chunk)))
        if taken:
            raise exception.FloatingIpExists(
                address=', '.join(sorted(taken)))
        refs = []
        for values in ips:
            ref = models.FloatingIp()
            ref.update(values)
            session.add(ref)
            refs.append(ref)
        session.flush()
        return refs


@require_admin_context
def floating_ip_get_all(context):
    """Every live floating IP, by id."""
    with session_scope() as session:
        return _floating_query(context, session).order_by(
            models.FloatingIp.id).all()


@require_admin_context
def floating_ip_get_all_by_host(context, host):
    """The floating IPs of a network host."""
    with session_scope() as session:
        return _floating_query(context, session).filter(
            models.FloatingIp.host == host).order_by(
            models.FloatingIp.id).all()


@require_context
def floating_ip_get_all_by_project(context, project_id):
    """The floating IPs a project allocated (auto-assigned ones excluded)."""
    with session_scope() as session:
        return _floating_query(context, session).filter(
            models.FloatingIp.project_id == project_id,
            models.FloatingIp.auto_assigned == false()).order_by(
            models.FloatingIp.id).all()


@require_context
def floating_ip_get_by_address(context, address):
    """The floating IP of ``address``; raises FloatingIpNotFoundForAddress."""
    with session_scope() as session:
        ref = _floating_query(context, session).filter(
            models.FloatingIp.address == address).first()
        if ref is None:
            raise exception.FloatingIpNotFoundForAddress(address=address)
        if not is_admin_context(context) and ref.project_id and \
                ref.project_id != context.project_id:
            raise exception.NotAuthorized()
        return ref


@require_admin_context
def floating_ip_destroy(context, address):
    """Soft-delete a floating IP; raises FloatingIpInUse when associated."""
    with session_scope() as session:
        ref = floating_ip_get_by_address(context, address)
        if ref.fixed_ip_id is not None:
            raise exception.FloatingIpInUse(address=address)
        session.execute(
            update(models.FloatingIp).where(models.FloatingIp.id == ref.id)
            .values(deleted=True, deleted_at=utils.utcnow())
            .execution_options(synchronize_session=False))


@require_admin_context
def floating_ip_bulk_destroy(context, addresses):
    """Soft-delete many floating IPs in one transaction.

    Raises FloatingIpNotFoundForAddress or FloatingIpInUse (nothing
    deleted) when an address is unknown or associated.
    """
    with session_scope() as session:
        found = {}
        for start in range(0, len(addresses), 500):
            chunk = addresses[start:start + 500]
            for row in session.query(
                    models.FloatingIp.id, models.FloatingIp.address,
                    models.FloatingIp.fixed_ip_id).filter(
                    models.FloatingIp.deleted == false(),
                    models.FloatingIp.address.in_(chunk)):
                found[row[1]] = row
        missing = [a for a in addresses if a not in found]
        if missing:
            raise exception.FloatingIpNotFoundForAddress(
                address=', '.join(missing[:5]) +
                (' ...' if len(missing) > 5 else ''))
        busy = [a for a in addresses if found[a][2] is not None]
        if busy:
            raise exception.FloatingIpInUse(address=', '.join(busy))
        ids = [found[a][0] for a in addresses]
        now = utils.utcnow()
        for start in range(0, len(ids), 500):
            session.execute(
                update(models.FloatingIp).where(
                    models.FloatingIp.id.in_(ids[start:start + 500]))
                .values(deleted=True, deleted_at=now)
                .execution_options(synchronize_session=False))


@require_context
def floating_ip_count_by_project(context, project_id):
    """How many floating IPs a project holds (auto-assigned ones excluded)."""
    with session_scope() as session:
        return session.query(func.count(models.FloatingIp.id)).filter(
            models.FloatingIp.deleted == false(),
            models.FloatingIp.project_id == project_id,
            models.FloatingIp.auto_assigned == false()).scalar()
