"""Snapshots of an instance's root disk into a new image (EC2 CreateImage).

API side (:class:`SnapshotApiMixin`, mixed into :class:`nova.compute.api.API`):
the new image is created ``queued`` with ``image_state`` ``pending``, the
instance's task becomes ``image_snapshot`` and ``snapshot_instance`` goes to
the instance's host in the same transaction (outbox).  Compute side
(:class:`SnapshotManagerMixin`): the driver copies the disk into the image,
which becomes ``available``; a failed copy marks the image ``failed`` with
the reason and leaves the instance as it was (a snapshot that fails does not
break the instance).  Delivered twice, the second copy finds the image done
and does nothing.
"""

import logging

from nova import db
from nova import exception
from nova.compute import task_states
from nova.compute import vm_states

LOG = logging.getLogger('nova.compute.snapshots')

#: ``properties.image_error`` of a snapshot the host could not make.
SNAPSHOT_FAILED = 'failed: the snapshot failed on the host'

#: vm_states an instance may be snapshotted in.
SNAPSHOTTABLE = (vm_states.ACTIVE, vm_states.STOPPED)


class SnapshotApiMixin(object):
    """``snapshot()`` of the compute API (needs ``get``, ``image_service``,
    ``_check_state`` and ``_cast_compute``)."""

    @staticmethod
    def can_snapshot(context, instance):
        """Whether the instance's host has a hypervisor that copies disks.

        The fake hypervisor's guests have no disk: an image "snapshotted"
        from one would hold nothing, so EC2 refuses them as instance-store.
        """
        if not instance['host']:
            return False
        ctxt = context.elevated()
        try:
            service = db.service_get_by_args(ctxt, instance['host'],
                                             'nova-compute')
            node = db.compute_node_get_by_service(ctxt, service['id'])
        except exception.NotFound:
            return False
        return (node.get('hypervisor_type') or 'fake').lower() not in (
            'fake',)

    def snapshot(self, context, instance_id, name, description=None):
        """Start a snapshot of ``instance_id`` as image ``name``.

        Returns the new image (state ``pending``); the compute host makes
        it ``available`` (or ``failed``).
        """
        instance = self.get(context, instance_id)
        self._check_state(instance, 'snapshot', vm_ok=SNAPSHOTTABLE)
        if not instance['host']:
            raise exception.InstanceInvalidState(
                instance_id=instance['id'], attr='host', state='unassigned',
                method='snapshot')
        props = {'image_state': 'pending', 'image_location': 'snapshot',
                 'project_id': context.project_id,
                 'owner_id': context.project_id,
                 'instance_id': str(instance['id'])}
        for key in ('kernel_id', 'ramdisk_id'):
            if instance.get(key):
                props[key] = str(instance[key])
        if description:
            props['description'] = description
        image = self.image_service.create(context, {
            'name': name, 'is_public': False, 'status': 'queued',
            'container_format': 'ami', 'disk_format': 'ami',
            'properties': props})
        try:
            with db.session_scope():
                db.instance_update_columns(
                    context, instance['id'],
                    {'task_state': task_states.IMAGE_SNAPSHOT})
                self._cast_compute(context, instance, 'snapshot_instance',
                                   image_id=image['id'])
        except Exception:
            # Nothing half-made: no image without the request to fill it.
            self.image_service.delete(context, image['id'])
            raise
        return image


def image_is_done(image):
    """Whether a snapshot image was already filled (or given up)."""
    state = (image.get('properties') or {}).get('image_state')
    return image.get('status') == 'active' or state in ('available',
                                                        'failed')


class SnapshotManagerMixin(object):
    """``snapshot_instance`` of the compute manager (needs ``driver`` and
    ``_update``)."""

    @staticmethod
    def _snapshot_images():
        from nova import image
        return image.get_default_image_service()

    def snapshot_instance(self, context, instance_id, image_id, **_kwargs):
        """Copy the instance's root disk into image ``image_id``."""
        context = context.elevated()
        images = self._snapshot_images()
        try:
            target = images.show(context, image_id)
        except exception.NotFound:
            LOG.warning('Snapshot of instance %s: image %s is gone',
                        instance_id, image_id)
            self._update(context, instance_id, task_state=None)
            return
        if image_is_done(target):
            LOG.info('Snapshot %s of instance %s already done', image_id,
                     instance_id)
            return
        instance = db.instance_get(context, instance_id)
        try:
            self.driver.snapshot(context, instance, image_id)
        except Exception:  # noqa: BLE001 - logged; the image is marked failed
            LOG.exception('Snapshot of instance %s failed', instance_id)
            props = dict(target.get('properties') or {})
            # The user sees a stable reason (EC2 stateReason); the
            # error's own text (paths, commands) stays in the log.
            props.update(image_state='failed', image_error=SNAPSHOT_FAILED)
            try:
                images.update(context, image_id, {'status': 'killed',
                                                  'properties': props})
            except Exception:  # noqa: BLE001 - the log says it all
                LOG.exception('Could not mark image %s failed', image_id)
        finally:
            self._update(context, instance_id, task_state=None)
