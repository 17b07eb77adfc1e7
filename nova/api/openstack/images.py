"""``/images``: list, detail, show and delete of the visible images.

``POST /images`` is a 405 in v1.1 (snapshots are the servers'
``createImage`` action).  Deleting an image the project does not own is a
403.
"""

import webob
import webob.exc

from nova import exception
from nova.api.openstack import common
from nova.api.openstack.views import images as views


class Controller(object):
    """Images through the image service named by ``--image_service``."""

    def __init__(self, version, image_service=None):
        self.version = version
        self._image_service = image_service

    @property
    def image_service(self):
        """The image service (the compute API's)."""
        if self._image_service is None:
            from nova import image
            self._image_service = image.get_default_image_service()
        return self._image_service

    def _filters(self, req):
        filters = {}
        for key in ('name', 'status'):
            if req.GET.get(key) is not None:
                filters[key] = req.GET[key]
        return filters

    def _items(self, req):
        ctxt = common.context_of(req)
        status = req.GET.get('status')
        filters = self._filters(req)
        filters.pop('status', None)
        images = self.image_service.detail(ctxt, filters=filters or None)
        if status is not None:
            images = [i for i in images
                      if views.status_of(i) == status.upper()]
        images = sorted(images, key=lambda i: int(i['id']))
        return common.page(req, self.version, images)

    def index(self, req, **_args):
        """``{"images": [basic…]}``."""
        return {'images': [views.basic(req, self.version, i)
                           for i in self._items(req)]}

    def detail(self, req, **_args):
        """``{"images": [detail…]}``."""
        return {'images': [views.detail(req, self.version, i)
                           for i in self._items(req)]}

    def _get(self, req, image_id):
        try:
            return self.image_service.show(common.context_of(req), image_id)
        except (exception.NotFound, ValueError, TypeError):
            raise common.not_found('Image not found.')

    def show(self, req, id, **_args):
        """``{"image": detail}``; 404 'Image not found.'."""
        return {'image': views.detail(req, self.version,
                                      self._get(req, id))}

    def delete(self, req, id, **_args):
        """Delete an image of the project: 204."""
        ctxt = common.context_of(req)
        image = self._get(req, id)
        props = image.get('properties') or {}
        owner = props.get('owner_id') or props.get('project_id') or \
            image.get('owner')
        if owner != ctxt.project_id and not ctxt.is_admin:
            raise webob.exc.HTTPForbidden(
                explanation='Not authorized to delete image %s.' % id)
        self.image_service.delete(ctxt, image['id'])
        return webob.Response(status=204)

    def create(self, req, **_args):
        """v1.1: 405 (use the createImage server action)."""
        raise webob.exc.HTTPMethodNotAllowed(
            explanation='Use the createImage server action.')
