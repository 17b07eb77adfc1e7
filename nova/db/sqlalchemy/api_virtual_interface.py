"""Virtual interfaces (Diablo's ``virtual_interfaces``): an instance's MAC
on a network; its fixed IPs point at it.  Also what an instance holds on
the networks (its fixed IPs and networks, by instance).

nova-network reads these at every boot and delete, so its reads here are
narrow Core statements built once (:func:`cached_statement`) returning
plain values: which networks an instance already has
(:func:`virtual_interface_get_allocated_networks`), its ``network_info``
(:func:`virtual_interface_get_network_info`) and its addresses
(:func:`fixed_ip_get_addresses_by_instance`), one statement each.
"""

from sqlalchemy import (bindparam, case, delete, false, insert,
                        literal_column, null, select, true, union_all,
                        update)
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import joinedload

from nova import exception
from nova import utils
from nova.db.sqlalchemy import batched
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (cached_statement, model_query,
                                           read_deleted_mode,
                                           require_admin_context,
                                           require_context, session_scope)
from nova.db.sqlalchemy.session import connection_scope

__all__ = [
    'virtual_interface_create', 'virtual_interface_get',
    'virtual_interface_get_by_address', 'virtual_interface_get_by_instance',
    'virtual_interface_get_by_instance_and_network',
    'virtual_interface_get_allocated_networks',
    'virtual_interface_get_network_info',
    'virtual_interface_delete_by_instance',
    'fixed_ip_get_by_instance', 'fixed_ip_get_addresses_by_instance',
    'network_get_by_instance',
]

_VIFS = models.VirtualInterface.__table__
_NETWORKS = models.Network.__table__
_FIXED_IPS = models.FixedIp.__table__
_TYPES = models.InstanceTypes.__table__

#: the columns of a network that its ``network_info`` entry shows
NW_INFO_NETWORK_COLUMNS = (
    'id', 'label', 'bridge', 'bridge_interface', 'cidr', 'cidr_v6',
    'injected', 'vlan', 'multi_host', 'gateway', 'gateway_v6', 'broadcast',
    'netmask', 'netmask_v6', 'dns1', 'dns2')

def _deleted_filter(mode, table):
    """The soft-delete condition of a ``read_deleted`` mode (as
    :func:`model_query` applies it), or None for every row."""
    if mode == 'no':
        return table.c.deleted == false()
    if mode == 'only':
        return table.c.deleted == true()
    return None


def allocated_values(instance_id, network_id):
    """Columns of a fixed IP handed to an instance: allocated, on the
    instance's live virtual interface of the network (NULL when it has
    none there), which the UPDATE setting them reads itself."""
    vif = _VIFS.c
    return {'allocated': True,
            'virtual_interface_id': select(vif.id).where(
                vif.instance_id == instance_id, vif.network_id == network_id,
                vif.deleted == false()).order_by(vif.id).limit(1)
            .scalar_subquery()}


def _vif_query(context, session):
    return model_query(context, models.VirtualInterface, session,
                       read_deleted='no').options(
        joinedload(models.VirtualInterface.network),
        joinedload(models.VirtualInterface.fixed_ips))


@require_context
def virtual_interface_create(context, values):
    """Create a virtual interface; returns it, a dict of its columns.

    One Core INSERT (nova-network makes one at every boot).  Raises
    VirtualInterfaceCreateException when the MAC is taken.
    """
    row = dict.fromkeys(_VIFS.c.keys())
    row.update(values)
    if row['created_at'] is None:
        row['created_at'] = utils.utcnow()
    if row['deleted'] is None:
        row['deleted'] = False
    columns = dict(row)
    if columns['id'] is None:
        del columns['id']
    try:
        with connection_scope(single_statement=True) as conn:
            result = conn.execute(insert(_VIFS), columns)
    except sa_exc.IntegrityError:
        raise exception.VirtualInterfaceCreateException()
    if row['id'] is None:
        row['id'] = result.inserted_primary_key[0]
    return row


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
    alone: nova-network's multinic reads whether there is one)."""
    with session_scope() as session:
        return model_query(context, models.VirtualInterface, session,
                           read_deleted='no').filter(
            models.VirtualInterface.instance_id == instance_id,
            models.VirtualInterface.network_id == network_id).first()


