"""Authentication filters of the OpenStack API (``noauth`` and ``auth``).

``noauth`` (Diablo's default): a request without ``X-Auth-Token`` is
answered 204 with the token ``<X-Auth-User>:<X-Auth-Project-Id>`` and the
management URL; a request with a token ``user:project`` runs as that user,
an admin, unchecked.  It trusts every caller, so it is only honoured on a
loopback listener: when ``--osapi_listen`` is not a loopback address the
``noauth`` filter **falls back to** ``auth`` (and logs a warning), unless
``--osapi_noauth_any_address`` says the operator means it.

``auth`` (the deprecated X-Auth-Key auth): ``X-Auth-User`` (the user's
name) and ``X-Auth-Key`` (the user's EC2 access key) at the version root
give a 204 with a SHA-1 token stored in ``auth_tokens``; a token expires
after two days (then it is deleted).  On ``/v1.1/<project>/…`` the user
must be a member of ``<project>`` (or an admin).  Anything else is a 401
``unauthorized`` fault.
"""

import hashlib
import ipaddress
import logging
import time

import webob
import webob.dec
import webob.exc

from nova import context
from nova import db
from nova import exception
from nova import flags
from nova import utils
from nova.api.ec2 import forwarded
from nova.api.openstack import faults
from nova.api.openstack import wsgi

FLAGS = flags.FLAGS
flags.DEFINE_bool('osapi_noauth_any_address', False,
                  'Honour the noauth filter of the OpenStack API even when '
                  '--osapi_listen is not a loopback address (anyone who '
                  'reaches the port is an admin)')
LOG = logging.getLogger('nova.api.openstack.auth')

#: a token's lifetime (Diablo: two days, whatever --auth_token_ttl says).
TOKEN_DAYS = 2


def is_loopback(host):
    """Whether the listen address ``host`` only accepts local clients."""
    if host in ('localhost',):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _unauthorized(message='This server could not verify that you are '
                  'authorized to access the document you requested.'):
    return faults.Fault(webob.exc.HTTPUnauthorized(explanation=message))


def _remote_address(req):
    try:
        return forwarded.request_source(req)
    except forwarded.UntrustworthyForwarding:
        return req.remote_addr


def _management_url(req, project_id):
    url = req.application_url.rstrip('/')
    if faults.version_of(req.environ) == '1.1':
        url += '/' + project_id
    return url


def _path_project(req):
    """The ``{project_id}`` of a v1.1 path, or None (version root, v1.0)."""
    if faults.version_of(req.environ) != '1.1':
        return None
    first = req.path_info.strip('/').split('/', 1)[0]
    return first or None


