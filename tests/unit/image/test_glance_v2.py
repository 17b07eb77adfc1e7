"""GlanceImageService against a recorded Glance v2 contract.

The fast, offline half of the v2 tests: a small fake Glance v2 HTTP server
(tests/unit/image/fake_glance_v2.py, its docstring lists the contract):
versions document at ``GET /`` without v1, ``/v2/images`` pages with
``next`` links, JSON-patch updates in
``application/openstack-images-v2.1-json-patch``, string-only properties
at the top level, read-only ``status``, ``visibility`` instead of
``is_public``, data by ``PUT/GET /v2/images/<uuid>/file``, UUID ids.
The same operations run against a real glance-api (PyPI's glance 33, no
Keystone) in tests/integration/test_glance_real.py.
"""

import io
import json
import os
import subprocess
import sys
import urllib.request

import pytest

from nova import context
from nova import exception
from nova.image import glance
from nova.image import glance_v2

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


@pytest.fixture
def fake_v2(set_flags):
    proc = subprocess.Popen(
        [sys.executable, '-m', 'tests.unit.image.fake_glance_v2'],
        stdout=subprocess.PIPE, text=True, cwd=REPO)
    port = int(proc.stdout.readline())
    set_flags(glance_api_servers=['127.0.0.1:%d' % port])
    glance.forget_api_versions()
    yield port
    proc.terminate()
    proc.wait(10)
    glance.forget_api_versions()


def _raw(port, method, path, doc=None, headers=None):
    """A request straight to the fake (as another Glance client would)."""
    body = json.dumps(doc).encode() if doc is not None else None
    request = urllib.request.Request(
        'http://127.0.0.1:%d%s' % (port, path), data=body, method=method,
        headers=dict({'Content-Type': 'application/json'}, **(headers or {})))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _ctx(project='proj', admin=False):
    ctxt = context.RequestContext('user', project, is_admin=admin)
    ctxt.auth_token = 'tok-%s' % project
    return ctxt


def test_v2_is_chosen_when_offered(fake_v2, set_flags):
    svc = glance.GlanceImageService()
    assert svc.api_version(_ctx()) == 2
    set_flags(glance_api_version='1')
    glance.forget_api_versions()
    assert svc.api_version(_ctx()) == 1
    set_flags(glance_api_version='3')
    glance.forget_api_versions()
    with pytest.raises(glance.GlanceError) as err:
        svc.api_version(_ctx())
    assert 'auto, 1 or 2' in str(err.value)


def test_versions_documents():
    doc = {'versions': [{'id': 'v2.9', 'status': 'CURRENT'},
                        {'id': 'v1.1', 'status': 'DEPRECATED'},
                        {'id': 'v1.0', 'status': 'DEPRECATED'}]}
    assert glance.offered_versions(doc) == {2}
    assert glance.choose_version('auto', {2}) == 2
    assert glance.choose_version('auto', {1}) == 1
    assert glance.choose_version('auto', set()) == 1
    with pytest.raises(glance.GlanceError):
        glance.choose_version('1', {2})


def test_create_show_get_update_delete(fake_v2):
    svc = glance.GlanceImageService()
    ctxt = _ctx()
    image = svc.create(ctxt, {
        'name': 'server', 'is_public': False, 'container_format': 'ami',
        'disk_format': 'ami', 'properties': {
            'kernel_id': 7, 'image_state': 'available',
            'project_id': 'proj', 'mappings': [{'virtual': 'ami',
                                                'device': 'sda1'}]}},
        data=io.BytesIO(b'x' * 200000))
    assert isinstance(image['id'], int) and image['status'] == 'active'
    assert image['uuid'] == glance_v2.uuid_of(image['id'])
    assert image['size'] == 200000
    status, body = _raw(fake_v2, 'GET', '/v2/images/%s' % image['uuid'])
    raw = json.loads(body)
    # On the wire: visibility, properties as top-level strings.
    assert raw['visibility'] == 'private' and raw['kernel_id'] == '7'
    assert json.loads(raw['mappings']) == [{'virtual': 'ami',
                                            'device': 'sda1'}]
    assert raw['owner_id'] == 'proj'
    shown = svc.show(ctxt, image['id'])
    assert shown['name'] == 'server' and shown['is_public'] is False
    assert shown['properties']['kernel_id'] == 7
    assert shown['properties']['mappings'] == [{'virtual': 'ami',
                                                'device': 'sda1'}]
    assert shown['created_at'].year == 2011
    out = io.BytesIO()
    svc.get(ctxt, image['id'], out)
    assert out.getvalue() == b'x' * 200000
    svc.update(ctxt, image['id'], {'is_public': True, 'name': 'renamed',
                                   'properties': {'description': 'mine'}})
    shown = svc.show(ctxt, image['id'])
    assert shown['is_public'] is True and shown['name'] == 'renamed'
    # Properties are merged, not replaced.
    assert shown['properties']['description'] == 'mine'
    assert shown['properties']['image_state'] == 'available'
    with pytest.raises(glance.GlanceError) as err:
        # The data of an active image cannot change (409).
        svc.update(ctxt, image['id'], {}, data=b'other')
    assert err.value.status == 409
    svc.delete(ctxt, image['id'])
    with pytest.raises(exception.ImageNotFound):
        svc.show(ctxt, image['id'])
    with pytest.raises(exception.ImageNotFound):
        svc.delete(ctxt, 99)
    tokens = json.loads(urllib.request.urlopen(
        'http://127.0.0.1:%d/_fake/tokens' % fake_v2, timeout=30).read())
    assert set(tokens) == {'tok-proj', None}


