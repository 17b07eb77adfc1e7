"""gflags-style command-line and flagfile handling for every Nova daemon.

Operators configure Nova with flagfiles (``/etc/nova/nova.conf``): one
``--name=value`` per line, ``#`` comments, blank lines and nested
``--flagfile=PATH`` lines.  Each module DEFINEs the flags it owns near its
top; :data:`FLAGS` is the one registry they all share.

String values may refer to other flags as ``$name`` or ``${name}``; the
reference is resolved each time the value is read, so ``--state_path`` given
later still changes ``sql_connection``'s default.

All daemons share one ``nova.conf``, so before parsing, every module that
defines flags is imported (:data:`FLAG_MODULES`): a daemon therefore knows
every flag of the project.  A name nobody defines is reported once, in one
warning line, and otherwise ignored, as Diablo did.
"""

import importlib
import logging
import os
import re
import socket
import sys

_TEMPLATE_RE = re.compile(r'\$(?:\{(\w+)\}|(\w+))')
_TRUE_WORDS = ('1', 'true', 't', 'yes', 'y', 'on')
_FALSE_WORDS = ('0', 'false', 'f', 'no', 'n', 'off')

_NAME_RE = re.compile(r'^[A-Za-z_][\w-]*$')
_HELP_NAMES = ('help', 'h', '?', 'helpshort', 'helpfull')
_DEFINE_LINE_RE = re.compile(r'^\s*(?:flags\.)?DEFINE_\w+\(', re.M)
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_imported_flag_modules = []
# Flag modules whose flags a forked child defined here (see
# nova.utils.flaglearn): parse() then imports none of them.
_learned_flag_modules = []


class FlagError(Exception):
    """Base error for flag definition and parsing problems."""


class DuplicateFlagError(FlagError):
    """A flag name was DEFINEd twice."""


class FlagValueError(FlagError):
    """A value given for a known flag does not fit its type."""


class FlagFileError(FlagError):
    """A flagfile is missing, unreadable or holds a malformed line."""


class Flag(object):
    """One defined flag: its name, type, default, help and owning module."""

    kind = 'string'

    def __init__(self, name, default, help_text, module, legacy_of=None,
                 choices=None, importable=False):
        self.name = name
        self.default = default
        self.help = help_text
        self.module = module
        # Values this project can honour (checked at start-up by
        # nova.utils.flagcheck): a fixed set of words, or a dotted path
        # that must name a module, class or function that imports.
        self.choices = tuple(choices) if choices is not None else None
        self.importable = importable
        # For flags kept in nova/legacy_flags.py: the Diablo module that
        # owned the flag.  A module of ours that DEFINEs the same name later
        # takes the flag over (see FlagValues.define).
        self.legacy_of = legacy_of

    def convert(self, text):
        """Turn the text of a value into this flag's type."""
        return text

    def render(self, value):
        """Give the flagfile text of a value (used by ``config list``)."""
        if value is None:
            return ''
        return str(value)


class StringFlag(Flag):
    """A flag holding text; ``$other`` references are resolved on read."""


class IntegerFlag(Flag):
    """A flag holding a whole number (decimal, or 0x/0o prefixed)."""

    kind = 'integer'

    def convert(self, text):
        try:
            return int(str(text).strip(), 0)
        except ValueError:
            raise FlagValueError("'%s' is not an integer" % text)


class ImageIdFlag(IntegerFlag):
    """An integer image id that also accepts its EC2 form (``ami-0000002a``).

    The admin manual tells operators to put the EC2 id of the cloudpipe
    image in ``--vpn_image_id``; Diablo's integer flag would have refused it.
    """

    def convert(self, text):
        word = str(text).strip()
        prefix, _sep, number = word.partition('-')
        if _sep and prefix.lower() in ('ami', 'aki', 'ari'):
            try:
                return int(number, 16)
            except ValueError:
                raise FlagValueError("'%s' is not an image id" % text)
        return super(ImageIdFlag, self).convert(text)


