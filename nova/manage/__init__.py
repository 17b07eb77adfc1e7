"""nova-manage: the operator's command line, one module per category.

``nova-manage [--flagfile=F] CATEGORY ACTION [args]``.  Without arguments it
lists the categories; with a category alone, that category's actions.  A
failing command prints one line, ``ERROR: ...`` style as Diablo did, and
exits non-zero.
"""

import argparse
import logging
import importlib
import inspect
import os
import sys

from nova import exception
from nova import flags
from nova import version
from nova.manage.base import CommandError

FLAGS = flags.FLAGS

# category name -> "module:Class"; modules are imported only when used.
CATEGORIES = {
    'account': 'nova.manage.project:ProjectCommands',
    'agent': 'nova.manage.agent:AgentBuildCommands',
    'config': 'nova.manage.config:ConfigCommands',
    'db': 'nova.manage.db:DbCommands',
    'drive': 'nova.manage.vsa:VsaDriveTypeCommands',
    'fixed': 'nova.manage.fixed:FixedCommands',
    'flavor': 'nova.manage.flavor:FlavorCommands',
    'instance_type': 'nova.manage.flavor:FlavorCommands',
    'floating': 'nova.manage.floating:FloatingCommands',
    'host': 'nova.manage.host:HostCommands',
    'image': 'nova.manage.image:ImageCommands',
    'network': 'nova.manage.network:NetworkCommands',
    'project': 'nova.manage.project:ProjectCommands',
    'role': 'nova.manage.role:RoleCommands',
    'service': 'nova.manage.service:ServiceCommands',
    'shell': 'nova.manage.shell:ShellCommands',
    'user': 'nova.manage.user:UserCommands',
    'version': 'nova.manage.config:VersionCommands',
    'vpn': 'nova.manage.vpn:VpnCommands',
    'vm': 'nova.manage.vm:VmCommands',
    'volume': 'nova.manage.volume:VolumeCommands',
    'vsa': 'nova.manage.vsa:VsaCommands',
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


def _takes_value(name):
    """Whether flag ``--name`` (without ``=``) consumes the next word."""
    if name == 'flagfile':
        return True
    if name not in FLAGS:
        return False
    return not isinstance(FLAGS.get_flag(name), flags.BooleanFlag)


def _is_flag(name):
    """Whether ``name`` names a flag (``noNAME`` for booleans, flagfile)."""
    name = name.replace('-', '_')
    if name == 'flagfile' or name in FLAGS:
        return True
    return name.startswith('no') and isinstance(
        FLAGS.get_flag(name[2:]) if name[2:] in FLAGS else None,
        flags.BooleanFlag)


def _quiet_match(word, candidates):
    word = word.lower()
    matches = [c for c in candidates if c.lower() == word] or \
        [c for c in candidates if c.lower().startswith(word)]
    return matches[0] if len(matches) == 1 else None


def _action_options(category_word, action_word):
    """The option strings the named action declares, {option: takes_value}."""
    category = _quiet_match(category_word, list(CATEGORIES))
    if category is None:
        return {}
    try:
        cls = _load(category)
    except ImportError:
        return {}
    action = _quiet_match(action_word, _actions(cls))
    if action is None:
        return {}
    declared = {}
    for names, kwargs in getattr(getattr(cls, action), 'options', []):
        takes_value = kwargs.get('action') not in ('store_true',
                                                   'store_false')
        for name in names:
            declared[name] = takes_value
    return declared


def split_command_line(argv):
    """Separate Nova flags from the words of the command.

    Flags may come before the category or anywhere after it, but an option
    the action itself declares (``fixed list --host H``) belongs to the
    action even where a flag has the same name.  Returns ``(flag_argv,
    command_words)``; ``flag_argv`` starts with the program name.
    """
    flags.import_flag_modules()
    flag_argv, words = [argv[0]], []
    rest = list(argv[1:])
    declared = None
    i = 0
    while i < len(rest):
        word = rest[i]
        if len(words) >= 2 and declared is None:
            declared = _action_options(words[0], words[1])
        option, _sep, _value = word.partition('=')
        if declared and option in declared:
            words.append(word)
            if declared[option] and '=' not in word and i + 1 < len(rest):
                words.append(rest[i + 1])
                i += 1
        elif word.startswith('-') and word != '-' and (
                not words or _is_flag(option.lstrip('-'))):
            flag_argv.append(word)
            name = option.lstrip('-')
            if '=' not in word and _takes_value(name) and i + 1 < len(rest):
                flag_argv.append(rest[i + 1])
                i += 1
        else:
            words.append(word)
        i += 1
    return flag_argv, words


def main(argv=None):
    """Entry point of the ``nova-manage`` console script."""
    argv = list(sys.argv if argv is None else argv)
    from nova.utils import cmdline as common
    wants_help = any(a in ('--help', '-h', '-?') for a in argv[1:])
    argv = [a for a in argv if a not in ('--help', '-h', '-?')]
    flag_argv, command_words = split_command_line(argv)
    argv = common.parse_args(flag_argv, 'nova-manage', keep_unknown=True)
    argv = argv + command_words
    prog = os.path.basename(argv[0]) if argv else 'nova-manage'
    if prog.startswith('__main__'):
        prog = 'nova-manage'
    words = argv[1:]
    if wants_help and len(words) < 1:
        print(FLAGS.help_text())
        return 0
    if len(words) < 1:
        print('OpenStack Nova version: %s (%s)' % (
            version.version_string(), version.version_string_with_vcs()))
        print('%s category action [<args>]' % prog)
        print('Available categories:')
        for name in _available():
            print('\t%s' % name)
        return 2
    category = lazy_match(words[0], _available())
    if category is None:
        return 2
    cls = _load(category)
    if len(words) < 2:
        if '__call__' in vars(cls):
            return _run(prog, category, cls(), '__call__', [])
        print('%s %s action [<args>]' % (prog, category))
        print('Available actions for %s category:' % category)
        for name in _actions(cls):
            print('\t%s' % name)
        return 2
    action = lazy_match(words[1], _actions(cls))
    if action is None:
        return 2
    return _run(prog, category, cls(), action,
                words[2:] + (['--help'] if wants_help else []))


def lazy_match(word, candidates):
    """The one candidate ``word`` is a case-insensitive prefix of, or None.

    Prints the candidates when the word is unknown or ambiguous, as Diablo's
    nova-manage did.
    """
    word_lower = word.lower()
    exact = [c for c in candidates if c.lower() == word_lower]
    if exact:
        return exact[0]
    matches = [c for c in candidates if c.lower().startswith(word_lower)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        sys.stderr.write('Ambiguous %r; possible matches: %s\n'
                         % (word, ', '.join(matches)))
    else:
        sys.stderr.write('No match for %r; choose from: %s\n'
                         % (word, ', '.join(candidates)))
    return None


def _run(prog, category, obj, action, words):
    method = getattr(obj, action)
    try:
        values = _bind('%s %s %s' % (prog, category, action), method,
                       words)
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
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        logging.getLogger('nova.manage').debug('command failed',
                                               exc_info=True)
        sys.stderr.write('Command failed: %s\n' % _describe(exc))
        return 1
    return result if isinstance(result, int) else 0


def _describe(exc):
    """One line for an unexpected error, with a hint where one helps."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if 'no such table' in text or "doesn't exist" in text or \
            'does not exist' in text and 'relation' in text:
        return '%s (has the database been created? run: nova-manage db ' \
            'sync)' % text
    return text
