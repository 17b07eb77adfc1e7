"""``nova-manage image convert DIRECTORY``: import an old objectstore
image directory, as Diablo did.

Bexar-era nova-objectstore kept each image as ``<dir>/<id>/image`` with
``<dir>/<id>/info.json`` (``type`` machine/kernel/ramdisk, ``isPublic``,
``imageId``, ``imageState``, ``imageOwnerId``, ``architecture``,
``imageLocation``, ``kernelId``, ``ramdiskId``).  Kernels and ramdisks are
registered first, each named by its old id so that machine images can
find theirs; a machine image without a kernel becomes ``bare``/``raw``.
"""

import glob
import json
import os

from nova import exception
from nova.manage.base import CommandError, admin_context

_FORMATS = {'machine': 'ami', 'kernel': 'aki', 'ramdisk': 'ari'}


def load(directory):
    """``(others, machines)``: lists of ``(image_path, info)``."""
    if not os.path.isdir(directory):
        raise CommandError('directory %s does not exist' % directory)
    others, machines = [], []
    for info_path in sorted(glob.glob(os.path.join(
            os.path.abspath(directory), '*', 'info.json'))):
        image_path = os.path.join(os.path.dirname(info_path), 'image')
        try:
            with open(info_path, encoding='utf-8') as source:
                info = json.load(source)
            kind = info['type']
            info['imageId']
            if kind not in _FORMATS or not os.path.isfile(image_path):
                raise ValueError(kind)
        except (OSError, ValueError, KeyError, TypeError):
            print('Failed to load %s.' % info_path)
            continue
        (machines if kind == 'machine' else others).append(
            (image_path, info))
    return others, machines


def _lookup(service, old_id):
    """The new id of an image converted (or registered) before."""
    ctxt = admin_context()
    try:
        return service.show_by_name(ctxt, old_id)['id']
    except exception.ImageNotFound:
        prefix, _sep, rest = str(old_id).partition('-')
        try:
            return service.show(ctxt, int(rest, 16))['id']
        except (ValueError, exception.ImageNotFound):
            raise CommandError('image %s (needed by a machine image) was '
                               'not converted' % old_id)


def convert(commands, directory):
    """Register every image of ``directory`` with ``commands``' service."""
    others, machines = load(directory)
    for image_path, info in others + machines:
        kind = info['type']
        container = disk = _FORMATS[kind]
        kernel = ramdisk = None
        if kind == 'machine':
            if info.get('kernelId'):
                kernel = _lookup(commands.image_service, info['kernelId'])
                if info.get('ramdiskId'):
                    ramdisk = _lookup(commands.image_service,
                                      info['ramdiskId'])
            else:
                container, disk = 'bare', 'raw'
        commands._register(
            container, disk, image_path, info.get('imageOwnerId') or 'admin',
            name=info['imageId'],
            is_public='T' if info.get('isPublic') else 'F',
            architecture=info.get('architecture') or 'x86_64',
            kernel_id=kernel, ramdisk_id=ramdisk,
            location=info.get('imageLocation') or 'local',
            state=info.get('imageState') or 'available')
