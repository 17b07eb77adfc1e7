"""Hostile requests the OpenStack API fuzzer found (tools/fuzz_osapi.py):
each is a fault body now, never a 500."""

import xml.etree.ElementTree as ET

import pytest
import webob

from nova.api.openstack import faults
from nova.api.openstack import wsgi
from nova.api.openstack import xmlutil
from tests.unit.api.openstack.osapi_ext_helpers import call
from tests.unit.api.openstack.osapi_ext_helpers import fault_name
from tests.unit.api.openstack.osapi_ext_helpers import load_osapi

HUGE = '99999999999999999999'


@pytest.fixture
def app(sqlite_db, set_flags):
    return load_osapi(set_flags)


def _get(app, path, accept=None):
    headers = {'X-Auth-Token': 'u:p'}
    if accept:
        headers['Accept'] = accept
    return webob.Request.blank(path, headers=headers).get_response(app)


@pytest.mark.parametrize('path', [
    '/v1.1/p/servers/%FF', '/v1.0/servers/%C3', '/v1.1/p/os-volumes/%FF',
    '/v1.1/p/servers/detail?%FF=1', '/v1.1/p/servers?name=%ED%A0%80',
    '/v1.1x/servers/%FF', '/v2/p/images/%FF/metadata',
])
def test_url_not_utf8_is_a_bad_request(app, path):
    res = _get(app, path)
    assert res.status_int == 400
    assert fault_name(res) == 'badRequest'


def test_url_not_utf8_fault_follows_the_suffix(app):
    res = _get(app, '/v1.1/p/os-volumes/%FF.xml')
    assert res.status_int == 400
    assert res.content_type == 'application/xml'
    assert ET.fromstring(res.body).tag.endswith('badRequest')


@pytest.mark.parametrize('path', [
    '/servers/' + HUGE, '/servers/%s/ips' % HUGE, '/flavors/' + HUGE,
    '/images/' + HUGE, '/servers/%s/metadata' % HUGE, '/os-volumes/' + HUGE,
    '/os-floating-ips/' + HUGE, '/os-security-groups/' + HUGE,
])
def test_id_beyond_the_database_is_not_found(app, path):
    res = call(app, path, user='u', project='p')
    assert res.status_int == 404
    assert fault_name(res) == 'itemNotFound'


def test_huge_flavor_ref_is_a_bad_request(app):
    body = {'server': {'name': 'x', 'imageRef': '1',
                       'flavorRef': 10 ** 30}}
    res = call(app, '/servers', method='POST', body=body, user='u',
               project='p')
    assert res.status_int == 400
    assert fault_name(res) == 'badRequest'


def test_id_out_of_range():
    assert wsgi.id_out_of_range({'id': HUGE}, integer_id=True) == HUGE
    assert wsgi.id_out_of_range({'server_id': HUGE, 'id': 'k'}) == HUGE
    assert wsgi.id_out_of_range({'id': str(2 ** 63 - 1)}, True) is None
    assert wsgi.id_out_of_range({'server_id': '12', 'id': 'abc'}) is None
    # A name-like id (a key pair, a metadata key) may be any digits.
    assert wsgi.id_out_of_range({'id': HUGE}) is None
    assert wsgi.id_out_of_range({'other': HUGE}, True) is None


def test_a_long_numeric_key_pair_name_is_still_a_name(app):
    res = call(app, '/os-keypairs/' + HUGE, user='u', project='p')
    assert res.status_int == 404
    assert 'Keypair' in res.json['itemNotFound']['message']


def test_v10_addresses_in_xml():
    data = {'server': {'id': 3, 'addresses': {
        'public': [], 'private': ['10.0.0.2']}}}
    root = ET.fromstring(xmlutil.to_xml(data, faults.XMLNS_V10))
    ns = '{%s}' % faults.XMLNS_V10
    private = root.find('%saddresses/%sprivate' % (ns, ns))
    assert [ip.get('addr') for ip in private] == ['10.0.0.2']
    assert root.find('%saddresses/%spublic' % (ns, ns)) is not None


def test_characters_xml_cannot_carry_are_replaced():
    body = faults.body(404, 'Server \x00\x1b \ud800 \ufffe x', xml=True)
    root = ET.fromstring(body)
    message = root.find('{%s}message' % faults.XMLNS_V11).text
    assert message == 'Server \ufffd\ufffd \ufffd \ufffd x'


@pytest.mark.parametrize('action', [{'reboot': {'type': 'HARD'}},
                                    {'addFloatingIp': {'address': '1.2.3.4'}},
                                    {'addSecurityGroup': {'name': 'x'}}])
def test_action_on_a_huge_server_id_is_not_found(app, action):
    res = call(app, '/servers/%s/action' % HUGE, method='POST', body=action,
               user='u', project='p')
    assert res.status_int == 404
    assert fault_name(res) == 'itemNotFound'
