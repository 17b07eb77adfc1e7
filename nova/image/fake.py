"""An in-memory image service for tests.

All instances share one store (as Diablo's fake did), holding three
images to start with: a kernel (id 1, ``aki``), a ramdisk (id 2, ``ari``)
and a public machine image (id 3, ``ami``) booting with them.
:func:`reset` brings the store back to that state.
"""

import copy
import threading

from nova import exception
from nova import utils
from nova.image import service

_lock = threading.Lock()
_images = {}
_next_id = [1]


def _defaults():
    common = {'is_public': True, 'status': 'active', 'size': 0,
              'properties': {'image_state': 'available',
                             'project_id': 'fake', 'owner_id': 'fake',
                             'architecture': 'x86_64',
                             'image_location': 'local'}}
    kernel = dict(common, name='fake-kernel', container_format='aki',
                  disk_format='aki')
    ramdisk = dict(common, name='fake-ramdisk', container_format='ari',
                   disk_format='ari')
    machine = dict(common, name='fake-machine', container_format='ami',
                   disk_format='ami')
    machine['properties'] = dict(common['properties'], kernel_id=1,
                                 ramdisk_id=2)
    return [kernel, ramdisk, machine]


def reset():
    """Forget every image and restore the three default ones."""
    with _lock:
        _images.clear()
        _next_id[0] = 1
    fake = FakeImageService()
    for metadata in _defaults():
        fake.create(None, metadata, data=b'')


class FakeImageService(service.BaseImageService):
    """Images in a dict shared by every instance."""

    def detail(self, context, filters=None, marker=None, limit=None):
        """Every visible image matching ``filters``, by id."""
        with _lock:
            images = [copy.deepcopy(i) for i in _images.values()
                      if service.visible(context, i[0])]
        return service.page([i for i, _data in images
                             if service.matches(i, filters)], marker, limit)

    def _entry(self, context, image_id):
        entry = _images.get(service.coerce_id(image_id))
        if entry is None or not service.visible(context, entry[0]):
            raise exception.ImageNotFound(image_id=image_id)
        return entry

    def show(self, context, image_id):
        """One visible image; raises ImageNotFound."""
        with _lock:
            return copy.deepcopy(self._entry(context, image_id)[0])

    def get(self, context, image_id, data):
        """Copy the image's bytes into ``data``; returns its metadata."""
        with _lock:
            image, payload = copy.deepcopy(self._entry(context, image_id))
        data.write(payload)
        return image

    def create(self, context, metadata, data=None):
        """Store a new image; returns it with its id."""
        image = service.normalize(metadata)
        payload = b''.join(service.read_chunks(data))
        if data is not None:
            image['size'] = len(payload)
        with _lock:
            requested = service.coerce_id((metadata or {}).get('id'))
            if requested is not None and requested in _images:
                raise exception.Duplicate()
            image['id'] = requested or _next_id[0]
            _next_id[0] = max(_next_id[0], image['id']) + 1
            _images[image['id']] = (image, payload)
            return copy.deepcopy(image)

    def update(self, context, image_id, metadata, data=None,
               purge_props=False):
        """Merge ``metadata`` into the image, replace its data if given
        (``purge_props``: the given properties replace the old ones)."""
        with _lock:
            image, payload = self._entry(context, image_id)
            image = service.normalize(metadata, base=image,
                                      purge_props=purge_props)
            if data is not None:
                payload = b''.join(service.read_chunks(data))
                image['size'] = len(payload)
            image['updated_at'] = utils.utcnow()
            _images[image['id']] = (image, payload)
            return copy.deepcopy(image)

    def delete(self, context, image_id):
        """Forget an image; raises ImageNotFound."""
        with _lock:
            image, _payload = self._entry(context, image_id)
            del _images[image['id']]


reset()
