"""nova-manage: the operator's command line, one module per category.

``nova-manage [--flagfile=F] CATEGORY ACTION [args]``.  Without arguments it
lists the categories; with a category alone, that category's actions.  A
failing command prints one line, ``ERROR: ...`` style as Diablo did, and
exits non-zero.
"""

import argparse
import importlib
import inspect
import os
import sys

from nova import exception
from nova import flags
from nova.manage.base import CommandError

FLAGS = flags.FLAGS

# category name -> "module:Class"; modules are imported only when used.
CATEGORIES = {
    'config': 'nova.manage.config:ConfigCommands',
    'db': 'nova.manage.db:DbCommands',
    'service': 'nova.manage.service:ServiceCommands',
    'version': 'nova.manage.config:VersionCommands',
}


def register(name, target):
    """Add a category (used by modules that bring one)."""
    CATEGORIES[name] = target


def _load(name):
    module_name, _sep, class_name = CATEGORIES[name].partition(':')
    module = importlib.import_module(module_name)
    return getattr(module, class_name)


def _available():
    names = []
    for name in sorted(CATEGORIES):
        try:
            _load(name)
        except ImportError:
            continue
        names.append(name)
    return names


def _actions(cls):
    return sorted(name for name, member in inspect.getmembers(cls)
                  if callable(member) and not name.startswith('_'))


def _parser_for(prog, method):
    parser = argparse.ArgumentParser(prog=prog, add_help=True)
    signature = inspect.signature(method)
    params = [p for p in signature.parameters.values() if p.name != 'self']
    option_dests = set()
    for names, kwargs in getattr(method, 'options', []):
        kwargs = dict(kwargs)
        dest = kwargs.get('dest') or names[0].lstrip('-')
        kwargs['dest'] = 'opt_' + dest
        kwargs.setdefault('default', None)
        parser.add_argument(*names, **kwargs)
        option_dests.add(dest)
    parser.add_argument('positional', nargs='*')
    return parser, params, option_dests


def _bind(prog, method, argv):
    """Turn command-line words into the action's arguments."""
    parser, params, option_dests = _parser_for(prog, method)
    parsed = parser.parse_args(argv)
    positional = list(parsed.positional)
    values = {}
    for param in params:
        opt_value = getattr(parsed, 'opt_' + param.name, None)
        if opt_value is not None:
            values[param.name] = opt_value
        elif positional:
            values[param.name] = positional.pop(0)
        elif param.default is not inspect.Parameter.empty:
            values[param.name] = param.default
        else:
            raise CommandError('missing argument: %s' % param.name)
    if positional:
        raise CommandError('too many arguments: %s' % ' '.join(positional))
    return values


def main(argv=None):
    """Entry point of the ``nova-manage`` console script."""
    argv = list(sys.argv if argv is None else argv)
    from nova.cmd import common
    argv = [a for a in argv if a not in ('-h', '-?')]
    argv = common.parse_args(argv, 'nova-manage', keep_unknown=True) \
        if '--help' not in argv else argv
    prog = os.path.basename(argv[0]) if argv else 'nova-manage'
    words = [w for w in argv[1:] if w != '--help']
    if len(words) < 1:
        print('%s category action [<args>]' % prog)
        print('Available categories:')
        for name in _available():
            print('\t%s' % name)
        return 2 if '--help' not in argv else 0
    category = words[0]
    if category not in CATEGORIES:
        sys.stderr.write('%s: unknown category %r\n' % (prog, category))
        return 2
    cls = _load(category)
    if len(words) < 2:
        print('%s %s action [<args>]' % (prog, category))
        print('Available actions for %s category:' % category)
        for name in _actions(cls):
            print('\t%s' % name)
        return 2
    action = words[1]
    if action not in _actions(cls):
        sys.stderr.write('%s: unknown action %r for category %r\n'
                         % (prog, action, category))
        return 2
    method = getattr(cls(), action)
    try:
        values = _bind('%s %s %s' % (prog, category, action), method,
                       words[2:])
        result = method(**values)
    except SystemExit:
        raise
    except CommandError as exc:
        sys.stderr.write('ERROR: %s\n' % exc)
        return 1
    except exception.NovaException as exc:
        sys.stderr.write('ERROR: %s\n' % exc)
        return 1
    except flags.FlagError as exc:
        sys.stderr.write('ERROR: %s\n' % exc)
        return 1
    return result if isinstance(result, int) else 0
