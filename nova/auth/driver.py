"""The interface every auth driver implements.

The :class:`~nova.auth.manager.AuthManager` keeps the policy (roles, keys,
credentials); a driver only stores and finds records.  Users and projects
travel as plain dicts so that a driver needs no Nova types:

* user: ``{'id', 'name', 'access', 'secret', 'admin'}``
* project: ``{'id', 'name', 'project_manager_id', 'description',
  'member_ids'}``

Lookups return None when the record does not exist.  A driver for LDAP
implements the same methods over its directory (see ``ldap_*`` flags).
"""

import abc


class AuthDriver(abc.ABC):
    """Storage of users, projects, memberships and roles."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    def close(self):  # noqa: B027 - optional hook, not abstract
        """Release connections (optional)."""
        return None

    # -- users ----------------------------------------------------------------
    @abc.abstractmethod
    def get_user(self, uid):
        """The user dict of ``uid``, or None."""

    @abc.abstractmethod
    def get_user_from_access_key(self, access):
        """The user dict holding access key ``access``, or None."""

    @abc.abstractmethod
    def get_users(self):
        """Every user dict."""

    @abc.abstractmethod
    def create_user(self, name, access_key, secret_key, is_admin):
        """Create a user (its id is its name); returns the user dict."""

    @abc.abstractmethod
    def modify_user(self, uid, access_key=None, secret_key=None,
                    admin=None):
        """Change the given fields of a user."""

    @abc.abstractmethod
    def delete_user(self, uid):
        """Delete a user with its memberships and roles."""

    # -- projects ---------------------------------------------------------------
    @abc.abstractmethod
    def get_project(self, pid):
        """The project dict of ``pid``, or None."""

    @abc.abstractmethod
    def get_projects(self, uid=None):
        """Every project dict, or those ``uid`` is a member of."""

    @abc.abstractmethod
    def create_project(self, name, manager_uid, description=None,
                       member_uids=None):
        """Create a project; the manager becomes a member too."""

    @abc.abstractmethod
    def modify_project(self, pid, manager_uid=None, description=None):
        """Change the manager and/or description of a project."""

    @abc.abstractmethod
    def delete_project(self, pid):
        """Delete a project with its memberships and project roles."""

    @abc.abstractmethod
    def add_to_project(self, uid, pid):
        """Make a user a member of a project."""

    @abc.abstractmethod
    def remove_from_project(self, uid, pid):
        """Remove a user (and the roles held there) from a project."""

    @abc.abstractmethod
    def is_in_project(self, uid, pid):
        """Whether a user is a member of a project."""

    # -- roles ----------------------------------------------------------------
    @abc.abstractmethod
    def has_role(self, uid, role, project_id=None):
        """Whether a user holds a global role, or a role in a project."""

    @abc.abstractmethod
    def add_role(self, uid, role, project_id=None):
        """Grant a global role, or a role in a project."""

    @abc.abstractmethod
    def remove_role(self, uid, role, project_id=None):
        """Withdraw a global role, or a role in a project."""

    @abc.abstractmethod
    def get_user_roles(self, uid, project_id=None):
        """The global roles of a user, or its roles in a project."""
