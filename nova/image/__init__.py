"""Image services: where machine images, kernels and ramdisks live.

:func:`get_default_image_service` returns an instance of the class named by
``--image_service`` (``nova.image.local.LocalImageService`` by default:
this project has no Glance server).  The interface is
:class:`nova.image.service.BaseImageService`.
"""

from nova import flags
from nova import utils

FLAGS = flags.FLAGS


def get_default_image_service():
    """An instance of the ``--image_service`` class."""
    return utils.import_object(FLAGS.image_service)
