"""What the contrib extensions share: request entities and numbers."""

import webob.exc

from nova.api.openstack import common


def entity(body, key):
    """The dict under ``key`` of a request body (422 without it, as
    Diablo answered a body that does not hold the entity)."""
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, dict):
        raise webob.exc.HTTPUnprocessableEntity(
            explanation='Unable to process the contained instructions: '
                        'a "%s" entity is required' % key)
    return value


def to_int(value, name, minimum=None, maximum=None):
    """``value`` as an int within bounds; a 400 naming ``name``
    otherwise."""
    if isinstance(value, bool):
        raise common.bad_request('%s must be an integer' % name)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise common.bad_request('%s must be an integer' % name)
    if (minimum is not None and number < minimum) or \
            (maximum is not None and number > maximum):
        raise common.bad_request('%s is out of range' % name)
    return number


def text(value, name, required=True, maximum=255):
    """A stripped string of at most ``maximum`` characters (400 else)."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise common.bad_request('%s must be a non-empty string' % name)
    value = value.strip()
    if len(value) > maximum:
        raise common.bad_request('%s is longer than %d characters'
                                 % (name, maximum))
    return value


def remote_to_local(exc):
    """The :class:`NovaException` a ``RemoteError`` of an RPC call stands
    for (same class and message), or ``exc`` itself."""
    from nova import exception
    if type(exc).__name__ != 'RemoteError':
        return exc
    cls = getattr(exception, getattr(exc, 'exc_type', '') or '', None)
    if not isinstance(cls, type) or \
            not issubclass(cls, exception.NovaException):
        return exc
    local = cls.__new__(cls)
    exception.NovaException.__init__(
        local, str(getattr(exc, 'value', '') or cls.__name__))
    return local
