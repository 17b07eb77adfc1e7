"""Helpers of the extension tests: the ``osapi`` paste app (noauth on
loopback, no rate limits) over a fresh SQLite database, and requests."""

import json
import os

import webob

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))))


def load_osapi(set_flags):
    """The whole ``osapi`` composite app (needs the ``sqlite_db``)."""
    import nova.api.openstack.limits  # noqa: F401 - osapi_rate_limits
    import nova.service  # noqa: F401 - osapi_listen
    from nova import wsgi as nova_wsgi
    set_flags(osapi_listen='127.0.0.1', osapi_rate_limits='none')
    return nova_wsgi.Loader(os.path.join(
        REPO, 'etc', 'nova', 'api-paste.ini')).load_app('osapi')


def call(app, path, method='GET', body=None, user='alice', project='proj',
         xml=False, headers=None):
    """``path`` under ``/v1.1/<project>`` as ``user`` (noauth token)."""
    heads = {'X-Auth-Token': '%s:%s' % (user, project)}
    if xml:
        heads['Accept'] = 'application/xml'
    heads.update(headers or {})
    req = webob.Request.blank('/v1.1/%s%s' % (project, path), method=method,
                              headers=heads)
    if body is not None:
        if isinstance(body, (dict, list)):
            req.body = json.dumps(body).encode()
            req.content_type = 'application/json'
        else:
            req.body = body if isinstance(body, bytes) else body.encode()
            req.content_type = 'application/xml' if req.body.startswith(
                b'<') else 'application/json'
    return req.get_response(app)


def fault_name(res):
    """The root key of a JSON fault body."""
    (name,) = res.json.keys()
    assert res.json[name]['code'] == res.status_int
    return name
