"""Image views (status mapping and the v1.0/v1.1 entities)."""

from nova.api.openstack import common

_STATUS = {'active': 'ACTIVE', 'queued': 'SAVING', 'saving': 'SAVING',
           'deleted': 'DELETED', 'pending_delete': 'DELETED',
           'killed': 'ERROR'}
#: EC2-side image states (``properties.image_state``) of this cloud.
_STATE = {'available': 'ACTIVE', 'pending': 'SAVING', 'failed': 'ERROR',
          'decrypting': 'SAVING', 'untarring': 'SAVING',
          'uploading': 'SAVING'}


def status_of(image):
    """Diablo's API status of an image-service image."""
    state = (image.get('properties') or {}).get('image_state')
    if state in _STATE:
        return _STATE[state]
    return _STATUS.get(image.get('status'), 'UNKNOWN')


def _id(version, image):
    if version == '1.0':
        try:
            return int(image['id'])
        except (TypeError, ValueError):
            return image['id']
    return str(image['id'])


def basic(req, version, image):
    """``{id, name[, links]}``."""
    data = {'id': _id(version, image), 'name': image.get('name')}
    if version != '1.0':
        data['links'] = common.links(req, 'images', image['id'])
    return data


def detail(req, version, image):
    """The basic view with status, progress, dates (and v1.1 metadata)."""
    data = basic(req, version, image)
    status = status_of(image)
    data.update({'status': status,
                 'progress': 100 if status == 'ACTIVE' else 0,
                 'created': _time(image.get('created_at')),
                 'updated': _time(image.get('updated_at') or
                                  image.get('created_at'))})
    if version != '1.0':
        data['metadata'] = dict(
            (str(k), '' if v is None else str(v))
            for k, v in (image.get('properties') or {}).items())
    return data


def _time(value):
    if value is None or isinstance(value, str):
        return value
    return common.isotime(value)
