"""No flag of ours is DEFINEd and then never read.

An operator who sets a flag expects it to change something.  Flags of Diablo
features this project lacks live in nova/legacy_flags.py and are named in a
start-up warning when set (nova.utils.flagcheck); every other flag must be
read somewhere in nova/.  This checker reads the sources: a flag counts as
read when some module writes ``FLAGS.<name>``, ``FLAGS.get('<name>'``,
``FLAGS.is_set('<name>'``, ``FLAGS['<name>']``, ``getattr(FLAGS,
'<name>'``, when another flag's default refers to it as ``$<name>``, or
through one of the few name-building readers listed in DYNAMIC_READERS.
"""

import os
import re

from nova import flags

NOVA_DIR = os.path.join(os.path.dirname(__file__), '..', '..', 'nova')
BIN_DIR = os.path.join(NOVA_DIR, '..', 'bin')

# Flags of the OpenStack API, which another engineer is building in
# nova/api/openstack/ right now: defined ahead of their reader.  The lead
# empties this set once that API has landed.
# find_host_timeout serves set_admin_password, which only the OpenStack
# API (changePassword) calls.
PENDING_READERS = {
    'osapi_extensions_path', 'osapi_host', 'auth_token_ttl',
    'find_host_timeout',
}

_DEFINE_NAME_RE = re.compile(r"DEFINE_\w+\(\s*'(\w+)'")


def _sources():
    texts = []
    for directory, subdirs, files in os.walk(NOVA_DIR):
        subdirs[:] = [d for d in subdirs if not d.startswith(('.', '__'))]
        for filename in files:
            if filename.endswith('.py'):
                with open(os.path.join(directory, filename),
                          encoding='utf-8') as handle:
                    # The DEFINE itself is not a read.
                    texts.append(_DEFINE_NAME_RE.sub('DEFINE(',
                                                     handle.read()))
    return '\n'.join(texts)


def _read_pattern(name):
    quoted = r"\(\s*'%s'" % name
    return re.compile(
        r"FLAGS\.%s\b|FLAGS\.(?:get|is_set|raw|source_of)%s"
        r"|FLAGS\[\s*'%s'\s*\]|getattr\(\s*(?:flags\.)?FLAGS,\s*'%s'"
        % (name, quoted, name, name))


def _service_binaries():
    return {name[len('nova-'):] for name in os.listdir(BIN_DIR)
            if name.startswith('nova-')}


def _dynamic_readers():
    """Names read through a name built at run time, with the reader."""
    from nova import quota
    names = {}
    # nova.service.Service.create: FLAGS.get('%s_manager' % topic).
    for topic in _service_binaries():
        names['%s_manager' % topic] = 'nova.service (manager of a daemon)'
    # nova.service.WSGIService: FLAGS.get('%s_listen' % name) and _port.
    for api in ('ec2', 'osapi', 'metadata'):
        names['%s_listen' % api] = 'nova.service (API listen address)'
        names['%s_listen_port' % api] = 'nova.service (API listen port)'
    # nova.service.WSGIService: FLAGS.get('%s_workers' % name).
    for api in ('ec2', 'osapi'):
        names['%s_workers' % api] = 'nova.service (API worker processes)'
    # nova.quota: getattr(FLAGS, name) for every QUOTA_FLAGS entry.
    for _key, name in quota.QUOTA_FLAGS:
        names[name] = 'nova.quota'
    # nova.scheduler.least_cost: FLAGS.get('%s_weight' % cost function).
    for name in flags.FLAGS:
        if name.endswith('_cost_fn_weight'):
            names[name] = 'nova.scheduler.least_cost (cost weight)'
    return names


def unread_flags():
    """``{name: module}`` of our flags nothing reads."""
    flags.import_flag_modules()
    values = flags.FLAGS
    text = _sources()
    defaults = ' '.join(str(values.get_flag(name).default)
                        for name in values)
    dynamic = _dynamic_readers()
    unread = {}
    for name in values:
        flag = values.get_flag(name)
        if flag.legacy_of:
            continue   # warned about at start-up when set
        if flag.choices is not None and len(flag.choices) == 1:
            continue   # its one value is what the project does
        if name in dynamic or name in PENDING_READERS:
            continue
        if _read_pattern(name).search(text):
            continue
        if re.search(r'\$\{?%s\b' % name, defaults):
            continue
        unread[name] = flag.module
    return unread


def test_every_flag_of_ours_is_read():
    unread = unread_flags()
    assert unread == {}, (
        'flags DEFINEd but never read (honour them, or move them to '
        'nova/legacy_flags.py if they belong to a feature we lack): %s'
        % ', '.join('%s (%s)' % item for item in sorted(unread.items())))


def test_dynamic_readers_still_exist():
    # The name-building readers this checker trusts are still there.
    with open(os.path.join(NOVA_DIR, 'service.py'), encoding='utf-8') as f:
        service = f.read()
    assert "'%s_manager' % topic" in service
    assert "'%s_listen' % name" in service
    assert "'%s_listen_port' % name" in service
    assert "'%s_workers' % name" in service
    with open(os.path.join(NOVA_DIR, 'quota.py'), encoding='utf-8') as f:
        assert 'getattr(FLAGS, name)' in f.read()
    least_cost = os.path.join(NOVA_DIR, 'scheduler', 'least_cost.py')
    with open(least_cost, encoding='utf-8') as f:
        assert "'%s_weight' % cost_fn.__name__" in f.read()


def test_pending_readers_are_still_defined():
    flags.import_flag_modules()
    missing = PENDING_READERS - set(flags.FLAGS)
    assert not missing, missing


def test_checker_sees_a_never_read_flag():
    # The checker itself: a flag only DEFINEd is reported.
    assert not _read_pattern('no_such_flag_name').search(
        "flags.DEFINE_bool('no_such_flag_name', False)\nFLAGS.other")
    assert _read_pattern('no_such_flag_name').search(
        "x = FLAGS.no_such_flag_name")
    assert _read_pattern('no_such_flag_name').search(
        "getattr(FLAGS, 'no_such_flag_name', None)")
