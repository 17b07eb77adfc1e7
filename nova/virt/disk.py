"""Disk files of guests: resizing, blank disks and data injection.

Injection writes into the ext2/3/4 file system of a **raw** disk image with
``debugfs`` (e2fsprogs), so it needs neither root, nor mounting, nor NBD
(this kernel has no ``nbd`` module):

* the key pair's public key is appended to ``/root/.ssh/authorized_keys``;
* the rendered network template goes to ``/etc/network/interfaces``;
* instance metadata goes to ``/meta.js`` as JSON;
* personality files (``injected_files``) go to their absolute paths, their
  missing parent directories made (root-owned, mode 0755).

Diablo's ``_create_image`` logged injection failures and went on; the
caller does the same with :class:`InjectionError` for the key and network,
but personality files a user asked for are never dropped: a disk that cannot
take them fails the build (:class:`FileInjectionError`).
"""

import json
import logging
import os
import tempfile

from nova import exception
from nova import flags
from nova import utils

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.virt.disk')

flags.DEFINE_integer('minimum_root_size', 1024 * 1024 * 1024 * 10,
                     'minimum size of a root disk, in bytes')
flags.DEFINE_multistring('virt_mkfs',
                         ['windows=mkfs.ntfs --fast --label '
                          '%(fs_label)s %(target)s',
                          'linux=mkfs.ext3 -L %(fs_label)s -F %(target)s',
                          'default=mkfs.ext3 -L %(fs_label)s -F '
                          '%(target)s'],
                         'os_type=mkfs command used to format ephemeral '
                         'disks')
# Flags of Diablo features this project lacks (warned about when set):
# injection renders the network file in code and writes with debugfs.
flags.DEFINE_string('injected_network_template',
                    utils.abspath('virt/interfaces.template'),
                    'template of the injected network configuration',
                    unsupported='network template file')
flags.DEFINE_integer('block_size', 1024 * 1024 * 256,
                     'block size for dd when resizing images',
                     unsupported='block_size (never read by Diablo)')
flags.DEFINE_integer('timeout_nbd', 10,
                     'seconds to wait for an NBD device to appear',
                     unsupported='NBD devices')
flags.DEFINE_integer('max_nbd_devices', 16, 'number of NBD devices to use',
                     unsupported='NBD devices')


class InjectionError(exception.NovaException):
    """Data could not be written into a disk image."""

    message = 'Cannot inject into %(path)s: %(reason)s'


class FileInjectionError(InjectionError):
    """The personality files could not be written into a disk image."""

    message = 'Cannot inject the personality files into %(path)s: ' \
        '%(reason)s'


def extend(path, size):
    """Grow the raw image at ``path`` to ``size`` bytes (never shrinks).

    The ext file system in it, if any, is grown too (errors ignored: the
    image may hold a partition table or another file system).
    """
    if os.path.getsize(path) >= size:
        return False
    utils.execute('qemu-img', 'resize', '-f', 'raw', path, str(size))
    utils.execute('e2fsck', '-fp', path, check_exit_code=False)
    utils.execute('resize2fs', path, check_exit_code=False)
    return True


def create_blank(path, size_mb, fs_format=None, label=None, os_type=None):
    """A sparse file of ``size_mb`` MiB, formatted when asked."""
    with open(path, 'wb') as out:
        out.truncate(int(size_mb) * 1024 * 1024)
    if fs_format:
        utils.execute('mkfs', '-t', fs_format, '-F', path)
    elif label:
        mkfs(os_type, label, path)


def mkfs(os_type, fs_label, target):
    """Format ``target`` with the ``--virt_mkfs`` command of ``os_type``."""
    commands = {}
    for entry in FLAGS.virt_mkfs:
        key, _sep, command = entry.partition('=')
        commands[key.strip()] = command
    command = commands.get(os_type or 'default') or commands.get('default')
    if not command:
        return
    words = (command % {'fs_label': fs_label, 'target': target}).split()
    utils.execute(*words)


def create_swap(path, size_mb):
    """A swap file of ``size_mb`` MiB."""
    create_blank(path, size_mb)
    utils.execute('mkswap', path)


def _debugfs(path, commands):
    with tempfile.NamedTemporaryFile('w', suffix='.debugfs') as script:
        script.write('\n'.join(commands) + '\n')
        script.flush()
        out, err = utils.execute('debugfs', '-w', '-f', script.name, path)
    return out, err


def _has_ext_fs(path):
    out, _err = utils.execute('blkid', '-p', '-o', 'value', '-s', 'TYPE',
                              path, check_exit_code=False)
    return out.strip() in ('ext2', 'ext3', 'ext4')


def _read_file(path, inner):
    out, err = utils.execute('debugfs', '-R', 'cat %s' % inner, path,
                             check_exit_code=False)
    if 'not found' in err or 'File not found' in err:
        return ''
    return out


