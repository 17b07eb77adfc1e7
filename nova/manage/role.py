"""``nova-manage role``: global and per-project roles."""

from nova.auth import manager
from nova.manage.base import args


class RoleCommands(object):
    """Grant, check and withdraw roles."""

    @args('--user', dest='user', metavar='<user name>', help='User name')
    @args('--role', dest='role', metavar='<user role>', help='User role')
    @args('--project', dest='project', metavar='<Project name>',
          help='Project name')
    def add(self, user, role, project=None):
        """Grant a role globally, or in a project the user belongs to."""
        manager.AuthManager().add_role(user, role, project)

    @args('--user', dest='user', metavar='<user name>', help='User name')
    @args('--role', dest='role', metavar='<user role>', help='User role')
    @args('--project', dest='project', metavar='<Project name>',
          help='Project name')
    def has(self, user, role, project=None):
        """Print True or False: does the user effectively hold the role."""
        auth = manager.AuthManager()
        auth._require_user(user)
        if project is not None:
            auth._require_project(project)
        print(auth.has_role(user, role, project))

    @args('--user', dest='user', metavar='<user name>', help='User name')
    @args('--role', dest='role', metavar='<user role>', help='User role')
    @args('--project', dest='project', metavar='<Project name>',
          help='Project name')
    def remove(self, user, role, project=None):
        """Withdraw a role globally, or in a project."""
        manager.AuthManager().remove_role(user, role, project)