def _allocated_networks_statement(mode):
    ids = bindparam('b_instance_ids', expanding=True)
    vifs = select(literal_column('1').label('kind'), _VIFS.c.instance_id,
                  _VIFS.c.network_id).where(_VIFS.c.instance_id.in_(ids),
                                            _VIFS.c.deleted == false())
    ips = select(literal_column('2'), _FIXED_IPS.c.instance_id,
                 _FIXED_IPS.c.network_id).where(
        _FIXED_IPS.c.instance_id.in_(ids))
    live = _deleted_filter(mode, _FIXED_IPS)
    if live is not None:
        ips = ips.where(live)
    return union_all(vifs, ips)


def _allocated_networks_many(context, instance_ids):
    statement = cached_statement(('allocated', read_deleted_mode(context)),
                                 _allocated_networks_statement)
    found = {}
    with connection_scope(single_statement=True) as conn:
        for kind, instance_id, network_id in conn.execute(
                statement, {'b_instance_ids': sorted(set(instance_ids))}):
            found.setdefault(instance_id, (set(), set()))[kind - 1].add(
                network_id)
    return [(True, found.get(i, (set(), set()))) for i in instance_ids]


_ALLOCATED_NETWORKS = batched.batcher(_allocated_networks_many)


@require_context
def virtual_interface_get_allocated_networks(context, instance_id):
    """``(vif_network_ids, fixed_ip_network_ids)``: the sets of networks
    where an instance has a live virtual interface, and those where it has
    a fixed IP (live ones, unless ``context.read_deleted`` says otherwise).

    One statement (a ``UNION ALL`` of the two narrow reads): nova-network
    asks at every allocation which networks the instance already has; the
    admin calls made together share it.
    """
    return batched.submit(_ALLOCATED_NETWORKS, context, int(instance_id),
                          _allocated_networks_many)


def _network_info_statement(with_host, with_type):
    if with_host:
        host_ips = _FIXED_IPS.alias('host_ips')
        dhcp_address = case((
            _NETWORKS.c.multi_host == true(),
            select(host_ips.c.address).where(
                host_ips.c.network_id == _NETWORKS.c.id,
                host_ips.c.host == bindparam('b_host'),
                host_ips.c.deleted == false())
            .order_by(host_ips.c.id).limit(1).scalar_subquery()),
            else_=null())
    else:
        dhcp_address = null()
    if with_type:
        rxtx_cap = select(_TYPES.c.rxtx_cap).where(
            _TYPES.c.id == bindparam('b_instance_type_id')).scalar_subquery()
    else:
        rxtx_cap = null()
    return select(
        _VIFS.c.instance_id,
        _VIFS.c.id, _VIFS.c.address, _VIFS.c.uuid,
        _FIXED_IPS.c.address.label('fixed_address'),
        dhcp_address.label('dhcp_address'), rxtx_cap.label('rxtx_cap'),
        *[_NETWORKS.c[name].label('network_' + name)
          for name in NW_INFO_NETWORK_COLUMNS]
    ).select_from(
        _VIFS.join(_NETWORKS, _NETWORKS.c.id == _VIFS.c.network_id)
        .outerjoin(_FIXED_IPS, (_FIXED_IPS.c.virtual_interface_id ==
                                _VIFS.c.id) &
                   (_FIXED_IPS.c.deleted == false()))
    ).where(_VIFS.c.instance_id.in_(bindparam('b_instance_ids',
                                              expanding=True)),
            _VIFS.c.deleted == false()
            ).order_by(_VIFS.c.id, _FIXED_IPS.c.id)


def _network_info_many(context, items):
    """One statement per (host, flavor) among ``items`` (``(instance_id,
    host, instance_type_id)``); one list of interfaces per item."""
    groups = {}
    for instance_id, host, type_id in items:
        groups.setdefault((host, type_id), set()).add(instance_id)
    found = {}
    with connection_scope(single_statement=len(groups) == 1) as conn:
        for (host, type_id), ids in groups.items():
            statement = cached_statement(
                ('nw_info', bool(host), type_id is not None),
                _network_info_statement)
            params = {'b_instance_ids': sorted(ids)}
            if host:
                params['b_host'] = host
            if type_id is not None:
                params['b_instance_type_id'] = type_id
            vifs = {}
            for row in conn.execute(statement, params):
                vif = vifs.get(row[1])
                if vif is None:
                    vif = vifs[row[1]] = {
                        'id': row[1], 'address': row[2], 'uuid': row[3],
                        'addresses': [], 'dhcp_address': row[5],
                        'rxtx_cap': row[6],
                        'network': dict(zip(NW_INFO_NETWORK_COLUMNS,
                                            row[7:]))}
                    found.setdefault((row[0], host, type_id), []).append(
                        vif)
                if row[4] is not None:
                    vif['addresses'].append(row[4])
    return [(True, [dict(vif, addresses=list(vif['addresses']),
                         network=dict(vif['network']))
                    for vif in found.get(item, [])]) for item in items]


