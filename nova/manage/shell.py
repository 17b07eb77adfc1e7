"""``nova-manage shell``: Python shells and the Keystone export."""

import code
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
    def export(self, filename=None):
        """Write Keystone commands recreating users and projects."""
        text = '\n'.join(keystone_export_lines())
        if filename:
            manager.write_private_file(filename, text)
        else:
            sys.stdout.write(text)
