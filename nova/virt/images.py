"""Fetch images from the image service into raw files for the hypervisor.

:func:`fetch_to_raw` downloads an image to ``<path>.part``, asks
``qemu-img info`` what it is and leaves a **raw** file at ``path``
(converting qcow2 and the like), as Diablo's ``images.fetch_to_raw`` did.
"""

import json
import logging
import os

from nova import exception
from nova import utils
from nova.virt import exceptions

LOG = logging.getLogger('nova.virt.images')


def qemu_img_info(path):
    """``qemu-img info`` of ``path`` as a dict (format, virtual-size...).

    ``-U`` (force-share): the disk of a running guest is locked by QEMU,
    and its metadata is still read (live and block migration need it).
    """
    out, _err = utils.execute('env', 'LC_ALL=C', 'LANG=C', 'qemu-img',
                              'info', '-U', '--output=json', path)
    return json.loads(out)


def virtual_size(path):
    """The size (bytes) a guest sees of the disk image at ``path``."""
    return int(qemu_img_info(path)['virtual-size'])


def fetch(context, image_service, image_id, path):
    """Download image ``image_id`` to ``path``; returns its metadata."""
    tmp = path + '.download'
    try:
        with open(tmp, 'wb') as data:
            meta = image_service.get(context, image_id, data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return meta


def fetch_to_raw(context, image_service, image_id, path):
    """Download image ``image_id`` and leave it as a raw file at ``path``.

    Raises ImageUnacceptable for an empty file, a file ``qemu-img`` cannot
    read, or an image with a backing file.
    """
    part = path + '.part'
    try:
        fetch(context, image_service, image_id, part)
        if os.path.getsize(part) == 0:
            raise exceptions.ImageUnacceptable(image_id=image_id,
                                               reason='it is empty')
        try:
            info = qemu_img_info(part)
        except (exception.ProcessExecutionError, ValueError) as exc:
            raise exceptions.ImageUnacceptable(
                image_id=image_id, reason='qemu-img cannot read it (%s)'
                % str(exc).strip()[:200])
        fmt = info.get('format')
        if not fmt:
            raise exceptions.ImageUnacceptable(
                image_id=image_id, reason='its format is unknown')
        if info.get('backing-filename'):
            raise exceptions.ImageUnacceptable(
                image_id=image_id,
                reason='it has a backing file (%s)'
                % info['backing-filename'])
        if fmt == 'raw':
            os.replace(part, path)
        else:
            converted = path + '.converted'
            LOG.info('Converting image %s from %s to raw', image_id, fmt)
            utils.execute('qemu-img', 'convert', '-O', 'raw', part,
                          converted)
            os.replace(converted, path)
    finally:
        for leftover in (part, path + '.converted'):
            if os.path.exists(leftover):
                os.unlink(leftover)
