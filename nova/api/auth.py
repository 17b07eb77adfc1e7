"""``keystonecontext``: nova's request context from Keystone's headers.

In the manual's Keystone pipelines the OpenStack API reads::

    pipeline = faultwrap authtoken keystonecontext ratelimit extensions
               osapiapp11

``authtoken`` is keystonemiddleware's ``auth_token`` filter: it validates
the ``X-Auth-Token`` with Keystone and sets the identity headers
(``X-Identity-Status``, ``X-User-Id``, ``X-User-Name``, ``X-Project-Id``,
``X-Project-Name``, ``X-Roles``).  :class:`NovaKeystoneContext` turns them
into a :class:`nova.context.RequestContext`:

* a request without a confirmed identity (``delay_auth_decision = true``
  lets one through) is answered 401 with nova's ``unauthorized`` fault and
  ``WWW-Authenticate: Keystone uri="…"`` when the filter names the uri;
* a v1.1 path naming another project than the token's is a 403 fault
  (Keystone admins excepted);
* Keystone roles map to nova roles (:func:`nova_roles`); a role in
  ``--keystone_admin_roles`` makes the caller an admin;
* like Diablo's Keystone shim, a user or project nova does not know yet is
  created in nova's auth store on first use (the user joins the project),
  so that nova-manage, quotas and networks see them.

Nova's user and project ids are Keystone's ids, or, with
``--keystone_use_names``, Keystone's names: a cloud moved into Keystone by
``nova-manage shell export`` keeps owning its instances, keys and addresses
under its old names (Keystone gives new projects random ids).
"""

import logging
import threading

import webob.dec
import webob.exc

from nova import context
from nova import exception
from nova import flags
from nova.api.openstack import auth as os_auth
from nova.api.openstack import faults
from nova.api.openstack import wsgi

FLAGS = flags.FLAGS
flags.DEFINE_list('keystone_admin_roles', ['admin'],
                  'Keystone roles (case-insensitive) that make the caller '
                  'a nova admin (cloudadmin)')
flags.DEFINE_list('keystone_role_map',
                  ['member=sysadmin+netadmin+developer',
                   '_member_=sysadmin+netadmin+developer',
                   'reader=developer'],
                  'Keystone role=nova role[+nova role...] pairs '
                  '(case-insensitive); a Keystone role named like a nova '
                  'role (--allowed_roles, projectmanager) is that role')
flags.DEFINE_bool('keystone_use_names', False,
                  "Use Keystone's user and project names (not ids) as "
                  "nova's user and project ids (clouds moved into Keystone "
                  'with nova-manage shell export)')
flags.DEFINE_bool('keystone_create_projects', True,
                  'Create a Keystone user or project unknown to nova in '
                  "nova's auth store on first use (as Diablo's shim did)")
LOG = logging.getLogger('nova.api.auth')


def _role_map():
    mapping = {}
    for item in FLAGS.keystone_role_map:
        name, _sep, targets = item.partition('=')
        mapping[name.strip().lower()] = [
            t.strip() for t in targets.split('+') if t.strip()]
    return mapping


def nova_roles(keystone_roles):
    """``(is_admin, nova roles)`` for a list of Keystone role names."""
    known = set(FLAGS.allowed_roles) | {'projectmanager'}
    admin_roles = {r.strip().lower() for r in FLAGS.keystone_admin_roles}
    mapping = _role_map()
    is_admin = False
    roles = []
    for role in keystone_roles:
        name = role.strip().lower()
        if not name:
            continue
        targets = []
        if name in admin_roles:
            is_admin = True
            targets = ['cloudadmin', 'admin']
        targets += mapping.get(name, [])
        if name in known:
            targets.append(name)
        for target in targets:
            if target not in roles:
                roles.append(target)
    return is_admin, roles


def identity(user_id, user_name, project_id, project_name):
    """Nova's ``(user_id, project_id)`` for a Keystone identity."""
    if FLAGS.keystone_use_names:
        return user_name or user_id, project_name or project_id
    return user_id, project_id


