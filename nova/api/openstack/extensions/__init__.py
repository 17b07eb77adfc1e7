"""The ``extensions`` paste filter of the OpenStack API v1.1.

Each contrib extension is one module of this package (listed in
:data:`MODULES`) exposing:

* ``EXTENSION``: a dict with Diablo's ``name``, ``alias``,
  ``description``, ``namespace`` and ``updated``;
* optionally ``resources()``: :class:`ResourceExtension` objects, new
  collections routed under ``/{project_id}`` (or under a parent such as
  ``servers/{server_id}``);
* optionally ``actions()``: ``{name: handler}`` server actions of
  ``POST /servers/{id}/action``, called as ``handler(servers_controller,
  req, instance, args)`` with the project's server (404 otherwise) and the
  value of the body's key.

:class:`ExtensionMiddleware` answers ``/extensions`` (the listing) and
``/extensions/{alias}``, routes the extensions' resources (another method
on a known path is a 405 ``badMethod``), answers a server action whose
body names an extension action (as Diablo's filter did), and passes every
other request on to the core API.
"""

import importlib
import re

import routes
import webob.dec

from nova.api.openstack import add_resource
from nova.api.openstack import common
from nova.api.openstack import faults
from nova.api.openstack import wsgi

#: contrib modules of this package, in listing order.
MODULES = ('keypairs', 'security_groups', 'floating_ips', 'quotas',
           'volumes', 'simple_tenant_usage', 'rescue', 'virtual_interfaces',
           'flavor_extra_specs', 'flavor_extra_data', 'create_server_ext',
           'hosts', 'multinic', 'volume_types', 'console_output',
           'admin_servers', 'snapshots', 'services',
           'virtual_storage_arrays', 'consoles_vnc')

_METHODS = ('GET', 'POST', 'PUT', 'DELETE', 'HEAD')
_ACTION_PATH = re.compile(r'^/(?P<project_id>[^/]+)/servers/(?P<id>[^/]+)'
                          r'/action/?$')


class ResourceExtension(object):
    """A collection an extension adds.

    ``actions`` are among index, detail, create, show, update, delete,
    update_all; ``member_actions`` are ``(name, method)`` pairs routed at
    ``<collection>/<id>/<name>``; ``parent`` (``servers/{server_id}``) puts
    the collection under a member of another one.
    """

    def __init__(self, collection, controller, actions, member_actions=(),
                 parent=None):
        self.collection = collection
        self.controller = controller
        self.actions = tuple(actions)
        self.member_actions = tuple(member_actions)
        self.parent = parent


def load(modules=MODULES):
    """The extension modules named in ``modules``."""
    return [importlib.import_module('%s.%s' % (__name__, name))
            for name in modules]


def loaded_extensions(modules=MODULES):
    """The ``EXTENSION`` dicts of ``modules`` (with empty ``links``)."""
    return [dict(module.EXTENSION, links=[]) for module in load(modules)]


class ExtensionsController(object):
    """``/extensions``."""

    def __init__(self, extensions):
        self.extensions = extensions

    def index(self, req, **_args):
        """``{"extensions": [...]}``."""
        return {'extensions': list(self.extensions)}

    def show(self, req, id, **_args):
        """``{"extension": {...}}``; 404 for an unknown alias."""
        for ext in self.extensions:
            if ext['alias'] == id:
                return {'extension': ext}
        raise common.not_found('Extension %s could not be found.' % id)


class ActionController(object):
    """The extension actions of ``POST /servers/{id}/action``."""

    def __init__(self, actions):
        self.actions = actions
        self._servers = None

    @property
    def servers(self):
        """The core servers controller (project-confined lookups)."""
        if self._servers is None:
            from nova.api.openstack import servers
            self._servers = servers.Controller('1.1')
        return self._servers

    def action(self, req, id, body=None, **_args):
        """Call the handler the body's only key names."""
        name = next(iter(body))
        instance = self.servers.get_instance(req, id)
        return self.actions[name](self.servers, req, instance, body[name])


def _action_name(req):
    """The first key of a JSON/XML body (None when there is none)."""
    req.make_body_seekable()
    try:
        body = req.decoded_body()
    except Exception:  # noqa: BLE001 - the core API answers bad bodies
        body = None
    req.body_file.seek(0)
    if isinstance(body, dict) and body:
        return next(iter(body))
    return None


class ExtensionMiddleware(object):
    """Serves ``/extensions`` and the extensions' resources and actions;
    everything else goes to the core API."""

    def __init__(self, application, modules=MODULES):
        self.application = application
        loaded = load(modules)
        mapper = routes.Mapper()
        resource = wsgi.Resource(ExtensionsController(
            [dict(m.EXTENSION, links=[]) for m in loaded]))
        for path, action in (('/{project_id}/extensions', 'index'),
                             ('/{project_id}/extensions/{id}', 'show')):
            mapper.connect(path, controller=resource, action=action,
                           conditions={'method': ['GET', 'HEAD']})
        self.actions = {}
        for module in loaded:
            for res in getattr(module, 'resources', list)():
                prefix = '/{project_id}'
                if res.parent:
                    prefix += '/' + res.parent
                add_resource(mapper, prefix, res.collection, res.controller,
                             res.actions, res.member_actions)
            self.actions.update(getattr(module, 'actions', dict)())
        self.mapper = mapper
        self.action_resource = wsgi.Resource(ActionController(self.actions))

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.deploy filter factory."""
        return cls

    @webob.dec.wsgify(RequestClass=wsgi.Request)
    def __call__(self, req):
        path = req.path_info or '/'
        found = self.mapper.routematch(path, environ=req.environ)
        if found is not None:
            args, _route = found
            req.environ['wsgiorg.routing_args'] = ((), args)
            return args['controller']
        allowed = [m for m in _METHODS if self.mapper.routematch(
            path, environ=dict(req.environ, REQUEST_METHOD=m))]
        if allowed:
            return faults.fault(405, 'The method %s is not allowed for this '
                                'resource.' % req.method,
                                Allow=', '.join(allowed))
        match = _ACTION_PATH.match(path)
        if match and req.method == 'POST' and self.actions and \
                _action_name(req) in self.actions:
            args = dict(match.groupdict(), action='action')
            req.environ['wsgiorg.routing_args'] = ((), args)
            return self.action_resource
        return self.application
