"""The interface every image service implements, and shared helpers.

An image is a dict::

    {'id': 42, 'name': 'ubuntu', 'is_public': True, 'status': 'active',
     'container_format': 'ami', 'disk_format': 'ami', 'size': 1048576,
     'checksum': None, 'location': None,
     'created_at': datetime, 'updated_at': datetime or None,
     'deleted_at': None, 'deleted': False,
     'properties': {'kernel_id': 7, 'ramdisk_id': 8,
                    'image_state': 'available', 'project_id': 'proj',
                    'owner_id': 'proj', 'architecture': 'x86_64',
                    'image_location': 'local'}}

``container_format`` tells the kind of image: ``ami`` (machine), ``aki``
(kernel), ``ari`` (ramdisk) or ``bare``; the EC2 API shows them as
``ami-``/``aki-``/``ari-%08x`` ids.  A user sees public images and those of
its project (``properties.project_id`` or ``owner_id``); an admin sees all.
"""

import copy
import datetime

from nova import utils

# Top-level keys of an image; any other key given is kept in 'properties'.
BASE_KEYS = ('id', 'name', 'is_public', 'status', 'container_format',
             'disk_format', 'size', 'checksum', 'location', 'created_at',
             'updated_at', 'deleted_at', 'deleted', 'min_disk', 'min_ram',
             'owner')
TIME_KEYS = ('created_at', 'updated_at', 'deleted_at')


class BaseImageService(object):
    """What the APIs, compute and nova-manage use to reach images."""

    def index(self, context, filters=None, marker=None, limit=None):
        """Short descriptions (``id``, ``name``) of the visible images."""
        return [{'id': image['id'], 'name': image['name']}
                for image in self.detail(context, filters, marker, limit)]

    def detail(self, context, filters=None, marker=None, limit=None):
        """Every visible image (dicts as in the module docstring).

        ``filters`` maps keys (top-level or property names) to the values
        wanted; ``marker`` is the id after which to start, ``limit`` the
        most to return.
        """
        raise NotImplementedError()

    def show(self, context, image_id):
        """One image; raises ImageNotFound (also when not visible)."""
        raise NotImplementedError()

    def show_by_name(self, context, name):
        """The first visible image named ``name``; raises ImageNotFound."""
        for image in self.detail(context):
            if image.get('name') == name:
                return image
        from nova import exception
        raise exception.ImageNotFound(image_id=name)

    def get(self, context, image_id, data):
        """Write the image's bytes to the file object ``data``.

        Returns the image's metadata.
        """
        raise NotImplementedError()

    def create(self, context, metadata, data=None):
        """Store a new image (``data``: bytes or a readable file object).

        Returns the image with its new integer ``id``.
        """
        raise NotImplementedError()

    def update(self, context, image_id, metadata, data=None,
               purge_props=False):
        """Change an image's metadata and/or data.

        Properties are merged key by key; with ``purge_props`` the given
        ``properties`` replace them all (the others are removed).
        """
        raise NotImplementedError()

    def delete(self, context, image_id):
        """Delete an image; raises ImageNotFound."""
        raise NotImplementedError()


def coerce_id(image_id):
    """An image id as int; None when it cannot be one."""
    try:
        return int(image_id)
    except (TypeError, ValueError):
        return None


def normalize(metadata, base=None, purge_props=False):
    """Merge ``metadata`` into a copy of ``base`` (or a new image).

    Unknown top-level keys move into ``properties``; ``properties`` are
    merged key by key (with ``purge_props``, the given ones replace the
    base's); ``is_public`` becomes a bool.
    """
    image = copy.deepcopy(base) if base else {
        'name': None, 'is_public': False, 'status': 'active',
        'container_format': None, 'disk_format': None, 'size': 0,
        'checksum': None, 'location': None, 'created_at': utils.utcnow(),
        'updated_at': None, 'deleted_at': None, 'deleted': False,
        'properties': {}}
    if purge_props:
        image['properties'] = {}
    properties = image.setdefault('properties', {})
    for key, value in (metadata or {}).items():
        if key == 'properties':
            properties.update(value or {})
        elif key in BASE_KEYS:
            if key != 'id':
                image[key] = value
        else:
            properties[key] = value
    if image.get('is_public') is not None:
        image['is_public'] = utils.bool_from_str(image['is_public'])
    return image


def visible(context, image):
    """Whether the context may see the image."""
    if image.get('deleted'):
        return False
    if context is None or getattr(context, 'is_admin', False):
        return True
    if image.get('is_public'):
        return True
    project = getattr(context, 'project_id', None)
    properties = image.get('properties') or {}
    owners = (properties.get('project_id'), properties.get('owner_id'),
              image.get('owner'))
    return project is not None and project in owners


def matches(image, filters):
    """Whether an image has every ``key: value`` of the filters."""
    for key, wanted in (filters or {}).items():
        if key in image:
            value = image[key]
        else:
            value = (image.get('properties') or {}).get(key)
        if key == 'is_public':
            wanted = utils.bool_from_str(wanted)
        if value != wanted and str(value) != str(wanted):
            return False
    return True


def page(images, marker=None, limit=None):
    """The images after ``marker`` (an id), at most ``limit`` of them."""
    images = sorted(images, key=lambda i: i['id'])
    if marker is not None:
        marker = coerce_id(marker)
        images = [i for i in images if i['id'] > marker]
    if limit is not None:
        images = images[:int(limit)]
    return images


def to_json_safe(image):
    """A copy with datetimes as ISO text (for storing as JSON)."""
    result = copy.deepcopy(image)
    for key in TIME_KEYS:
        if isinstance(result.get(key), datetime.datetime):
            result[key] = result[key].strftime('%Y-%m-%dT%H:%M:%S.%f')
    return result


def from_json_safe(image):
    """The inverse of :func:`to_json_safe`."""
    for key in TIME_KEYS:
        value = image.get(key)
        if isinstance(value, str):
            for fmt in ('%Y-%m-%dT%H:%M:%S.%f', '%Y-%m-%dT%H:%M:%S'):
                try:
                    image[key] = datetime.datetime.strptime(value, fmt)
                    break
                except ValueError:
                    continue
    return image


def read_chunks(data, chunk_size=65536):
    """Yield the bytes of ``data`` (bytes, str or a readable object)."""
    if data is None:
        return
    if isinstance(data, str):
        data = data.encode('utf-8')
    if isinstance(data, (bytes, bytearray)):
        yield bytes(data)
        return
    while True:
        chunk = data.read(chunk_size)
        if not chunk:
            return
        if isinstance(chunk, str):
            chunk = chunk.encode('utf-8')
        yield chunk
