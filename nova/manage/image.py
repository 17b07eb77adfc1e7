"""``nova-manage image``: register image files with the image service.

``image_register``, ``kernel_register``, ``ramdisk_register`` and
``all_register`` upload files to the service named by ``--image_service``
with Diablo's metadata (``image_state=available``, ``project_id=OWNER``,
``image_location=local``, ``architecture``), so that DescribeImages shows
them as ``ami-``/``aki-``/``ari-`` ids ready to launch.
"""

import os

from nova import exception
from nova import image
from nova import utils
from nova.manage.base import CommandError, admin_context, args


def _image_id(value, name):
    """An image id from ``7``, ``0000000a`` style or ``aki-0000000a``."""
    if value in (None, ''):
        return None
    text = str(value).strip()
    prefix, sep, rest = text.partition('-')
    try:
        if sep and prefix.lower() in ('ami', 'aki', 'ari'):
            return int(rest, 16)
        return int(text)
    except ValueError:
        raise CommandError('%s %r is not an image id' % (name, value))


_FILE_OPTIONS = (
    (('--path',), dict(dest='path', metavar='<path>', help='Image path')),
    (('--owner',), dict(dest='owner', metavar='<owner>',
                        help='Image owner')),
    (('--name',), dict(dest='name', metavar='<name>', help='Image name')),
    (('--public',), dict(dest='is_public', metavar="<'T'|'F'>",
                         help='Image public or not')),
    (('--arch',), dict(dest='architecture', metavar='<arch>',
                       help='Architecture')),
)


def _file_options(func):
    """The --path/--owner/--name/--public/--arch options of the register
    actions (applied last-first so that help lists them in this order)."""
    for names, kwargs in reversed(_FILE_OPTIONS):
        func = args(*names, **kwargs)(func)
    return func


class ImageCommands(object):
    """Register images, kernels and ramdisks with the image service."""

    def __init__(self):
        self.image_service = image.get_default_image_service()

    def _check_path(self, path, what='image'):
        if not path or not os.path.isfile(path):
            raise CommandError('%s file %s does not exist' % (what, path))

    def _register(self, container_format, disk_format, path, owner,
                  name=None, is_public='T', architecture='x86_64',
                  kernel_id=None, ramdisk_id=None, location='local',
                  state='available'):
        self._check_path(path)
        if not owner:
            raise CommandError('an owner (project) is required')
        ctxt = admin_context()
        properties = {'image_state': state, 'project_id': owner,
                      'owner_id': owner, 'architecture': architecture,
                      'image_location': location}
        for key, value in (('kernel_id', kernel_id),
                           ('ramdisk_id', ramdisk_id)):
            image_id = _image_id(value, key)
            if image_id is None:
                continue
            try:
                self.image_service.show(ctxt, image_id)
            except exception.ImageNotFound:
                raise CommandError('%s %s is not a registered image'
                                   % (key, value))
            properties[key] = image_id
        metadata = {'name': name or os.path.basename(path),
                    'is_public': utils.bool_from_str(is_public),
                    'container_format': container_format,
                    'disk_format': disk_format, 'status': 'active',
                    'properties': properties}
        try:
            with open(path, 'rb') as data:
                new = self.image_service.create(ctxt, metadata, data)
        except OSError as exc:
            raise CommandError('Failed to register %s: %s' % (path, exc))
        print('Image registered to %(id)s (%(id)08x).' % {'id': new['id']})
        return new['id']

    @_file_options
    @args('--cont_format', dest='container_format',
          metavar='<container format>',
          help='Container format(default bare)')
    @args('--disk_format', dest='disk_format', metavar='<disk format>',
          help='Disk format(default: raw)')
    @args('--kernel', dest='kernel_id', metavar='<kernel>', help='Kernel')
    @args('--ram', dest='ramdisk_id', metavar='<ramdisk>', help='RAM disk')
    def image_register(self, path, owner, name=None, is_public='T',
                       architecture='x86_64', container_format='bare',
                       disk_format='raw', kernel_id=None, ramdisk_id=None):
        """Register a machine image file."""
        self._register(container_format, disk_format, path, owner, name,
                       is_public, architecture, kernel_id, ramdisk_id)

    @_file_options
    def kernel_register(self, path, owner, name=None, is_public='T',
                        architecture='x86_64'):
        """Register a kernel file (aki)."""
        self._register('aki', 'aki', path, owner, name, is_public,
                       architecture)

    @_file_options
    def ramdisk_register(self, path, owner, name=None, is_public='T',
                         architecture='x86_64'):
        """Register a ramdisk file (ari)."""
        self._register('ari', 'ari', path, owner, name, is_public,
                       architecture)

    @args('--image', dest='image', metavar='<image>', help='Image')
    @args('--kernel', dest='kernel', metavar='<kernel>', help='Kernel')
    @args('--ram', dest='ramdisk', metavar='<ramdisk>', help='RAM disk')
    @args('--owner', dest='owner', metavar='<owner>', help='Image owner')
    @args('--name', dest='name', metavar='<name>', help='Image name')
    @args('--public', dest='is_public', metavar="<'T'|'F'>",
          help='Image public or not')
    @args('--arch', dest='architecture', metavar='<arch>',
          help='Architecture')
    def all_register(self, image, kernel, ramdisk, owner, name=None,
                     is_public='T', architecture='x86_64'):
        """Register a kernel, a ramdisk and a machine image booting them."""
        self._check_path(image)
        self._check_path(kernel, 'kernel')
        self._check_path(ramdisk, 'ramdisk')
        kernel_id = self._register('aki', 'aki', kernel, owner, None,
                                   is_public, architecture)
        ramdisk_id = self._register('ari', 'ari', ramdisk, owner, None,
                                    is_public, architecture)
        self._register('ami', 'ami', image, owner, name, is_public,
                       architecture, kernel_id, ramdisk_id)

    @args('--dir', dest='directory', metavar='<path>',
          help='Images directory')
    def convert(self, directory):
        """Uploads old objectstore images in directory to new service."""
        from nova.manage import image_convert
        image_convert.convert(self, directory)
