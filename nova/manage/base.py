"""Helpers shared by the nova-manage command categories."""

import functools


class CommandError(Exception):
    """A nova-manage command failed; the message is printed on one line."""


def args(*names, **kwargs):
    """Declare an ``--option`` of an action, as Diablo's ``@args`` did.

    ``@args('--path', dest='path', metavar='<path>', help='...')``: the
    option fills the action's parameter named by ``dest`` (or the option's
    own name), as an alternative to giving it positionally.
    """
    def decorate(func):
        options = getattr(func, 'options', [])
        options.insert(0, (names, kwargs))
        func.options = options
        return func
    return decorate


def admin_context():
    """The admin request context commands act with."""
    from nova import context
    return context.get_admin_context()


def print_table(rows, widths, out=None):
    """Print rows of columns left-aligned to the given widths."""
    import sys
    out = out or sys.stdout
    fmt = ''.join('%%-%ds' % w for w in widths[:-1]) + '%s'
    for row in rows:
        out.write(fmt % tuple('' if v is None else v for v in row) + '\n')


def wraps(func):
    """functools.wraps that keeps the ``options`` of :func:`args`."""
    def decorate(wrapper):
        wrapper = functools.wraps(func)(wrapper)
        wrapper.options = getattr(func, 'options', [])
        return wrapper
    return decorate