class FloatFlag(Flag):
    """A flag holding a real number."""

    kind = 'float'

    def convert(self, text):
        try:
            return float(str(text).strip())
        except ValueError:
            raise FlagValueError("'%s' is not a number" % text)


class BooleanFlag(Flag):
    """A flag that is true or false; ``--name`` and ``--noname`` set it."""

    kind = 'bool'

    def convert(self, text):
        if isinstance(text, bool):
            return text
        word = str(text).strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
        raise FlagValueError("'%s' is not a boolean (true/false)" % text)


class ListFlag(Flag):
    """A flag holding a comma-separated list."""

    kind = 'list'

    def convert(self, text):
        if isinstance(text, (list, tuple)):
            return list(text)
        text = str(text).strip()
        if not text:
            return []
        return [item.strip() for item in text.split(',') if item.strip()]

    def render(self, value):
        return ','.join(str(v) for v in value or [])


class MultiStringFlag(Flag):
    """A flag that may be repeated; every occurrence adds one value."""

    kind = 'multistring'
    repeats = True

    def convert(self, text):
        return text

    def render(self, value):
        return ','.join(str(v) for v in value or [])


class FlagValues(object):
    """The registry of defined flags and their current values.

    Attribute access (``FLAGS.state_path``) returns the value with ``$name``
    templates resolved.  Calling the object with ``argv`` parses it and returns
    the arguments that are not flags.
    """

    def __init__(self):
        self.__dict__['_flags'] = {}
        self.__dict__['_values'] = {}
        self.__dict__['_sources'] = {}
        self.__dict__['_unknown'] = {}
        self.__dict__['_warned'] = set()
        self.__dict__['_superseded'] = {}
        self.__dict__['_parsed'] = False

    # -- definition -----------------------------------------------------
    def define(self, flag):
        """Register a :class:`Flag`; defining a name twice is an error.

        The exception is a flag kept for a Diablo module not rebuilt yet
        (``flag.legacy_of`` set, see :mod:`nova.legacy_flags`): a module of
        ours that defines the same name takes it over, whatever the import
        order, and the takeover is recorded (:meth:`superseded_legacy_flags`)
        so that a test can ask for the stale legacy line to be deleted.
        """
        old = self._flags.get(flag.name)
        if old is not None:
            if old.module == flag.module and type(old) is type(flag):
                return old
            if old.legacy_of and not flag.legacy_of:
                self._superseded[flag.name] = (old.legacy_of, flag.module)
                self._flags[flag.name] = flag
                self._reconvert(flag)
                return flag
            if flag.legacy_of and not old.legacy_of:
                self._superseded[flag.name] = (flag.legacy_of, old.module)
                return old
            raise DuplicateFlagError(
                'flag --%s is defined in both %s and %s'
                % (flag.name, old.module, flag.module))
        self._flags[flag.name] = flag
        pending = self._unknown.pop(flag.name, None)
        if pending is not None:
            text, source = pending
            self._assign(flag, text, source)
        return flag

    def _reconvert(self, flag):
        """Re-type a value given before a flag changed hands."""
        if flag.name not in self._values:
            return
        value = self._values[flag.name]
        if (isinstance(value, str) and not isinstance(flag, StringFlag)
                and not getattr(flag, 'repeats', False)):
            self._assign(flag, value, self._sources.get(flag.name))

    def superseded_legacy_flags(self):
        """``{name: (diablo_module, our_module)}`` of legacy flags taken over.

        Each entry is a line of ``nova/legacy_flags.py`` that should go.
        """
        return dict(self._superseded)

    def __contains__(self, name):
        return name in self._flags

    def __iter__(self):
        return iter(sorted(self._flags))

    def get_flag(self, name):
        """Return the :class:`Flag` object named ``name``."""
        return self._flags[name]

    def is_set(self, name):
        """Whether the flag was given a value (not only its default)."""
        return name in self._values

    # -- values ---------------------------------------------------------
    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        try:
            flag = self._flags[name]
        except KeyError:
            raise AttributeError('no flag named --%s' % name)
        value = self._values.get(name, flag.default)
        return self._resolve(value, set([name]))

    def __setattr__(self, name, value):
        self.set(name, value)

    def __getitem__(self, name):
        return getattr(self, name)

    def get(self, name, default=None):
        """Return a flag's value, or ``default`` if no such flag exists."""
        if name not in self._flags:
            return default
        return getattr(self, name)

    def raw(self, name):
        """Return a flag's value without resolving ``$name`` templates."""
        flag = self._flags[name]
        return self._values.get(name, flag.default)

    def set(self, name, value):
        """Set a flag's value from Python (tests, daemons)."""
        flag = self._flags[name]
        if isinstance(value, str) and not isinstance(flag, StringFlag):
            value = flag.convert(value)
        self._values[name] = value

    def override(self, name, value):
        """Alias of :meth:`set`, kept for tests that read better with it."""
        self.set(name, value)

    def reset(self, name=None):
        """Forget values given for one flag (or all) and use the defaults.

        Resetting all also forgets unknown names seen so far, so that they
        are warned about again the next time they are met.
        """
        if name is None:
            self._values.clear()
            self._sources.clear()
            self._unknown.clear()
            self._warned.clear()
        else:
            self._values.pop(name, None)
            self._sources.pop(name, None)

    def source_of(self, name):
        """Where the current value came from: ``file:line``, argv or None."""
        return self._sources.get(name)

    def _resolve(self, value, seen):
        if not isinstance(value, str) or '$' not in value:
            return value

        def replace(match):
            ref = match.group(1) or match.group(2)
            if ref not in self._flags or ref in seen:
                return match.group(0)
            inner = self._values.get(ref, self._flags[ref].default)
            resolved = self._resolve(inner, seen | set([ref]))
            return '' if resolved is None else str(resolved)

        return _TEMPLATE_RE.sub(replace, value)

    def _assign(self, flag, text, source):
        try:
            value = flag.convert(text)
        except FlagValueError as exc:
            where = ' (%s)' % source if source else ''
            raise FlagValueError('bad value for --%s%s: %s'
                                 % (flag.name, where, exc))
        if getattr(flag, 'repeats', False):
            current = list(self._values.get(flag.name, []))
            current.append(value)
            value = current
        self._values[flag.name] = value
        self._sources[flag.name] = source

    # -- parsing --------------------------------------------------------
    def __call__(self, argv, keep_unknown=False):
        return self.parse(argv, keep_unknown=keep_unknown)

    def parse(self, argv, keep_unknown=False):
        """Parse ``argv`` (``argv[0]`` is the program) and return the rest.

        Returns ``[argv[0]] + positional arguments``.  With ``keep_unknown``
        (nova-manage, whose commands take options of their own) unknown
        ``--options`` on the command line are returned too instead of being
        warned about.
        """
        if not _learned_flag_modules:
            import_flag_modules()
        argv = list(argv)
        rest = [argv[0]] if argv else []
        args = argv[1:]
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == '--':
                rest.extend(args[i + 1:])
                break
            if not arg.startswith('-') or arg == '-':
                rest.append(arg)
                i += 1
                continue
            name, has_value, value = _split_option(arg)
            if name in _HELP_NAMES and not has_value:
                rest.append('--help')
                i += 1
                continue
            flag, value, consumed = self._match(name, has_value, value,
                                                args[i + 1:])
            if flag is None:
                if keep_unknown:
                    rest.append(arg)
                else:
                    self._note_unknown(name, value, 'command line')
                i += 1
                continue
            i += 1 + consumed
            if flag == 'flagfile':
                self.read_flagfile(value, os.getcwd())
            else:
                self._assign(flag, value, 'command line')
        self.__dict__['_parsed'] = True
        return rest

    def _match(self, name, has_value, value, following):
        """Find the flag an option names; returns (flag, value, consumed)."""
        if name == 'flagfile':
            if not has_value:
                if not following:
                    raise FlagFileError('--flagfile needs a file name')
                return 'flagfile', following[0], 1
            return 'flagfile', value, 0
        flag = self._lookup(name)
        if flag is None and name.startswith('no') and not has_value:
            negated = self._lookup(name[2:])
            if isinstance(negated, BooleanFlag):
                return negated, False, 0
        if flag is None:
            return None, value if has_value else None, 0
        if has_value:
            return flag, value, 0
        if isinstance(flag, BooleanFlag):
            return flag, True, 0
        if not following:
            raise FlagValueError('--%s needs a value' % name)
        return flag, following[0], 1

    def _lookup(self, name):
        """The flag ``name`` names; ``multi-host`` also finds ``multi_host``.

        The admin manual spells a few names with dashes
        (``--rabbit-retry-interval``); gflags would have ignored them, we
        take the operator's meaning instead.
        """
        flag = self._flags.get(name)
        if flag is None and '-' in name:
            flag = self._flags.get(name.replace('-', '_'))
        return flag

    def read_flagfile(self, path, base_dir=None, _stack=(), _origin=None):
        """Read a flagfile; nested ``--flagfile`` paths are relative to it.

        ``~`` is expanded; lines starting with ``#`` or ``//`` are comments.
        """
        path = os.path.expanduser(path)
        if base_dir and not os.path.isabs(path):
            path = os.path.join(base_dir, path)
        path = os.path.abspath(path)
        if path in _stack:
            raise FlagFileError('flagfile %s includes itself' % path)
        try:
            with open(path, encoding='utf-8') as handle:
                lines = handle.read().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            where = ' (included from %s)' % _origin if _origin else ''
            raise FlagFileError('cannot read flagfile %s%s: %s'
                                % (path, where,
                                   getattr(exc, 'strerror', None) or exc))
        here = os.path.dirname(path)
        for number, line in enumerate(lines, 1):
            source = '%s:%d' % (path, number)
            text = line.strip()
            if not text or text.startswith(('#', '//')):
                continue
            name, has_value, value = _split_option(text)
            if not text.startswith('-') or not _NAME_RE.match(name):
                raise FlagFileError(
                    '%s: malformed line %r (expected --name=value)'
                    % (source, line))
            if has_value:
                # "--name = value" and stray blanks after "=" are common in
                # hand-edited files; the value itself keeps inner blanks.
                value = value.strip()
            if name == 'flagfile':
                if not has_value or not value:
                    raise FlagFileError('%s: --flagfile needs =PATH' % source)
                self.read_flagfile(value, here, _stack + (path,), source)
                continue
            flag, value, _consumed = self._match(name, has_value, value, [])
            if flag is None:
                self._note_unknown(name, value, source)
                continue
            self._assign(flag, value, source)

    def _note_unknown(self, name, value, source):
        self._unknown[name] = (value, source)
        if name not in self._warned:
            self._warned.add(name)
            logging.getLogger('nova.flags').warning(
                'ignoring unknown flag --%s (%s)', name, source)

    def unknown_flags(self):
        """Names given in flagfiles or argv that no module defines."""
        return sorted(self._unknown)

    # -- presentation ---------------------------------------------------
    def flags_by_module(self):
        """Return ``{module: [Flag, ...]}`` sorted by module and name."""
        groups = {}
        for name in sorted(self._flags):
            flag = self._flags[name]
            groups.setdefault(flag.module, []).append(flag)
        return dict(sorted(groups.items()))

    def help_text(self):
        """The ``--help`` text: flags grouped by module with defaults.

        Flags kept for Diablo modules not rebuilt yet are grouped under the
        Diablo module that owned them.
        """
        groups = {}
        for name in sorted(self._flags):
            flag = self._flags[name]
            label = flag.module
            if flag.legacy_of:
                label = "%s (from Diablo's %s; ignored)" % (
                    flag.module, flag.legacy_of)
            groups.setdefault(label, []).append(flag)
        lines = ['Flags:']
        for module, flags in sorted(groups.items()):
            lines.append('')
            lines.append('%s:' % module)
            for flag in flags:
                default = flag.render(flag.default)
                lines.append('  --%s: %s' % (flag.name, flag.help or ''))
                lines.append('    (default: %r, %s)' % (default, flag.kind))
        return '\n'.join(lines)

    def flagfile_text(self):
        """Every flag's current value as flagfile lines (``config list``)."""
        lines = []
        for name in sorted(self._flags):
            flag = self._flags[name]
            lines.append('--%s=%s' % (name, flag.render(getattr(self, name))))
        return '\n'.join(lines)


