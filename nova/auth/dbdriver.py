"""The auth driver keeping users, projects and roles in the Nova database."""

from nova import context
from nova import exception
from nova.auth import driver


def _db():
    from nova import db
    return db


def _user_dict(user):
    if user is None:
        return None
    return {'id': user['id'], 'name': user['name'],
            'access': user['access_key'], 'secret': user['secret_key'],
            'admin': bool(user['is_admin'])}


def _project_dict(project):
    if project is None:
        return None
    return {'id': project['id'], 'name': project['name'],
            'project_manager_id': project['project_manager'],
            'description': project['description'],
            'member_ids': list(getattr(project, 'member_ids', []) or [])}


class DbDriver(driver.AuthDriver):
    """Users, projects and roles in the ``users``/``projects`` tables."""

    def __init__(self):
        self.ctxt = context.get_admin_context()

    # -- users ----------------------------------------------------------------
    def get_user(self, uid):
        """The user dict of ``uid``, or None."""
        try:
            return _user_dict(_db().user_get(self.ctxt, uid))
        except exception.NotFound:
            return None

    def get_user_from_access_key(self, access):
        """The user dict holding access key ``access``, or None."""
        try:
            return _user_dict(_db().user_get_by_access_key(self.ctxt, access))
        except exception.NotFound:
            return None

    def get_users(self):
        """Every user dict."""
        return [_user_dict(u) for u in _db().user_get_all(self.ctxt)]

    def create_user(self, name, access_key, secret_key, is_admin):
        """Create a user (its id is its name); returns the user dict."""
        return _user_dict(_db().user_create(self.ctxt, {
            'id': name, 'name': name, 'access_key': access_key,
            'secret_key': secret_key, 'is_admin': bool(is_admin)}))

    def modify_user(self, uid, access_key=None, secret_key=None,
                    admin=None):
        """Change the given fields of a user."""
        values = {}
        if access_key is not None:
            values['access_key'] = access_key
        if secret_key is not None:
            values['secret_key'] = secret_key
        if admin is not None:
            values['is_admin'] = bool(admin)
        if values:
            _db().user_update(self.ctxt, uid, values)

    def delete_user(self, uid):
        """Delete a user with its memberships and roles."""
        _db().user_delete(self.ctxt, uid)

    # -- projects ---------------------------------------------------------------
    def get_project(self, pid):
        """The project dict of ``pid``, or None."""
        try:
            return _project_dict(_db().project_get(self.ctxt, pid))
        except exception.NotFound:
            return None

    def get_projects(self, uid=None):
        """Every project dict, or those ``uid`` is a member of."""
        if uid is None:
            rows = _db().project_get_all(self.ctxt)
        else:
            rows = _db().project_get_by_user(self.ctxt, uid)
        return [_project_dict(p) for p in rows]

    def create_project(self, name, manager_uid, description=None,
                       member_uids=None):
        """Create a project; the manager becomes a member too."""
        if self.get_user(manager_uid) is None:
            raise exception.UserNotFound(user_id=manager_uid)
        members = [manager_uid]
        for uid in member_uids or []:
            if self.get_user(uid) is None:
                raise exception.UserNotFound(user_id=uid)
            if uid not in members:
                members.append(uid)
        return _project_dict(_db().project_create(self.ctxt, {
            'id': name, 'name': name, 'project_manager': manager_uid,
            'description': description if description is not None else name,
            'members': members}))

    def modify_project(self, pid, manager_uid=None, description=None):
        """Change the manager and/or description of a project."""
        values = {}
        if manager_uid:
            if self.get_user(manager_uid) is None:
                raise exception.UserNotFound(user_id=manager_uid)
            values['project_manager'] = manager_uid
            _db().project_add_member(self.ctxt, pid, manager_uid)
        if description is not None:
            values['description'] = description
        if values:
            _db().project_update(self.ctxt, pid, values)

    def delete_project(self, pid):
        """Delete a project with its memberships and project roles."""
        _db().project_delete(self.ctxt, pid)

    def add_to_project(self, uid, pid):
        """Make a user a member of a project."""
        _db().project_add_member(self.ctxt, pid, uid)

    def remove_from_project(self, uid, pid):
        """Remove a user (and the roles held there) from a project."""
        _db().project_remove_member(self.ctxt, pid, uid)

    def is_in_project(self, uid, pid):
        """Whether a user is a member of a project."""
        return uid in _db().project_get_members(self.ctxt, pid)

    # -- roles ----------------------------------------------------------------
    def has_role(self, uid, role, project_id=None):
        """Whether a user holds a global role, or a role in a project."""
        return role in self.get_user_roles(uid, project_id)

    def add_role(self, uid, role, project_id=None):
        """Grant a global role, or a role in a project."""
        if project_id is None:
            _db().user_add_role(self.ctxt, uid, role)
        else:
            _db().user_add_project_role(self.ctxt, uid, project_id, role)

    def remove_role(self, uid, role, project_id=None):
        """Withdraw a global role, or a role in a project."""
        if project_id is None:
            _db().user_remove_role(self.ctxt, uid, role)
        else:
            _db().user_remove_project_role(self.ctxt, uid, project_id, role)

    def get_user_roles(self, uid, project_id=None):
        """The global roles of a user, or its roles in a project."""
        if project_id is None:
            return _db().user_get_roles(self.ctxt, uid)
        return _db().user_get_roles_for_project(self.ctxt, uid, project_id)
