"""The direct API: service methods called over HTTP (Diablo's
``nova/api/direct.py``, served by nova-direct-api, used by ``stack``).

``POST /<service>/<method>`` with the method's arguments as form fields
(or one ``json`` field holding an object) calls ``<service>.<method>(
context, **arguments)`` and answers its result as JSON.  The services are
Diablo's: ``compute``, ``volume``, ``network`` and ``reflect`` (which
lists the others' methods for ``stack help``); here each exposes a listed
set of methods (``compute``: reads, consoles, reboot).

The caller names itself with ``X-OpenStack-User`` and
``X-OpenStack-Project`` (Diablo's DelegatedAuthMiddleware).  Those headers
prove nothing, so they are believed only from this host (loopback), for a
user that exists and belongs to the project; anyone else gets 403.
"""

import inspect
import ipaddress
import json
import logging

import webob
import webob.dec

from nova import context as nova_context
from nova import exception
from nova import flags

LOG = logging.getLogger('nova.api.direct')

flags.DEFINE_string('direct_host', '0.0.0.0', 'address the direct API binds')
flags.DEFINE_integer('direct_port', 8001, 'port the direct API binds')


class Limited(object):
    """Only the methods named in ``allowed`` of ``proxy``."""

    def __init__(self, proxy, allowed, doc):
        self._proxy = proxy
        self._allowed = tuple(allowed)
        self.__doc__ = doc

    def methods(self):
        """``{name: bound method}`` of the exposed methods."""
        return {name: getattr(self._proxy, name) for name in self._allowed
                if callable(getattr(self._proxy, name, None))}


class Reflection(object):
    """Lists the controllers and their methods (for ``stack help``)."""

    def __init__(self, services):
        self._services = services

    def methods(self):
        """The reflection methods themselves."""
        return {'get_controllers': self.get_controllers,
                'get_methods': self.get_methods,
                'get_method_info': self.get_method_info}

    def get_controllers(self, context):
        """List available controllers."""
        return {name: (svc.__doc__ or name).strip().split('\n')[0]
                for name, svc in self._services.items()}

    def _info(self, route, func):
        sig = inspect.signature(func)
        args = []
        for name, param in sig.parameters.items():
            if name in ('self', 'context') or param.kind in (
                    param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            if param.default is param.empty:
                args.append([name])
            else:
                args.append([name, repr(param.default)])
        doc = inspect.getdoc(func) or 'not available'
        return {'name': func.__name__, 'args': args, 'doc': doc,
                'short_doc': doc.split('\n')[0]}

    def get_methods(self, context):
        """List available methods."""
        return {'/%s/%s' % (route, name): self._info(route, func)['short_doc']
                for route, svc in self._services.items()
                for name, func in svc.methods().items()}

    def get_method_info(self, context, method):
        """Get detailed information about a method."""
        _empty, route, name = (str(method).split('/') + ['', ''])[:3]
        svc = self._services.get(route)
        func = svc.methods().get(name) if svc is not None else None
        if func is None:
            raise exception.NotFound('No method %s' % method)
        return self._info(route, func)


def default_services():
    """Diablo's registered services, each limited to a listed set."""
    from nova.compute import api as compute_api
    from nova.network import api as network_api
    from nova.volume import api as volume_api
    services = {
        'compute': Limited(compute_api.API(), (
            'get', 'get_all', 'get_console_output', 'get_vnc_console',
            'get_ajax_console', 'reboot'), 'Compute API.'),
        'volume': Limited(volume_api.API(), ('get', 'get_all'), 'Volume API.'),
        'network': Limited(network_api.API(), (
            'get_floating_ip',), 'Network API.'),
    }
    services['reflect'] = Reflection(services)
    return services


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, 'items') and hasattr(value, 'keys'):
        return {str(k): _plain(value[k]) for k in value.keys()
                if not str(k).startswith('_')}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _answer(status, payload):
    return webob.Response(status=status, content_type='application/json',
                          charset='utf-8', body=json.dumps(payload).encode())


def _is_loopback(address):
    try:
        return ipaddress.ip_address(address or '').is_loopback
    except ValueError:
        return False


class DirectApp(object):
    """The direct API's WSGI application (see the module's doc)."""

    def __init__(self, services=None, auth_manager=None):
        self.services = services if services is not None \
            else default_services()
        self._auth = auth_manager

    @property
    def auth(self):
        """The AuthManager (loaded on first use)."""
        if self._auth is None:
            from nova.auth import manager
            self._auth = manager.AuthManager()
        return self._auth

    def _context(self, req):
        user_id = req.headers.get('X-OpenStack-User')
        project_id = req.headers.get('X-OpenStack-Project')
        if not _is_loopback(req.remote_addr):
            raise exception.NotAuthorized(
                'The direct API takes requests from this host only.')
        user = self.auth.get_user(user_id) if user_id else None
        project = self.auth.get_project(project_id) if project_id else None
        if user is None or project is None or not (
                self.auth.is_admin(user) or
                self.auth.is_project_member(user, project)):
            raise exception.NotAuthorized(
                'Unknown user, project or membership.')
        return nova_context.RequestContext(
            user.id, project.id, is_admin=self.auth.is_admin(user),
            roles=self.auth.get_user_roles(user, project),
            remote_address=req.remote_addr)

    @staticmethod
    def _params(req):
        if 'json' in req.params:
            try:
                parsed = json.loads(req.params['json'])
            except ValueError:
                raise exception.InvalidInput(reason='json is not JSON')
            if not isinstance(parsed, dict):
                raise exception.InvalidInput(reason='json is not an object')
        else:
            parsed = dict(req.params.items())
        return {str(k): v for k, v in parsed.items()
                if k not in ('self', 'context') and not
                str(k).startswith('_')}

    @webob.dec.wsgify
    def __call__(self, req):
        parts = [p for p in req.path_info.split('/') if p]
        if len(parts) != 2:
            return _answer(404, {'error': 'Use /<service>/<method>.'})
        service = self.services.get(parts[0])
        method = service.methods().get(parts[1]) if service else None
        if method is None:
            return _answer(404, {'error': 'No method /%s/%s.' % tuple(
                p[:64] for p in parts)})
        try:
            context = self._context(req)
            params = self._params(req)
            try:
                inspect.signature(method).bind(context, **params)
            except TypeError as exc:
                raise exception.InvalidInput(reason=str(exc))
            result = method(context, **params)
        except exception.NovaException as exc:
            status = exc.code if isinstance(exc.code, int) and \
                400 <= exc.code < 600 else 500
            if type(exc).__name__ == 'RemoteError':
                status = 500
            LOG.info('direct API %s: %s', req.path_info, exc)
            message = str(exc) if status < 500 else 'The call failed.'
            return _answer(status, {'error': message})
        return _answer(200, _plain(result))


def app_factory(global_conf=None, **local_conf):
    """A paste app factory."""
    return DirectApp()

