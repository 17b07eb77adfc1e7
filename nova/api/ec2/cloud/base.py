"""What every part of the cloud controller shares: the service clients."""

from nova import flags

FLAGS = flags.FLAGS


class ControllerBase(object):
    """Lazily built clients of compute, network and the image service."""

    def __init__(self, compute_api=None, image_service=None):
        self._compute_api = compute_api
        self._image_service = image_service

    @property
    def compute_api(self):
        """``nova.compute.api.API`` (talks RPC to the services)."""
        if self._compute_api is None:
            from nova.compute import api as compute
            self._compute_api = compute.API()
        return self._compute_api

    @property
    def image_service(self):
        """The image service named by ``--image_service``."""
        if self._image_service is None:
            from nova import image
            self._image_service = image.get_default_image_service()
        return self._image_service