def _parents(inner):
    """The parent directories of ``inner``, outermost first."""
    parts = [part for part in inner.split('/') if part][:-1]
    return ['/' + '/'.join(parts[:end]) for end in range(1, len(parts) + 1)]


def _quoted(inner):
    """``inner`` as one debugfs argument (debugfs takes double quotes)."""
    if any(c.isspace() for c in inner) or '"' in inner:
        if '"' in inner:
            raise ValueError('a double quote in %r' % inner)
        return '"%s"' % inner
    return inner


def inject_data(path, key=None, net=None, metadata=None, files=None):
    """Write ``key``, ``net``, ``metadata`` and ``files`` (``(path,
    bytes)`` pairs) into the raw image ``path``.

    Returns the list of files written; raises InjectionError when the image
    holds no ext file system of its own (a partitioned or foreign image),
    FileInjectionError when ``files`` were asked for.
    """
    if not (key or net or metadata or files):
        return []
    error = FileInjectionError if files else InjectionError
    if not _has_ext_fs(path):
        raise error(path=path,
                    reason='no ext2/3/4 file system on the whole disk '
                    '(partitioned or foreign images are not injected)')
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        commands = []

        def put(inner, text, mode):
            local = os.path.join(tmp, str(len(written)))
            data = text if isinstance(text, bytes) else text.encode('utf-8')
            with open(local, 'wb') as out:
                out.write(data)
            arg = _quoted(inner)
            commands.extend(['rm %s' % arg, 'write %s %s' % (local, arg),
                             'sif %s mode 0%o' % (arg, 0o100000 | mode),
                             'sif %s uid 0' % arg, 'sif %s gid 0' % arg])
            written.append(inner)

        if key:
            existing = _read_file(path, '/root/.ssh/authorized_keys')
            commands.extend(['mkdir /root', 'mkdir /root/.ssh',
                             'sif /root/.ssh mode 040700'])
            put('/root/.ssh/authorized_keys',
                existing + '\n' + key.strip() + '\n', 0o600)
        if net:
            commands.extend(['mkdir /etc', 'mkdir /etc/network'])
            put('/etc/network/interfaces', net, 0o644)
        if metadata:
            put('/meta.js', json.dumps(metadata), 0o644)
        for inner, contents in files or []:
            try:
                commands.extend('mkdir %s' % _quoted(folder)
                                for folder in _parents(inner))
                put(inner, contents, 0o644)
            except ValueError as exc:
                raise FileInjectionError(path=path, reason=str(exc))
        try:
            out, err = _debugfs(path, commands)
        except exception.ProcessExecutionError as exc:
            raise error(path=path, reason=str(exc))
        if files:
            _check_written(path, [inner for inner, _data in files], err)
    LOG.debug('Injected %s into %s', ', '.join(written), path)
    return written


def _check_written(path, inners, err):
    """Raise FileInjectionError unless every file in ``inners`` is now
    a regular file in the image (debugfs reports errors but exits 0)."""
    for inner in inners:
        out, _err = utils.execute('debugfs', '-R', 'stat %s' % _quoted(inner),
                                  path, check_exit_code=False)
        if 'Type: regular' not in out:
            LOG.error('debugfs did not write %s into %s: %s', inner, path,
                      err.strip())
            raise FileInjectionError(path=path,
                                     reason='%s was not written' % inner)


def render_network(network_info, use_ipv6=False):
    """Debian ``/etc/network/interfaces`` for the injected networks.

    Only networks whose ``injected`` is true (FlatManager with
    ``--flat_injected``) are written; NICs are numbered by their place in
    ``network_info``.  Returns None when nothing is injected.
    """
    lines = ['# Injected by Nova on instance boot', '#',
             '# This file describes the network interfaces available on '
             'your system', '# and how to activate them. For more '
             'information, see interfaces(5).', '',
             '# The loopback network interface', 'auto lo',
             'iface lo inet loopback']
    injected = False
    for index, (network, info) in enumerate(network_info or []):
        if not network.get('injected') or not info.get('ips'):
            continue
        injected = True
        ip = info['ips'][0]
        lines += ['', 'auto eth%d' % index,
                  'iface eth%d inet static' % index,
                  '    address %s' % ip['ip'],
                  '    netmask %s' % ip['netmask'],
                  '    broadcast %s' % info.get('broadcast', ''),
                  '    gateway %s' % info.get('gateway', ''),
                  '    dns-nameservers %s' % ' '.join(info.get('dns') or [])]
        if use_ipv6 and info.get('ip6s'):
            ip6 = info['ip6s'][0]
            lines += ['iface eth%d inet6 static' % index,
                      '    address %s' % ip6['ip'],
                      '    netmask %s' % ip6['netmask'],
                      '    gateway %s' % info.get('gateway6', '')]
    return '\n'.join(lines) + '\n' if injected else None
