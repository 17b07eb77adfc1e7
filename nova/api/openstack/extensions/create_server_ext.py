"""``os-create-server-ext``: ``/os-create-server-ext`` is the servers
collection whose details also name each server's ``security_groups``
(``[{"name": …}]``), as Diablo's Createserverext.  Creation takes the same
body as ``POST /servers`` (``security_groups``, ``user_data`` …).
"""

from nova import db
from nova.api.openstack import common

EXTENSION = {
    'name': 'Createserverext',
    'alias': 'os-create-server-ext',
    'description': 'Extended support to the Create Server v1.1 API',
    'namespace': 'http://docs.openstack.org/ext/createserverext/api/v1.1',
    'updated': '2011-07-19T00:00:00+00:00',
}


def _with_groups(req, server):
    groups = db.security_group_get_by_instance(
        common.context_of(req).elevated(), server['id'])
    server['security_groups'] = [{'name': g['name']} for g in groups]
    return server


def _controller():
    from nova.api.openstack import servers
    from nova.api.openstack import wsgi

    class CreateServerController(servers.Controller):
        """Servers whose details name their security groups."""

        def detail(self, req, **args):
            """``{"servers": [detail + security_groups…]}``."""
            result = super(CreateServerController, self).detail(req, **args)
            for server in result['servers']:
                _with_groups(req, server)
            return result

        def show(self, req, id, **args):
            """``{"server": detail + security_groups}``."""
            result = super(CreateServerController, self).show(req, id,
                                                              **args)
            _with_groups(req, result['server'])
            return result

        def create(self, req, body=None, **args):
            """``POST /servers`` plus the new server's security groups."""
            response = super(CreateServerController, self).create(
                req, body=body, **args)
            if response.status_int != 202:
                return response
            data = wsgi.parse_json(response.body) if \
                response.content_type == wsgi.JSON else None
            if data is None:
                return response
            _with_groups(req, data['server'])
            return wsgi.respond(req, data, status=202)

    return CreateServerController('1.1')


def resources():
    """The ``os-create-server-ext`` collection."""
    from nova.api.openstack.extensions import ResourceExtension
    return [ResourceExtension('os-create-server-ext', _controller(),
                              ('index', 'detail', 'show', 'create'))]