class Provisioner(object):
    """Creates users/projects nova has not seen (Diablo's shim), once."""

    def __init__(self, auth_manager=None):
        self._manager = auth_manager
        self._known = set()
        self._lock = threading.Lock()

    @property
    def manager(self):
        """The AuthManager (built on first use)."""
        if self._manager is None:
            from nova.auth import manager
            self._manager = manager.AuthManager()
        return self._manager

    def ensure(self, user_id, project_id, is_admin):
        """Make ``user_id`` a member of ``project_id`` in nova's store."""
        key = (user_id, project_id, is_admin)
        if key in self._known or not FLAGS.keystone_create_projects:
            return
        auth = self.manager
        user = auth.get_user(user_id)
        if user is None:
            try:
                user = auth.create_user(user_id, admin=is_admin)
                LOG.info('created nova user %s for a Keystone user', user_id)
            except exception.UserExists:
                user = auth.get_user(user_id)
        elif user.admin != is_admin:
            auth.modify_user(user, admin=is_admin)
        if project_id:
            project = auth.get_project(project_id)
            if project is None:
                try:
                    auth.create_project(project_id, user_id,
                                        'Keystone project %s' % project_id)
                    LOG.info('created nova project %s for a Keystone '
                             'project', project_id)
                except exception.ProjectExists:
                    pass
            if not auth.is_project_member(user_id, project_id):
                try:
                    auth.add_to_project(user_id, project_id)
                except exception.Duplicate:
                    pass
        with self._lock:
            if len(self._known) > 10000:
                self._known.clear()
            self._known.add(key)


def _header(req, *names):
    for name in names:
        value = req.headers.get(name)
        if value:
            return value
    return None


class NovaKeystoneContext(object):
    """Paste filter ``keystonecontext`` (see the module doc)."""

    def __init__(self, application, www_authenticate_uri=None,
                 provisioner=None, **_local_config):
        self.application = application
        self.www_authenticate_uri = www_authenticate_uri
        self.provisioner = provisioner or Provisioner()

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.deploy filter factory (``www_authenticate_uri`` optional:
        the Keystone address a 401 names)."""
        def _filter(app):
            return cls(app, **local_config)
        return _filter

    def _unauthorized(self):
        exc = webob.exc.HTTPUnauthorized(
            explanation='The request you have made requires '
            'authentication.')
        if self.www_authenticate_uri:
            exc.headers['WWW-Authenticate'] = 'Keystone uri="%s"' % (
                self.www_authenticate_uri)
        return faults.Fault(exc)

    @webob.dec.wsgify(RequestClass=wsgi.Request)
    def __call__(self, req):
        status = req.headers.get('X-Identity-Status', 'Confirmed')
        user_id = _header(req, 'X-User-Id', 'X-User', 'X_USER')
        project_id = _header(req, 'X-Project-Id', 'X-Tenant-Id', 'X-Tenant',
                             'X_TENANT_ID', 'X_TENANT')
        if status != 'Confirmed' or not user_id or not project_id:
            return self._unauthorized()
        user_id, project_id = identity(
            user_id, _header(req, 'X-User-Name'), project_id,
            _header(req, 'X-Project-Name', 'X-Tenant-Name'))
        keystone_roles = (_header(req, 'X-Roles', 'X-Role', 'X_ROLE')
                          or '').split(',')
        is_admin, roles = nova_roles(keystone_roles)
        path_project = os_auth._path_project(req)
        if path_project is not None and path_project != project_id \
                and not is_admin:
            return faults.Fault(webob.exc.HTTPForbidden(
                explanation='The token is not scoped to project %s.'
                % path_project))
        self.provisioner.ensure(user_id, project_id, is_admin)
        req.environ['nova.context'] = context.RequestContext(
            user_id, project_id, is_admin=is_admin, roles=roles,
            remote_address=os_auth._remote_address(req),
            auth_token=req.headers.get('X-Auth-Token'), strategy='keystone')
        return self.application
