"""Small helpers every layer uses: host commands, imports, time, ids."""

import datetime
import importlib
import logging
import os
import random
import shlex
import string
import subprocess
import uuid

from nova import exception
from nova import flags

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.utils')

TIME_FORMAT = '%Y-%m-%dT%H:%M:%SZ'


# -- imports ------------------------------------------------------------------
def import_class(import_str):
    """Return the class (or function) named by a dotted path."""
    module_name, _sep, attr = import_str.rpartition('.')
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise exception.ClassNotFound(class_name=import_str, exception=exc)


def import_object(import_str):
    """Import a module, or a class and instantiate it with no arguments."""
    try:
        return importlib.import_module(import_str)
    except ImportError:
        cls = import_class(import_str)
        return cls()


def load_object(import_str, *args, **kwargs):
    """Instantiate the class named by ``import_str`` with the arguments."""
    return import_class(import_str)(*args, **kwargs)


# -- host commands ------------------------------------------------------------
def execute(*cmd, **kwargs):
    """Run a host command and return ``(stdout, stderr)`` as text.

    Keyword arguments: ``process_input`` (text fed to stdin),
    ``check_exit_code`` (True, False, or a list of acceptable codes; default
    ``[0]``), ``run_as_root`` (prefix ``--root_helper`` unless already root),
    ``attempts`` (retries on failure), ``env`` (extra environment).
    Raises :class:`nova.exception.ProcessExecutionError` on a bad exit code.
    """
    process_input = kwargs.pop('process_input', None)
    check_exit_code = kwargs.pop('check_exit_code', [0])
    run_as_root = kwargs.pop('run_as_root', False)
    attempts = int(kwargs.pop('attempts', 1))
    extra_env = kwargs.pop('env', None)
    if kwargs:
        raise TypeError('unexpected arguments %s' % ', '.join(kwargs))
    if check_exit_code is True:
        check_exit_code = [0]
    elif isinstance(check_exit_code, int) and check_exit_code is not False:
        check_exit_code = [check_exit_code]
    cmd = [str(part) for part in cmd]
    if run_as_root and os.geteuid() != 0 and FLAGS.root_helper:
        cmd = shlex.split(FLAGS.root_helper) + cmd
    env = None
    if extra_env:
        env = dict(os.environ)
        env.update(extra_env)
    for attempt in range(1, attempts + 1):
        LOG.debug('Running cmd (subprocess): %s', ' '.join(cmd))
        try:
            proc = subprocess.run(
                cmd, input=process_input, capture_output=True, text=True,
                env=env)
        except OSError as exc:
            raise exception.ProcessExecutionError(
                exit_code=-1, cmd=' '.join(cmd), stdout='', stderr=str(exc))
        if check_exit_code is False or proc.returncode in check_exit_code:
            return proc.stdout, proc.stderr
        if attempt == attempts:
            raise exception.ProcessExecutionError(
                exit_code=proc.returncode, stdout=proc.stdout,
                stderr=proc.stderr, cmd=' '.join(cmd))
        LOG.debug('%r failed (attempt %d of %d); retrying',
                  cmd, attempt, attempts)


def trycmd(*cmd, **kwargs):
    """Like :func:`execute` but returns ``(stdout, stderr)`` without raising."""
    try:
        return execute(*cmd, **kwargs)
    except exception.ProcessExecutionError as exc:
        return exc.stdout or '', exc.stderr or str(exc)


# -- time -------------------------------------------------------------------
def utcnow():
    """The current UTC time as a naive datetime (what the DB stores)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def isotime(at=None):
    """ISO 8601 text of a UTC time, e.g. ``2011-09-22T12:00:00Z``."""
    return (at or utcnow()).strftime(TIME_FORMAT)


def parse_isotime(text):
    """Parse :func:`isotime` text back into a naive UTC datetime."""
    return datetime.datetime.strptime(text, TIME_FORMAT)


# -- ids and strings ----------------------------------------------------------
def generate_uid(topic, size=8):
    """A random id such as ``r-3f2a9c1b``."""
    chars = '0123456789abcdefghijklmnopqrstuvwxyz'
    return '%s-%s' % (topic, ''.join(random.choice(chars) for _ in range(size)))


def generate_password(length=12,
                      symbols=string.ascii_letters + string.digits):
    """A random password from an unambiguous alphabet."""
    rng = random.SystemRandom()
    return ''.join(rng.choice(symbols) for _ in range(length))


def gen_uuid():
    """A new random UUID."""
    return uuid.uuid4()


def is_uuid_like(value):
    """Whether ``value`` is a UUID in text form."""
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


def bool_from_str(value):
    """Interpret common true words ('true', '1', 'yes') as True."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ('1', 'true', 't', 'yes', 'y', 'on')


def abspath(relative):
    """A path inside the nova package (templates and the like)."""
    return os.path.join(os.path.dirname(os.path.dirname(__file__)), relative)


def ensure_tree(path, mode=0o755):
    """Create a directory and its parents if missing."""
    os.makedirs(path, mode=mode, exist_ok=True)
