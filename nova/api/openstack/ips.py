"""``/servers/{server_id}/ips``: a server's addresses (read only)."""

from nova.api.openstack import common
from nova.api.openstack import servers
from nova.api.openstack.views import servers as views


class Controller(object):
    """Addresses by network (v1.1) or public/private (v1.0)."""

    def __init__(self, version, compute_api=None):
        self.version = version
        self.servers = servers.Controller(version, compute_api)

    def _addresses(self, req, server_id):
        instance = self.servers.get_instance(req, server_id)
        if self.version == '1.0':
            return views.addresses_v10(instance)
        return views.addresses_v11(instance)

    def index(self, req, server_id, **_args):
        """``{"addresses": {...}}``."""
        return {'addresses': self._addresses(req, server_id)}

    def show(self, req, server_id, id, **_args):
        """``{<network>: [...]}``; 404 when the server is not on it."""
        addresses = self._addresses(req, server_id)
        if id not in addresses:
            if self.version == '1.0':
                raise common.not_found('Only private and public networks '
                                       'available')
            raise common.not_found('Instance is not a member of specified '
                                   'network')
        return {id: addresses[id]}
