"""The auth driver keeping users, projects and roles in an LDAP directory.

Diablo's layout (``--auth_driver=nova.auth.ldapdriver.LdapDriver``):

* a user is an entry under ``--ldap_user_subtree`` named by
  ``--ldap_user_id_attribute`` with the ``novaUser`` object class:
  ``accessKey``, ``secretKey`` and ``isNovaAdmin`` (schema version 1:
  ``isAdmin``);
* a project is a ``groupOfNames`` ``cn=<project>`` under
  ``--ldap_project_subtree`` whose ``owner`` (version 1: a ``novaProject``
  with ``projectManager``) is the manager's DN and whose ``member`` values
  are its users' DNs;
* a role in a project is a ``groupOfNames`` ``cn=<role>,<project DN>``;
* a global role is the ``groupOfNames`` named by ``--ldap_cloudadmin``,
  ``--ldap_itsec``, ``--ldap_sysadmin``, ``--ldap_netadmin`` or
  ``--ldap_developer`` (another allowed role: ``cn=<role>`` under
  ``--role_project_subtree``).

A role group is created with its first member and deleted with its last
(``groupOfNames`` must keep a ``member``).  :class:`FakeLdapDriver` runs the
same code over the in-process :mod:`nova.auth.fakeldap` store.
"""

import logging

from nova import exception
from nova import flags
from nova.auth import driver
from nova.auth import ldapconn

FLAGS = flags.FLAGS
flags.DEFINE_integer('ldap_schema_version', 2,
                     'Current version of the LDAP schema (1 or 2)')
flags.DEFINE_string('ldap_url', 'ldap://localhost',
                    'Point this at your ldap server')
flags.DEFINE_string('ldap_password', 'changeme', 'LDAP password')
flags.DEFINE_string('ldap_user_dn', 'cn=Manager,dc=example,dc=com',
                    'DN of admin user')
flags.DEFINE_string('ldap_user_id_attribute', 'uid',
                    'Attribute to use as id')
flags.DEFINE_string('ldap_user_name_attribute', 'cn',
                    'Attribute to use as name')
flags.DEFINE_string('ldap_user_unit', 'Users', 'OID for Users')
flags.DEFINE_string('ldap_user_subtree', 'ou=Users,dc=example,dc=com',
                    'OU for Users')
flags.DEFINE_bool('ldap_user_modify_only', False,
                  'Modify attributes for users instead of creating/deleting')
flags.DEFINE_string('ldap_project_subtree', 'ou=Groups,dc=example,dc=com',
                    'OU for Projects')
flags.DEFINE_string('role_project_subtree', 'ou=Groups,dc=example,dc=com',
                    'OU for Roles')
flags.DEFINE_string('ldap_cloudadmin',
                    'cn=cloudadmins,ou=Groups,dc=example,dc=com',
                    'cn for Cloud Admins')
flags.DEFINE_string('ldap_itsec', 'cn=itsec,ou=Groups,dc=example,dc=com',
                    'cn for ItSec')
flags.DEFINE_string('ldap_sysadmin',
                    'cn=sysadmins,ou=Groups,dc=example,dc=com',
                    'cn for Sysadmins')
flags.DEFINE_string('ldap_netadmin',
                    'cn=netadmins,ou=Groups,dc=example,dc=com',
                    'cn for NetAdmins')
flags.DEFINE_string('ldap_developer',
                    'cn=developers,ou=Groups,dc=example,dc=com',
                    'cn for Developers')

LOG = logging.getLogger('nova.ldapdriver')
SUBTREE = ldapconn.SCOPE_SUBTREE
BASE = ldapconn.SCOPE_BASE
_esc = ldapconn.escape_filter


def _first(attrs, name, default=None):
    values = attrs.get(name.lower())
    return values[0] if values else default


def _global_role_dns():
    """Role name -> DN of its global group (Diablo's five flags)."""
    return {'cloudadmin': FLAGS.ldap_cloudadmin, 'itsec': FLAGS.ldap_itsec,
            'sysadmin': FLAGS.ldap_sysadmin,
            'netadmin': FLAGS.ldap_netadmin,
            'developer': FLAGS.ldap_developer}


