"""Every flag known to a daemon, only its own modules imported.

All daemons share one ``nova.conf``, so each must know every flag of the
project (:mod:`nova.flags`).  Importing every module that defines one
would keep the libraries of every other daemon resident;
:func:`learn_flag_definitions` has a forked child import them instead.
"""

import importlib
import logging
import os
import pickle

from nova import flags


def learn_flag_definitions(flag_values=None):
    """Define every flag of the package without importing its modules here.

    A daemon must know every flag (all daemons share one ``nova.conf``),
    but importing every module that defines one would keep the libraries
    of every other daemon resident (WebOb, Jinja2, the libvirt driver, the
    API routers...: ~11 MB of a manager's idle memory).  A forked child
    imports them instead and sends back the :class:`Flag` objects (name,
    type, default, help, owning module); this process defines those.  When
    it imports one of the modules later, that module's DEFINEs find their
    flag already there (same module, same type) and keep it, with the
    value already parsed.

    Falls back to :func:`nova.flags.import_flag_modules` wherever the
    child cannot help (no ``fork``, a flag that does not pickle, a failed
    child).
    Returns True when the definitions came from the child.
    """
    flag_values = flag_values or flags.FLAGS
    if flags._imported_flag_modules or flags._learned_flag_modules:
        return bool(flags._learned_flag_modules)
    learned = _learn_in_child(flag_values) if hasattr(os, 'fork') else None
    if learned is None:
        flags.import_flag_modules()
        return False
    for name, flag in learned['flags'].items():
        if name not in flag_values._flags:
            flag_values.define(flag)
    flag_values.__dict__['_superseded'].update(learned['superseded'])
    for module, problem in learned['problems']:
        logging.getLogger('nova.flags').warning(
            'flags of %s unavailable: %s', module, problem)
    flags._learned_flag_modules.extend(learned['modules'])
    return True


def _learn_in_child(flag_values):
    """The new flags a forked child finds by importing every flag module."""
    known = set(flag_values._flags)
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:    # the child: import, send, exit (never returns)
        status = 1
        try:
            os.close(reader)
            problems = []
            modules = flags.flag_modules()
            for module in modules:
                try:
                    importlib.import_module(module)
                except ImportError as exc:
                    problems.append((module, str(exc)))
            data = pickle.dumps({
                'flags': {name: flag
                          for name, flag in flag_values._flags.items()
                          if name not in known},
                'superseded': dict(flag_values._superseded),
                'problems': problems, 'modules': modules})
            view = memoryview(data)
            while view:
                view = view[os.write(writer, view):]
            status = 0
        except BaseException:  # noqa: BLE001 - the parent falls back
            status = 1
        finally:
            os._exit(status)
    os.close(writer)
    chunks = []
    try:
        while True:
            chunk = os.read(reader, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(reader)
        _, status = os.waitpid(pid, 0)
    if status != 0 or not chunks:
        return None
    try:
        return pickle.loads(b''.join(chunks))
    except Exception:  # noqa: BLE001 - a Flag that does not unpickle
        return None