def _split_option(arg):
    """Split ``--name=value`` / ``-name`` into (name, has_value, value)."""
    body = arg.lstrip('-').lstrip()
    if '=' in body:
        name, value = body.split('=', 1)
        return name.strip(), True, value
    return body.strip(), False, None


def flag_modules():
    """Names of the modules of the nova package that DEFINE flags.

    Found by reading the package's sources, so a new module's flags are
    known to every daemon without a list to keep up to date.  Modules that
    define flags must import cheaply (heavy libraries imported lazily).
    """
    names = []
    for directory, subdirs, files in os.walk(_PACKAGE_DIR):
        subdirs[:] = sorted(d for d in subdirs
                            if not d.startswith(('.', '__')))
        for filename in sorted(files):
            if not filename.endswith('.py'):
                continue
            path = os.path.join(directory, filename)
            try:
                with open(path, encoding='utf-8') as handle:
                    text = handle.read()
            except OSError:
                continue
            if not _DEFINE_LINE_RE.search(text):
                continue
            relative = os.path.relpath(path, os.path.dirname(_PACKAGE_DIR))
            module = relative[:-3].replace(os.sep, '.')
            if module.endswith('.__init__'):
                module = module[:-len('.__init__')]
            names.append(module)
    return names


def import_flag_modules():
    """Import every module of the package that defines flags (once)."""
    if _imported_flag_modules:
        return
    for module in flag_modules():
        try:
            importlib.import_module(module)
        except ImportError as exc:
            # A module whose optional dependency is missing: its flags stay
            # unknown (warned about if used) rather than stopping the daemon.
            logging.getLogger('nova.flags').warning(
                'flags of %s unavailable: %s', module, exc)
        _imported_flag_modules.append(module)


