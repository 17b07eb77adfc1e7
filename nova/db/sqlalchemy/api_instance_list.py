"""Instances as plain dicts for large listings (EC2 DescribeInstances,
the OpenStack API's servers and servers/detail).

The ORM path (``instance_get_all_by_filters``) builds full model objects
with every relation, which costs about a millisecond per instance.  A
listing only needs a few columns, the security group names, the fixed
and floating addresses (with their network's label) and the metadata:
this module reads them with five column-only queries (instances, then
groups, fixed IPs, floating IPs and metadata of those instances, in
chunks) and returns plain dicts shaped like the models
(``instance['security_groups'][0]['name']``,
``instance['fixed_ips'][0]['floating_ips'][0]['address']``,
``instance['fixed_ips'][0]['network']['label']``,
``instance['metadata'][0]['key']``).
"""

from sqlalchemy import false, select

from nova.db.sqlalchemy import api_instance
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import require_context, session_scope

__all__ = ['instance_get_listing']

_Instance = models.Instance
_COLUMNS = ('id', 'created_at', 'updated_at', 'user_id', 'project_id',
            'image_ref', 'kernel_id', 'ramdisk_id', 'launch_index',
            'key_name', 'power_state', 'vm_state', 'task_state',
            'memory_mb', 'vcpus', 'local_gb', 'hostname', 'host',
            'instance_type_id', 'reservation_id', 'launched_at',
            'terminated_at', 'availability_zone', 'display_name',
            'display_description', 'architecture', 'os_type', 'uuid',
            'root_device_name', 'deleted', 'disable_terminate',
            'shutdown_terminate', 'client_token', 'access_ip_v4',
            'access_ip_v6', 'config_drive')
_CHUNK = 500


def _chunks(ids):
    """Id lists of at most _CHUNK (an IN list), or the id subquery itself
    when ``ids`` is one (a whole listing: no parameters to expand)."""
    if not isinstance(ids, list):
        yield ids
        return
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def _groups(session, ids):
    assoc = models.SecurityGroupInstanceAssociation.__table__
    group = models.SecurityGroup.__table__
    result = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(assoc.c.instance_id, group.c.id, group.c.name)
            .join(group, group.c.id == assoc.c.security_group_id)
            .where(assoc.c.instance_id.in_(chunk),
                   assoc.c.deleted == false(), group.c.deleted == false())
            .order_by(assoc.c.id))
        for instance_id, group_id, name in rows:
            result.setdefault(instance_id, []).append(
                {'id': group_id, 'name': name})
    return result


def _addresses(session, ids):
    fixed = models.FixedIp.__table__
    floating = models.FloatingIp.__table__
    network = models.Network.__table__
    result = {}
    by_fixed_id = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(fixed.c.instance_id, fixed.c.id, fixed.c.address,
                   network.c.label)
            .outerjoin(network, network.c.id == fixed.c.network_id)
            .where(fixed.c.instance_id.in_(chunk),
                   fixed.c.deleted == false()).order_by(fixed.c.id))
        for instance_id, fixed_id, address, label in rows:
            item = {'id': fixed_id, 'address': address, 'floating_ips': [],
                    'network': {'label': label} if label is not None
                    else None}
            by_fixed_id[fixed_id] = item
            result.setdefault(instance_id, []).append(item)
    if not by_fixed_id:
        return result
    fixed_ids = select(fixed.c.id).where(fixed.c.instance_id.in_(ids),
                                         fixed.c.deleted == false()) \
        if not isinstance(ids, list) else list(by_fixed_id)
    for chunk in _chunks(fixed_ids):
        rows = session.execute(
            select(floating.c.fixed_ip_id, floating.c.address)
            .where(floating.c.fixed_ip_id.in_(chunk),
                   floating.c.deleted == false()).order_by(floating.c.id))
        for fixed_id, address in rows:
            by_fixed_id[fixed_id]['floating_ips'].append(
                {'address': address})
    return result


def _metadata(session, ids):
    meta = models.InstanceMetadata.__table__
    result = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(meta.c.instance_id, meta.c.key, meta.c.value)
            .where(meta.c.instance_id.in_(chunk), meta.c.deleted == false())
            .order_by(meta.c.id))
        for instance_id, key, value in rows:
            result.setdefault(instance_id, []).append(
                {'key': key, 'value': value})
    return result


@require_context
def instance_get_listing(context, filters, marker=None, limit=None):
    """Instances matching ``filters`` as plain dicts, newest first.

    ``filters`` are those of ``instance_get_all_by_filters``; with
    ``marker``/``limit`` a keyset page (ids below ``marker``, by id
    descending).  Non-admins are confined to their project.
    """
    filters = dict(filters or {})
    read_deleted = None
    if 'deleted' in filters:
        deleted = filters['deleted']
        read_deleted = 'only' if deleted == 'only' else \
            ('yes' if deleted else 'no')
    columns = [getattr(_Instance, name) for name in _COLUMNS]
    with session_scope() as session:
        query = api_instance._apply_filters(api_instance._query(
            context, session, read_deleted=read_deleted, eager=False),
            filters)
        if marker is not None:
            query = query.filter(_Instance.id < int(marker))
        if marker is not None or limit is not None:
            query = query.order_by(_Instance.id.desc())
        else:
            query = query.order_by(_Instance.created_at.desc(),
                                   _Instance.id.desc())
        if limit is not None:
            query = query.limit(int(limit))
        rows = session.execute(query.with_entities(*columns).statement)
        instances = [dict(zip(_COLUMNS, row)) for row in rows]
        ids = [i['id'] for i in instances]
        if limit is None and len(ids) > _CHUNK:
            # The whole listing: relations by subquery, not IN lists.
            ids = query.with_entities(_Instance.id).order_by(None) \
                .scalar_subquery()
        groups = _groups(session, ids)
        addresses = _addresses(session, ids)
        metadata = _metadata(session, ids)
    for instance in instances:
        instance['security_groups'] = groups.get(instance['id'], [])
        instance['fixed_ips'] = addresses.get(instance['id'], [])
        instance['metadata'] = metadata.get(instance['id'], [])
        instance['name'] = None
    return instances
