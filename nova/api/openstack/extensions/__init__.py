"""The ``extensions`` paste filter of the OpenStack API v1.1.

:class:`ExtensionMiddleware` answers ``GET /{project}/extensions`` (the
loaded extensions) and ``GET /{project}/extensions/{alias}`` (one, else a
404) and passes every other request on.  Each contrib extension is one
module of this package exposing ``EXTENSION`` (a dict with ``name``,
``alias``, ``description``, ``namespace``, ``updated``); the modules are
listed in :data:`MODULES`.  None is loaded yet, so the listing is empty
and their resources answer 404.
"""

import importlib

import routes
import webob.dec

from nova.api.openstack import Router
from nova.api.openstack import faults
from nova.api.openstack import wsgi

#: contrib modules of this package, in listing order.
MODULES = ()


def loaded_extensions():
    """The ``EXTENSION`` dicts of :data:`MODULES`."""
    result = []
    for name in MODULES:
        module = importlib.import_module('%s.%s' % (__name__, name))
        result.append(dict(module.EXTENSION, links=[]))
    return result


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
        return faults.fault(404, 'Extension %s could not be found.' % id)


class ExtensionMiddleware(object):
    """Serves ``/extensions``; everything else goes to the core API."""

    def __init__(self, application, extensions=None):
        self.application = application
        extensions = loaded_extensions() if extensions is None \
            else extensions
        mapper = routes.Mapper()
        resource = wsgi.Resource(ExtensionsController(extensions))
        for path, action in (('/{project_id}/extensions', 'index'),
                             ('/{project_id}/extensions/{id}', 'show')):
            mapper.connect(path, controller=resource, action=action,
                           conditions={'method': ['GET', 'HEAD']})
        self.router = Router(mapper)
        self.mapper = mapper

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.deploy filter factory."""
        return cls

    @webob.dec.wsgify(RequestClass=wsgi.Request)
    def __call__(self, req):
        parts = req.path_info.strip('/').split('/')
        if len(parts) >= 2 and parts[1] == 'extensions' and \
                len(parts) <= 3:
            return self.router
        return self.application
