"""The EC2 API: paste filters and apps named in api-paste.ini."""

import webob
import webob.dec

# The EC2 API versions Diablo advertised at GET / of the EC2 port.
EC2_VERSIONS = ('1.0', '2007-01-19', '2007-03-01', '2007-08-29', '2007-10-10',
                '2007-12-15', '2008-02-01', '2008-09-01', '2009-04-04')


class Versions(object):
    """``GET /``: the EC2 API versions, one per line."""

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.deploy app factory."""
        return cls()

    @webob.dec.wsgify
    def __call__(self, req):
        body = ''.join('%s\n' % v for v in EC2_VERSIONS)
        return webob.Response(body=body, content_type='text/plain',
                              charset='utf-8')
