"""``/images/{image_id}/metadata[/{key}]`` (v1.1): an image's properties.

The metadata of an image is its ``properties`` in the image service
(``kernel_id``, ``architecture``, whatever a user set …), read and written
through ``nova.image`` as Diablo did.  The number of items is bounded by
the project's ``metadata_items`` quota (``--quota_metadata_items``): more
is a 413 ``overLimit`` ("Image metadata limit exceeded").

Reading is open to whoever may see the image.  Writing is for the image's
project (or an administrator): another project's public image is a 403, not
a silent change of someone else's image.  The properties the image service
decides visibility by (``owner_id``, ``project_id``) can be read but not
set or removed here (403).
"""

import webob
import webob.exc

from nova import exception
from nova import quota
from nova.api.openstack import common
from nova.api.openstack import faults

#: properties that say whose the image is; not for this API to change.
PROTECTED = ('owner_id', 'project_id')


def _items(value):
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, (str, int, float))
            for k, v in value.items()):
        raise common.bad_request('Malformed request body')
    return dict((k, str(v)) for k, v in value.items())


class Controller(object):
    """Image metadata through the image service ``--image_service``."""

    def __init__(self, image_service=None):
        self._image_service = image_service

    @property
    def image_service(self):
        """The image service (the compute API's)."""
        if self._image_service is None:
            from nova import image
            self._image_service = image.get_default_image_service()
        return self._image_service

    # -- helpers ---------------------------------------------------------------
    def _image(self, req, image_id):
        try:
            return self.image_service.show(common.context_of(req), image_id)
        except (exception.NotFound, ValueError, TypeError):
            raise common.not_found('Image not found.')

    @staticmethod
    def _metadata(image):
        return dict(image.get('properties') or {})

    def _writable(self, req, image_id):
        ctxt = common.context_of(req)
        image = self._image(req, image_id)
        props = self._metadata(image)
        owner = props.get('owner_id') or props.get('project_id') or \
            image.get('owner')
        if owner != ctxt.project_id and not ctxt.is_admin:
            raise webob.exc.HTTPForbidden(
                explanation='Not authorized to change the metadata of image '
                            '%s.' % image_id)
        return image, props

    def _save(self, req, image, old, new):
        for key in PROTECTED:
            if old.get(key) != new.get(key):
                raise webob.exc.HTTPForbidden(
                    explanation='Image metadata item %s cannot be changed.'
                    % key)
        ctxt = common.context_of(req)
        if quota.allowed_metadata_items(ctxt, len(new)) < len(new):
            raise faults.too_large('Image metadata limit exceeded',
                                   retry_after=0)
        try:
            self.image_service.update(ctxt, image['id'],
                                      {'properties': new}, None,
                                      purge_props=True)
        except exception.NotFound:
            raise common.not_found('Image not found.')
        return new

    @staticmethod
    def _shown(metadata):
        return dict((k, v if isinstance(v, str) or v is None else str(v))
                    for k, v in metadata.items())

    # -- the API -----------------------------------------------------------------
    def index(self, req, image_id, **_args):
        """``{"metadata": {...}}``."""
        image = self._image(req, image_id)
        return {'metadata': self._shown(self._metadata(image))}

    def show(self, req, image_id, id, **_args):
        """``{"meta": {key: value}}``; 404 for a missing key."""
        metadata = self._metadata(self._image(req, image_id))
        if id not in metadata:
            raise common.not_found('Metadata item was not found')
        return {'meta': self._shown({id: metadata[id]})}

    def create(self, req, image_id, body=None, **_args):
        """Merge the body's ``metadata`` in; the whole metadata back."""
        if not isinstance(body, dict) or 'metadata' not in body:
            raise common.bad_request('Malformed request body')
        items = _items(body['metadata'])
        image, old = self._writable(req, image_id)
        new = dict(old, **items)
        return {'metadata': self._shown(self._save(req, image, old, new))}

    def update_all(self, req, image_id, body=None, **_args):
        """Replace every item (the protected ones stay as they are)."""
        if not isinstance(body, dict) or 'metadata' not in body:
            raise common.bad_request('Malformed request body')
        items = _items(body['metadata'])
        image, old = self._writable(req, image_id)
        new = dict((k, old[k]) for k in PROTECTED if k in old)
        new.update(items)
        saved = self._save(req, image, old, new)
        return {'metadata': self._shown(saved)}

    def update(self, req, image_id, id, body=None, **_args):
        """Set one item; the body must name exactly the URI's key."""
        if not isinstance(body, dict) or 'meta' not in body:
            raise common.bad_request('Incorrect request body format')
        items = _items(body['meta'])
        if id not in items:
            raise common.bad_request('Request body and URI mismatch')
        if len(items) > 1:
            raise common.bad_request('Request body contains too many items')
        image, old = self._writable(req, image_id)
        self._save(req, image, old, dict(old, **items))
        return {'meta': items}

    def delete(self, req, image_id, id, **_args):
        """Remove one item: 204; 404 for a missing key."""
        image, old = self._writable(req, image_id)
        if id not in old:
            raise common.not_found('Metadata item was not found')
        new = dict(old)
        del new[id]
        self._save(req, image, old, new)
        return webob.Response(status=204)