def test_queued_image_gets_its_data_later(fake_v2):
    svc = glance.GlanceImageService()
    ctxt = _ctx()
    image = svc.create(ctxt, {'name': 'q', 'status': 'queued',
                              'container_format': 'ami',
                              'disk_format': 'ami',
                              'properties': {'image_state': 'pending',
                                             'project_id': 'proj'}})
    assert image['status'] == 'queued'
    svc.update(ctxt, image['id'], {'status': 'active',
                                   'properties': {'image_state':
                                                  'available'}},
               data=io.BytesIO(b'late data'))
    out = io.BytesIO()
    assert svc.get(ctxt, image['id'], out)['status'] == 'active'
    assert out.getvalue() == b'late data'
    assert svc.show(ctxt, image['id'])['properties'] == {
        'image_state': 'available', 'project_id': 'proj',
        'owner_id': 'proj'}


def test_detail_pages_filters_and_visibility(fake_v2, monkeypatch):
    monkeypatch.setattr(glance_v2, 'PAGE', 7)  # several `next` pages
    svc = glance.GlanceImageService()
    for index in range(30):
        project = 'proj' if index % 3 else 'other'
        svc.create(_ctx(project), {
            'name': 'img%02d' % index, 'is_public': index % 10 == 0,
            'container_format': 'aki' if index % 2 else 'ami',
            'disk_format': 'ami',
            'properties': {'project_id': project}}, data=b'd')
    mine = svc.detail(_ctx('proj'))
    names = [i['name'] for i in mine]
    assert len(mine) == 20 + 1
    assert 'img00' in names and 'img03' not in names
    assert [i['id'] for i in mine] == sorted(i['id'] for i in mine)
    assert len(svc.detail(_ctx(admin=True))) == 30
    page = svc.detail(_ctx('proj'), marker=mine[4]['id'], limit=3)
    assert [i['id'] for i in page] == [i['id'] for i in mine[5:8]]
    kernels = svc.detail(_ctx('proj'), filters={'container_format': 'aki'})
    assert kernels and all(i['container_format'] == 'aki' for i in kernels)
    assert [i['name'] for i in svc.index(_ctx('proj'),
                                         filters={'name': 'img01'})] == [
        'img01']
    other = [i for i in svc.detail(_ctx(admin=True))
             if i['name'] == 'img03'][0]
    with pytest.raises(exception.ImageNotFound):
        svc.show(_ctx('proj'), other['id'])


def test_an_image_made_by_another_client_has_an_integer_id(fake_v2):
    foreign = '0f3c5d2e-1111-4222-8333-44445555abcd'
    status, _body = _raw(fake_v2, 'POST', '/v2/images', {
        'id': foreign, 'name': 'theirs', 'visibility': 'public',
        'container_format': 'bare', 'disk_format': 'raw'})
    assert status == 201
    svc = glance.GlanceImageService()
    image = svc.show(_ctx(), 0x5555abcd)
    assert image['uuid'] == foreign and image['name'] == 'theirs'
    assert image['is_public'] is True and image['status'] == 'queued'
    assert svc.show(_ctx(), foreign)['id'] == 0x5555abcd


def test_the_fake_refuses_what_glance_refuses(fake_v2):
    """The contract the client must (and does) respect."""
    status, _ = _raw(fake_v2, 'POST', '/v2/images', {'status': 'active'})
    assert status == 403
    status, _ = _raw(fake_v2, 'POST', '/v2/images', {'kernel_id': 7})
    assert status == 400
    status, body = _raw(fake_v2, 'POST', '/v2/images', {'name': 'x'})
    image_id = json.loads(body)['id']
    status, _ = _raw(fake_v2, 'PATCH', '/v2/images/%s' % image_id,
                     [{'op': 'replace', 'path': '/name', 'value': 'y'}])
    assert status == 415  # JSON, not the json-patch media type
    status, _ = _raw(fake_v2, 'PATCH', '/v2/images/%s' % image_id,
                     [{'op': 'replace', 'path': '/nothere', 'value': 'y'}],
                     {'Content-Type': glance_v2.PATCH_TYPE})
    assert status == 409  # replace needs an existing property
    status, _ = _raw(fake_v2, 'PATCH', '/v2/images/%s' % image_id,
                     [{'op': 'add', 'path': '/kernel_id', 'value': '7'}],
                     {'Content-Type': glance_v2.PATCH_TYPE})
    assert status == 200


def test_update_with_purge_props_removes_the_others(fake_v2):
    svc = glance.GlanceImageService()
    ctxt = _ctx()
    image = svc.create(ctxt, {'name': 'p', 'properties': {
        'project_id': 'proj', 'a': '1', 'b': '2'}})
    svc.update(ctxt, image['id'], {'properties': {'project_id': 'proj',
                                                  'a': '9'}},
               purge_props=True)
    props = svc.show(ctxt, image['id'])['properties']
    assert props['a'] == '9' and 'b' not in props
