"""``nova-manage shell``: Python shells and the Keystone export."""

import code
import json
import shlex
import sys

from nova import context
from nova import flags
from nova.auth import manager
from nova.manage.base import args

FLAGS = flags.FLAGS


def keystone_export_lines(auth=None):
    """The keystone-manage commands that recreate users and projects."""
    from nova import db
    auth = auth or manager.AuthManager()
    ctxt = context.get_admin_context()
    projects = auth.get_projects()
    lines = []
    for project in projects:
        lines.append("tenant add '%s'" % project.name)
        for uid in project.member_ids:
            user = auth.get_user(uid)
            lines.append("user add '%s' '%s' '%s'"
                         % (user.name, user.access, project.name))
            lines.append("credentials add 'EC2' '%s:%s' '%s' '%s'"
                         % (user.access, project.id, user.secret,
                            project.id))
    for role in FLAGS.allowed_roles:
        lines.append("role add '%s'" % role)
    for project in projects:
        for uid in project.member_ids:
            user = auth.get_user(uid)
            for role in db.user_get_roles_for_project(ctxt, uid, project.id):
                lines.append("role grant '%s', '%s', '%s'),"
                             % (user.name, role, project.name))
    lines.append('')
    return lines


def openstack_export_lines(auth=None):
    """A shell script of ``openstack`` commands recreating nova's users,
    projects, roles and EC2 credentials in today's Keystone.

    Names carry over (run nova with ``--keystone_use_names``: Keystone
    gives projects and users new ids, nova's rows keep the names).  Every
    member gets Keystone's ``member`` role in each of its projects, nova
    admins ``admin``; nova's project roles become Keystone roles of the
    same names.  Each user's keys become EC2 credentials: ``ACCESS:PROJECT``
    for every project, and the bare ``ACCESS`` for the project named like
    the user (Diablo's default project), so old EC2 keys keep working.
    """
    from nova import db
    auth = auth or manager.AuthManager()
    ctxt = context.get_admin_context()
    q = shlex.quote
    lines = ['#!/bin/sh',
             '# nova-manage shell export --format=openstack: run with '
             'OS_AUTH_URL, OS_USERNAME,',
             '# OS_PASSWORD, OS_PROJECT_NAME (a Keystone admin) set.',
             'set -e',
             'openstack role create --or-show member >/dev/null',
             'openstack role create --or-show admin >/dev/null']
    for role in FLAGS.allowed_roles + ['projectmanager']:
        lines.append('openstack role create --or-show %s >/dev/null'
                     % q(role))
    users = {}
    for project in auth.get_projects():
        lines.append('openstack project create --or-show --domain default '
                     '%s >/dev/null' % q(project.name))
        for uid in project.member_ids:
            user = users.get(uid) or auth.get_user(uid)
            if user is None:
                continue
            if uid not in users:
                users[uid] = user
                lines.append('openstack user create --or-show --domain '
                             'default %s >/dev/null' % q(user.name))
            grant = 'openstack role add --project %s --user %s %%s' % (
                q(project.name), q(user.name))
            roles = ['member'] + (['admin'] if user.admin else [])
            roles += db.user_get_roles_for_project(ctxt, uid, project.id)
            if project.project_manager_id == uid:
                roles.append('projectmanager')
            for role in dict.fromkeys(roles):
                lines.append(grant % q(role))
            keys = ['%s:%s' % (user.access, project.name)]
            if project.name == user.name:
                keys.append(user.access)
            for access in keys:
                blob = json.dumps({'access': access, 'secret': user.secret})
                lines.append('openstack credential create --type ec2 '
                             '--project %s %s %s >/dev/null'
                             % (q(project.name), q(user.name), q(blob)))
    lines.append('')
    return lines


class ShellCommands(object):
    """Interactive shells with the flags loaded, and exports."""

    def bpython(self):
        """Run a bpython shell (falls back to IPython, then python)."""
        self.run('bpython')

    def ipython(self):
        """Run an IPython shell (falls back to python)."""
        self.run('ipython')

    def python(self):
        """Run a plain Python shell."""
        self.run('python')

    @args('--shell', dest='shell', metavar='<bpython|ipython|python>',
          help='Python shell')
    def run(self, shell=None):
        """Run the chosen shell; bpython by default, falling back."""
        order = ['bpython', 'ipython', 'python']
        if shell in order:
            order = order[order.index(shell):]
        for name in order:
            try:
                if name == 'bpython':
                    import bpython
                    bpython.embed()
                    return
                if name == 'ipython':
                    import IPython
                    IPython.embed()
                    return
            except ImportError:
                continue
        try:
            import readline
            import rlcompleter
            readline.set_completer(rlcompleter.Completer({}).complete)
            readline.parse_and_bind('tab:complete')
        except ImportError:
            pass
        code.interact(local={'FLAGS': FLAGS})

    @args('--path', dest='path', metavar='<path>', help='Script path')
    def script(self, path):
        """Run a Python file with the flags loaded."""
        with open(path) as handle:
            source = handle.read()
        exec(compile(source, path, 'exec'),  # noqa: S102 - operator's file
             {'__name__': '__main__', 'FLAGS': FLAGS})

    @args('--filename', dest='filename', metavar='<path>',
          help='Export file path')
    @args('--format', dest='format', metavar='<keystone-manage|openstack>',
          help="keystone-manage (Diablo's lines, the default) or openstack "
          "(a shell script of today's openstack CLI commands)")
    def export(self, filename=None, format=None):
        """Write Keystone commands recreating users and projects."""
        if format in (None, 'keystone-manage'):
            text = '\n'.join(keystone_export_lines())
        elif format == 'openstack':
            text = '\n'.join(openstack_export_lines())
        else:
            raise SystemExit('--format must be keystone-manage or openstack')
        if filename:
            manager.write_private_file(filename, text)
        else:
            sys.stdout.write(text)
