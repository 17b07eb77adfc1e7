"""Snapshots (EC2 CreateImage): the image, the cast, the compute side."""

import pytest

from nova import db
from nova import exception
from nova.compute import snapshots
from tests.unit.compute.conftest import FakeImageService


class WritableImages(FakeImageService):
    """The fake image service, with create/update/delete."""

    def create(self, ctxt, meta, data=None):
        image_id = max(self.images) + 1
        self.images[image_id] = dict(meta, id=image_id)
        return dict(self.images[image_id])

    def update(self, ctxt, image_id, meta, data=None):
        image = self.images[int(image_id)]
        image.update(meta)
        if data is not None:
            image['data'] = data.read() if hasattr(data, 'read') else data
        return dict(image)

    def delete(self, ctxt, image_id):
        del self.images[int(image_id)]


@pytest.fixture
def writable(monkeypatch):
    images = WritableImages()
    monkeypatch.setattr(snapshots.SnapshotManagerMixin, '_snapshot_images',
                        staticmethod(lambda: images))
    return images


@pytest.fixture
def snap_api(writable, network):
    from nova.compute import api
    return api.API(image_service=writable, network_api=network)


def _running(user, snap_api, compute, hypervisor='QEMU'):
    [inst] = snap_api.create(user, 'm1.tiny', 1)
    compute.run_instance(user, inst['id'])
    admin = user.elevated()
    service = db.service_create(admin, {'host': 'host1', 'topic': 'compute',
                                        'binary': 'nova-compute'})
    compute.update_available_resource(admin)
    node = db.compute_node_get_by_service(admin, service['id'])
    db.compute_node_update(admin, node['id'],
                           {'hypervisor_type': hypervisor})
    return db.instance_get(user, inst['id'])


def test_fake_hypervisor_cannot_snapshot(user, snap_api, compute, casts):
    inst = _running(user, snap_api, compute, hypervisor='fake')
    assert not snap_api.can_snapshot(user, inst)


def test_snapshot_end_to_end(user, snap_api, compute, casts, writable,
                             monkeypatch):
    inst = _running(user, snap_api, compute)
    assert snap_api.can_snapshot(user, inst)
    copied = []

    def snapshot(ctxt, instance, image_id):
        copied.append((instance['id'], image_id))
        writable.update(ctxt, image_id, {
            'status': 'active',
            'properties': dict(writable.images[image_id]['properties'],
                               image_state='available')}, b'disk')

    monkeypatch.setattr(compute.driver, 'snapshot', snapshot)
    image = snap_api.snapshot(user, inst['id'], 'my-snap', 'of the web')
    assert image['properties']['image_state'] == 'pending'
    assert image['properties']['description'] == 'of the web'
    assert db.instance_get(user, inst['id'])['task_state'] == \
        'image_snapshot'
    topic, method, args = casts.sent[-1]
    assert (topic, method) == ('compute.host1', 'snapshot_instance')
    assert args['image_id'] == image['id']
    compute.snapshot_instance(user, inst['id'], image['id'])
    assert copied == [(inst['id'], image['id'])]
    assert writable.images[image['id']]['status'] == 'active'
    assert db.instance_get(user, inst['id'])['task_state'] is None
    # Delivered again (at-least-once): nothing is copied twice.
    compute.snapshot_instance(user, inst['id'], image['id'])
    assert len(copied) == 1


def test_failed_copy_marks_the_image_not_the_instance(
        user, snap_api, compute, casts, writable, monkeypatch):
    inst = _running(user, snap_api, compute)

    def boom(*_args):
        raise IOError('disk unreadable')

    monkeypatch.setattr(compute.driver, 'snapshot', boom)
    image = snap_api.snapshot(user, inst['id'], 'my-snap')
    compute.snapshot_instance(user, inst['id'], image['id'])
    failed = writable.images[image['id']]
    assert failed['properties']['image_state'] == 'failed'
    assert failed['properties']['image_error'] == \
        'failed: the snapshot failed on the host'
    assert 'disk unreadable' not in str(failed)
    row = db.instance_get(user, inst['id'])
    assert row['vm_state'] == 'active' and row['task_state'] is None


def test_snapshot_refused_while_busy_leaves_no_image(
        user, snap_api, compute, casts, writable):
    inst = _running(user, snap_api, compute)
    before = set(writable.images)
    db.instance_update_columns(user, inst['id'],
                               {'vm_state': 'building'})
    with pytest.raises(exception.InstanceInvalidState):
        snap_api.snapshot(user, inst['id'], 'my-snap')
    assert set(writable.images) == before


def test_cast_failure_removes_the_image(user, snap_api, compute, casts,
                                        writable, monkeypatch):
    inst = _running(user, snap_api, compute)
    before = set(writable.images)

    def down(*_args, **_kwargs):
        raise exception.DBError(reason='gone')

    monkeypatch.setattr(db, 'instance_update_columns', down)
    with pytest.raises(exception.DBError):
        snap_api.snapshot(user, inst['id'], 'my-snap')
    assert set(writable.images) == before
