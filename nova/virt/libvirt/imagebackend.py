"""The files of a guest in its instance directory, built from cached bases.

Layout (``--instances_path``, default ``$state_path/instances``)::

    _base/<sha1 of image_ref>        raw root image resized to
                                     --minimum_root_size
    _base/<sha1 of image_ref>_sm     raw root image at its own size
                                     (flavors without local disk, rescue)
    _base/%08x                       kernels and ramdisks (by image id)
    _base/ephemeral_0_<gb>_<os>      formatted blank local disk
    _base/swap_<mb>                  swap
    instance-0000000a/
        libvirt.xml  console.log  kernel  ramdisk
        disk         qcow2 over the base with --use_cow_images, else a copy
        disk.local   disk.swap

A base is created once under a file lock (nova-compute processes sharing
``_base`` over NFS do not race) and never rewritten; the instance's file is
an overlay or a copy.  With ``--use_cow_images`` and data to inject (key,
``--flat_injected`` network) the root disk is a standalone qcow2 instead:
injection writes with ``debugfs`` into a raw copy (it cannot write into
qcow2, and this kernel has no ``nbd``), which is then converted.
"""

import contextlib
import errno
import fcntl
import hashlib
import logging
import os
import shutil

from nova import flags
from nova import utils
from nova.utils import concurrency
from nova.virt import disk
from nova.virt import driver
from nova.virt import exceptions
from nova.virt import images
from nova.virt.libvirt import config

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.virt.libvirt.imagebackend')

#: a Linux x86 boot image has "HdrS" at this offset.
_BZIMAGE_MAGIC_OFFSET = 0x202


def base_dir():
    """``<instances_path>/_base`` (created if missing)."""
    path = os.path.join(FLAGS.instances_path, '_base')
    os.makedirs(path, exist_ok=True)
    return path


@contextlib.contextmanager
def _file_lock(path):
    """An exclusive ``flock`` on ``path + '.lock'``, yielding green threads."""
    with open(path + '.lock', 'a') as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                concurrency.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def cache(base_name, create):
    """The path of ``_base/base_name``, made by ``create(tmp_path)`` once."""
    path = os.path.join(base_dir(), base_name)
    if os.path.exists(path):
        return path
    with _file_lock(path):
        if not os.path.exists(path):
            tmp = path + '.tmp'
            try:
                create(tmp)
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
    return path


def check_kernel(path, image_id):
    """Raise ImageUnacceptable unless ``path`` is a Linux boot image."""
    with open(path, 'rb') as source:
        source.seek(_BZIMAGE_MAGIC_OFFSET)
        magic = source.read(4)
    if magic != b'HdrS':
        raise exceptions.ImageUnacceptable(
            image_id=image_id,
            reason='it is not a Linux kernel (no bzImage header)')


def overlay_or_copy(base, target, cow):
    """Make ``target`` from ``base``: a qcow2 overlay (``cow``) or a copy."""
    if cow:
        utils.execute('qemu-img', 'create', '-f', 'qcow2', '-F', 'raw',
                      '-o', 'cluster_size=2M,backing_file=%s' % base, target)
    else:
        shutil.copyfile(base, target)


def _fetch_raw(context, image_service, image_id):
    def create(tmp):
        images.fetch_to_raw(context, image_service, image_id, tmp)
    return cache(hashlib.sha1(str(image_id).encode()).hexdigest() + '_sm',
                 create)


def root_base(context, image_service, image_id, size):
    """The cached raw root image, resized to ``size`` bytes unless None."""
    small = _fetch_raw(context, image_service, image_id)
    if size is None:
        return small
    actual = images.virtual_size(small)
    if actual > size:
        raise exceptions.FlavorTooSmall(
            image_id=image_id,
            reason='the image is %d bytes, the root disk %d'
            % (actual, size))

    def create(tmp):
        shutil.copyfile(small, tmp)
        disk.extend(tmp, size)
    return cache(hashlib.sha1(str(image_id).encode()).hexdigest(), create)


def _fetch_plain(context, image_service, image_id):
    def create(tmp):
        images.fetch(context, image_service, image_id, tmp)
    return cache('%08x' % int(image_id), create)


def root_size(instance):
    """Root disk size: None (image's own) without local disk, else Diablo's
    ``--minimum_root_size``."""
    if int(driver._field(instance, 'local_gb', 0) or 0) <= 0:
        return None
    return FLAGS.minimum_root_size


