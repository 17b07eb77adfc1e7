"""Can dnsmasq read its hosts files?  Checked when nova-network starts.

dnsmasq starts as root and then drops to an unprivileged user (``nobody``
unless the ``user=`` line of ``--dnsmasq_config_file`` names another) and
group (``dip`` when that group exists, else the group it was started
with).  It re-reads its hosts file (``--networks_path``/nova-<dev>.conf)
as that user on every SIGHUP, which is how new instances get known: if the
user cannot enter every directory on the way, dnsmasq silently keeps its
old list and new instances get no DHCP answer.

:func:`check_networks_path` refuses such a set-up with one line that names
the directory and the fix.  The check reads the mode bits (owner, group,
other), as the kernel does when no access control list is set.
"""

import grp
import os
import pwd
import stat

from nova import exception
from nova import flags

FLAGS = flags.FLAGS

DEFAULT_USER = 'nobody'
DEFAULT_GROUP = 'dip'


class DnsmasqCannotRead(exception.NovaException):
    """dnsmasq's user cannot reach the networks directory."""

    message = ('dnsmasq runs as user %(user)s, who cannot enter '
               '%(directory)s (mode %(mode)s, owner %(owner)s), so it '
               'cannot re-read its hosts files in %(networks)s and new '
               'instances would get no DHCP answer: run "chmod o+x '
               '%(directory)s" or set --networks_path (or --state_path) to '
               'a directory %(user)s can reach')


class DnsmasqUserMissing(exception.NovaException):
    """The user dnsmasq drops to does not exist."""

    message = ('dnsmasq would run as user %(user)s, which does not exist '
               'on this host: create it or set user= in %(config)s')


def _config_value(path, key):
    """The value of ``key=`` in a dnsmasq configuration file (or None)."""
    if not path:
        return None
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    value = None
    for line in lines:
        line = line.split('#', 1)[0].strip()
        name, sep, rest = line.partition('=')
        if sep and name.strip() == key:
            value = rest.strip()
    return value


def dnsmasq_identity(config_file=None):
    """``(user, uid, gid)`` dnsmasq runs as after dropping root."""
    config_file = FLAGS.dnsmasq_config_file if config_file is None \
        else config_file
    user = _config_value(config_file, 'user') or DEFAULT_USER
    try:
        uid = pwd.getpwnam(user).pw_uid
    except KeyError:
        raise DnsmasqUserMissing(user=user,
                                 config=config_file or '--dnsmasq_config_file')
    group = _config_value(config_file, 'group') or DEFAULT_GROUP
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        gid = os.getegid()
    return user, uid, gid


def _may_enter(info, uid, gid):
    """Whether ``uid``/``gid`` may search a directory (mode bits only)."""
    if uid == 0:
        return True
    if info.st_uid == uid:
        return bool(info.st_mode & stat.S_IXUSR)
    if info.st_gid == gid:
        return bool(info.st_mode & stat.S_IXGRP)
    return bool(info.st_mode & stat.S_IXOTH)


def _owner(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def blocking_directory(path, uid, gid):
    """The first directory on the way to ``path`` (itself included) that
    ``uid``/``gid`` may not enter, as ``(directory, stat)``; None if none."""
    path = os.path.abspath(path)
    parts = [p for p in path.split(os.sep) if p]
    current = os.sep
    for part in [None] + parts:
        if part is not None:
            current = os.path.join(current, part)
        info = os.stat(current)
        if not _may_enter(info, uid, gid):
            return current, info
    return None


def check_networks_path(networks_path=None, config_file=None):
    """Raise :class:`DnsmasqCannotRead` unless dnsmasq's user can reach
    ``networks_path`` (default ``--networks_path``, created 0755 if
    missing)."""
    networks_path = os.path.abspath(networks_path or FLAGS.networks_path)
    if not os.path.isdir(networks_path):
        os.makedirs(networks_path, exist_ok=True)
        os.chmod(networks_path, 0o755)
    user, uid, gid = dnsmasq_identity(config_file)
    blocked = blocking_directory(networks_path, uid, gid)
    if blocked is not None:
        directory, info = blocked
        raise DnsmasqCannotRead(user=user, directory=directory,
                                mode='%04o' % stat.S_IMODE(info.st_mode),
                                owner=_owner(info.st_uid),
                                networks=networks_path)
