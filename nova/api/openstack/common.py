"""What the OpenStack API controllers share: context, paging, links, ids."""

import webob.exc

from nova import flags

FLAGS = flags.FLAGS


def context_of(req):
    """The request context the auth filter set."""
    return req.environ['nova.context']


def bad_request(message):
    """A 400 ``badRequest`` error."""
    return webob.exc.HTTPBadRequest(explanation=message)


def not_found(message='The resource could not be found.'):
    """A 404 ``itemNotFound`` error."""
    return webob.exc.HTTPNotFound(explanation=message)


def int_param(req, name, default=None, minimum=0):
    """Query parameter ``name`` as an int >= ``minimum`` (400 otherwise)."""
    value = req.GET.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise bad_request('%s param must be an integer' % name)
    if number < minimum:
        raise bad_request('%s param must be positive' % name)
    return number


def limited_by_marker(req, items, key='id'):
    """A v1.1 page of ``items``: after ``marker``, up to ``limit``.

    The cap is ``--osapi_max_limit``; an unknown marker is a 400.
    """
    limit = int_param(req, 'limit', FLAGS.osapi_max_limit)
    limit = min(limit, FLAGS.osapi_max_limit)
    marker = req.GET.get('marker')
    start = 0
    if marker is not None:
        for index, item in enumerate(items):
            if str(item[key]) == marker:
                start = index + 1
                break
        else:
            raise bad_request('marker [%s] not found' % marker)
    return items[start:start + limit]


def limited(req, items):
    """A v1.0 page of ``items``: ``offset`` and ``limit``."""
    offset = int_param(req, 'offset', 0)
    limit = int_param(req, 'limit', FLAGS.osapi_max_limit)
    limit = min(limit, FLAGS.osapi_max_limit)
    return items[offset:offset + limit]


def page(req, version, items, key='id'):
    """The page of ``items`` the version's paging parameters ask for."""
    if version == '1.0':
        return limited(req, items)
    return limited_by_marker(req, items, key)


def project_url(req):
    """``<app url>`` (v1.0) or ``<app url>/<project>`` (v1.1)."""
    url = req.application_url.rstrip('/')
    project = context_of(req).project_id
    if req.environ.get('SCRIPT_NAME', '').rstrip('/').endswith('/v1.0'):
        return url
    return '%s/%s' % (url, project)


def bookmark_url(req):
    """:func:`project_url` without the version mount."""
    url = project_url(req)
    script = req.script_name.rstrip('/')
    host = req.host_url.rstrip('/')
    prefix = host + script
    base = host + script.rsplit('/', 1)[0]
    return base + url[len(prefix):]


def links(req, collection, item_id):
    """``self`` and ``bookmark`` links of an item."""
    return [
        {'rel': 'self', 'href': '%s/%s/%s' % (project_url(req), collection,
                                               item_id)},
        {'rel': 'bookmark', 'href': '%s/%s/%s' % (bookmark_url(req),
                                                   collection, item_id)},
    ]


def id_from_ref(ref):
    """The id at the end of an href, or the ref itself."""
    ref = str(ref).rstrip('/')
    return ref.rsplit('/', 1)[-1]


def isotime(value):
    """``%Y-%m-%dT%H:%M:%SZ`` of a datetime (None stays None)."""
    if value is None:
        return None
    return value.strftime('%Y-%m-%dT%H:%M:%SZ')
