"""GlanceImageService against a recorded Glance v1 contract.

No Glance v1 server can be run here: the Diablo-era glance needs Python 2,
and the Glance this Debian packages (25.1, 333 packages with udev and
open-iscsi) or PyPI offers (33.0) speaks only v2 (v1 was removed in
Rocky).  So the test runs a small fake Glance v1 HTTP server
(tests/unit/image/fake_glance.py) that answers as the v1 API is
documented and as Diablo's glance client saw it (``GET /``: the versions
document, v1.1 current, v1.0 supported): ``x-image-meta-*``
headers on HEAD/GET/POST/PUT, ``{"images": [...]}`` listings paged by
``marker``/``limit`` (25 by default) and filtered by ``name``,
``status``, ``property-*`` and ``is_public`` (public only unless
``is_public=none``), ``x-glance-registry-purge-props``, 201 on create,
404 for unknown ids, ``X-Auth-Token`` passed through.
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

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def start_fake_glance():
    """The fake Glance v1 server in a child process: ``(process, port)``."""
    proc = subprocess.Popen(
        [sys.executable, '-m', 'tests.unit.image.fake_glance'],
        stdout=subprocess.PIPE, text=True, cwd=REPO)
    return proc, int(proc.stdout.readline())


def fake_tokens(port):
    """The X-Auth-Token values the fake Glance saw."""
    with urllib.request.urlopen('http://127.0.0.1:%d/_fake/tokens' % port,
                                timeout=30) as response:
        return json.load(response)


@pytest.fixture
def fake_glance(set_flags):
    proc, port = start_fake_glance()
    set_flags(glance_api_servers=['127.0.0.1:%d' % port])
    glance.forget_api_versions()
    yield port
    proc.terminate()
    proc.wait(10)
    glance.forget_api_versions()


def _ctx(project='proj', admin=False):
    ctxt = context.RequestContext('user', project, is_admin=admin)
    ctxt.auth_token = 'tok-%s' % project
    return ctxt


def test_create_show_get_update_delete(fake_glance):
    svc = glance.GlanceImageService()
    ctxt = _ctx()
    image = svc.create(ctxt, {
        'name': 'server', 'is_public': False, 'container_format': 'ami',
        'disk_format': 'ami', 'properties': {
            'kernel_id': 7, 'image_state': 'available',
            'project_id': 'proj', 'mappings': [{'virtual': 'ami',
                                                'device': 'sda1'}]}},
        data=io.BytesIO(b'x' * 200000))
    assert image['id'] == 1 and image['status'] == 'active'
    assert image['size'] == 200000
    assert fake_tokens(fake_glance)[-1] == 'tok-proj'
    shown = svc.show(ctxt, 1)
    assert shown['name'] == 'server' and shown['is_public'] is False
    assert shown['properties']['kernel_id'] == 7
    assert shown['properties']['mappings'] == [{'virtual': 'ami',
                                                'device': 'sda1'}]
    assert shown['size'] == 200000
    assert shown['created_at'].year == 2011
    out = io.BytesIO()
    svc.get(ctxt, 1, out)
    assert out.getvalue() == b'x' * 200000
    svc.update(ctxt, 1, {'is_public': True,
                         'properties': {'description': 'mine'}})
    shown = svc.show(ctxt, 1)
    assert shown['is_public'] is True
    # Properties are merged, not replaced.
    assert shown['properties']['description'] == 'mine'
    assert shown['properties']['image_state'] == 'available'
    svc.delete(ctxt, 1)
    with pytest.raises(exception.ImageNotFound):
        svc.show(ctxt, 1)
    with pytest.raises(exception.ImageNotFound):
        svc.delete(ctxt, 99)


def test_queued_image_gets_its_data_later(fake_glance):
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
    svc.get(ctxt, image['id'], out)
    assert out.getvalue() == b'late data'
    assert svc.show(ctxt, image['id'])['properties'] == {
        'image_state': 'available', 'project_id': 'proj',
        'owner_id': 'proj'}


def test_detail_pages_filters_and_visibility(fake_glance):
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
    # More than Glance's default page of 25: the project's 20 and the one
    # public image of the other project, nothing else.
    assert len(mine) == 20 + 1
    assert 'img00' in names and 'img03' not in names
    assert len(svc.detail(_ctx(admin=True))) == 30
    page = svc.detail(_ctx('proj'), marker=mine[4]['id'], limit=3)
    assert [i['id'] for i in page] == [i['id'] for i in mine[5:8]]
    kernels = svc.detail(_ctx('proj'), filters={'container_format': 'aki'})
    assert kernels and all(i['container_format'] == 'aki' for i in kernels)
    with pytest.raises(exception.ImageNotFound):
        svc.show(_ctx('proj'), 4)


def test_unreachable_glance_is_a_clear_error(set_flags):
    set_flags(glance_api_servers=['127.0.0.1:1'])
    with pytest.raises(glance.GlanceError) as err:
        glance.GlanceImageService().show(_ctx(), 1)
    assert 'unreachable' in str(err.value)


def test_diablo_glance_is_spoken_to_in_v1(fake_glance, set_flags):
    svc = glance.GlanceImageService()
    assert svc.api_version(_ctx()) == 1
    set_flags(glance_api_version='2')
    glance.forget_api_versions()
    with pytest.raises(glance.GlanceError) as err:
        svc.show(_ctx(), 1)
    assert 'offers API versions [1], not 2' in str(err.value)


def test_update_with_purge_props_replaces_properties(fake_glance):
    svc = glance.GlanceImageService()
    ctxt = _ctx()
    image = svc.create(ctxt, {'name': 'p', 'properties': {
        'project_id': 'proj', 'a': '1', 'b': '2'}})
    svc.update(ctxt, image['id'], {'properties': {'project_id': 'proj',
                                                  'a': '9'}},
               purge_props=True)
    assert svc.show(ctxt, image['id'])['properties'] == {
        'project_id': 'proj', 'a': '9'}
