"""Start-up checks that no flag an operator set is silently ignored.

Two kinds of flag are checked once the command line and flagfiles are
parsed (:func:`nova.utils.cmdline.parse_args` calls both):

* a flag of a Diablo feature this project does not have (kept in
  :mod:`nova.legacy_flags` so that an old ``nova.conf`` still parses) is
  named in ONE warning line, if the operator set it;
* a value the project cannot honour -- a word outside a flag's ``choices``,
  or a driver/manager path (``importable`` flags) that does not import --
  refuses the start with one line naming the flag, the value and where it
  was set.

Only flags the operator set are checked: defaults are the project's own.
"""

import importlib
import logging

from nova import flags

LOG = logging.getLogger('nova.flags')


def ignored_flags(flag_values=None):
    """``[(name, diablo_module)]`` of set flags of features we lack."""
    flag_values = flag_values or flags.FLAGS
    found = []
    for name in flag_values:
        flag = flag_values.get_flag(name)
        if flag.legacy_of and flag_values.is_set(name):
            found.append((name, flag.legacy_of))
    return found


def ignored_warning(flag_values=None):
    """The one warning line about :func:`ignored_flags`, or None."""
    found = ignored_flags(flag_values)
    if not found:
        return None
    names = ', '.join('--%s (%s)' % item for item in found)
    return ('ignoring %d flag(s) of Diablo features this project does not '
            'have: %s' % (len(found), names))


def warn_ignored(flag_values=None, log=None):
    """Log :func:`ignored_warning` (if any); return the line."""
    line = ignored_warning(flag_values)
    if line:
        (log or LOG).warning('%s', line)
    return line


def _import_problem(path):
    """Why ``path`` names no module, class or function, or None."""
    if not path or path.startswith('.') or path.endswith('.'):
        return 'not a dotted module or class path'
    try:
        importlib.import_module(path)
        return None
    except ImportError as exc:
        if not _missing_is(exc, path):
            return 'importing it failed: %s' % exc
    module_name, _sep, attr = path.rpartition('.')
    if not module_name:
        return 'no module named %s' % path
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if _missing_is(exc, module_name):
            return 'no module named %s' % module_name
        return 'importing %s failed: %s' % (module_name, exc)
    if not hasattr(module, attr):
        return 'module %s has no %s' % (module_name, attr)
    # A driver with an optional dependency says what it lacks (e.g. the
    # LDAP auth driver without its client library) before the start.
    startup_problem = getattr(getattr(module, attr), 'startup_problem',
                              None)
    if callable(startup_problem):
        return startup_problem()
    return None


def _missing_is(exc, path):
    """Whether ``exc`` says ``path`` itself (or a parent of it) is absent."""
    missing = getattr(exc, 'name', None)
    if missing is None:
        return False
    return path == missing or path.startswith(missing + '.')


def value_problem(flag, value):
    """Why ``value`` of ``flag`` cannot be honoured, or None."""
    if flag.choices is not None:
        if value not in flag.choices:
            return 'this project supports only %s' % ', '.join(
                str(choice) for choice in flag.choices)
        return None
    if flag.importable and value:
        return _import_problem(str(value).strip())
    return None


def problems(flag_values=None):
    """One line per set flag whose value cannot be honoured."""
    flag_values = flag_values or flags.FLAGS
    lines = []
    for name in flag_values:
        flag = flag_values.get_flag(name)
        if flag.choices is None and not flag.importable:
            continue
        if not flag_values.is_set(name):
            continue
        value = getattr(flag_values, name)
        why = value_problem(flag, value)
        if why:
            source = flag_values.source_of(name)
            where = ' (%s)' % source if source else ''
            lines.append('cannot honour --%s=%s%s: %s'
                         % (name, value, where, why))
    return lines


def check(flag_values=None):
    """Raise :class:`nova.flags.FlagValueError` naming every bad value."""
    found = problems(flag_values)
    if found:
        raise flags.FlagValueError('; '.join(found))
