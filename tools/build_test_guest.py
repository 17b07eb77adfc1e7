#!/usr/bin/env python3
"""Build the nova test guest: a kernel, a ramdisk and a small disk image.

Everything comes from Debian packages: the cloud kernel
(``linux-image-<version>-cloud-amd64``, fetched with ``apt-get download``
unless a copy is already in the cache or in apt's archive cache) unpacked
with ``dpkg-deb -x``, its virtio modules, and ``busybox`` from
busybox-static.  The ramdisk is a gzip'd ``newc`` cpio whose ``/init``
(``tools/test_guest_init.sh``) loads the modules, takes a DHCP lease (or the
address nova injected), fetches its instance id from the metadata service,
runs its user data when that is a script and prints one marker line::

    NOVA-TEST-GUEST ip=10.0.0.3 id=i-00000001 disk up=1.62

The disk image is a small ext4 file system (the machine image ``ami``; nova
injects keys and network configuration into it).

The result is cached under ``--cache-dir`` (default
``$NOVA_TEST_GUEST_CACHE`` or ``~/.cache/nova-test-guest``), keyed by the
kernel version and the content of the init scripts, so a second run takes
milliseconds.  Prints a JSON object with the paths (``kernel``,
``ramdisk``, ``disk``, ``kernel_version``).  Register it with::

    nova-manage image all_register <disk> <kernel> <ramdisk> <owner>
"""

import argparse
import glob
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
INIT_SCRIPT = os.path.join(HERE, 'test_guest_init.sh')
UDHCPC_SCRIPT = os.path.join(HERE, 'test_guest_udhcpc.sh')
META_PACKAGE = 'linux-image-cloud-amd64'
BUSYBOX = '/bin/busybox'
#: modules loaded by /init, in this order (dependencies first).
MODULES = (
    'drivers/virtio/virtio_ring', 'drivers/virtio/virtio',
    'drivers/virtio/virtio_pci_modern_dev',
    'drivers/virtio/virtio_pci_legacy_dev', 'drivers/virtio/virtio_pci',
    'net/core/failover', 'drivers/net/net_failover',
    'drivers/net/virtio_net', 'drivers/block/virtio_blk',
    'drivers/input/evdev', 'drivers/acpi/button',
)
DISK_MB = 16
MARKER = 'NOVA-TEST-GUEST'


class BuildError(Exception):
    """The guest cannot be built (the message says why)."""


def default_cache_dir():
    """``$NOVA_TEST_GUEST_CACHE`` or ``~/.cache/nova-test-guest``."""
    return os.environ.get('NOVA_TEST_GUEST_CACHE') or os.path.join(
        os.path.expanduser('~'), '.cache', 'nova-test-guest')


def _run(cmd, cwd=None):
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError('%s failed (exit %d): %s' % (
            ' '.join(cmd), proc.returncode, proc.stderr.strip()[-500:]))
    return proc.stdout


def _kernel_package_name():
    """The versioned package the cloud kernel meta-package depends on."""
    out = _run(['apt-cache', 'depends', META_PACKAGE])
    for line in out.splitlines():
        line = line.strip()
        if line.startswith('Depends:') and 'linux-image-' in line:
            return line.split(':', 1)[1].strip()
    raise BuildError('apt-cache depends %s names no kernel package'
                     % META_PACKAGE)


def _kernel_debs(directory):
    pattern = os.path.join(directory, 'linux-image-[0-9]*-cloud-amd64_*.deb')
    return sorted(glob.glob(pattern), key=os.path.getmtime, reverse=True)


def find_kernel_deb(cache_dir, deb=None):
    """A cloud kernel .deb: given, cached, in apt's cache, or downloaded."""
    if deb:
        if not os.path.isfile(deb):
            raise BuildError('no such kernel package: %s' % deb)
        return deb
    for directory in (cache_dir, '/var/cache/apt/archives'):
        found = _kernel_debs(directory)
        if found:
            return found[0]
    package = _kernel_package_name()
    _run(['apt-get', 'download', package], cwd=cache_dir)
    found = _kernel_debs(cache_dir)
    if not found:
        raise BuildError('apt-get download %s left no .deb in %s'
                         % (package, cache_dir))
    return found[0]


def _scripts_digest():
    digest = hashlib.sha1(usedforsecurity=False)
    for path in (INIT_SCRIPT, UDHCPC_SCRIPT, __file__):
        with open(path, 'rb') as source:
            digest.update(source.read())
    digest.update(repr(MODULES).encode())
    return digest.hexdigest()[:10]


def _newc_entry(out, name, mode, data=b'', ino=1):
    """Append one ``newc`` cpio record (header, name, data, padding)."""
    name_bytes = name.encode() + b'\0'
    fields = (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0,
              len(name_bytes), 0)
    header = b'070701' + b''.join(b'%08x' % value for value in fields)
    out.write(header + name_bytes)
    out.write(b'\0' * (-(110 + len(name_bytes)) % 4))
    out.write(data)
    out.write(b'\0' * (-len(data) % 4))