FLAGS = FlagValues()


def _caller_module():
    frame = sys._getframe(2)
    return frame.f_globals.get('__name__', '?')


_legacy_origin = []


class legacy_module(object):  # noqa: N801 - used as a with-statement
    """Mark the flags DEFINEd inside ``with`` as kept for a Diablo module.

    Used by :mod:`nova.legacy_flags`: ``with flags.legacy_module(
    'nova.network.manager'): DEFINE_string(...)``.
    """

    def __init__(self, diablo_module):
        self.diablo_module = diablo_module

    def __enter__(self):
        _legacy_origin.append(self.diablo_module)
        return self

    def __exit__(self, *exc_info):
        _legacy_origin.pop()
        return False


def _definer(flag_class):
    def define(name, default, help_text='', flag_values=FLAGS,
               choices=None, importable=False, unsupported=None,
               **_ignored):
        # unsupported='Diablo feature': a flag of a feature this project
        # lacks, kept so nova.conf parses; set, it is warned about.
        legacy_of = unsupported or (_legacy_origin[-1] if _legacy_origin
                                    else None)
        return flag_values.define(
            flag_class(name, default, help_text, _caller_module(),
                       legacy_of=legacy_of, choices=choices,
                       importable=importable))
    define.__doc__ = 'Define a %s flag.' % flag_class.kind
    return define


