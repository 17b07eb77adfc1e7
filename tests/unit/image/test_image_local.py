"""LocalImageService: files under --images_path, ids, visibility."""

import io
import multiprocessing
import os

import pytest

from nova import context
from nova import exception
from nova import image
from nova.image import fake
from nova.image import local


@pytest.fixture
def svc(tmp_path, set_flags):
    set_flags(state_path=str(tmp_path),
              image_service='nova.image.local.LocalImageService')
    return image.get_default_image_service()


ADMIN = context.get_admin_context()


def _meta(**extra):
    meta = {'name': 'img', 'is_public': False, 'container_format': 'ami',
            'disk_format': 'ami',
            'properties': {'project_id': 'p1', 'image_state': 'available'}}
    meta.update(extra)
    return meta


def test_default_is_local(svc, tmp_path):
    assert isinstance(svc, local.LocalImageService)
    assert svc.path == str(tmp_path / 'images')


def test_create_show_get_update_delete(svc, tmp_path):
    new = svc.create(ADMIN, _meta(arch='i386'), io.BytesIO(b'x' * 70000))
    assert new['id'] == 1 and new['size'] == 70000
    assert new['checksum'] and new['status'] == 'active'
    assert new['properties']['arch'] == 'i386'  # unknown keys -> properties
    shown = svc.show(ADMIN, 1)
    assert shown['name'] == 'img' and shown['created_at'] == new['created_at']
    out = io.BytesIO()
    assert svc.get(ADMIN, '1', out)['id'] == 1
    assert out.getvalue() == b'x' * 70000
    assert (tmp_path / 'images' / '1' / 'image').stat().st_size == 70000
    updated = svc.update(ADMIN, 1, {'name': 'new',
                                    'properties': {'kernel_id': 5}})
    assert updated['name'] == 'new'
    assert updated['properties'] == {'project_id': 'p1', 'arch': 'i386',
                                     'image_state': 'available',
                                     'kernel_id': 5}
    assert svc.show(ADMIN, 1)['updated_at'] is not None
    svc.delete(ADMIN, 1)
    with pytest.raises(exception.ImageNotFound):
        svc.show(ADMIN, 1)
    with pytest.raises(exception.ImageNotFound):
        svc.delete(ADMIN, 1)
    # ids are never reused
    assert svc.create(ADMIN, _meta(), b'')['id'] == 2


def test_not_found(svc):
    for bad in (42, 'garbage', None):
        with pytest.raises(exception.ImageNotFound):
            svc.show(ADMIN, bad)


def test_visibility_and_filters(svc):
    svc.create(ADMIN, _meta(name='private'))
    svc.create(ADMIN, _meta(name='public', is_public='T',
                            container_format='aki'))
    svc.create(ADMIN, dict(_meta(name='other'),
                           properties={'project_id': 'p2'}))
    p1 = context.RequestContext('u', 'p1')
    p2 = context.RequestContext('u', 'p2')
    assert [i['name'] for i in svc.detail(p1)] == ['private', 'public']
    assert [i['name'] for i in svc.detail(p2)] == ['public', 'other']
    assert len(svc.detail(ADMIN)) == 3
    with pytest.raises(exception.ImageNotFound):
        svc.show(p2, 1)
    assert [i['name'] for i in svc.detail(
        ADMIN, filters={'container_format': 'aki'})] == ['public']
    assert [i['name'] for i in svc.detail(
        ADMIN, filters={'project_id': 'p2'})] == ['other']
    assert [i['id'] for i in svc.detail(ADMIN, marker=1, limit=1)] == [2]
    assert svc.index(p1) == [{'id': 1, 'name': 'private'},
                             {'id': 2, 'name': 'public'}]
    assert svc.show_by_name(p1, 'public')['id'] == 2
    mine = svc.create(p1, {'name': 'mine'})
    assert mine['properties']['owner_id'] == 'p1'
    assert svc.show(p1, mine['id'])['name'] == 'mine'


def test_interrupted_create_is_invisible(svc, tmp_path):
    os.makedirs(os.path.join(svc.path, '7'))  # claimed, never finished
    assert svc.detail(ADMIN) == []
    assert svc.create(ADMIN, _meta())['id'] == 8


def _create_many(path, count, queue):
    service = local.LocalImageService(path)
    queue.put([service.create(None, {'name': 'n'}, b'data')['id']
               for _i in range(count)])


def test_ids_unique_across_processes(svc, tmp_path):
    mp = multiprocessing.get_context('fork')
    queue = mp.Queue()
    path = str(tmp_path / 'images')
    children = [mp.Process(target=_create_many, args=(path, 10, queue))
                for _i in range(4)]
    for child in children:
        child.start()
    ids = []
    for _child in children:
        ids.extend(queue.get(timeout=60))
    for child in children:
        child.join(30)
    assert sorted(ids) == list(range(1, 41))
    assert len(svc.detail(ADMIN)) == 40


def test_fake_service():
    fake.reset()
    svc = fake.FakeImageService()
    assert [(i['id'], i['container_format']) for i in svc.detail(None)] == [
        (1, 'aki'), (2, 'ari'), (3, 'ami')]
    assert svc.show(None, 3)['properties']['kernel_id'] == 1
    new = svc.create(ADMIN, {'name': 'x'}, b'abc')
    out = io.BytesIO()
    svc.get(ADMIN, new['id'], out)
    assert out.getvalue() == b'abc' and new['size'] == 3
    assert svc.update(ADMIN, new['id'], {'name': 'y'})['name'] == 'y'
    svc.delete(ADMIN, new['id'])
    with pytest.raises(exception.ImageNotFound):
        svc.show(ADMIN, new['id'])
    with pytest.raises(exception.ImageNotFound):
        svc.show(context.RequestContext('u', 'nobody'), 99)
    fake.reset()
    assert len(svc.detail(None)) == 3


def test_update_with_purge_props_replaces_properties(svc):
    new = svc.create(ADMIN, _meta(arch='i386'))
    updated = svc.update(ADMIN, new['id'], {'properties': {'k': 'v'}},
                         purge_props=True)
    assert updated['properties'] == {'k': 'v'}
    assert svc.show(ADMIN, new['id'])['properties'] == {'k': 'v'}