class LdapDriver(driver.AuthDriver):
    """Users, projects and roles in an LDAP directory (see module doc)."""

    @staticmethod
    def startup_problem():
        """Why this driver cannot start here, or None (the flag check)."""
        return ldapconn.client_problem()

    def __init__(self, directory=None):
        if FLAGS.ldap_schema_version not in (1, 2):
            raise ldapconn.LdapUnavailable(
                reason='--ldap_schema_version must be 1 or 2, not %s'
                % FLAGS.ldap_schema_version)
        if FLAGS.ldap_schema_version == 1:
            self.project_pattern = '(objectclass=novaProject)'
            self.isadmin_attribute = 'isAdmin'
            self.project_attribute = 'projectManager'
            self.project_objectclass = ['groupOfNames', 'novaProject']
        else:
            self.project_pattern = '(owner=*)'
            self.isadmin_attribute = 'isNovaAdmin'
            self.project_attribute = 'owner'
            self.project_objectclass = ['groupOfNames']
        self.id_attr = FLAGS.ldap_user_id_attribute
        self.name_attr = FLAGS.ldap_user_name_attribute
        self.user_subtree = FLAGS.ldap_user_subtree
        self.project_subtree = FLAGS.ldap_project_subtree
        self.dir = directory or self._directory()

    @staticmethod
    def _directory():
        return ldapconn.Ldap3Directory.shared(
            FLAGS.ldap_url, FLAGS.ldap_user_dn, FLAGS.ldap_password)

    # -- directory helpers ------------------------------------------------------
    def _find(self, base, query, scope=SUBTREE):
        try:
            return self.dir.search(base, scope, query)
        except ldapconn.NoSuchObject:
            return []

    def _find_one(self, base, query, scope=SUBTREE):
        found = self._find(base, query, scope)
        return found[0] if found else None

    def _ldap_user(self, uid, nova_only=True):
        query = '(%s=%s)' % (self.id_attr, _esc(uid))
        if nova_only:
            query = '(&%s(objectclass=novaUser))' % query
        return self._find_one(self.user_subtree, query)

    def _to_user(self, entry):
        if entry is None:
            return None
        _dn, attrs = entry
        admin = _first(attrs, self.isadmin_attribute)
        access = _first(attrs, 'accessKey')
        secret = _first(attrs, 'secretKey')
        if access is None or secret is None or admin is None:
            return None
        uid = _first(attrs, self.id_attr)
        return {'id': uid, 'name': _first(attrs, self.name_attr, uid),
                'access': access, 'secret': secret,
                'admin': admin.upper() == 'TRUE'}

    def _uid_to_dn(self, uid):
        entry = self._ldap_user(uid, nova_only=False)
        if entry is not None:
            return entry[0]
        return '%s=%s,%s' % (self.id_attr, ldapconn.escape_rdn(uid),
                             self.user_subtree)

    def _dn_to_uid(self, dn):
        prefix = self.id_attr.lower() + '='
        suffix = ',' + self.user_subtree.lower()
        lowered = dn.lower()
        if lowered.startswith(prefix) and lowered.endswith(suffix) and \
                '\\' not in dn:
            value = dn[len(prefix):len(dn) - len(suffix)]
            if ',' not in value and '+' not in value:
                return value
        entry = self._find_one(dn, '(objectclass=*)', BASE)
        return _first(entry[1], self.id_attr) if entry else None

    def _project_dn(self, pid):
        found = self._find_one(self.project_subtree, '(&(cn=%s)%s)'
                               % (_esc(pid), self.project_pattern))
        if found is not None:
            return found[0]
        return 'cn=%s,%s' % (ldapconn.escape_rdn(pid), self.project_subtree)

    def _to_project(self, entry):
        if entry is None:
            return None
        _dn, attrs = entry
        manager = _first(attrs, self.project_attribute)
        members = [self._dn_to_uid(m) for m in attrs.get('member', [])]
        return {'id': _first(attrs, 'cn'), 'name': _first(attrs, 'cn'),
                'project_manager_id':
                    self._dn_to_uid(manager) if manager else None,
                'description': _first(attrs, 'description'),
                'member_ids': [m for m in members if m is not None]}

    def _role_dn(self, role, project_id=None):
        if project_id is not None:
            return 'cn=%s,%s' % (ldapconn.escape_rdn(role),
                                 self._project_dn(project_id))
        known = _global_role_dns()
        if role in known:
            return known[role]
        return 'cn=%s,%s' % (ldapconn.escape_rdn(role),
                             FLAGS.role_project_subtree)

    def _group(self, dn):
        return self._find_one(dn, '(objectclass=groupOfNames)', BASE)

    def _in_group(self, uid, group_dn):
        query = '(member=%s)' % _esc(self._uid_to_dn(uid))
        return self._find_one(group_dn, query, BASE) is not None

    def _add_to_group(self, uid, group_dn, name=None, description=None):
        member = self._uid_to_dn(uid)
        if self._group(group_dn) is None:
            self.dir.add(group_dn, {
                'objectClass': ['groupOfNames'], 'cn': [name],
                'description': [description or name], 'member': [member]})
            return
        if not self._in_group(uid, group_dn):
            self.dir.modify(group_dn, [('add', 'member', [member])])

    def _leave_group(self, member_dn, group_dn):
        """Drop a member; a role group losing its last one goes."""
        try:
            self.dir.modify(group_dn, [('delete', 'member', [member_dn])])
        except ldapconn.ObjectClassViolation:
            LOG.debug('Removed the last member of %s: deleting it',
                      group_dn)
            self.dir.delete(group_dn)

    def _groups_with(self, tree, uid):
        query = '(&(objectclass=groupOfNames)(member=%s))' % _esc(
            self._uid_to_dn(uid))
        return [dn for dn, _attrs in self._find(tree, query)]

    def _require_user(self, uid):
        if self.get_user(uid) is None:
            raise exception.UserNotFound(user_id=uid)

    # -- users ----------------------------------------------------------------
    def get_user(self, uid):
        """The user dict of ``uid``, or None."""
        if not uid:
            return None
        return self._to_user(self._ldap_user(uid))

    def get_user_from_access_key(self, access):
        """The user dict holding access key ``access``, or None."""
        if not access:
            return None
        return self._to_user(self._find_one(
            self.user_subtree, '(&(objectclass=novaUser)(accessKey=%s))'
            % _esc(access)))

    def get_users(self):
        """Every user dict."""
        users = [self._to_user(e) for e in
                 self._find(self.user_subtree, '(objectclass=novaUser)')]
        return sorted((u for u in users if u), key=lambda u: u['id'])

    def create_user(self, name, access_key, secret_key, is_admin):
        """Create a user (or, with ``--ldap_user_modify_only``, give an
        existing entry its keys); returns the user dict."""
        if self.get_user(name) is not None:
            raise exception.UserExists(user=name)
        admin = str(bool(is_admin)).upper()
        if FLAGS.ldap_user_modify_only:
            entry = self._ldap_user(name, nova_only=False)
            if entry is None:
                raise exception.UserNotFound(user_id=name)
            dn, attrs = entry
            changes = [('replace', 'accessKey', [access_key]),
                       ('replace', 'secretKey', [secret_key]),
                       ('replace', self.isadmin_attribute, [admin])]
            classes = [c.lower() for c in attrs.get('objectclass', [])]
            if 'novauser' not in classes:
                changes.insert(0, ('add', 'objectClass', ['novaUser']))
            self.dir.modify(dn, changes)
            return self.get_user(name)
        attrs = {
            'objectClass': ['person', 'organizationalPerson',
                            'inetOrgPerson', 'novaUser'],
            'ou': [FLAGS.ldap_user_unit], 'sn': [name],
            self.id_attr: [name], 'secretKey': [secret_key],
            'accessKey': [access_key], self.isadmin_attribute: [admin]}
        attrs.setdefault(self.name_attr, [name])
        dn = '%s=%s,%s' % (self.id_attr, ldapconn.escape_rdn(name),
                           self.user_subtree)
        self.dir.add(dn, attrs)
        return self.get_user(name)

    def modify_user(self, uid, access_key=None, secret_key=None,
                    admin=None):
        """Change the given fields of a user."""
        changes = []
        if access_key:
            changes.append(('replace', 'accessKey', [access_key]))
        if secret_key:
            changes.append(('replace', 'secretKey', [secret_key]))
        if admin is not None:
            changes.append(('replace', self.isadmin_attribute,
                            [str(bool(admin)).upper()]))
        if changes:
            self._require_user(uid)
            self.dir.modify(self._uid_to_dn(uid), changes)

    def delete_user(self, uid):
        """Delete a user with its memberships and roles (with
        ``--ldap_user_modify_only`` its entry stays, without its keys)."""
        self._require_user(uid)
        member = self._uid_to_dn(uid)
        trees = [FLAGS.role_project_subtree]
        if self.project_subtree.lower() != trees[0].lower():
            trees.append(self.project_subtree)
        seen = set()
        for tree in trees:
            # Deepest first: project roles go before their projects.
            for dn in sorted(self._groups_with(tree, uid),
                             key=lambda d: -d.count(',')):
                if dn.lower() not in seen:
                    seen.add(dn.lower())
                    self._leave_group(member, dn)
        for dn in _global_role_dns().values():
            if dn.lower() not in seen and self._group(dn) is not None \
                    and self._in_group(uid, dn):
                self._leave_group(member, dn)
        if FLAGS.ldap_user_modify_only:
            self.dir.modify(member, [
                ('delete', 'accessKey', []), ('delete', 'secretKey', []),
                ('delete', self.isadmin_attribute, [])])
        else:
            self.dir.delete(member)

    # -- projects ---------------------------------------------------------------
    def get_project(self, pid):
        """The project dict of ``pid``, or None."""
        if not pid:
            return None
        return self._to_project(self._find_one(
            self.project_subtree, '(&(cn=%s)%s)' % (_esc(pid),
                                                    self.project_pattern)))

    def get_projects(self, uid=None):
        """Every project dict, or those ``uid`` is a member of."""
        query = self.project_pattern
        if uid:
            query = '(&%s(member=%s))' % (query, _esc(self._uid_to_dn(uid)))
        projects = [self._to_project(e)
                    for e in self._find(self.project_subtree, query)]
        return sorted(projects, key=lambda p: p['id'])

    def create_project(self, name, manager_uid, description=None,
                       member_uids=None):
        """Create a project; the manager becomes a member too."""
        if self.get_project(name) is not None:
            raise exception.ProjectExists(project=name)
        self._require_user(manager_uid)
        manager_dn = self._uid_to_dn(manager_uid)
        members = [manager_dn]
        for uid in member_uids or []:
            self._require_user(uid)
            dn = self._uid_to_dn(uid)
            if dn.lower() not in [m.lower() for m in members]:
                members.append(dn)
        dn = 'cn=%s,%s' % (ldapconn.escape_rdn(name), self.project_subtree)
        self.dir.add(dn, {
            'objectClass': list(self.project_objectclass), 'cn': [name],
            'description': [description if description is not None
                            else name],
            self.project_attribute: [manager_dn], 'member': members})
        return self.get_project(name)

    def modify_project(self, pid, manager_uid=None, description=None):
        """Change the manager and/or description of a project."""
        changes = []
        if manager_uid:
            self._require_user(manager_uid)
            changes.append(('replace', self.project_attribute,
                            [self._uid_to_dn(manager_uid)]))
        if description is not None:
            changes.append(('replace', 'description', [description]))
        if not changes:
            return
        self.dir.modify(self._project_dn(pid), changes)
        if manager_uid:
            self.add_to_project(manager_uid, pid)

    def delete_project(self, pid):
        """Delete a project with its memberships and project roles."""
        project_dn = self._project_dn(pid)
        query = '(&(objectclass=groupOfNames)(!%s))' % self.project_pattern
        for dn, _attrs in self._find(project_dn, query):
            if dn.lower() != project_dn.lower():
                self.dir.delete(dn)
        self.dir.delete(project_dn)

    def add_to_project(self, uid, pid):
        """Make a user a member of a project."""
        self._require_user(uid)
        project_dn = self._project_dn(pid)
        if self._group(project_dn) is None:
            raise exception.ProjectNotFound(project_id=pid)
        self._add_to_group(uid, project_dn)

    def remove_from_project(self, uid, pid):
        """Remove a user (and the roles held there) from a project."""
        self._require_user(uid)
        project_dn = self._project_dn(pid)
        member = self._uid_to_dn(uid)
        for dn in sorted(self._groups_with(project_dn, uid),
                         key=lambda d: -d.count(',')):
            self._leave_group(member, dn)

    def is_in_project(self, uid, pid):
        """Whether a user is a member of a project."""
        project_dn = self._project_dn(pid)
        return self.get_user(uid) is not None and \
            self._group(project_dn) is not None and \
            self._in_group(uid, project_dn)

    # -- roles ----------------------------------------------------------------
    def has_role(self, uid, role, project_id=None):
        """Whether a user holds a global role, or a role in a project."""
        if self.get_user(uid) is None:
            return False
        role_dn = self._role_dn(role, project_id)
        return self._group(role_dn) is not None and \
            self._in_group(uid, role_dn)

    def add_role(self, uid, role, project_id=None):
        """Grant a global role, or a role in a project."""
        self._require_user(uid)
        description = '%s role for %s' % (role, project_id or 'all projects')
        self._add_to_group(uid, self._role_dn(role, project_id), role,
                           description)

    def remove_role(self, uid, role, project_id=None):
        """Withdraw a global role, or a role in a project."""
        self._require_user(uid)
        role_dn = self._role_dn(role, project_id)
        if self._group(role_dn) is not None and self._in_group(uid, role_dn):
            self._leave_group(self._uid_to_dn(uid), role_dn)

    def get_user_roles(self, uid, project_id=None):
        """The global roles of a user, or its roles in a project."""
        if self.get_user(uid) is None:
            return []
        if project_id is None:
            return [role for role in FLAGS.allowed_roles
                    if self.has_role(uid, role)]
        project_dn = self._project_dn(project_id)
        query = '(&(objectclass=groupOfNames)(!%s)(member=%s))' % (
            self.project_pattern, _esc(self._uid_to_dn(uid)))
        return sorted(_first(attrs, 'cn') for dn, attrs
                      in self._find(project_dn, query)
                      if dn.lower() != project_dn.lower())


class FakeLdapDriver(LdapDriver):
    """:class:`LdapDriver` over the in-process :mod:`nova.auth.fakeldap`
    directory (no server, no client library)."""

    @staticmethod
    def startup_problem():
        """The fake needs nothing: never a problem."""
        return None

    def __init__(self):
        from nova.auth import fakeldap
        super(FakeLdapDriver, self).__init__(fakeldap.FakeDirectory())
