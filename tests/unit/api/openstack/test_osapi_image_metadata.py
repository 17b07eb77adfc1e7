"""``/images/{id}/metadata`` over the fake image service, and v1.0's
``backup_schedule`` and ``shared_ip_groups`` (501 fault bodies)."""

import json

import pytest
import routes
import webob

from nova import context
from nova.api.openstack import APIRouterV10
from nova.api.openstack import Router
from nova.api.openstack import add_resource
from nova.api.openstack import image_metadata
from nova.image import fake


@pytest.fixture
def images(sqlite_db):
    fake.reset()
    service = fake.FakeImageService()
    owned = service.create(None, {'name': 'mine', 'is_public': False,
                                  'properties': {'owner_id': 'p',
                                                 'color': 'blue'}})
    yield service, owned['id']
    fake.reset()


def _app(service):
    mapper = routes.Mapper()
    add_resource(mapper, '/{project_id}/images/{image_id}', 'metadata',
                 image_metadata.Controller(service),
                 ('index', 'create', 'update_all', 'show', 'update',
                  'delete'))
    return Router(mapper)


def call(service, path, method='GET', body=None, project='p', admin=False):
    req = webob.Request.blank('/%s%s' % (project, path), method=method)
    req.script_name = '/v1.1'
    req.environ['nova.context'] = context.RequestContext(
        'u', project, is_admin=admin)
    if body is not None:
        req.body = json.dumps(body).encode()
        req.content_type = 'application/json'
    return req.get_response(_app(service))


def test_index_show_and_missing_key(images):
    service, image_id = images
    res = call(service, '/images/%s/metadata' % image_id)
    assert res.status_int == 200
    assert res.json['metadata']['color'] == 'blue'
    res = call(service, '/images/%s/metadata/color' % image_id)
    assert res.json == {'meta': {'color': 'blue'}}
    res = call(service, '/images/%s/metadata/nope' % image_id)
    assert res.status_int == 404 and 'itemNotFound' in res.json
    res = call(service, '/images/999/metadata')
    assert res.status_int == 404
    assert res.json['itemNotFound']['message'] == 'Image not found.'


def test_create_merges_update_all_replaces_delete_removes(images):
    service, image_id = images
    base = '/images/%s/metadata' % image_id
    res = call(service, base, 'POST', {'metadata': {'size': 'big'}})
    assert res.status_int == 200
    assert res.json['metadata']['color'] == 'blue'
    assert service.show(None, image_id)['properties']['size'] == 'big'
    res = call(service, base, 'PUT', {'metadata': {'only': '1'}})
    assert res.json['metadata'] == {'only': '1', 'owner_id': 'p'}
    props = service.show(None, image_id)['properties']
    assert props == {'only': '1', 'owner_id': 'p'}
    res = call(service, base + '/only', 'PUT', {'meta': {'only': '2'}})
    assert res.json == {'meta': {'only': '2'}}
    res = call(service, base + '/only', 'DELETE')
    assert res.status_int == 204
    assert 'only' not in service.show(None, image_id)['properties']
    res = call(service, base + '/only', 'DELETE')
    assert res.status_int == 404


def test_update_one_item_checks_body(images):
    service, image_id = images
    base = '/images/%s/metadata/color' % image_id
    res = call(service, base, 'PUT', {'meta': {'other': 'x'}})
    assert res.status_int == 400
    assert res.json['badRequest']['message'] == \
        'Request body and URI mismatch'
    res = call(service, base, 'PUT', {'meta': {'color': 'x', 'b': 'y'}})
    assert res.json['badRequest']['message'] == \
        'Request body contains too many items'
    res = call(service, base, 'PUT', {'metadata': {'color': 'x'}})
    assert res.status_int == 400
    res = call(service, base, 'PUT', {'meta': {'color': {'deep': 1}}})
    assert res.status_int == 400
    assert service.show(None, image_id)['properties']['color'] == 'blue'


def test_quota_of_metadata_items_is_413(images, set_flags):
    service, image_id = images
    set_flags(quota_metadata_items=3)
    base = '/images/%s/metadata' % image_id
    res = call(service, base, 'POST', {'metadata': {'a': '1', 'b': '2'}})
    assert res.status_int == 413
    assert res.json['overLimit']['message'] == \
        'Image metadata limit exceeded'
    assert res.headers['Retry-After'] == '0'
    assert 'a' not in service.show(None, image_id)['properties']
    res = call(service, base, 'POST', {'metadata': {'a': '1'}})
    assert res.status_int == 200


def test_other_projects_and_protected_keys(images):
    service, image_id = images
    public = 3  # fake-machine, public, owned by project 'fake'
    res = call(service, '/images/%s/metadata' % public)
    assert res.status_int == 200 and res.json['metadata']['kernel_id']
    res = call(service, '/images/%s/metadata' % public, 'POST',
               {'metadata': {'x': '1'}})
    assert res.status_int == 403
    assert 'x' not in service.show(None, public)['properties']
    # a private image of another project is not even seen
    res = call(service, '/images/%s/metadata' % image_id, project='q')
    assert res.status_int == 404
    res = call(service, '/images/%s/metadata/owner_id' % image_id, 'PUT',
               {'meta': {'owner_id': 'q'}})
    assert res.status_int == 403
    res = call(service, '/images/%s/metadata/owner_id' % image_id,
               'DELETE')
    assert res.status_int == 403
    assert service.show(None, image_id)['properties']['owner_id'] == 'p'
    res = call(service, '/images/%s/metadata' % public, 'POST',
               {'metadata': {'x': '1'}}, project='q', admin=True)
    assert res.status_int == 200


def _v10(path, method='GET', xml=False):
    req = webob.Request.blank(path, method=method)
    req.script_name = '/v1.0'
    req.environ['nova.context'] = context.RequestContext('u', 'p')
    if xml:
        req.headers['Accept'] = 'application/xml'
    if method in ('POST', 'PUT'):
        req.body = b'{"x": {}}'
        req.content_type = 'application/json'
    return req.get_response(APIRouterV10())


@pytest.mark.parametrize('path,method', [
    ('/shared_ip_groups', 'GET'), ('/shared_ip_groups/detail', 'GET'),
    ('/shared_ip_groups', 'POST'), ('/shared_ip_groups/1', 'GET'),
    ('/shared_ip_groups/1', 'PUT'), ('/shared_ip_groups/1', 'DELETE'),
    ('/servers/1/backup_schedule', 'GET'),
    ('/servers/1/backup_schedule', 'POST'),
    ('/servers/1/backup_schedule/1', 'GET'),
    ('/servers/1/backup_schedule/1', 'DELETE')])
def test_v10_resources_diablo_did_not_implement(path, method):
    res = _v10(path, method)
    assert res.status_int == 501
    assert res.json['notImplemented']['code'] == 501
    assert 'not implemented' in res.json['notImplemented']['message']


def test_v10_not_implemented_in_xml_and_absent_from_v11():
    res = _v10('/shared_ip_groups', xml=True)
    assert res.status_int == 501
    assert res.body.startswith(b'<?xml')
    assert b'<notImplemented' in res.body and b'code="501"' in res.body
    res = _v10('/servers/1/backup_schedule/1', 'PUT')
    assert res.status_int == 405
    from nova.api.openstack import APIRouterV11
    req = webob.Request.blank('/p/shared_ip_groups')
    req.script_name = '/v1.1'
    req.environ['nova.context'] = context.RequestContext('u', 'p')
    assert req.get_response(APIRouterV11()).status_int == 404