DEFINE_string = _definer(StringFlag)
DEFINE_integer = _definer(IntegerFlag)
DEFINE_float = _definer(FloatFlag)
DEFINE_bool = _definer(BooleanFlag)
DEFINE_boolean = DEFINE_bool
DEFINE_list = _definer(ListFlag)
DEFINE_multistring = _definer(MultiStringFlag)
DEFINE_image_id = _definer(ImageIdFlag)


def _my_ip():
    """The address this host uses to reach the outside, or 127.0.0.1."""
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            # A UDP connect sends nothing; it only picks the outgoing address.
            sock.connect(('192.0.2.1', 9))
            return sock.getsockname()[0]
        finally:
            sock.close()
    except OSError:
        return '127.0.0.1'


def _default_state_path():
    """Where state goes when no ``--state_path`` is given.

    Diablo used the directory above the ``nova`` package, i.e. the checkout
    itself, where a stray ``nova.sqlite``, ``images/`` or ``CA/`` then
    appeared.  From a source checkout it is ``<checkout>/.nova-state``, the
    state directory of ``run_cloud.sh`` (ignored by git); an installed
    package (site-packages) uses ``/var/lib/nova``.
    """
    parent = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
    if os.path.basename(parent) in ('site-packages', 'dist-packages'):
        return '/var/lib/nova'
    return os.path.join(parent, '.nova-state')


