"""``nova-manage user``: users of the deprecated auth."""

from nova import crypto
from nova.auth import manager
from nova.manage.base import CommandError, args


def _print_export(user):
    print('export EC2_ACCESS_KEY=%s' % user.access)
    print('export EC2_SECRET_KEY=%s' % user.secret)


class UserCommands(object):
    """Create, list, change and delete users."""

    @staticmethod
    def _create(name, access, secret, is_admin):
        user = manager.AuthManager().create_user(name, access, secret,
                                                 is_admin)
        _print_export(user)

    @args('--name', dest='name', metavar='<admin name>', help='Admin name')
    @args('--access', dest='access', metavar='<access>', help='Access')
    @args('--secret', dest='secret', metavar='<secret>', help='Secret')
    def admin(self, name, access=None, secret=None):
        """Create an admin user; prints its keys as export lines."""
        self._create(name, access, secret, True)

    @args('--name', dest='name', metavar='<name>', help='User name')
    @args('--access', dest='access', metavar='<access>', help='Access')
    @args('--secret', dest='secret', metavar='<secret>', help='Secret')
    def create(self, name, access=None, secret=None):
        """Create a user; prints its keys as export lines."""
        self._create(name, access, secret, False)

    @args('--name', dest='name', metavar='<name>', help='User name')
    def delete(self, name):
        """Delete a user and the key pairs it owns."""
        from nova import db
        from nova.manage.base import admin_context
        auth = manager.AuthManager()
        if auth.get_user(name) is None:
            raise CommandError("User %s doesn't exist" % name)
        with manager.transaction():
            db.key_pair_destroy_all_by_user(admin_context(), name)
            auth.delete_user(name)

    @args('--name', dest='name', metavar='<admin name>', help='User name')
    def exports(self, name):
        """Print the export lines of a user's keys."""
        user = manager.AuthManager().get_user(name)
        if user is None:
            raise CommandError("User %s doesn't exist" % name)
        _print_export(user)

    def list(self):
        """Print every user name, one per line."""
        for user in manager.AuthManager().get_users():
            print(user.name)

    @args('--name', dest='name', metavar='<name>', help='User name')
    @args('--access', dest='access_key', metavar='<access>',
          help='access key')
    @args('--secret', dest='secret_key', metavar='<secret>',
          help='secret key')
    @args('--is_admin', dest='is_admin', metavar='<is_admin>',
          help='Is admin? T/F')
    def modify(self, name, access_key, secret_key, is_admin):
        """Change keys and admin flag; empty or None fields are kept."""
        admin = None
        if is_admin and is_admin.lower() not in ('none', ''):
            admin = is_admin.upper().startswith('T')
        access_key = None if access_key in ('', 'None') else access_key
        secret_key = None if secret_key in ('', 'None') else secret_key
        manager.AuthManager().modify_user(name, access_key, secret_key,
                                          admin)

    @args('--name', dest='user_id', metavar='<name>', help='User name')
    @args('--project', dest='project_id', metavar='<Project name>',
          help='Project name')
    def revoke(self, user_id, project_id=None):
        """Revoke a user's certificates (in one project, if given)."""
        if project_id:
            crypto.revoke_certs_by_user_and_project(user_id, project_id)
        else:
            crypto.revoke_certs_by_user(user_id)
