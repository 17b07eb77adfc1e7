"""An image service keeping images on the local disk (the default).

This project runs without a Glance server, so images live under
``--images_path`` (``$state_path/images``), one directory per image::

    images/
        1/info.json     metadata (JSON)
        1/image         the bytes
        2/...

Ids are integers handed out by creating the directory (``mkdir`` either
creates it or fails, so two processes — nova-api and nova-manage — never
get the same id), and are never reused: a deleted image keeps a tombstone
``info.json``.  Files are written to a temporary name and renamed into
place, so a reader never sees half a file; updates of metadata take an
``flock`` on ``images/.lock`` so that concurrent writers do not lose each
other's changes.
"""

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import tempfile
import threading

from nova import exception
from nova import flags
from nova import utils
from nova.image import service

LOG = logging.getLogger('nova.image.local')
FLAGS = flags.FLAGS

flags.DEFINE_string('images_path', '$state_path/images',
                    'where the local image service keeps images')

INFO_FILE = 'info.json'
DATA_FILE = 'image'
LOCK_FILE = '.lock'

_thread_lock = threading.Lock()


class LocalImageService(service.BaseImageService):
    """Images as files under ``--images_path``."""

    def __init__(self, path=None):
        self._path = path

    @property
    def path(self):
        """The directory holding the images (created on first use)."""
        path = self._path or FLAGS.images_path
        utils.ensure_tree(path)
        return path

    # -- files ---------------------------------------------------------------
    def _dir(self, image_id):
        return os.path.join(self.path, str(image_id))

    @contextlib.contextmanager
    def _locked(self):
        with _thread_lock:
            with open(os.path.join(self.path, LOCK_FILE), 'a') as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    @staticmethod
    def _write_atomic(path, chunks):
        directory = os.path.dirname(path)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix='.tmp-')
        size = 0
        digest = hashlib.md5(usedforsecurity=False)
        try:
            os.fchmod(fd, 0o644)
            with os.fdopen(fd, 'wb') as out:
                for chunk in chunks:
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return size, digest.hexdigest()

    def _write_info(self, image):
        text = json.dumps(service.to_json_safe(image), sort_keys=True,
                          indent=1)
        self._write_atomic(os.path.join(self._dir(image['id']), INFO_FILE),
                           [text.encode('utf-8')])

    def _read_info(self, image_id):
        image_id = service.coerce_id(image_id)
        if image_id is None:
            return None
        try:
            with open(os.path.join(self._dir(image_id), INFO_FILE),
                      encoding='utf-8') as info:
                image = json.load(info)
        except (OSError, ValueError):
            return None
        image['id'] = image_id
        return service.from_json_safe(image)

    def _ids(self):
        ids = []
        for name in os.listdir(self.path):
            if name.isdigit():
                ids.append(int(name))
        return sorted(ids)

    def _new_id(self):
        """Claim the next id by creating its directory."""
        next_id = (self._ids() or [0])[-1] + 1
        while True:
            try:
                os.mkdir(self._dir(next_id))
                return next_id
            except FileExistsError:
                next_id += 1

    def _get_visible(self, context, image_id):
        image = self._read_info(image_id)
        if image is None or not service.visible(context, image):
            raise exception.ImageNotFound(image_id=image_id)
        return image

    # -- the interface -------------------------------------------------------------
    def detail(self, context, filters=None, marker=None, limit=None):
        """Every visible image matching ``filters``, by id."""
        images = []
        for image_id in self._ids():
            image = self._read_info(image_id)
            if image is None or not service.visible(context, image):
                continue
            if service.matches(image, filters):
                images.append(image)
        return service.page(images, marker, limit)

    def show(self, context, image_id):
        """One visible image; raises ImageNotFound."""
        return self._get_visible(context, image_id)

    def get(self, context, image_id, data):
        """Copy the image's bytes into ``data``; returns its metadata."""
        image = self._get_visible(context, image_id)
        path = os.path.join(self._dir(image['id']), DATA_FILE)
        if os.path.exists(path):
            with open(path, 'rb') as source:
                for chunk in service.read_chunks(source):
                    data.write(chunk)
        return image

    def create(self, context, metadata, data=None):
        """Store a new image under a fresh id; returns it."""
        image = service.normalize(metadata)
        if context is not None and not image['properties'].get('owner_id') \
                and getattr(context, 'project_id', None) \
                and not getattr(context, 'is_admin', False):
            image['properties']['owner_id'] = context.project_id
        image['id'] = self._new_id()
        try:
            if data is not None:
                image['size'], image['checksum'] = self._write_atomic(
                    os.path.join(self._dir(image['id']), DATA_FILE),
                    service.read_chunks(data))
            self._write_info(image)
        except BaseException:
            LOG.exception('could not store image %s', image['id'])
            image['deleted'] = True
            with contextlib.suppress(OSError):
                self._write_info(image)
            raise
        LOG.debug('created image %s (%s)', image['id'], image.get('name'))
        return image

    def update(self, context, image_id, metadata, data=None,
               purge_props=False):
        """Merge ``metadata`` into the image, replace its data if given
        (``purge_props``: the given properties replace the old ones)."""
        with self._locked():
            image = self._get_visible(context, image_id)
            image = service.normalize(metadata, base=image,
                                      purge_props=purge_props)
            if data is not None:
                image['size'], image['checksum'] = self._write_atomic(
                    os.path.join(self._dir(image['id']), DATA_FILE),
                    service.read_chunks(data))
            image['updated_at'] = utils.utcnow()
            self._write_info(image)
            return image

    def delete(self, context, image_id):
        """Delete the image's data and leave a tombstone."""
        with self._locked():
            image = self._get_visible(context, image_id)
            image.update(deleted=True, deleted_at=utils.utcnow(),
                         status='deleted')
            self._write_info(image)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(self._dir(image['id']), DATA_FILE))

    def delete_all(self):
        """Delete every image (tests)."""
        for image_id in self._ids():
            with contextlib.suppress(exception.ImageNotFound):
                self.delete(None, image_id)
