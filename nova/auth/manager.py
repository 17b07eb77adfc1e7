"""AuthManager: users, projects, roles and credentials (deprecated auth).

Policy lives here; records live in the driver named by ``--auth_driver``.

Roles (Diablo's model):

* ``--allowed_roles`` may be granted; ``--global_roles`` only globally.
* A *project* role counts only when the user holds the role globally **and**
  in the project (the manual: "the intersection of user (global) roles and
  project (local) roles"); a global role in ``--global_roles`` counts in
  every project.
* ``projectmanager`` is implicit: the project's manager holds it there.
* Superusers (the ``admin`` flag or a ``--superuser_roles`` role) bypass
  checks; admins are superusers or holders of a ``--global_roles`` role.
"""

import contextlib
import io
import logging
import os
import uuid
import zipfile

from nova import crypto
from nova import exception
from nova import flags
from nova import utils
from nova.auth import signer

FLAGS = flags.FLAGS
flags.DEFINE_list('ec2_signature_versions', ['2', '4'],
                  'EC2 request signature versions accepted (Diablo took 0, '
                  '1 and 2; 4 is what boto3 and the AWS CLI send).  Version '
                  '0 signs only Action and Timestamp and version 1 lets '
                  'parameter boundaries shift, so both are off unless named '
                  'here; each request accepted with them logs a warning')
flags.DEFINE_string('region_name', 'nova',
                    'The region this EC2 endpoint serves: a Signature '
                    'Version 4 scope must name it (or a --region_list '
                    'name)')
flags.DEFINE_bool('use_deprecated_auth', False,
                  'This flag must be set to use old style auth')
flags.DEFINE_list('allowed_roles',
                  ['cloudadmin', 'itsec', 'sysadmin', 'netadmin',
                   'developer'],
                  'Allowed roles for project')
flags.DEFINE_list('superuser_roles', ['cloudadmin'],
                  'Roles that ignore authorization checking completely')
flags.DEFINE_list('global_roles', ['cloudadmin', 'itsec'],
                  'Roles that apply to all projects')
flags.DEFINE_string('credentials_template',
                    utils.abspath('auth/novarc.template'),
                    'Template for creating users rc file')
flags.DEFINE_string('vpn_client_template',
                    utils.abspath('auth/vpn_client.template'),
                    'Template for creating users vpn file')
flags.DEFINE_string('credential_vpn_file', 'nova-vpn.conf',
                    'Filename of certificate in credentials zip')
flags.DEFINE_string('credential_key_file', 'pk.pem',
                    'Filename of private key in credentials zip')
flags.DEFINE_string('credential_cert_file', 'cert.pem',
                    'Filename of certificate in credentials zip')
flags.DEFINE_string('credential_rc_file', '%src',
                    'Filename of rc in credentials zip, %s will be replaced '
                    'by name of the region (nova by default)')
flags.DEFINE_string('auth_driver', 'nova.auth.dbdriver.DbDriver',
                    'Driver that auth manager uses', importable=True)

LOG = logging.getLogger('nova.auth.manager')
PROJECT_MANAGER_ROLE = 'projectmanager'


def _db():
    from nova import db
    return db


@contextlib.contextmanager
def transaction():
    """One database transaction around several driver calls (if any)."""
    scope = getattr(_db(), 'session_scope', None) \
        if FLAGS.auth_driver.endswith('DbDriver') else None
    if scope is None:
        yield
        return
    with scope():
        yield


class AuthBase(object):
    """Common behaviour of :class:`User` and :class:`Project`."""

    @classmethod
    def safe_id(cls, obj):
        """The id of ``obj`` whether it is an object, a dict or an id."""
        if obj is None or isinstance(obj, str):
            return obj
        if isinstance(obj, dict):
            return obj['id']
        return obj.id


class User(AuthBase):
    """A user: id (= name), access and secret keys, admin flag."""

    def __init__(self, id, name, access, secret, admin):
        self.id = id
        self.name = name
        self.access = access
        self.secret = secret
        self.admin = bool(admin)

    def is_superuser(self):
        """Whether the user bypasses all authorization checks."""
        return AuthManager().is_superuser(self)

    def is_admin(self):
        """Whether the user is an admin (superuser or global role)."""
        return AuthManager().is_admin(self)

    def has_role(self, role, project=None):
        """Whether the user holds ``role`` (in ``project``)."""
        return AuthManager().has_role(self, role, project)

    def __repr__(self):
        return 'User(%r, %r, admin=%r)' % (self.id, self.name, self.admin)


