"""``nova-manage project`` (also ``account``): projects and credentials."""

import sys

from nova import context
from nova import exception
from nova import quota
from nova.auth import manager
from nova.manage.base import CommandError, args


def _target(filename, default_name):
    """Where to write: a directory gets the default file name inside it."""
    import os
    if filename != '-' and os.path.isdir(filename):
        filename = os.path.join(filename, default_name)
    if filename != '-':
        parent = os.path.dirname(os.path.abspath(filename))
        if not os.path.isdir(parent):
            raise CommandError('directory %s does not exist' % parent)
    return filename


def _ensure_project_network(project_id):
    """In VLAN mode a project gets its network with its credentials, as the
    admin manual says of ``project zipfile`` (flat modes share theirs).
    """
    from nova import db
    from nova import flags
    if not flags.FLAGS.network_manager.endswith('.VlanManager'):
        return
    try:
        db.project_get_networks(context.get_admin_context(), project_id,
                                associate=True)
    except exception.NoMoreNetworks:
        raise CommandError('No more networks available. If this is a new '
                           'installation, create some first, e.g.: '
                           'nova-manage network create pvt 10.0.0.0/8 10 64')


def _write_out(filename, data, what):
    """Write credentials to ``filename`` (owner-only) or stdout for '-'."""
    if filename == '-':
        out = sys.stdout.buffer
        out.write(data if isinstance(data, bytes) else data.encode())
        out.flush()
        return
    try:
        manager.write_private_file(filename, data)
    except OSError as exc:
        raise CommandError('cannot write %s to %s: %s'
                           % (what, filename, exc.strerror or exc))


class ProjectCommands(object):
    """Create, change and delete projects; members; quotas; credentials."""

    @args('--project', dest='project_id', metavar='<Project name>',
          help='Project name')
    @args('--user', dest='user_id', metavar='<name>', help='User name')
    def add(self, project_id, user_id):
        """Add a user to a project."""
        manager.AuthManager().add_to_project(user_id, project_id)

    @args('--project', dest='name', metavar='<Project name>',
          help='Project name')
    @args('--user', dest='project_manager', metavar='<user>',
          help='Project manager')
    @args('--desc', dest='description', metavar='<description>',
          help='Description')
    def create(self, name, project_manager, description=None):
        """Create a project managed (and joined) by a user."""
        manager.AuthManager().create_project(name, project_manager,
                                             description)

    @args('--project', dest='name', metavar='<Project name>',
          help='Project name')
    @args('--user', dest='project_manager', metavar='<user>',
          help='Project manager')
    @args('--desc', dest='description', metavar='<description>',
          help='Description')
    def modify(self, name, project_manager, description=None):
        """Change a project's manager and description."""
        manager.AuthManager().modify_project(name, project_manager,
                                             description)

    @args('--project', dest='name', metavar='<Project name>',
          help='Project name')
    def delete(self, name):
        """Delete a project."""
        manager.AuthManager().delete_project(name)

    @args('--project', dest='project_id', metavar='<Project name>',
          help='Project name')
    @args('--user', dest='user_id', metavar='<name>', help='User name')
    @args('--file', dest='filename', metavar='<filename>',
          help='File name (Default: novarc)')
    def environment(self, project_id, user_id, filename='novarc'):
        """Write a user's rc file for a project ('-' for stdout)."""
        filename = _target(filename, 'novarc')
        rc = manager.AuthManager().get_environment_rc(user_id, project_id)
        _write_out(filename, rc, 'the rc file')

    @args('--user', dest='username', metavar='<username>', help='User name')
    def list(self, username=None):
        """Print project names (those of a user, if given)."""
        auth = manager.AuthManager()
        if username is not None and auth.get_user(username) is None:
            raise exception.UserNotFound(user_id=username)
        for project in auth.get_projects(username):
            print(project.name)

    @args('--project', dest='project_id', metavar='<Project name>',
          help='Project name')
    @args('--key', dest='key', metavar='<key>', help='Key')
    @args('--value', dest='value', metavar='<value>', help='Value')
    def quota(self, project_id, key=None, value=None):
        """Show a project's quotas; with a key and value, set one first.

        ``unlimited`` as the value removes the limit.
        """
        from nova import db
        ctxt = context.get_admin_context()
        if manager.AuthManager().get_project(project_id) is None:
            raise exception.ProjectNotFound(project_id=project_id)
        if key:
            if key not in quota.QUOTA_KEYS:
                raise CommandError('%s is not a quota key (one of: %s)'
                                   % (key, ', '.join(quota.QUOTA_KEYS)))
            if value is None:
                raise CommandError('a value is needed to set quota %s' % key)
            if value.lower() == 'unlimited':
                limit = None
            else:
                try:
                    limit = int(value)
                except ValueError:
                    raise CommandError("quota value must be an integer or "
                                       "'unlimited', not %r" % value)
            try:
                db.quota_update(ctxt, project_id, key, limit)
            except exception.ProjectQuotaNotFound:
                db.quota_create(ctxt, project_id, key, limit)
        for name, limit in sorted(quota.get_project_quotas(
                ctxt, project_id).items()):
            print('%s: %s' % (name, 'unlimited' if limit is None else limit))

    @args('--project', dest='project_id', metavar='<Project name>',
          help='Project name')
    @args('--user', dest='user_id', metavar='<name>', help='User name')
    def remove(self, project_id, user_id):
        """Remove a user from a project."""
        manager.AuthManager().remove_from_project(user_id, project_id)

    @args('--project', dest='project_id', metavar='<Project name>',
          help='Project name')
    def scrub(self, project_id):
        """Disassociate a project's networks and delete its security groups."""
        from nova import db
        ctxt = context.get_admin_context()
        if manager.AuthManager().get_project(project_id) is None:
            raise exception.ProjectNotFound(project_id=project_id)
        with manager.transaction():
            for network in db.project_get_networks(ctxt, project_id,
                                                   associate=False):
                db.network_disassociate(ctxt, network['id'])
            for group in db.security_group_get_by_project(ctxt, project_id):
                db.security_group_destroy(ctxt, group['id'])

    @args('--project', dest='project_id', metavar='<Project name>',
          help='Project name')
    @args('--user', dest='user_id', metavar='<name>', help='User name')
    @args('--file', dest='filename', metavar='<filename>',
          help='File name (Default: nova.zip)')
    def zipfile(self, project_id, user_id, filename='nova.zip'):
        """Write a user's credentials zip for a project ('-' for stdout)."""
        filename = _target(filename, 'nova.zip')
        auth = manager.AuthManager()
        user = auth.get_user(user_id)
        if user is None:
            raise exception.UserNotFound(user_id=user_id)
        project = auth.get_project(project_id)
        if project is None:
            raise exception.ProjectNotFound(project_id=project_id)
        if not auth.is_admin(user) and not project.has_member(user):
            raise exception.ProjectMembershipNotFound(project_id=project_id,
                                                      user_id=user_id)
        _ensure_project_network(project.id)
        data = auth.get_credentials(user, project)
        _write_out(filename, data, 'the credentials zip')
