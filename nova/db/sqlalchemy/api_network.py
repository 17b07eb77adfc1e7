"""Networks and fixed IPs (interfaces: api_virtual_interface; floating IPs:
api_floating).

The tables are Diablo's (``networks``, ``fixed_ips``, ``virtual_interfaces``,
``floating_ips``).  Handing out addresses is the one place where concurrent
callers race for the same rows, so :func:`fixed_ip_associate_pool`,
:func:`fixed_ip_associate`, :func:`network_associate` and
:func:`network_set_host` never read-then-write: each claims its row with a
conditional ``UPDATE ... WHERE <row still free>`` and checks the row count,
trying the next candidate when another caller won.  PostgreSQL also skips
rows other transactions have locked (``FOR UPDATE SKIP LOCKED``), so that
concurrent callers pick different candidates from the start.
"""

import logging

from sqlalchemy import (bindparam, case, delete, false, func, null, or_,
                        select, true, update)
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import joinedload

from nova import exception
from nova import utils
from nova.db.sqlalchemy import batched
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (cached_statement,
                                           is_admin_context, model_query,
                                           require_admin_context,
                                           require_context, retry_on_deadlock,
                                           session_scope)
from nova.db.sqlalchemy.api_virtual_interface import allocated_values
from nova.db.sqlalchemy.session import connection_scope

LOG = logging.getLogger('nova.db.sqlalchemy.api_network')

__all__ = [
    'network_create_safe', 'network_create_with_fixed_ips', 'network_get',
    'network_get_all', 'network_get_all_without_vlan', 'network_get_by_cidr',
    'network_get_by_bridge',
    'network_get_all_by_host',
    'network_get_associated_fixed_ips', 'network_delete_safe',
    'network_update', 'network_set_host', 'network_associate',
    'network_disassociate', 'project_get_networks',
    'fixed_ip_create', 'fixed_ip_bulk_create', 'fixed_ip_associate',
    'fixed_ip_associate_pool', 'fixed_ip_disassociate', 'fixed_ip_deallocate',
    'fixed_ip_disassociate_all_by_timeout', 'fixed_ip_get_by_address',
    'fixed_ip_get_all',
    'fixed_ip_get_all_by_instance_host', 'fixed_ip_get_by_network_host',
    'fixed_ip_get_network', 'fixed_ip_update', 'fixed_ip_count_in_use',
]

# How often a claim is retried after other callers took the candidates.
CLAIM_ATTEMPTS = 100

_NETWORKS = models.Network.__table__
_FIXED_IPS = models.FixedIp.__table__


def _dialect(bind):
    """The dialect name of a session or a Core connection."""
    if hasattr(bind, 'get_bind'):
        bind = bind.get_bind()
    return bind.dialect.name


def _skip_locked(query, session):
    """``FOR UPDATE SKIP LOCKED`` where the server has it (PostgreSQL)."""
    if _dialect(session) == 'postgresql':
        return query.with_for_update(skip_locked=True)
    return query


