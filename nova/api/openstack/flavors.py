"""``/flavors``: list, detail and show of the active instance types."""

from nova import exception
from nova.api.openstack import common
from nova.api.openstack.views import flavors as views
from nova.compute import instance_types


class Controller(object):
    """Flavors (read only)."""

    def __init__(self, version):
        self.version = version

    def _all(self, req):
        types = sorted(instance_types.get_all_types().values(),
                       key=lambda t: (t['memory_mb'], str(t['flavorid'])))
        return common.page(req, self.version, types, key='flavorid')

    def index(self, req, **_args):
        """``{"flavors": [{id, name, links}]}``."""
        return {'flavors': [views.basic(req, self.version, t)
                            for t in self._all(req)]}

    def detail(self, req, **_args):
        """``{"flavors": [detail…]}``."""
        return {'flavors': [views.detail(req, self.version, t)
                            for t in self._all(req)]}

    def show(self, req, id, **_args):
        """``{"flavor": detail}``; 404 for an unknown flavor."""
        try:
            itype = instance_types.get_instance_type_by_flavor_id(id)
        except exception.NotFound:
            raise common.not_found('The resource could not be found.')
        return {'flavor': views.detail(req, self.version, itype)}