def create_image(context, instance, image_service, network_info=None,
                 suffix='', image_ids=None, inject=True, injected_files=None):
    """Build the instance directory's files; returns their paths.

    ``image_ids`` overrides ``image``/``kernel``/``ramdisk`` ids (rescue).
    ``suffix`` (``.rescue``) names the rescue files.  ``injected_files``
    (``(path, bytes)`` pairs) are written into a new root disk; when they
    cannot be, disk.FileInjectionError is raised.
    """
    name = driver.instance_name(instance)
    basepath = config.instance_dir(name)
    os.makedirs(basepath, exist_ok=True)
    console = os.path.join(basepath, 'console.log')
    if not os.path.exists(console):
        with open(console, 'a'):
            pass
        os.chmod(console, 0o660)
    ids = {'image': driver._field(instance, 'image_ref'),
           'kernel': driver._field(instance, 'kernel_id'),
           'ramdisk': driver._field(instance, 'ramdisk_id')}
    ids.update(dict((k, v) for k, v in (image_ids or {}).items() if v))
    made = {}
    for part in ('kernel', 'ramdisk'):
        if not ids[part]:
            continue
        target = os.path.join(basepath, part + suffix)
        base = _fetch_plain(context, image_service, ids[part])
        if part == 'kernel':
            check_kernel(base, ids['kernel'])
        if not os.path.exists(target):
            shutil.copyfile(base, target)
        made[part] = target
    key = driver._field(instance, 'key_data') if inject else None
    net = disk.render_network(network_info) if inject else None
    files = list(injected_files or []) if not suffix else []
    needs_inject = bool(key or net or files)
    target = os.path.join(basepath, 'disk' + suffix)
    if not os.path.exists(target):
        size = None if suffix else root_size(instance)
        base = root_base(context, image_service, ids['image'], size)
        if needs_inject:
            _injected_copy(name, base, target, key, net, files)
        else:
            overlay_or_copy(base, target, FLAGS.use_cow_images)
    made['disk'] = target
    if suffix:
        return made
    local_gb = int(driver._field(instance, 'local_gb', 0) or 0)
    if local_gb > 0:
        made['disk.local'] = _blank(basepath, 'disk.local',
                                    'ephemeral_0_%d_%s' % (
                                        local_gb,
                                        driver._field(instance, 'os_type')),
                                    local_gb * 1024, 'ephemeral0',
                                    driver._field(instance, 'os_type'))
    swap_mb = int(driver._field(instance, 'swap', 0) or 0)
    if swap_mb > 0:
        made['disk.swap'] = _blank(basepath, 'disk.swap', 'swap_%d' % swap_mb,
                                   swap_mb, None, None, swap=True)
    return made


def _injected_copy(name, base, target, key, net, files=None):
    """``target``: a copy of ``base`` with the data injected, in the
    format the domain XML names (qcow2 with --use_cow_images).

    The key and network are skipped with a warning when the disk cannot
    take them (as Diablo); personality ``files`` never are: their
    FileInjectionError is raised and no ``target`` is left behind.
    """
    raw = target + '.raw' if FLAGS.use_cow_images else target
    shutil.copyfile(base, raw)
    try:
        try:
            disk.inject_data(raw, key=key, net=net, files=files)
        except disk.FileInjectionError:
            if os.path.exists(target):
                os.unlink(target)
            raise
        except disk.InjectionError as exc:
            LOG.warning('%s: injection skipped: %s', name, exc)
        if raw != target:
            utils.execute('qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2',
                          raw, target)
    finally:
        if raw != target and os.path.exists(raw):
            os.unlink(raw)


def _blank(basepath, filename, base_name, size_mb, label, os_type,
           swap=False):
    target = os.path.join(basepath, filename)
    if os.path.exists(target):
        return target

    def create(tmp):
        if swap:
            disk.create_swap(tmp, size_mb)
        else:
            disk.create_blank(tmp, size_mb, FLAGS.default_local_format,
                              label=label if not FLAGS.default_local_format
                              else None, os_type=os_type)
    base = cache(base_name, create)
    overlay_or_copy(base, target, FLAGS.use_cow_images)
    return target


def remove_instance_dir(name):
    """Delete ``<instances_path>/<name>`` and everything in it."""
    path = config.instance_dir(name)
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    return not os.path.exists(path)
