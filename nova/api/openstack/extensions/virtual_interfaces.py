"""``virtual_interfaces``: ``GET /servers/{server_id}/os-virtual-interfaces``
lists a server's NICs as ``{"virtual_interfaces": [{id, mac_address}]}``
(Diablo's VirtualInterfaces extension); another project's server is a
404."""

from nova import db
from nova.api.openstack import common
from nova.api.openstack.extensions import ResourceExtension

EXTENSION = {
    'name': 'VirtualInterfaces',
    'alias': 'virtual_interfaces',
    'description': 'Virtual interface support',
    'namespace': 'http://docs.openstack.org/ext/virtual_interfaces/api/v1.1',
    'updated': '2011-08-17T00:00:00+00:00',
}


class VirtualInterfaceController(object):
    """``/servers/{server_id}/os-virtual-interfaces``."""

    def __init__(self):
        self._servers = None

    def index(self, req, server_id, **_args):
        """The server's virtual interfaces (a page)."""
        if self._servers is None:
            from nova.api.openstack import servers
            self._servers = servers.Controller('1.1')
        instance = self._servers.get_instance(req, server_id)
        vifs = db.virtual_interface_get_by_instance(
            common.context_of(req).elevated(), instance['id']) or []
        return {'virtual_interfaces': [
            {'id': vif['uuid'], 'mac_address': vif['address']}
            for vif in common.limited(req, list(vifs))]}


def resources():
    """The ``os-virtual-interfaces`` collection of a server."""
    return [ResourceExtension('os-virtual-interfaces',
                              VirtualInterfaceController(), ('index',),
                              parent='servers/{server_id}')]