# -- flags Diablo's nova/flags.py owned -----------------------------------
DEFINE_string('my_ip', _my_ip(), 'IP address of this host')
DEFINE_string('host', socket.gethostname(),
              'name of this node; used as the <topic>.<host> queue name')
DEFINE_string('node_availability_zone', 'nova',
              'availability zone of this node')
DEFINE_string('state_path', _default_state_path(),
              "top-level directory for maintaining nova's state")
DEFINE_string('lock_path', '$state_path',
              'directory for lock files')
DEFINE_string('logdir', None, 'output to a per-service log file in this dir')
DEFINE_integer('logfile_mode', 0o644, 'permissions of log files')
DEFINE_bool('verbose', False, 'show debug output')
DEFINE_string('sqlite_db', 'nova.sqlite', 'file name for the sqlite database')
DEFINE_string('sql_connection', 'sqlite:///$state_path/$sqlite_db',
              'connection string for the SQL database')
DEFINE_integer('sql_idle_timeout', 3600,
               'seconds before an idle SQL connection is recycled')
DEFINE_integer('sql_max_retries', 12,
               'attempts to connect to the database at start')
DEFINE_integer('sql_retry_interval', 10,
               'seconds between database connection attempts')
DEFINE_integer('sql_min_pool_size', 10, 'minimum SQL connections kept open')
DEFINE_integer('sql_max_pool_size', 10, 'maximum SQL connections in the pool')
DEFINE_integer('sql_pool_timeout', 30,
               'seconds to wait for a connection from the pool')
DEFINE_bool('fake_rabbit', False, 'use the in-memory message transport')
DEFINE_string('rabbit_host', 'localhost', 'RabbitMQ host')
DEFINE_integer('rabbit_port', 5672, 'RabbitMQ port')
DEFINE_bool('rabbit_use_ssl', False, 'connect to RabbitMQ over SSL')
DEFINE_string('rabbit_userid', 'guest', 'RabbitMQ user id')
DEFINE_string('rabbit_password', 'guest', 'RabbitMQ password')
DEFINE_string('rabbit_virtual_host', '/', 'RabbitMQ virtual host')
DEFINE_integer('rabbit_retry_interval', 1,
               'seconds before the first RabbitMQ reconnect attempt')
DEFINE_integer('rabbit_retry_backoff', 2,
               'seconds added to the wait after each failed reconnect')
DEFINE_integer('rabbit_max_retries', 0,
               'reconnect attempts before giving up (0 = forever)')
DEFINE_bool('rabbit_durable_queues', True,
            'use durable queues and persistent messages for work in '
            'RabbitMQ (False restores Diablo: work is lost when the broker '
            'restarts)')