_NETWORK_INFO = batched.batcher(_network_info_many)


@require_context
def virtual_interface_get_network_info(context, instance_id, host=None,
                                       instance_type_id=None):
    """What an instance's ``network_info`` is made of, in one statement.

    A list with a plain dict per live virtual interface of the instance on
    an existing network, by id: ``id``, ``address`` (MAC) and ``uuid`` of
    the interface; ``network``, a dict of its network's
    :data:`NW_INFO_NETWORK_COLUMNS`; ``addresses``, its live fixed IPs by
    id; ``dhcp_address``, on a multi_host network the address ``host``
    holds there (its DHCP server), else None; ``rxtx_cap``, the
    ``rxtx_cap`` of the flavor ``instance_type_id`` (None when it is not
    given or not found).  Admin calls made together for the same host and
    flavor share the statement.
    """
    return batched.submit(
        _NETWORK_INFO, context,
        (int(instance_id), host or None, instance_type_id),
        _network_info_many)


def _delete_statements():
    # (bound parameters of an UPDATE may not be named as its columns)
    vif_ids = select(_VIFS.c.id).where(
        _VIFS.c.instance_id == bindparam('b_instance_id'))
    return (update(_FIXED_IPS)
            .where(_FIXED_IPS.c.virtual_interface_id.in_(vif_ids))
            .values(virtual_interface_id=None,
                    updated_at=bindparam(
                        'b_now', type_=_FIXED_IPS.c.updated_at.type)),
            delete(_VIFS).where(
                _VIFS.c.instance_id == bindparam('b_instance_id')))


@require_context
def virtual_interface_delete_by_instance(context, instance_id):
    """Remove an instance's virtual interfaces (their MACs become free);
    the fixed IPs pointing at them point nowhere.  Two statements in one
    transaction, on a Core connection."""
    unlink, remove = cached_statement(('delete',), _delete_statements)
    with connection_scope() as conn:
        conn.execute(unlink, {'b_instance_id': instance_id,
                              'b_now': utils.utcnow()})
        conn.execute(remove, {'b_instance_id': instance_id})


# -- what an instance holds, by instance ----------------------------------------
@require_context
def fixed_ip_get_by_instance(context, instance_id):
    """The fixed IPs of an instance; raises FixedIpNotFoundForInstance.

    The rows alone (address, network_id, flags), without their network,
    instance and interface: nova-network and nova-compute look them up at
    every boot and delete.
    """
    with session_scope() as session:
        refs = model_query(context, models.FixedIp, session).filter(
            models.FixedIp.instance_id == instance_id).order_by(
            models.FixedIp.id).all()
        if not refs:
            raise exception.FixedIpNotFoundForInstance(
                instance_id=instance_id)
        return refs


def _addresses_statement(mode):
    ip = _FIXED_IPS
    query = select(ip.c.address).where(
        ip.c.instance_id == bindparam('b_instance_id')).order_by(ip.c.id)
    live = _deleted_filter(mode, ip)
    return query if live is None else query.where(live)


@require_context
def fixed_ip_get_addresses_by_instance(context, instance_id):
    """The addresses of an instance's fixed IPs, by id (an empty list when
    it has none): one narrow query, for nova-network's deallocation."""
    statement = cached_statement(('addresses', read_deleted_mode(context)),
                                 _addresses_statement)
    with connection_scope(single_statement=True) as conn:
        return [row[0] for row in conn.execute(
            statement, {'b_instance_id': instance_id})]


@require_admin_context
def network_get_by_instance(context, instance_id):
    """The networks an instance has fixed IPs on."""
    with session_scope() as session:
        ids = select(models.FixedIp.network_id).where(
            models.FixedIp.instance_id == instance_id,
            models.FixedIp.deleted == false())
        return model_query(context, models.Network, session).filter(
            models.Network.id.in_(ids)).order_by(models.Network.id).all()
