"""What an instance's IPv6 address is made of (EC2 DescribeInstancesV6).

Diablo built the address shown as ``dnsNameV6`` from the network of the
instance's first fixed IP (its ``cidr_v6``) and the MAC address of that
fixed IP's virtual interface.  This module reads those two facts for many
instances at once, with one column-only query.
"""

from sqlalchemy import false, select

from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import is_admin_context, require_context
from nova.db.sqlalchemy.api_common import session_scope

__all__ = ['instance_ipv6_sources']

_CHUNK = 500


@require_context
def instance_ipv6_sources(context, instance_ids):
    """``{instance_id: (cidr_v6, mac)}`` of each instance's first fixed IP.

    Only instances whose first fixed IP (lowest id) sits on a network with
    an IPv6 range and has a virtual interface appear.  Non-admins only see
    their project's instances.
    """
    fixed = models.FixedIp.__table__
    network = models.Network.__table__
    vif = models.VirtualInterface.__table__
    instance = models.Instance.__table__
    ids = sorted(set(int(i) for i in instance_ids))
    result = {}
    with session_scope() as session:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            query = (select(fixed.c.instance_id, network.c.cidr_v6,
                            vif.c.address)
                     .select_from(fixed)
                     .join(instance, instance.c.id == fixed.c.instance_id)
                     .outerjoin(network, network.c.id == fixed.c.network_id)
                     .outerjoin(vif,
                                vif.c.id == fixed.c.virtual_interface_id)
                     .where(fixed.c.instance_id.in_(chunk),
                            fixed.c.deleted == false())
                     .order_by(fixed.c.instance_id, fixed.c.id))
            if not is_admin_context(context):
                query = query.where(
                    instance.c.project_id == context.project_id)
            seen = set()
            for instance_id, cidr_v6, mac in session.execute(query):
                if instance_id in seen:
                    continue
                seen.add(instance_id)
                if cidr_v6 and mac:
                    result[instance_id] = (cidr_v6, mac)
    return result