def build_initramfs(path, modules_dir):
    """Write the gzip'd newc initramfs to ``path``."""
    files = []
    with open(BUSYBOX, 'rb') as source:
        files.append(('bin/busybox', 0o100755, source.read()))
    with open(INIT_SCRIPT, 'rb') as source:
        files.append(('init', 0o100755, source.read()))
    with open(UDHCPC_SCRIPT, 'rb') as source:
        files.append(('bin/udhcpc.script', 0o100755, source.read()))
    order = []
    for module in MODULES:
        source_path = os.path.join(modules_dir, module + '.ko')
        if not os.path.exists(source_path):
            raise BuildError('the kernel has no module %s' % module)
        base = os.path.basename(module)
        with open(source_path, 'rb') as source:
            files.append(('lib/modules/%s.ko' % base, 0o100644,
                          source.read()))
        order.append(base)
    files.append(('lib/modules/order', 0o100644,
                  ('\n'.join(order) + '\n').encode()))
    buf = io.BytesIO()
    ino = 1
    for directory in ('bin', 'dev', 'etc', 'lib', 'lib/modules', 'mnt',
                      'proc', 'root', 'sys', 'tmp'):
        _newc_entry(buf, directory, 0o040755, ino=ino)
        ino += 1
    for name, mode, data in files:
        _newc_entry(buf, name, mode, data, ino=ino)
        ino += 1
    _newc_entry(buf, 'TRAILER!!!', 0, ino=0)
    tmp = path + '.tmp'
    with gzip.open(tmp, 'wb', compresslevel=6) as out:
        out.write(buf.getvalue())
    os.replace(tmp, path)


def build_disk(path, workdir):
    """Write a small ext4 image (the machine image) to ``path``."""
    root = os.path.join(workdir, 'diskroot')
    for sub in ('etc/network', 'root', 'tmp'):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    with open(os.path.join(root, 'etc', 'nova-test-guest'), 'w') as out:
        out.write('the nova test guest root disk\n')
    tmp = path + '.tmp'
    with open(tmp, 'wb') as out:
        out.truncate(DISK_MB * 1024 * 1024)
    _run(['mke2fs', '-q', '-F', '-t', 'ext4', '-L', 'nova-guest', '-d', root,
          tmp])
    os.replace(tmp, path)


def build(cache_dir=None, deb=None, force=False):
    """Build (or reuse) the guest; returns a dict of paths."""
    cache_dir = os.path.abspath(cache_dir or default_cache_dir())
    os.makedirs(cache_dir, exist_ok=True)
    deb = find_kernel_deb(cache_dir, deb)
    version = os.path.basename(deb).split('_')[0][len('linux-image-'):]
    out_dir = os.path.join(cache_dir, '%s-%s' % (version, _scripts_digest()))
    result = {'kernel': os.path.join(out_dir, 'vmlinuz'),
              'ramdisk': os.path.join(out_dir, 'initrd.gz'),
              'disk': os.path.join(out_dir, 'disk.img'),
              'kernel_version': version, 'marker': MARKER}
    done = os.path.join(out_dir, '.complete')
    if os.path.exists(done) and not force:
        result['cached'] = True
        return result
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as work:
        _run(['dpkg-deb', '-x', deb, work])
        kernels = glob.glob(os.path.join(work, 'boot', 'vmlinuz-*'))
        if not kernels:
            raise BuildError('%s holds no boot/vmlinuz-*' % deb)
        shutil.copyfile(kernels[0], result['kernel'] + '.tmp')
        os.replace(result['kernel'] + '.tmp', result['kernel'])
        modules = glob.glob(os.path.join(work, 'lib', 'modules', '*',
                                         'kernel'))
        if not modules:
            raise BuildError('%s holds no lib/modules' % deb)
        build_initramfs(result['ramdisk'], modules[0])
        build_disk(result['disk'], work)
    with open(done, 'w') as out:
        out.write(json.dumps(result))
    result['cached'] = False
    return result


def main(argv=None):
    """Command line: build and print the JSON of the paths."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cache-dir', default=None,
                        help='where to cache (default %s)'
                        % default_cache_dir())
    parser.add_argument('--deb', default=None,
                        help='use this linux-image-*-cloud-amd64 .deb')
    parser.add_argument('--force', action='store_true',
                        help='rebuild even when cached')
    args = parser.parse_args(argv)
    try:
        result = build(args.cache_dir, args.deb, args.force)
    except (BuildError, OSError) as exc:
        print('build_test_guest: %s' % exc, file=sys.stderr)
        return 1
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
