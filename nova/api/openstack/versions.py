"""``GET /`` of the OpenStack API port: the version documents."""

import json

import webob
import webob.dec

VERSIONS = (
    ('v1.1', 'CURRENT', '2011-01-21T11:33:21Z'),
    ('v1.0', 'DEPRECATED', '2011-01-21T11:33:21Z'),
)


class Versions(object):
    """Lists the API versions with links to their roots."""

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.deploy app factory."""
        return cls()

    @webob.dec.wsgify
    def __call__(self, req):
        base = req.host_url.rstrip('/')
        versions = [{'id': vid, 'status': status, 'updated': updated,
                     'links': [{'rel': 'self',
                                'href': '%s/%s/' % (base, vid)}]}
                    for vid, status, updated in VERSIONS]
        return webob.Response(body=json.dumps({'versions': versions}),
                              content_type='application/json',
                              charset='utf-8')