DEFINE_string('control_exchange', 'nova', 'the main exchange to connect to')
DEFINE_list('enabled_apis', ['ec2', 'osapi'], 'APIs nova-api starts')
DEFINE_string('ec2_host', '$my_ip', 'IP of the EC2 API server')
DEFINE_string('ec2_dmz_host', '$my_ip', 'internal IP of the EC2 API server')
DEFINE_integer('ec2_port', 8773, 'port of the EC2 API server')
DEFINE_string('ec2_scheme', 'http', 'scheme of the EC2 API server')
DEFINE_string('ec2_path', '/services/Cloud', 'path prefix of the EC2 API')
DEFINE_string('osapi_host', '$my_ip', 'IP of the OpenStack API server')
DEFINE_string('osapi_scheme', 'http', 'scheme of the OpenStack API server')
DEFINE_integer('osapi_port', 8774, 'port of the OpenStack API server')
DEFINE_string('osapi_path', '/v1.1/', 'path prefix of the OpenStack API')
DEFINE_integer('osapi_max_limit', 1000,
               'most items one OpenStack API collection call returns')
DEFINE_string('osapi_extensions_path', '/var/lib/nova/extensions',
              'directory of OpenStack API extensions')
DEFINE_string('s3_host', '$my_ip', 'IP of the objectstore (S3) server')
DEFINE_string('s3_dmz', '$my_ip', 'internal IP of the objectstore server')
DEFINE_integer('s3_port', 3333, 'port of the objectstore (S3) server')
DEFINE_list('region_list', [],
            'regions as name=ec2_host pairs for DescribeRegions')
DEFINE_string('compute_topic', 'compute', 'queue topic of nova-compute')
DEFINE_string('scheduler_topic', 'scheduler', 'queue topic of the scheduler')
DEFINE_string('volume_topic', 'volume', 'queue topic of nova-volume')
DEFINE_string('network_topic', 'network', 'queue topic of nova-network')
DEFINE_string('compute_manager', 'nova.compute.manager.ComputeManager',
              'manager class of nova-compute',
              importable=True)
DEFINE_string('network_manager', 'nova.network.manager.VlanManager',
              'manager class of nova-network',
              importable=True)
DEFINE_string('scheduler_manager', 'nova.scheduler.manager.SchedulerManager',
              'manager class of nova-scheduler',
              importable=True)
DEFINE_string('volume_manager', 'nova.volume.manager.VolumeManager',
              'manager class of nova-volume',
              importable=True)
DEFINE_string('connection_type', 'libvirt',
              'hypervisor driver: libvirt or fake (Diablo also had xenapi, '
              'vmwareapi and hyperv)', choices=('fake', 'libvirt'))
DEFINE_string('image_service', 'nova.image.local.LocalImageService',
              'image service class (Diablo defaulted to glance; this project '
              'has no glance server, so images are kept under $state_path)',
              importable=True)
DEFINE_list('glance_api_servers', ['%s:9292' % _my_ip()],
            'glance API servers as host:port')
DEFINE_string('default_instance_type', 'm1.small',
              'default instance type to launch')
DEFINE_string('null_kernel', 'nokernel',
              'kernel image meaning "boot without a kernel"')
DEFINE_string('root_helper', 'sudo', 'command prefix to run as root')
DEFINE_integer('auth_token_ttl', 3600, 'seconds an auth token lives')
DEFINE_bool('use_ipv6', False, 'use IPv6')
DEFINE_bool('fake_network', False, 'do not touch the host network')
DEFINE_list('memcached_servers', None,
            'memcached servers as host:port list, or None for in-DB stores')
DEFINE_bool('start_guests_on_host_boot', False,
            'start guests that were running before the host rebooted')
DEFINE_bool('resume_guests_state_on_host_boot', False,
            'restore guest power states after the host rebooted')
DEFINE_string('vpn_key_suffix', '-vpn', 'suffix of cloudpipe key pairs')
DEFINE_image_id('vpn_image_id', 0,
                'image id (or ami-XXXXXXXX) of the cloudpipe VPN image')
