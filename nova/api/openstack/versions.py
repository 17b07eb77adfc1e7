"""Version discovery of the OpenStack API.

``GET /`` lists the versions (200); any other path of the root app is a
300 Multiple Choices naming that path under each version, as Diablo.
``GET /v1.x/`` (routed by each version's router) shows one version.
``/v2`` and ``/v2.1`` are mounts of the v1.1 contract (Essex renamed v1.1
to v2); they are listed with ``version``/``min_version`` so that today's
clients' discovery accepts them (microversion 2.1 at most).
"""

import copy

import webob.dec

from nova.api.openstack import faults
from nova.api.openstack import wsgi

_DOCS = 'http://docs.rackspacecloud.com/servers/api/%s/'
_UPDATED = '2011-01-21T11:33:21Z'


def _version(vid, status, media, version=None, min_version=None):
    data = {
        'id': vid,
        'status': status,
        'updated': _UPDATED,
        'links': [
            {'rel': 'describedby', 'type': 'application/pdf',
             'href': _DOCS % media + 'cs-devguide-20110125.pdf'},
            {'rel': 'describedby', 'type': 'application/vnd.sun.wadl+xml',
             'href': _DOCS % media + 'application.wadl'},
        ],
        'media-types': [
            {'base': 'application/xml',
             'type': 'application/vnd.openstack.compute-%s+xml' % media},
            {'base': 'application/json',
             'type': 'application/vnd.openstack.compute-%s+json' % media},
        ],
    }
    if version is not None:
        data['version'] = version
        data['min_version'] = min_version
    return data


#: (mount path, document) in listing order.
VERSIONS = (
    ('v1.0', _version('v1.0', 'DEPRECATED', 'v1.0')),
    ('v1.1', _version('v1.1', 'CURRENT', 'v1.1')),
    ('v2', _version('v2.0', 'SUPPORTED', 'v1.1', '', '')),
    ('v2.1', _version('v2.1', 'SUPPORTED', 'v1.1', '2.1', '2.1')),
)
_BY_MOUNT = dict(VERSIONS)


def _base(req):
    return req.host_url.rstrip('/') + req.script_name.rstrip('/')


def listing(base):
    """``{"versions": [...]}`` with self links under ``base``."""
    result = []
    for mount, doc in VERSIONS:
        item = dict((k, doc[k]) for k in ('id', 'status', 'updated'))
        if 'version' in doc:
            item['version'] = doc['version']
            item['min_version'] = doc['min_version']
        item['links'] = [{'rel': 'self', 'href': '%s/%s/' % (base, mount)}]
        result.append(item)
    return {'versions': result}


def choices(base, path):
    """``{"choices": [...]}``: ``path`` under each version."""
    path = path.strip('/')
    result = []
    for mount, doc in VERSIONS:
        result.append({
            'id': doc['id'], 'status': doc['status'],
            'links': [{'rel': 'self',
                       'href': '%s/%s/%s' % (base, mount, path)}],
            'media-types': copy.deepcopy(doc['media-types']),
        })
    return {'choices': result}


class Versions(object):
    """The root app of the API port (``[app:osversionapp]``)."""

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.deploy app factory."""
        return cls()

    @webob.dec.wsgify(RequestClass=wsgi.Request)
    def __call__(self, req):
        if req.method not in ('GET', 'HEAD'):
            return faults.fault(405, 'The method %s is not allowed for this '
                                'resource.' % req.method, Allow='GET, HEAD')
        base = _base(req)
        if req.path_info in ('', '/'):
            return wsgi.respond(req, listing(base))
        return wsgi.respond(req, choices(base, req.path_info), status=300)


class VersionController(object):
    """``GET /v1.x/``: the document of the version this router serves."""

    def __init__(self, version):
        self.version = version

    def show(self, req, **_args):
        """``{"version": {...}}`` with a self link first."""
        mount = req.script_name.rstrip('/').rsplit('/', 1)[-1]
        if mount not in _BY_MOUNT:
            mount = 'v' + self.version
        doc = copy.deepcopy(_BY_MOUNT[mount])
        doc['links'].insert(0, {'rel': 'self',
                                'href': req.application_url.rstrip('/') +
                                '/'})
        return {'version': doc}


__all__ = ['Versions', 'VersionController', 'VERSIONS', 'listing',
           'choices']
