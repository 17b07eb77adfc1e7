"""An LDAP outage is a 503, not a 500: the LDAP driver pointed at a closed
loopback port (nothing listens, ldap3 is refused at once) behind the EC2
``authenticate`` filter, the OpenStack API's ``keystonecontext`` filter
and a controller."""

import datetime
import socket

import pytest
import webob

from nova import exception
from nova.api import auth as api_auth
from nova.api import ec2
from nova.api import fault_guard
from nova.api.openstack import FaultWrapper
from nova.api.openstack import faults as os_faults
from nova.auth import ldapconn
from nova.auth import ldapdriver  # noqa: F401 - defines the --ldap_* flags
from nova.auth import manager

pytest.importorskip('ldap3', reason="ldap3 is not installed "
                    "(pip install 'nova[ldap]')")


def _closed_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
def ldap_down(set_flags):
    """The LDAP driver configured for a directory that is not there; the
    URL it names."""
    url = 'ldap://127.0.0.1:%d' % _closed_port()
    set_flags(auth_driver='nova.auth.ldapdriver.LdapDriver', ldap_url=url)
    return url


def _ok(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'reached the application']


def test_server_down_is_an_outage(ldap_down):
    with pytest.raises(ldapconn.ServerDown) as err:
        manager.AuthManager().get_user('alice')
    assert isinstance(err.value, exception.ServiceUnavailable)
    assert isinstance(err.value, ldapconn.LdapError)
    assert fault_guard.is_outage(err.value)


def test_ec2_request_during_outage_is_503_service_unavailable(ldap_down):
    now = datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%SZ')
    req = webob.Request.blank('/services/Cloud', POST={
        'Action': 'DescribeInstances', 'AWSAccessKeyId': 'some-access',
        'SignatureMethod': 'HmacSHA256', 'SignatureVersion': '2',
        'Timestamp': now, 'Version': '2010-08-31',
        'Signature': 'c2lnbmF0dXJl'})
    resp = req.get_response(ec2.Authenticate(_ok))
    assert resp.status_int == 503
    assert b'<Code>ServiceUnavailable</Code>' in resp.body
    assert ldap_down.encode() not in resp.body
    assert b'reached the application' not in resp.body


def test_openstack_request_during_outage_is_503_fault(ldap_down):
    app = FaultWrapper(api_auth.NovaKeystoneContext(_ok))
    req = webob.Request.blank('/proj/servers', headers={
        'X-Identity-Status': 'Confirmed', 'X-User-Id': 'alice',
        'X-Project-Id': 'proj', 'X-Roles': 'member',
        'Accept': 'application/json'})
    resp = req.get_response(app)
    assert resp.status_int == 503
    fault = resp.json['serviceUnavailable']
    assert fault == {'code': 503, 'message': os_faults.UNAVAILABLE}


def test_controller_meeting_outage_is_503(ldap_down):
    with pytest.raises(ldapconn.ServerDown) as err:
        manager.AuthManager().get_project('proj')
    mapped = os_faults.from_nova(err.value)
    assert mapped.status_int == 503
    assert ldap_down not in mapped.explanation
