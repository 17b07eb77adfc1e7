"""The OpenStack API v1.0/v1.1 (and its ``/v2``, ``/v2.1`` aliases).

``api-paste.ini`` builds each version as ``faultwrap <auth> ratelimit
[extensions] osapiapp1x``: :class:`FaultWrapper` turns any escaping error
into a ``computeFault`` body, the auth filter (:mod:`.auth`) puts a
request context in the environment, :mod:`.ratelimit` counts requests, and
:class:`APIRouterV10` / :class:`APIRouterV11` route to one controller per
resource.  A path no route knows is a 404 ``itemNotFound``; a known path
with another method is a 405 ``badMethod`` with ``Allow``.
"""

import logging

import routes
import webob.dec
import webob.exc

from nova import flags
from nova.api import fault_guard
from nova.api.openstack import accounts
from nova.api.openstack import admin_actions
from nova.api.openstack import backup_schedules
from nova.api.openstack import consoles
from nova.api.openstack import faults
from nova.api.openstack import flavors
from nova.api.openstack import image_metadata
from nova.api.openstack import images
from nova.api.openstack import ips
from nova.api.openstack import limits
from nova.api.openstack import servers
from nova.api.openstack import shared_ip_groups
from nova.api.openstack import users
from nova.api.openstack import versions
from nova.api.openstack import wsgi
from nova.api.openstack import zones

LOG = logging.getLogger('nova.api.openstack')
FLAGS = flags.FLAGS

_METHODS = ('GET', 'POST', 'PUT', 'DELETE', 'HEAD')
#: collections whose ``{id}`` is a database row id: one beyond the integer
#: column is a 404 before any query (others' ids are names: key pairs,
#: metadata keys, projects, users, hosts).
INTEGER_ID_COLLECTIONS = frozenset((
    'servers', 'images', 'flavors', 'backup_schedule', 'shared_ip_groups',
    'consoles', 'zones', 'os-volumes', 'os-volume_attachments',
    'os-volumes_boot', 'os-floating-ips', 'os-security-groups',
    'os-security-group-rules', 'os-create-server-ext', 'os-volume-types',
    'os-virtual-interfaces', 'os-snapshots'))


def strip_format(environ):
    """Drop a ``.json``/``.xml`` suffix from PATH_INFO, remembering it."""
    path = environ.get('PATH_INFO', '')
    for suffix in ('json', 'xml'):
        if path.endswith('.' + suffix):
            environ['PATH_INFO'] = path[:-len(suffix) - 1]
            environ['nova.osapi.format'] = suffix
            return


