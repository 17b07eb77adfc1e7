"""The extension mechanism (``/extensions``, routing, 405s) and
``os-keypairs``."""

from xml.dom import minidom

import pytest

from tests.unit.api.openstack.osapi_ext_helpers import call, fault_name
from tests.unit.api.openstack.osapi_ext_helpers import load_osapi

PUBLIC_KEY = ('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDMI8tHvP1L3qeB4jSUM/'
              'SiBQUuN0HLVvtDwzW0S/qEV test@example')


@pytest.fixture
def osapi(sqlite_db, set_flags):
    return load_osapi(set_flags)


def test_extensions_listing_and_show(osapi):
    res = call(osapi, '/extensions')
    assert res.status_int == 200
    by_alias = dict((e['alias'], e) for e in res.json['extensions'])
    assert by_alias['os-keypairs'] == {
        'name': 'Keypairs', 'alias': 'os-keypairs',
        'description': 'Keypair Support',
        'namespace': 'http://docs.openstack.org/ext/keypairs/api/v1.1',
        'updated': '2011-08-08T00:00:00+00:00', 'links': []}
    res = call(osapi, '/extensions/os-keypairs')
    assert res.json['extension']['name'] == 'Keypairs'
    res = call(osapi, '/extensions/nope')
    assert res.status_int == 404 and fault_name(res) == 'itemNotFound'
    res = call(osapi, '/extensions', xml=True)
    doc = minidom.parseString(res.body)
    names = [e.getAttribute('alias')
             for e in doc.getElementsByTagName('extension')]
    assert 'os-keypairs' in names


def test_wrong_method_on_extension_path_is_405(osapi):
    res = call(osapi, '/os-keypairs', method='PUT', body={})
    assert res.status_int == 405 and fault_name(res) == 'badMethod'
    assert 'GET' in res.headers['Allow']


def test_generate_list_show_delete(osapi):
    res = call(osapi, '/os-keypairs', 'POST', {'keypair': {'name': 'k1'}})
    assert res.status_int == 200
    key = res.json['keypair']
    assert key['name'] == 'k1' and key['user_id'] == 'alice'
    assert 'PRIVATE KEY' in key['private_key']
    assert key['public_key'].startswith('ssh-rsa ')
    assert len(key['fingerprint'].split(':')) == 16
    listed = call(osapi, '/os-keypairs').json['keypairs']
    assert listed == [{'keypair': {'name': 'k1',
                                   'public_key': key['public_key'],
                                   'fingerprint': key['fingerprint']}}]
    shown = call(osapi, '/os-keypairs/k1').json['keypair']
    assert 'private_key' not in shown
    # Duplicates are a conflict; nothing more is stored.
    res = call(osapi, '/os-keypairs', 'POST', {'keypair': {'name': 'k1'}})
    assert res.status_int == 409
    assert len(call(osapi, '/os-keypairs').json['keypairs']) == 1
    # Another user (also another project) sees none of alice's keys.
    assert call(osapi, '/os-keypairs', user='bob',
                project='other').json['keypairs'] == []
    res = call(osapi, '/os-keypairs/k1', 'DELETE', user='bob',
               project='other')
    assert res.status_int == 404
    res = call(osapi, '/os-keypairs/k1', 'DELETE')
    assert res.status_int == 202
    assert call(osapi, '/os-keypairs/k1').status_int == 404
    assert call(osapi, '/os-keypairs/k1', 'DELETE').status_int == 404


def test_import_and_xml(osapi):
    body = ('<keypair><name>imp</name><public_key>%s</public_key>'
            '</keypair>' % PUBLIC_KEY)
    res = call(osapi, '/os-keypairs', 'POST', body, xml=True)
    assert res.status_int == 200
    doc = minidom.parseString(res.body)
    root = doc.documentElement
    assert root.tagName == 'keypair'
    assert root.getAttribute('name') == 'imp'
    assert root.getAttribute('public_key') == PUBLIC_KEY
    assert not root.getAttribute('private_key')
    res = call(osapi, '/os-keypairs', xml=True)
    root = minidom.parseString(res.body).documentElement
    # Each item is ``{"keypair": {...}}``, as in JSON.
    (item,) = root.getElementsByTagName('keypair')[0].childNodes
    assert item.tagName == 'keypair' and item.getAttribute('name') == 'imp'


def test_bad_input_is_a_fault_and_stores_nothing(osapi):
    for body in ({'keypair': {'name': 'x', 'public_key': 'not a key'}},
                 {'keypair': {'name': ''}}, {'keypair': {'name': 7}},
                 {'keypair': {'name': 'x' * 256}},
                 {'keypair': {'name': 'bad\nname'}}):
        res = call(osapi, '/os-keypairs', 'POST', body)
        assert res.status_int == 400, body
        assert fault_name(res) == 'badRequest'
    for body in ({}, {'keypair': 'x'}, [1]):
        res = call(osapi, '/os-keypairs', 'POST', body)
        assert res.status_int == 422, body
    res = call(osapi, '/os-keypairs', 'POST', b'{"keypair": ')
    assert res.status_int == 400
    assert call(osapi, '/os-keypairs').json['keypairs'] == []