class NoAuthMiddleware(object):
    """``noauth``: hand out ``user:project`` tokens, trust them."""

    def __init__(self, application):
        self.application = application

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.deploy filter factory (see the module doc: loopback only)."""
        def _filter(app):
            listen = FLAGS.get('osapi_listen', None) or '0.0.0.0'
            if is_loopback(listen) or FLAGS.osapi_noauth_any_address:
                return cls(app)
            LOG.warning('noauth requested for the OpenStack API on %s, '
                        'which is not a loopback address: using the '
                        'X-Auth-Key auth instead (set '
                        '--osapi_noauth_any_address to override)', listen)
            return AuthMiddleware(app)
        return _filter

    @webob.dec.wsgify(RequestClass=wsgi.Request)
    def __call__(self, req):
        token = req.headers.get('X-Auth-Token')
        if not token:
            user_id = req.headers.get('X-Auth-User', 'admin')
            project_id = req.headers.get('X-Auth-Project-Id', 'admin')
            res = webob.Response(status=204)
            res.headers['X-Auth-Token'] = '%s:%s' % (user_id, project_id)
            res.headers['X-Server-Management-Url'] = _management_url(
                req, project_id)
            res.headers['X-Storage-Url'] = ''
            res.headers['X-CDN-Management-Url'] = ''
            res.content_type = 'text/plain'
            return res
        user_id, _sep, project_id = token.partition(':')
        project_id = project_id or user_id
        req.environ['nova.context'] = context.RequestContext(
            user_id, project_id, is_admin=True,
            remote_address=_remote_address(req), auth_token=token,
            strategy='noauth')
        return self.application


class AuthMiddleware(object):
    """``auth``: X-Auth-User/X-Auth-Key tokens kept in ``auth_tokens``."""

    def __init__(self, application, auth_manager=None):
        self.application = application
        self._manager = auth_manager

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.deploy filter factory."""
        return cls

    @property
    def manager(self):
        """The AuthManager (users, projects, roles)."""
        if self._manager is None:
            from nova.auth import manager
            self._manager = manager.AuthManager()
        return self._manager

    @webob.dec.wsgify(RequestClass=wsgi.Request)
    def __call__(self, req):
        token = req.headers.get('X-Auth-Token')
        if not token:
            return self.authenticate(req)
        user_id = self.authorize_token(token)
        if not user_id:
            LOG.warning('unknown or expired OpenStack API token')
            return _unauthorized()
        user = self.manager.get_user(user_id)
        projects = self.manager.get_projects(user_id) if user else []
        if not projects:
            return _unauthorized()
        project_ids = [p.id for p in projects]
        project_id = _path_project(req)
        if project_id is not None:
            if project_id not in project_ids:
                return _unauthorized()
        else:
            project_id = req.headers.get('X-Auth-Project-Id') or \
                project_ids[0]
        is_admin = self.manager.is_admin(user)
        if not is_admin and project_id not in project_ids:
            return _unauthorized()
        req.environ['nova.context'] = context.RequestContext(
            user.id, project_id, is_admin=is_admin,
            roles=self.manager.get_active_roles(user, project_id),
            remote_address=_remote_address(req), auth_token=token,
            strategy='deprecated')
        return self.application

    def authenticate(self, req):
        """The token request at the version root: 204 or 401."""
        if len(req.path_info) > 1:
            return _unauthorized('Authentication requests must be made '
                                 'against a version root (e.g. /v1.0 or '
                                 '/v1.1).')
        for header in ('X-Auth-User', 'X-Auth-Key'):
            if not req.headers.get(header):
                return _unauthorized('Could not find %s in request.'
                                     % header)
        username = req.headers['X-Auth-User']
        key = req.headers['X-Auth-Key']
        user = self.manager.get_user_from_access_key(key)
        if user is None or user.name != username:
            LOG.warning('OpenStack API login refused for %r', username)
            return _unauthorized()
        project_ids = [p.id for p in self.manager.get_projects(user)]
        project_id = req.headers.get('X-Auth-Project-Id')
        if project_id is None:
            if not project_ids:
                return _unauthorized()
            project_id = project_ids[0]
        elif project_id not in project_ids and \
                not self.manager.is_admin(user):
            return _unauthorized()
        token_hash = hashlib.sha1(('%s%s%f' % (
            username, key, time.time())).encode('utf-8')).hexdigest()
        row = db.auth_token_create(context.get_admin_context(), {
            'token_hash': token_hash, 'user_id': user.id,
            'server_management_url': _management_url(req, project_id),
            'storage_url': '', 'cdn_management_url': ''})
        res = webob.Response(status=204)
        res.headers['X-Auth-Token'] = row['token_hash']
        res.headers['X-Server-Management-Url'] = \
            row['server_management_url']
        res.headers['X-Storage-Url'] = ''
        res.headers['X-CDN-Management-Url'] = ''
        res.content_type = 'text/plain'
        return res

    @staticmethod
    def authorize_token(token_hash):
        """The user id of a live token, None otherwise (old ones deleted)."""
        ctxt = context.get_admin_context()
        try:
            token = db.auth_token_get(ctxt, token_hash)
        except exception.NotFound:
            return None
        if (utils.utcnow() - token['created_at']).days >= TOKEN_DAYS:
            db.auth_token_destroy(ctxt, token['token_hash'])
            return None
        return token['user_id']


__all__ = ['NoAuthMiddleware', 'AuthMiddleware', 'is_loopback']
