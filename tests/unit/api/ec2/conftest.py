"""Fixtures for the EC2 API unit tests.

``ec2`` is the paste app of etc/nova/api-paste.ini over a fresh SQLite
database with three users: ``admin`` (admin), ``alice`` (manager of
project ``proj``, so projectmanager there, and its netadmin) and ``bob`` (a plain member of
``proj`` without roles).  ``ec2.call(action, params, user=...)`` signs the
request with botocore's SigV4 (or SigV2) signer and sends it to the WSGI app
directly (no sockets); it returns a :class:`Result` whose ``parsed`` is what
boto3's parser makes of the body.
"""

import os
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
import webob

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))))
PASTE = os.path.join(REPO, 'etc', 'nova', 'api-paste.ini')
HOST = '127.0.0.1:8773'
USERS = {
    'admin': ('admin-access', 'admin-secret'),
    'alice': ('alice-access', 'alice-secret'),
    'bob': ('bob-access', 'bob-secret'),
}


class Result(object):
    """An HTTP answer of the EC2 app."""

    def __init__(self, action, resp):
        self.action = action
        self.status = resp.status_int
        self.body = resp.body
        self.content_type = resp.content_type
        self.xml = ET.fromstring(resp.body) if resp.body.startswith(b'<') \
            else None

    @property
    def error_code(self):
        """The EC2 error code, or None."""
        if self.xml is None:
            return None
        node = self.xml.find('./Errors/Error/Code')
        return node.text if node is not None else None

    @property
    def parsed(self):
        """The body as boto3 parses it (service model ``ec2``)."""
        return parse_with_botocore(self.action, self.body, self.status)


_MODEL = {}


def parse_with_botocore(action, body, status=200):
    """Parse an EC2 response the way boto3 does."""
    import botocore.parsers
    import botocore.session
    if 'model' not in _MODEL:
        _MODEL['model'] = botocore.session.get_session().get_service_model(
            'ec2')
    model = _MODEL['model']
    shape = model.operation_model(action).output_shape
    parser = botocore.parsers.create_parser('ec2')
    return parser.parse({'body': body, 'headers': {}, 'status_code': status},
                        shape)


def sign(method, path, params, access, secret, version='v4', host=HOST):
    """A signed webob request (botocore's signers)."""
    from botocore.auth import SigV2Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    creds = Credentials(access, secret)
    url = 'http://%s%s' % (host, path)
    if method == 'GET' or version == 'v2':
        aws = AWSRequest(method=method, url=url, params=dict(params)) \
            if method == 'GET' else AWSRequest(method=method, url=url,
                                               data=dict(params))
    else:
        aws = AWSRequest(method=method, url=url, data=dict(params),
                         headers={'Content-Type':
                                  'application/x-www-form-urlencoded; '
                                  'charset=utf-8'})
    if version == 'v2':
        SigV2Auth(creds).add_auth(aws)
    else:
        SigV4Auth(creds, 'ec2', 'nova').add_auth(aws)
    prepared = aws.prepare()
    parsed = urllib.parse.urlsplit(prepared.url)
    full_path = parsed.path + ('?' + parsed.query if parsed.query else '')
    body = prepared.body or b''
    if isinstance(body, str):
        body = body.encode()
    req = webob.Request.blank(full_path, method=method,
                              headers=dict(prepared.headers),
                              body=body if method == 'POST' else None)
    req.host = host
    req.remote_addr = '127.0.0.1'
    if method == 'POST':
        req.content_type = 'application/x-www-form-urlencoded'
    return req


class EC2(object):
    """The EC2 app with signed calls."""

    def __init__(self, app):
        self.app = app

    def request(self, req, action='DescribeRegions'):
        """Send a prepared request."""
        return Result(action, req.get_response(self.app))

    def call(self, action, params=None, user='alice', project='proj',
             path='/services/Cloud/', method='POST', version='v4',
             secret=None, api_version='2016-11-15'):
        """A signed call of ``action``."""
        access, good_secret = USERS[user]
        if project:
            access = '%s:%s' % (access, project)
        values = {'Action': action, 'Version': api_version}
        values.update(params or {})
        req = sign(method, path, values, access, secret or good_secret,
                   version)
        return self.request(req, action)


@pytest.fixture
def auth_driver():
    """The ``--auth_driver`` of the ``ec2`` fixture (a test module may
    override this fixture to run over other drivers)."""
    return 'nova.auth.dbdriver.DbDriver'


@pytest.fixture
def ec2(sqlite_db, set_flags, auth_driver):
    """The paste app ``ec2`` with users admin, alice and bob."""
    from nova import wsgi
    from nova.auth import fakeldap
    from nova.auth import lockout  # noqa: F401 - defines the lockout flags
    from nova.auth import manager
    set_flags(memcached_servers=None, lockout_attempts=5,
              auth_driver=auth_driver)
    fakeldap.reset()
    auth = manager.AuthManager()
    auth.create_user('admin', *USERS['admin'], admin=True)
    auth.create_user('alice', *USERS['alice'])
    auth.create_user('bob', *USERS['bob'])
    auth.create_project('proj', 'alice', member_users=['bob'])
    auth.create_project('admin', 'admin')
    auth.add_role('alice', 'netadmin')
    auth.add_role('alice', 'netadmin', 'proj')
    app = wsgi.Loader(PASTE).load_app('ec2')
    return EC2(app)