def _claim(session, model, row_id, free_clause, values):
    """UPDATE one row if it is still free; True when this caller got it."""
    now = utils.utcnow()
    values = dict(values, updated_at=now)
    result = session.execute(
        update(model).where(model.id == row_id, *free_clause)
        .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1


# -- networks -------------------------------------------------------------------
def _network_query(context, session, read_deleted=None):
    return model_query(context, models.Network, session,
                       read_deleted=read_deleted)


@require_admin_context
def network_create_safe(context, values):
    """Create a network; None when its cidr or cidr_v6 already exists."""
    try:
        with session_scope() as session:
            ref = models.Network()
            ref.update(values)
            ref.save(session)
            return ref
    except sa_exc.IntegrityError:
        return None


def _overlapping(session, cidr):
    """The live network whose IPv4 range overlaps ``cidr``, or None."""
    import ipaddress
    wanted = ipaddress.ip_network(cidr, strict=False)
    rows = session.query(models.Network.cidr).filter(
        models.Network.deleted == false(),
        models.Network.cidr.isnot(None)).all()
    for (other,) in rows:
        try:
            net = ipaddress.ip_network(other, strict=False)
        except ValueError:
            continue
        if net.version == wanted.version and net.overlaps(wanted):
            return other
    return None


@require_admin_context
@retry_on_deadlock
def network_create_with_fixed_ips(context, entries, progress=None):
    """Create networks and their fixed IPs in one transaction.

    ``entries`` is a list of ``(network_values, addresses)`` with
    ``addresses`` a list of ``(address, reserved)``.  Raises NetworkExists
    (nothing written) when a network's cidr overlaps an existing network's
    or its cidr/cidr_v6 is taken.  Returns the networks.  ``progress(done,
    total)`` is called as the fixed IPs are inserted.
    """
    total = sum(len(addresses) for _values, addresses in entries)
    done = [0]

    def step(count):
        done[0] += count
        if progress is not None:
            progress(done[0], total)

    networks = []
    try:
        with session_scope() as session:
            for values, addresses in entries:
                cidr = values.get('cidr')
                if cidr:
                    other = _overlapping(session, cidr)
                    if other:
                        raise exception.NetworkExists(cidr=cidr, other=other)
                ref = models.Network()
                ref.update(values)
                ref.save(session)
                if addresses:
                    fixed_ip_bulk_create(
                        context,
                        [{'network_id': ref.id, 'address': address,
                          'reserved': reserved}
                         for address, reserved in addresses],
                        session=session, progress=step)
                networks.append(ref)
    except sa_exc.IntegrityError:
        cidr = ', '.join(str(v.get('cidr') or v.get('cidr_v6'))
                         for v, _a in entries)
        raise exception.NetworkExists(cidr=cidr, other='(same range)')
    return networks


@require_context
def network_get(context, network_id, session=None):
    """The network with this id; raises NetworkNotFound."""
    with session_scope(session) as session:
        query = _network_query(context, session).filter(
            models.Network.id == network_id)
        if not is_admin_context(context):
            query = query.filter(models.Network.project_id ==
                                 context.project_id)
        ref = query.first()
        if ref is None:
            raise exception.NetworkNotFound(network_id=network_id)
        return ref


@require_admin_context
def network_get_all(context):
    """Every live network, by id (an empty list when there is none)."""
    with session_scope() as session:
        return _network_query(context, session).order_by(
            models.Network.id).all()


def _networks_without_vlan(context, calls):
    net = _NETWORKS
    statement = cached_statement(('no_vlan',), lambda: select(net).where(
        net.c.deleted == false(),
        or_(net.c.vlan.is_(None), net.c.vlan == 0)).order_by(net.c.id))
    with connection_scope(single_statement=True) as conn:
        rows = [row._mapping for row in conn.execute(statement)]
    return [(True, [dict(row) for row in rows]) for _ in calls]


_NETWORKS_WITHOUT_VLAN = batched.batcher(_networks_without_vlan)


@require_admin_context
def network_get_all_without_vlan(context):
    """The live networks without a VLAN (the flat managers' networks), by
    id, as plain dicts of their columns: one Core query, no ORM objects
    (nova-network reads them at every allocation; the calls made while
    one runs share the next, each with lists of its own)."""
    return batched.submit(_NETWORKS_WITHOUT_VLAN, context, None,
                          _networks_without_vlan)


@require_admin_context
def network_get_by_cidr(context, cidr):
    """The network whose cidr (or cidr_v6) is ``cidr``."""
    with session_scope() as session:
        ref = _network_query(context, session).filter(
            or_(models.Network.cidr == cidr,
                models.Network.cidr_v6 == cidr)).first()
        if ref is None:
            raise exception.NetworkNotFoundForCidr(cidr=cidr)
        return ref


@require_admin_context
def network_get_by_bridge(context, bridge):
    """The first network on ``bridge``; raises NetworkNotFoundForBridge."""
    with session_scope() as session:
        ref = _network_query(context, session).filter(
            models.Network.bridge == bridge).order_by(
            models.Network.id).first()
        if ref is None:
            raise exception.NetworkNotFoundForBridge(bridge=bridge)
        return ref


@require_admin_context
def network_get_all_by_host(context, host):
    """Networks served by ``host`` (network host, or a fixed IP's host)."""
    with session_scope() as session:
        with_ips = select(models.FixedIp.network_id).where(
            models.FixedIp.host == host, models.FixedIp.deleted == false())
        return _network_query(context, session).filter(
            or_(models.Network.host == host,
                models.Network.id.in_(with_ips))).order_by(
            models.Network.id).all()


@require_admin_context
def network_get_associated_fixed_ips(context, network_id):
    """Fixed IPs of a network given to an instance with a MAC (leases)."""
    with session_scope() as session:
        return model_query(context, models.FixedIp, session).options(
            joinedload(models.FixedIp.instance),
            joinedload(models.FixedIp.virtual_interface)).filter(
            models.FixedIp.network_id == network_id,
            models.FixedIp.instance_id.isnot(None),
            models.FixedIp.virtual_interface_id.isnot(None)).order_by(
            models.FixedIp.id).all()


@require_admin_context
@retry_on_deadlock
def network_delete_safe(context, network_id):
    """Delete a network and its fixed IPs unless an address is in use.

    Rows are removed (not soft-deleted), as Diablo did, so that the range
    can be created again.  Raises NetworkInUse listing the busy addresses.
    """
    with session_scope() as session:
        network_get(context, network_id, session=session)
        busy = session.query(models.FixedIp.address).filter(
            models.FixedIp.network_id == network_id,
            models.FixedIp.deleted == false(),
            or_(models.FixedIp.instance_id.isnot(None),
                models.FixedIp.allocated == True)).order_by(  # noqa: E712
            models.FixedIp.id).all()
        if busy:
            raise exception.NetworkInUse(
                network_id=network_id,
                addresses=', '.join(row[0] for row in busy))
        session.execute(delete(models.FixedIp).where(
            models.FixedIp.network_id == network_id))
        session.execute(delete(models.Network).where(
            models.Network.id == network_id))


@require_admin_context
def network_update(context, network_id, values):
    """Set columns of a network; returns it."""
    with session_scope() as session:
        ref = network_get(context, network_id, session=session)
        ref.update(values)
        ref.save(session)
        return ref


@require_admin_context
@retry_on_deadlock
def network_set_host(context, network_id, host):
    """Give an unhosted network to ``host``; returns its (winning) host."""
    with session_scope() as session:
        _claim(session, models.Network, network_id,
               [models.Network.host.is_(None)], {'host': host})
        return network_get(context, network_id, session=session)['host']


@require_admin_context
@retry_on_deadlock
def network_associate(context, project_id):
    """The project's network, associating a free one first if it has none.

    Raises NoMoreNetworks when every network belongs to some project.
    """
    for _attempt in range(CLAIM_ATTEMPTS):
        with session_scope() as session:
            ref = _network_query(context, session).filter(
                models.Network.project_id == project_id).order_by(
                models.Network.id).first()
            if ref is not None:
                return ref
            query = session.query(models.Network.id).filter(
                models.Network.deleted == false(),
                models.Network.project_id.is_(None)).order_by(
                models.Network.id)
            candidate = _skip_locked(query, session).first()
            if candidate is None:
                raise exception.NoMoreNetworks()
            if _claim(session, models.Network, candidate[0],
                      [models.Network.project_id.is_(None)],
                      {'project_id': project_id}):
                return network_get(context, candidate[0], session=session)
    raise exception.NoMoreNetworks()


@require_admin_context
def network_disassociate(context, network_id):
    """Remove a network's project and host."""
    return network_update(context, network_id,
                          {'project_id': None, 'host': None})


@require_admin_context
def project_get_networks(context, project_id, associate=True):
    """The networks of a project; with ``associate``, give it one if none."""
    with session_scope() as session:
        refs = _network_query(context, session).filter(
            models.Network.project_id == project_id).order_by(
            models.Network.id).all()
    if not refs and associate:
        return [network_associate(context, project_id)]
    return refs


# -- fixed IPs ------------------------------------------------------------------
def _fixed_ip_query(context, session, read_deleted=None):
    return model_query(context, models.FixedIp, session,
                       read_deleted=read_deleted).options(
        joinedload(models.FixedIp.network),
        joinedload(models.FixedIp.instance),
        joinedload(models.FixedIp.virtual_interface))


@require_admin_context
def fixed_ip_create(context, values):
    """Create one fixed IP row; returns its address."""
    with session_scope() as session:
        ref = models.FixedIp()
        ref.update(values)
        ref.save(session)
        return ref['address']


@require_admin_context
def fixed_ip_bulk_create(context, ips, session=None, progress=None):
    """Insert many fixed IPs (dicts of columns) in batches of 10,000;
    ``progress(count)`` is called after each batch.

    Rows go to the driver's ``executemany`` as plain tuples (no per-row
    SQLAlchemy processing): a /12 is a million rows.
    """
    columns = ['created_at', 'deleted', 'allocated', 'leased', 'reserved']
    for ip in ips[:1]:
        columns += [key for key in ip if key not in columns]
    with session_scope(session) as session:
        connection = session.connection()
        now = utils.utcnow()
        if connection.dialect.name == 'sqlite':
            now = now.strftime('%Y-%m-%d %H:%M:%S.%f')
        defaults = {'created_at': now, 'deleted': False, 'allocated': False,
                    'leased': False, 'reserved': False}
        marker = '?' if connection.dialect.paramstyle == 'qmark' else '%s'
        statement = 'INSERT INTO fixed_ips (%s) VALUES (%s)' % (
            ', '.join(columns), ', '.join([marker] * len(columns)))
        for start in range(0, len(ips), 10000):
            chunk = [tuple(ip.get(c, defaults.get(c)) for c in columns)
                     for ip in ips[start:start + 10000]]
            connection.exec_driver_sql(statement, chunk)
            if progress is not None:
                progress(len(chunk))


def _free_fixed_ip_clause():
    return [models.FixedIp.deleted == false(),
            models.FixedIp.reserved == false(),
            models.FixedIp.instance_id.is_(None),
            models.FixedIp.host.is_(None)]


def _bound_values(columns):
    """``{column: bindparam('b_<column>')}`` typed as the columns."""
    return {name: bindparam('b_' + name, type_=_FIXED_IPS.c[name].type)
            for name in columns}


def _pool_candidate():
    ip = _FIXED_IPS
    return select(ip.c.id, ip.c.address).where(
        or_(ip.c.network_id == bindparam('b_network_id'),
            ip.c.network_id.is_(None)),
        *_free_fixed_ip_clause()).order_by(ip.c.id).limit(1)


def _pool_claim(columns, allocate):
    ip = _FIXED_IPS
    values = _bound_values(columns)
    if allocate:
        values.update(allocated_values(bindparam('b_instance_id'),
                                        bindparam('b_network_id')))
    return update(ip).where(ip.c.id == bindparam('b_id'),
                            *_free_fixed_ip_clause()).values(values)


@require_admin_context
@retry_on_deadlock
def fixed_ip_associate_pool(context, network_id, instance_id=None,
                            host=None, allocate=False):
    """Give a free address of the network to an instance; returns it.

    Atomic: the address is claimed by a conditional UPDATE, so two
    concurrent callers never get the same one.  With ``allocate`` the same
    UPDATE marks it allocated on the instance's virtual interface of the
    network (as ``fixed_ip_update`` after it would).  Raises
    NoMoreFixedIps.
    """
    values = {'b_network_id': network_id}
    columns = ['network_id', 'updated_at']
    if instance_id is not None:
        values['b_instance_id'] = instance_id
        columns.append('instance_id')
    if host is not None:
        values['b_host'] = host
        columns.append('host')
    allocate = bool(allocate and instance_id is not None)
    claim = cached_statement(('claim', tuple(columns), allocate), _pool_claim)
    for _attempt in range(CLAIM_ATTEMPTS):
        with connection_scope() as conn:
            query = cached_statement(('candidate',), _pool_candidate)
            candidate = conn.execute(_skip_locked(query, conn), {
                'b_network_id': network_id}).first()
            if candidate is None:
                raise exception.NoMoreFixedIps()
            values.update(b_id=candidate[0], b_updated_at=utils.utcnow())
            if conn.execute(claim, values).rowcount == 1:
                return candidate[1]
        LOG.debug('fixed IP %s taken by a concurrent caller; retrying',
                  candidate[1])
    raise exception.NoMoreFixedIps()


@require_admin_context
@retry_on_deadlock
def fixed_ip_associate(context, address, instance_id, network_id=None,
                       reserved=False, allocate=False):
    """Give a specific address to an instance; returns the address.

    ``reserved`` True takes a reserved address (a project's VPN address).
    With ``allocate`` the UPDATE also marks it allocated on the instance's
    virtual interface of the network (an address the instance had already
    gets one UPDATE doing just that).  Raises FixedIpNotFoundForAddress,
    or FixedIpAlreadyInUse when the address belongs to another instance.
    """
    with session_scope() as session:
        query = session.query(models.FixedIp).filter(
            models.FixedIp.deleted == false(),
            models.FixedIp.address == address,
            models.FixedIp.reserved == bool(reserved))
        if network_id is not None:
            query = query.filter(or_(
                models.FixedIp.network_id == network_id,
                models.FixedIp.network_id.is_(None)))
        ref = query.first()
        if ref is None:
            raise exception.FixedIpNotFoundForAddress(address=address)
        allocated = allocated_values(
            instance_id, ref.network_id if network_id is None
            else network_id) if allocate else {}
        if ref.instance_id == instance_id:
            if allocated:
                _claim(session, models.FixedIp, ref.id, [], allocated)
            return address
        values = dict(allocated, instance_id=instance_id)
        if ref.network_id is None and network_id is not None:
            values['network_id'] = network_id
        if not _claim(session, models.FixedIp, ref.id,
                      [models.FixedIp.instance_id.is_(None)], values):
            raise exception.FixedIpAlreadyInUse(address=address)
        return address


@require_admin_context
def fixed_ip_disassociate(context, address):
    """Take an address back from its instance (and clear leased)."""
    fixed_ip_update(context, address, {
        'instance_id': None, 'leased': False, 'virtual_interface_id': None,
        'allocated': False})


def _by_address(statement):
    ip = _FIXED_IPS
    return statement.where(ip.c.address == bindparam('b_address'),
                           ip.c.deleted == false())


def _update_by_address(statement, address, params):
    """Run an UPDATE of :func:`_by_address`; FixedIpNotFoundForAddress
    when no live row has the address."""
    params['b_address'] = address
    with connection_scope(single_statement=True) as conn:
        result = conn.execute(statement, params)
    if result.rowcount == 0:
        raise exception.FixedIpNotFoundForAddress(address=address)


def _deallocate():
    ip = _FIXED_IPS
    leased = ip.c.leased == true()
    return _by_address(update(ip)).values(
        allocated=False, virtual_interface_id=None,
        instance_id=case((leased, ip.c.instance_id), else_=null()),
        leased=case((leased, true()), else_=false()),
        **_bound_values(['updated_at']))


@require_admin_context
def fixed_ip_deallocate(context, address):
    """Take an address back from its instance's interface, in one UPDATE.

    It is no longer allocated nor on an interface; a leased address stays
    with its instance until its DHCP server reports the release or
    ``--fixed_ip_disassociate_timeout`` passes, any other is disassociated
    (as :func:`fixed_ip_disassociate`).  Raises FixedIpNotFoundForAddress.
    """
    _update_by_address(cached_statement(('deallocate',), _deallocate),
                       address, {'b_updated_at': utils.utcnow()})


@require_admin_context
def fixed_ip_disassociate_all_by_timeout(context, host, time):
    """Free unallocated addresses of ``host`` released before ``time``.

    Returns how many were freed.
    """
    with session_scope() as session:
        on_host = select(models.Network.id).where(
            models.Network.host == host)
        result = session.execute(
            update(models.FixedIp).where(
                or_(models.FixedIp.network_id.in_(on_host),
                    models.FixedIp.host == host),
                models.FixedIp.deleted == false(),
                models.FixedIp.updated_at < time,
                models.FixedIp.instance_id.isnot(None),
                models.FixedIp.allocated == false())
            .values(instance_id=None, leased=False,
                    virtual_interface_id=None, updated_at=utils.utcnow())
            .execution_options(synchronize_session=False))
        return result.rowcount


@require_context
def fixed_ip_get_by_address(context, address, session=None):
    """The fixed IP row of ``address``; raises FixedIpNotFoundForAddress."""
    with session_scope(session) as session:
        ref = _fixed_ip_query(context, session).filter(
            models.FixedIp.address == address).first()
        if ref is None:
            raise exception.FixedIpNotFoundForAddress(address=address)
        if not is_admin_context(context) and ref.instance is not None \
                and ref.instance.project_id != context.project_id:
            raise exception.NotAuthorized()
        return ref


@require_admin_context
def fixed_ip_get_all(context):
    """Every live fixed IP; raises NoFixedIpsDefined when there is none."""
    with session_scope() as session:
        refs = _fixed_ip_query(context, session).order_by(
            models.FixedIp.id).all()
        if not refs:
            raise exception.NoFixedIpsDefined()
        return refs


@require_admin_context
def fixed_ip_get_all_by_instance_host(context, host):
    """Fixed IPs of the instances running on ``host``.

    Raises FixedIpNotFoundForHost when there is none.
    """
    with session_scope() as session:
        refs = _fixed_ip_query(context, session).join(
            models.Instance,
            models.FixedIp.instance_id == models.Instance.id).filter(
            models.Instance.host == host,
            models.Instance.deleted == false()).order_by(
            models.FixedIp.id).all()
        if not refs:
            raise exception.FixedIpNotFoundForHost(host=host)
        return refs


@require_admin_context
def fixed_ip_get_by_network_host(context, network_id, host):
    """The fixed IP a host holds on a network (multi-host DHCP server)."""
    with session_scope() as session:
        return _fixed_ip_query(context, session).filter(
            models.FixedIp.network_id == network_id,
            models.FixedIp.host == host).first()


@require_admin_context
def fixed_ip_get_network(context, address):
    """The network of an address."""
    return fixed_ip_get_by_address(context, address)['network']


@require_admin_context
def fixed_ip_update(context, address, values):
    """Set columns of the fixed IP of ``address`` (one UPDATE: the network
    allocates and frees addresses under it at every boot and delete);
    raises FixedIpNotFoundForAddress."""
    values = dict(values)
    values.setdefault('updated_at', utils.utcnow())
    statement = cached_statement(
        ('update', tuple(sorted(values))),
        lambda columns: _by_address(update(_FIXED_IPS)).values(
            _bound_values(columns)))
    _update_by_address(statement, address, {
        'b_' + name: value for name, value in values.items()})


@require_admin_context
def fixed_ip_count_in_use(context, network_id):
    """How many addresses of a network are given to instances."""
    with session_scope() as session:
        return session.query(func.count(models.FixedIp.id)).filter(
            models.FixedIp.network_id == network_id,
            models.FixedIp.deleted == false(),
            models.FixedIp.instance_id.isnot(None)).scalar()
