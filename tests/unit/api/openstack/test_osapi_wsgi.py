"""Content negotiation, hostile bodies, fault bodies and routing of the
OpenStack API (the paste app ``osapi`` with noauth on loopback)."""

import json
import os
from xml.dom import minidom

import pytest
import webob

from nova.api.openstack import faults
from nova.api.openstack import wsgi
from nova.api.openstack import xmlutil

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))))
TOKEN = {'X-Auth-Token': 'u:p'}


@pytest.fixture
def osapi(set_flags):
    import nova.service  # noqa: F401 - osapi_listen
    from nova import wsgi as nova_wsgi
    set_flags(osapi_listen='127.0.0.1', osapi_rate_limits='none')
    return nova_wsgi.Loader(os.path.join(
        REPO, 'etc', 'nova', 'api-paste.ini')).load_app('osapi')


def call(app, path, method='GET', body=None, headers=None):
    req = webob.Request.blank(path, method=method,
                              headers=dict(headers or {}))
    if body is not None:
        req.body = body
    return req.get_response(app)


def test_root_lists_versions_and_others_are_choices(osapi):
    res = call(osapi, '/')
    assert res.status_int == 200
    ids = [v['id'] for v in res.json['versions']]
    assert ids == ['v1.0', 'v1.1', 'v2.0', 'v2.1']
    v21 = res.json['versions'][3]
    assert (v21['version'], v21['min_version']) == ('2.1', '2.1')
    res = call(osapi, '/servers/detail')
    assert res.status_int == 300
    hrefs = [c['links'][0]['href'] for c in res.json['choices']]
    assert 'http://localhost/v1.1/servers/detail' in hrefs
    res = call(osapi, '/', method='DELETE')
    assert res.status_int == 405
    assert res.json['badMethod']['code'] == 405


def test_version_documents(osapi):
    for mount, vid in (('v1.0', 'v1.0'), ('v1.1', 'v1.1'), ('v2', 'v2.0'),
                       ('v2.1', 'v2.1')):
        res = call(osapi, '/%s/' % mount, headers=TOKEN)
        assert res.status_int == 200, mount
        doc = res.json['version']
        assert doc['id'] == vid
        assert doc['links'][0] == {
            'rel': 'self', 'href': 'http://localhost/%s/' % mount}


def test_noauth_hands_out_a_token_with_the_project_url(osapi):
    res = call(osapi, '/v1.1/', headers={'X-Auth-User': 'joe',
                                         'X-Auth-Project-Id': 'proj'})
    assert res.status_int == 204
    assert res.headers['X-Auth-Token'] == 'joe:proj'
    assert res.headers['X-Server-Management-Url'] == \
        'http://localhost/v1.1/proj'
    res = call(osapi, '/v1.0/', headers={'X-Auth-User': 'joe'})
    assert res.headers['X-Server-Management-Url'] == 'http://localhost/v1.0'


def test_unknown_path_and_method_are_faults_never_200(osapi):
    res = call(osapi, '/v1.1/p/nothing', headers=TOKEN)
    assert res.status_int == 404
    assert res.json == {'itemNotFound': {
        'code': 404, 'message': 'The resource could not be found.'}}
    res = call(osapi, '/v1.1/p/flavors', method='DELETE', headers=TOKEN)
    assert res.status_int == 405
    assert 'GET' in res.headers['Allow']
    res = call(osapi, '/v1.1/p/servers/1/ips', method='POST',
               headers=TOKEN)
    assert res.status_int == 405


@pytest.mark.parametrize('ctype,body', [
    ('application/json', b'{"server": '),
    ('application/json', b'[' * 5000 + b']' * 5000),
    ('application/json', b'\xff\xfe'),
    ('application/xml', b'<server><name>x</server>'),
    ('application/xml', b'<!DOCTYPE s [<!ENTITY a "aaaa">]><server '
                        b'name="&a;"/>'),
    ('application/xml', b'<a>' * 100 + b'</a>' * 100),
    ('text/plain', b'hello'),
])
def test_hostile_bodies_are_400(osapi, ctype, body):
    res = call(osapi, '/v1.1/p/servers', method='POST', body=body,
               headers=dict(TOKEN, **{'Content-Type': ctype}))
    assert res.status_int == 400
    assert 'badRequest' in res.text
    assert 'Traceback' not in res.text and '.py' not in res.text


def test_huge_body_is_413(osapi, set_flags):
    set_flags(osapi_max_body_size=1024)
    res = call(osapi, '/v1.1/p/servers', method='POST',
               body=b'{"server": {"name": "%s"}}' % (b'x' * 4096),
               headers=dict(TOKEN, **{'Content-Type': 'application/json'}))
    assert res.status_int == 413
    assert res.json['overLimit']['code'] == 413


def test_xml_fault_by_suffix_and_accept(osapi):
    res = call(osapi, '/v1.1/p/nothing.xml', headers=TOKEN)
    assert res.status_int == 404
    assert res.content_type == 'application/xml'
    root = minidom.parseString(res.body).documentElement
    assert root.tagName == 'itemNotFound'
    assert root.getAttribute('code') == '404'
    assert root.getAttribute('xmlns') == faults.XMLNS_V11
    res = call(osapi, '/v1.0/nothing',
               headers=dict(TOKEN, Accept='application/xml'))
    root = minidom.parseString(res.body).documentElement
    assert root.getAttribute('xmlns') == faults.XMLNS_V10


def test_fault_names_and_retry_after():
    body = json.loads(faults.body(413, 'slow down', False, retry_after=7))
    assert body == {'overLimit': {'code': 413, 'message': 'slow down',
                                  'retryAfter': '7'}}
    for status, name in ((400, 'badRequest'), (401, 'unauthorized'),
                         (415, 'badMediaType'), (500, 'computeFault'),
                         (422, 'computeFault')):
        assert name in json.loads(faults.body(status, 'm', False))


def test_xml_reader_shapes_and_writer_round_trip():
    data = xmlutil.parse(
        b'<server xmlns="http://docs.openstack.org/compute/api/v1.1" '
        b'name="vm" imageRef="3" flavorRef="1"><metadata>'
        b'<meta key="a">1</meta></metadata><personality>'
        b'<file path="/etc/x">aGk=</file></personality></server>')
    server = data['server']
    assert server['name'] == 'vm' and server['flavorRef'] == '1'
    assert server['metadata'] == {'a': '1'}
    assert server['personality'] == [{'path': '/etc/x', 'contents': 'aGk='}]
    out = xmlutil.to_xml({'server': {'id': 1, 'name': 'a<b',
                                     'metadata': {'k': 'v'},
                                     'links': [{'rel': 'self',
                                                'href': 'h'}]}},
                         faults.XMLNS_V11)
    root = minidom.parseString(out).documentElement
    assert root.getAttribute('name') == 'a<b'
    assert root.getElementsByTagName('meta')[0].getAttribute('key') == 'k'
    assert root.getElementsByTagName('atom:link')[0].getAttribute(
        'href') == 'h'


def test_json_depth_bound():
    assert wsgi.parse_json(b'{"a": [1, {"b": 2}]}') == {'a': [1, {'b': 2}]}
    deep = b'[' * (wsgi.MAX_DEPTH + 1) + b']' * (wsgi.MAX_DEPTH + 1)
    with pytest.raises(webob.exc.HTTPBadRequest):
        wsgi.parse_json(deep)
    # Brackets inside strings do not count.
    assert wsgi.parse_json(b'{"a": "[[[[[[[[[[[[[[[[[[[[[["}')