class FaultWrapper(object):
    """Any error escaping the pipeline becomes a ``computeFault`` (500),
    or a ``serviceUnavailable`` fault (503) when it means an outage
    (:func:`nova.api.fault_guard.is_outage`).

    The message is generic; the details go to the log only.
    """

    def __init__(self, application):
        self.application = application

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.deploy filter factory."""
        return cls

    @webob.dec.wsgify(RequestClass=wsgi.Request)
    def __call__(self, req):
        strip_format(req.environ)
        if not wsgi.path_is_utf8(req.environ):
            return faults.fault(400, 'The request URL is not valid UTF-8.')
        try:
            return req.get_response(self.application)
        except Exception as exc:  # noqa: BLE001 - answered as a fault
            LOG.exception('Caught error in the OpenStack API')
            if fault_guard.is_outage(exc):
                # The database, the broker or the LDAP directory is down.
                return faults.Fault(webob.exc.HTTPServiceUnavailable(
                    explanation=faults.UNAVAILABLE))
            return faults.Fault(webob.exc.HTTPInternalServerError(
                explanation='The server has either erred or is incapable '
                            'of performing the requested operation.'))


class Router(object):
    """Routes a request to a :class:`wsgi.Resource` by path and method."""

    def __init__(self, mapper):
        self.mapper = mapper

    @webob.dec.wsgify(RequestClass=wsgi.Request)
    def __call__(self, req):
        strip_format(req.environ)
        path = req.path_info or '/'
        found = self.mapper.routematch(path, environ=req.environ)
        if found is None:
            allowed = [m for m in _METHODS if self.mapper.routematch(
                path, environ=dict(req.environ, REQUEST_METHOD=m))]
            if allowed:
                return faults.fault(405, 'The method %s is not allowed for '
                                    'this resource.' % req.method,
                                    Allow=', '.join(allowed))
            return faults.fault(404, 'The resource could not be found.')
        args, route = found
        req.environ['wsgiorg.routing_args'] = ((), args)
        return args['controller']


def add_resource(mapper, prefix, collection, controller, actions,
                 member_actions=()):
    """Routes of one collection: ``actions`` among index, detail, create,
    show, update, delete, update_all; ``member_actions`` are
    ``(name, method)`` pairs routed at ``<collection>/<id>/<name>``."""
    resource = wsgi.Resource(controller,
                             integer_id=collection in INTEGER_ID_COLLECTIONS)
    base = '%s/%s' % (prefix, collection)
    table = {
        'index': ('GET', base), 'detail': ('GET', base + '/detail'),
        'create': ('POST', base), 'update_all': ('PUT', base),
        'show': ('GET', base + '/{id}'), 'update': ('PUT', base + '/{id}'),
        'delete': ('DELETE', base + '/{id}'),
    }
    # ``detail`` first: it must win over ``show`` of the id "detail".
    order = ['detail'] + [a for a in table if a != 'detail']
    for action in order:
        if action in actions:
            method, path = table[action]
            methods = ['GET', 'HEAD'] if method == 'GET' else [method]
            mapper.connect(path, controller=resource, action=action,
                           conditions={'method': methods})
    for name, method in member_actions:
        mapper.connect('%s/{id}/%s' % (base, name), controller=resource,
                       action=name, conditions={'method': [method]})
    return resource


class AdminApi(object):
    """A controller that exists only with ``--allow_admin_api`` (404
    otherwise, as Diablo did not route it), read at each request."""

    def __init__(self, controller):
        self.controller = controller

    def __getattr__(self, name):
        method = getattr(self.controller, name)

        def checked(req, **args):
            if not FLAGS.allow_admin_api:
                raise webob.exc.HTTPNotFound(
                    explanation='The resource could not be found.')
            return method(req, **args)
        return checked


class APIRouter(Router):
    """The routes every version shares."""

    version = None

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.deploy app factory."""
        return cls()

    def __init__(self):
        mapper = routes.Mapper()
        self._setup_routes(mapper, self.prefix)
        super(APIRouter, self).__init__(mapper)

    prefix = ''

    def _setup_routes(self, mapper, prefix):
        version = self.version
        mapper.connect('/', controller=wsgi.Resource(
            versions.VersionController(version)), action='show',
            conditions={'method': ['GET', 'HEAD']})
        servers_controller = servers.Controller(version)
        add_resource(mapper, prefix, 'servers', servers_controller,
                     ('index', 'detail', 'create', 'show', 'update',
                      'delete'),
                     member_actions=[('action', 'POST')] +
                     list(admin_actions.MEMBER_ROUTES))
        ips_prefix = prefix + '/servers/{server_id}'
        add_resource(mapper, ips_prefix, 'ips', ips.Controller(version),
                     ('index', 'show'))
        add_resource(mapper, prefix, 'flavors', flavors.Controller(version),
                     ('index', 'detail', 'show'))
        add_resource(mapper, prefix, 'images', images.Controller(version),
                     ('index', 'detail', 'show', 'delete', 'create'))
        add_resource(mapper, prefix, 'limits', limits.Controller(version),
                     ('index',))
        add_resource(mapper, prefix + '/servers/{server_id}', 'consoles',
                     consoles.Controller(servers_controller),
                     ('index', 'create', 'show', 'update', 'delete'))
        self._setup_admin_routes(mapper, prefix)

    @staticmethod
    def _setup_admin_routes(mapper, prefix):
        """Diablo's ``--allow_admin_api`` resources: zones, users,
        accounts."""
        zone_resource = wsgi.Resource(AdminApi(zones.Controller()))
        for name, method in (('info', 'GET'), ('select', 'POST'),
                             ('boot', 'POST')):
            mapper.connect('%s/zones/%s' % (prefix, name),
                           controller=zone_resource, action=name,
                           conditions={'method': [method]})
        every = ('index', 'detail', 'create', 'show', 'update', 'delete')
        add_resource(mapper, prefix, 'zones', AdminApi(zones.Controller()),
                     every)
        add_resource(mapper, prefix, 'users', AdminApi(users.Controller()),
                     every)
        add_resource(mapper, prefix, 'accounts',
                     AdminApi(accounts.Controller()), every)


class APIRouterV10(APIRouter):
    """``/v1.0``: no tenant in the path."""

    version = '1.0'

    def _setup_routes(self, mapper, prefix):
        super(APIRouterV10, self)._setup_routes(mapper, prefix)
        add_resource(mapper, prefix, 'shared_ip_groups',
                     shared_ip_groups.Controller(),
                     ('index', 'detail', 'create', 'show', 'update',
                      'delete'))
        add_resource(mapper, prefix + '/servers/{server_id}',
                     'backup_schedule', backup_schedules.Controller(),
                     ('index', 'create', 'show', 'delete'))


class APIRouterV11(APIRouter):
    """``/v1.1`` (and ``/v2``, ``/v2.1``): ``/{project_id}/…`` paths."""

    version = '1.1'
    prefix = '/{project_id}'

    def _setup_routes(self, mapper, prefix):
        super(APIRouterV11, self)._setup_routes(mapper, prefix)
        add_resource(mapper, prefix + '/servers/{server_id}', 'metadata',
                     servers.MetadataController(),
                     ('index', 'create', 'update_all', 'show', 'update',
                      'delete'))
        add_resource(mapper, prefix + '/images/{image_id}', 'metadata',
                     image_metadata.Controller(),
                     ('index', 'create', 'update_all', 'show', 'update',
                      'delete'))


__all__ = ['FaultWrapper', 'APIRouterV10', 'APIRouterV11', 'Router',
           'add_resource', 'strip_format']
