"""RegisterImage of an S3 bundle (``ImageLocation=bucket/x.manifest.xml``).

The manifest is fetched from nova-objectstore with the caller's own EC2
keys (so a bucket of another project is refused there), its signature is
checked against the caller's certificates (those of the credentials zip),
and the image is recorded ``pending`` while :mod:`nova.image.s3` fetches,
verifies, decrypts and untars the bundle in the background.
"""

import logging

from nova import context as nova_context
from nova import db
from nova import exception
from nova.api.ec2 import ec2utils
from nova.image import bundle
from nova.image import s3

LOG = logging.getLogger('nova.api.ec2.cloud.bundles')


def s3_service(image_service):
    """The S3 image service over ``image_service``."""
    if isinstance(image_service, s3.S3ImageService):
        return image_service
    return s3.S3ImageService(image_service)


def user_credentials(context):
    """``(access, secret)`` of the caller in its project."""
    from nova.auth import manager
    auth = manager.AuthManager()
    user = auth.get_user(context.user_id)
    if user is None:
        raise exception.NotAuthorized()
    return auth.get_access_key(user, context.project_id), user.secret


def user_certificates(context):
    """The PEM certificates issued to the caller."""
    pems = []
    admin = nova_context.get_admin_context()
    for cert in db.certificate_get_all_by_user(admin, context.user_id):
        try:
            with open(cert['file_name'], encoding='ascii') as source:
                pems.append(source.read())
        except (OSError, KeyError, TypeError):
            continue
    return pems


def register_bundle(image_service, context, location, properties):
    """Register the bundle at ``location``; returns the new image."""
    service = s3_service(image_service)
    try:
        return service.register_manifest(
            context, location, credentials=user_credentials(context),
            user_certs=user_certificates(context), properties=properties)
    except bundle.InvalidManifest as exc:
        raise ec2ec2(exc, 'InvalidManifest')
    except exception.NotAuthorized as exc:
        raise ec2ec2(exc, 'AuthFailure')
    except exception.NotFound as exc:
        raise ec2ec2(exc, 'InvalidManifest')


def ec2ec2(exc, code):
    """An EC2 error with ``code`` and the exception's message."""
    message = getattr(exc, 'msg', None) or str(exc)
    return ec2utils.EC2APIError(message, ec2_code=code)