class Project(AuthBase):
    """A project: id (= name), manager, description, members."""

    def __init__(self, id, name, project_manager_id, description,
                 member_ids):
        self.id = id
        self.name = name
        self.project_manager_id = project_manager_id
        self.description = description
        self.member_ids = list(member_ids or [])

    @property
    def project_manager(self):
        """The manager as a :class:`User`."""
        return AuthManager().get_user(self.project_manager_id)

    def has_manager(self, user):
        """Whether ``user`` manages this project."""
        return User.safe_id(user) == self.project_manager_id

    def has_member(self, user):
        """Whether ``user`` is a member of this project."""
        return User.safe_id(user) in self.member_ids

    def __repr__(self):
        return 'Project(%r, manager=%r)' % (self.id, self.project_manager_id)


def _user(data):
    return User(**data) if data else None


def _project(data):
    return Project(**data) if data else None


class AuthManager(object):
    """Users, projects, roles, authentication and credentials."""

    def __init__(self, driver=None):
        self.driver = driver or utils.import_class(FLAGS.auth_driver)()

    # -- authentication --------------------------------------------------------
    def authenticate(self, access, signature, params, verb='GET',
                     server_string='127.0.0.1:8773', path='/',
                     check_type='ec2', headers=None, body=b'', query=None):
        """Check a signed EC2 request; returns ``(user, project)``.

        ``access`` is ``ACCESS[:PROJECT]`` (the project defaults to the one
        named like the user); ``params`` are the request parameters (with
        or without ``Signature``).  SigV4 requests also need ``headers``
        (and ``body``/``query``).  Raises AccessKeyNotFound,
        ProjectNotFound, ProjectMembershipNotFound, InvalidSignature or
        RequestExpired.
        """
        params = dict(params or {})
        if signature and 'Signature' not in params and not (
                headers and 'Authorization' in headers):
            params['Signature'] = signature
        request = signer.SignedRequest(verb, server_string, path,
                                       params=params, headers=headers,
                                       body=body, query=query)
        if request.access_key and request.access_key != access:
            raise exception.InvalidSignature(reason='access key mismatch')
        return self.authenticate_request(request, access=access,
                                         check_type=check_type)

    def authenticate_request(self, request, access=None, check_type='ec2'):
        """Check a :class:`nova.auth.signer.SignedRequest`.

        The EC2 middleware's entry point: returns ``(user, project)``.
        """
        access = access or request.access_key
        if not access:
            raise exception.InvalidSignature(reason='no access key given')
        if check_type == 'ec2' and request.version is not None and \
                str(request.version) not in FLAGS.ec2_signature_versions:
            raise exception.InvalidSignature(
                reason='signature version %s is not accepted here'
                % request.version)
        if check_type == 'ec2':
            signer.check_scope(request, self.regions())
            # The signature first: whether a project exists is nobody's
            # business before the caller has proven who they are.
            access_key = access.partition(':')[0]
            user = self.get_user_from_access_key(access_key) or \
                self.get_user(access_key)
            if user is None:
                raise exception.AccessKeyNotFound(access_key=access_key)
            try:
                signer.Signer(user.secret).verify(request)
            except signer.SignatureMismatch as exc:
                exc.user_id = user.id
                raise
            if request.version in (0, 1):
                LOG.warning('Accepted a Signature Version %s request from '
                            'user %s: this version is weak, drop it from '
                            '--ec2_signature_versions once no client needs '
                            'it', request.version, user.id)
            return self.resolve_access_key(access, user=user)
        return self.resolve_access_key(access)

    @staticmethod
    def regions():
        """The region names a SigV4 scope may name here."""
        names = {FLAGS.region_name}
        for entry in FLAGS.region_list or ():
            names.add(entry.partition('=')[0].strip())
        return names

    def user_id_of_access(self, access):
        """The id of the user ``ACCESS[:PROJECT]`` names (access key or
        user name), or None: one lockout counter per user, whatever
        alias was used."""
        if not access:
            return None
        access_key = access.partition(':')[0]
        user = self.get_user_from_access_key(access_key) or \
            self.get_user(access_key)
        return user.id if user is not None else None

    def resolve_access_key(self, access, user=None):
        """``(user, project)`` named by ``ACCESS[:PROJECT]``.

        The part before ``:`` is looked up as an access key, then (so that
        rc files written without ``--use_deprecated_auth`` still work, the
        signature being checked with the user's secret either way) as a
        user id.  ``user``: that lookup's answer, when the caller (the
        signature check) has just made it.
        """
        access_key, _sep, project_id = access.partition(':')
        if user is None:
            user = self.get_user_from_access_key(access_key) or \
                self.get_user(access_key)
        if user is None:
            raise exception.AccessKeyNotFound(access_key=access_key)
        project_id = project_id or user.name
        project = self.get_project(project_id)
        if project is None:
            raise exception.ProjectNotFound(project_id=project_id)
        # Membership first: it needs no query (the project lists its
        # members); the admin check reads the user's roles.
        if not self.is_project_member(user, project) and \
                not self.is_admin(user):
            raise exception.ProjectMembershipNotFound(project_id=project.id,
                                                      user_id=user.id)
        return user, project

    def get_access_key(self, user, project):
        """The ``ACCESS:PROJECT`` key of a user in a project."""
        user = self._require_user(user)
        return '%s:%s' % (user.access, Project.safe_id(project))

    # -- roles --------------------------------------------------------------------
    def _holder(self, uid):
        """``holds(role, project_id=None)`` for ``uid``, reading each
        scope's roles once (one query per scope, not one per role).

        A driver lists a user's roles of a project exactly, and its global
        roles at least among ``--allowed_roles``; a global role outside
        those is asked of the driver on its own.
        """
        listed = {}

        def holds(role, project_id=None):
            if project_id is None and role not in FLAGS.allowed_roles:
                return self.driver.has_role(uid, role)
            if project_id not in listed:
                listed[project_id] = set(
                    self.driver.get_user_roles(uid, project_id))
            return role in listed[project_id]
        return holds

    def is_superuser(self, user, _holds=None):
        """The admin flag, or a ``--superuser_roles`` role held globally."""
        user = self._require_user(user)
        if user.admin:
            return True
        holds = _holds or self._holder(user.id)
        return any(holds(role) for role in FLAGS.superuser_roles)

    def is_admin(self, user, _holds=None):
        """A superuser, or a holder of a ``--global_roles`` role."""
        holds = _holds or self._holder(User.safe_id(user))
        if self.is_superuser(user, holds):
            return True
        return any(holds(role) for role in FLAGS.global_roles)

    def has_role(self, user, role, project=None, _holds=None):
        """Whether ``user`` effectively holds ``role`` (in ``project``)."""
        uid = User.safe_id(user)
        if role == PROJECT_MANAGER_ROLE:
            if not project:
                raise exception.InvalidRole(
                    reason='Must specify project for projectmanager')
            return self.is_project_manager(uid, project)
        holds = _holds or self._holder(uid)
        if not holds(role):
            return False
        if not project or role in FLAGS.global_roles:
            return True
        return holds(role, Project.safe_id(project))

    def _check_role(self, role, project):
        if role == PROJECT_MANAGER_ROLE:
            raise exception.InvalidRole(
                reason='projectmanager is implicit: make the user the '
                'project manager instead')
        if role not in FLAGS.allowed_roles:
            raise exception.UserRoleNotFound(role_id=role)
        if project is not None and role in FLAGS.global_roles:
            raise exception.InvalidRole(
                reason='Role %s is global and cannot be granted in a '
                'project' % role)

    def add_role(self, user, role, project=None):
        """Grant ``role`` globally or in ``project`` (must be a member)."""
        self._check_role(role, project)
        uid = self._require_user(user).id
        pid = None
        if project is not None:
            proj = self._require_project(project)
            pid = proj.id
            if not proj.has_member(uid):
                raise exception.ProjectMembershipNotFound(project_id=pid,
                                                          user_id=uid)
        LOG.info('Adding role %s to user %s%s', role, uid,
                 ' in project %s' % pid if pid else '')
        self.driver.add_role(uid, role, pid)

    def remove_role(self, user, role, project=None):
        """Withdraw ``role`` globally or in ``project``."""
        self._check_role(role, project)
        uid = self._require_user(user).id
        pid = self._require_project(project).id if project else None
        LOG.info('Removing role %s from user %s%s', role, uid,
                 ' in project %s' % pid if pid else '')
        self.driver.remove_role(uid, role, pid)

    @staticmethod
    def get_roles(project_roles=True):
        """Roles that may be granted (in projects: allowed minus global)."""
        if project_roles:
            return [r for r in FLAGS.allowed_roles
                    if r not in FLAGS.global_roles]
        return list(FLAGS.allowed_roles)

    def get_user_roles(self, user, project=None):
        """Roles stored for a user (globally, or in a project)."""
        return self.driver.get_user_roles(User.safe_id(user),
                                          Project.safe_id(project))

    def get_active_roles(self, user, project=None, _holds=None):
        """Roles that count for a request context in ``project``."""
        roles = (list(FLAGS.allowed_roles) + [PROJECT_MANAGER_ROLE]
                 if project else list(FLAGS.global_roles))
        holds = _holds or self._holder(User.safe_id(user))
        return [role for role in roles
                if self.has_role(user, role, project, holds)]

    def request_roles(self, user, project):
        """``(is_admin, active roles in project)`` of a request context,
        the user's roles read once for both."""
        holds = self._holder(User.safe_id(user))
        return (self.is_admin(user, holds),
                self.get_active_roles(user, project, holds))

    # -- projects -------------------------------------------------------------
    def get_project(self, pid):
        """The :class:`Project` ``pid``, or None."""
        return _project(self.driver.get_project(Project.safe_id(pid)))

    def get_projects(self, user=None):
        """All projects, or those ``user`` is a member of."""
        return [_project(p) for p in
                self.driver.get_projects(User.safe_id(user))]

    def create_project(self, name, manager_user, description=None,
                       member_users=None):
        """Create a project managed (and joined) by ``manager_user``."""
        if self.get_project(name) is not None:
            raise exception.ProjectExists(project=name)
        manager = self._require_user(manager_user)
        members = [self._require_user(u).id for u in member_users or []]
        with transaction():
            project = _project(self.driver.create_project(
                name, manager.id, description, members))
        LOG.info('Created project %s with manager %s', name, manager.id)
        return project

    def modify_project(self, project, manager_user=None, description=None):
        """Change the manager and/or description of a project."""
        pid = self._require_project(project).id
        manager = self._require_user(manager_user).id \
            if manager_user else None
        with transaction():
            self.driver.modify_project(pid, manager, description)

    def add_to_project(self, user, project):
        """Make ``user`` a member of ``project``."""
        uid = self._require_user(user).id
        pid = self._require_project(project).id
        self.driver.add_to_project(uid, pid)

    def remove_from_project(self, user, project):
        """Remove ``user`` from ``project`` (with its roles there)."""
        uid = self._require_user(user).id
        proj = self._require_project(project)
        if proj.has_manager(uid):
            raise exception.InvalidInput(
                reason='%s is the manager of project %s' % (uid, proj.id))
        if not proj.has_member(uid):
            raise exception.ProjectMembershipNotFound(project_id=proj.id,
                                                      user_id=uid)
        self.driver.remove_from_project(uid, proj.id)

    def is_project_manager(self, user, project):
        """Whether ``user`` manages ``project``."""
        proj = project if isinstance(project, Project) else \
            self.get_project(project)
        return bool(proj and proj.has_manager(user))

    def is_project_member(self, user, project):
        """Whether ``user`` is a member of ``project``."""
        proj = project if isinstance(project, Project) else \
            self.get_project(project)
        return bool(proj and proj.has_member(user))

    def delete_project(self, project):
        """Delete a project (its certificates are revoked)."""
        pid = self._require_project(project).id
        with transaction():
            self.driver.delete_project(pid)
        try:
            crypto.revoke_certs_by_project(pid)
        except (AttributeError, exception.NovaException) as exc:
            LOG.warning('Could not revoke certificates of %s: %s', pid, exc)

    def get_project_vpn_data(self, project):
        """``(vpn_public_address, vpn_public_port)`` of a project, or Nones."""
        pid = Project.safe_id(project)
        from nova import context
        try:
            networks = _db().project_get_networks(
                context.get_admin_context(), pid, False)
        except (AttributeError, exception.NotFound):
            return None, None
        if not networks:
            return None, None
        network = networks[0]
        return network['vpn_public_address'], network['vpn_public_port']

    # -- users ---------------------------------------------------------------------
    def get_user(self, uid):
        """The :class:`User` ``uid``, or None."""
        return _user(self.driver.get_user(User.safe_id(uid)))

    def get_user_from_access_key(self, access_key):
        """The :class:`User` holding ``access_key``, or None."""
        return _user(self.driver.get_user_from_access_key(access_key))

    def get_users(self):
        """Every :class:`User`."""
        return [_user(u) for u in self.driver.get_users()]

    def create_user(self, name, access=None, secret=None, admin=False):
        """Create a user; keys are random UUIDs when not given."""
        if self.get_user(name) is not None:
            raise exception.UserExists(user=name)
        access = access or str(uuid.uuid4())
        secret = secret or str(uuid.uuid4())
        if self.get_user_from_access_key(access) is not None:
            raise exception.AccessKeyExists(access_key=access)
        user = _user(self.driver.create_user(name, access, secret, admin))
        LOG.info('Created user %s (admin: %r)', name, bool(admin))
        return user

    def modify_user(self, user, access_key=None, secret_key=None,
                    admin=None):
        """Change keys and/or the admin flag of a user."""
        uid = self._require_user(user).id
        self.driver.modify_user(uid, access_key or None, secret_key or None,
                                admin)

    def delete_user(self, user):
        """Delete a user (refused while it manages a project)."""
        uid = self._require_user(user).id
        managed = [p.id for p in self.get_projects()
                   if p.project_manager_id == uid]
        if managed:
            raise exception.InvalidInput(
                reason='%s is the manager of project(s) %s'
                % (uid, ', '.join(managed)))
        with transaction():
            self.driver.delete_user(uid)

    # -- credentials ----------------------------------------------------------------
    def get_credentials(self, user, project=None, use_dmz=True):
        """The credentials zip of a user in a project, as bytes."""
        user = self._require_user(user)
        project = self._require_project(project or user.id)
        private_key, signed_cert = crypto.generate_x509_cert(user.id,
                                                             project.id)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
            for name, text in self._rc_files(user, project, use_dmz):
                _zip_write(archive, name, text)
            _zip_write(archive, FLAGS.credential_key_file, private_key)
            _zip_write(archive, FLAGS.credential_cert_file, signed_cert)
            vpn_ip, vpn_port = self.get_project_vpn_data(project)
            if vpn_ip:
                with open(FLAGS.vpn_client_template) as handle:
                    config = handle.read() % {
                        'certfile': FLAGS.credential_cert_file,
                        'keyfile': FLAGS.credential_key_file,
                        'ip': vpn_ip, 'port': vpn_port}
                _zip_write(archive, FLAGS.credential_vpn_file, config)
            else:
                LOG.warning('No vpn data for project %s', project.id)
            _zip_write(archive, FLAGS.ca_file, crypto.fetch_ca(project.id))
        return buffer.getvalue()

    def _rc_files(self, user, project, use_dmz):
        regions = [r.split('=', 1) for r in FLAGS.region_list if '=' in r]
        if not regions:
            host = FLAGS.ec2_dmz_host if use_dmz else FLAGS.ec2_host
            return [(FLAGS.credential_rc_file % 'nova',
                     self.__generate_rc(user, project, host, use_dmz))]
        return [(FLAGS.credential_rc_file % name.strip(),
                 self.__generate_rc(user, project, host.strip(), use_dmz))
                for name, host in regions]

    def get_environment_rc(self, user, project=None, use_dmz=True):
        """The rc file text of a user in a project (no certificates)."""
        user = self._require_user(user)
        project = self._require_project(project or user.id)
        host = FLAGS.ec2_dmz_host if use_dmz else FLAGS.ec2_host
        return self.__generate_rc(user, project, host, use_dmz)

    @staticmethod
    def __generate_rc(user, project, host, use_dmz=True):
        access = user.access if FLAGS.use_deprecated_auth else user.id
        s3_host = FLAGS.s3_dmz if use_dmz else FLAGS.s3_host
        values = {
            'access': access, 'project': project.id,
            'secret': user.secret, 'user': user.name,
            'ec2': '%s://%s:%s%s' % (FLAGS.ec2_scheme, host, FLAGS.ec2_port,
                                     FLAGS.ec2_path),
            's3': 'http://%s:%s' % (s3_host, FLAGS.s3_port),
            'os': '%s://%s:%s%s' % (FLAGS.osapi_scheme, host,
                                    FLAGS.osapi_port, FLAGS.osapi_path),
            'key': FLAGS.credential_key_file,
            'cert': FLAGS.credential_cert_file,
            'nova': FLAGS.ca_file,
        }
        with open(FLAGS.credentials_template) as handle:
            return handle.read() % values

    # -- helpers -------------------------------------------------------------------
    def _require_user(self, user):
        if isinstance(user, User):
            return user
        found = self.get_user(user)
        if found is None:
            raise exception.UserNotFound(user_id=User.safe_id(user))
        return found

    def _require_project(self, project):
        if isinstance(project, Project):
            return project
        found = self.get_project(project)
        if found is None:
            raise exception.ProjectNotFound(
                project_id=Project.safe_id(project))
        return found


def _zip_write(archive, name, text):
    info = zipfile.ZipInfo(name, date_time=_zip_time())
    info.external_attr = (0o100600 << 16)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


def _zip_time():
    now = utils.utcnow()
    return (max(now.year, 1980), now.month, now.day, now.hour, now.minute,
            now.second)


def write_private_file(path, data):
    """Write credentials to ``path`` readable by the owner only."""
    crypto.write_private_file(os.path.abspath(path), data)
