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

Backups (the OpenStack API's ``createBackup``, Diablo's) are snapshots
with ``image_type`` ``backup``, a ``backup_type`` (``daily``, ``weekly``
…) and the instance's uuid in their properties; once a backup is made, the
compute host deletes the oldest backups of that instance and type beyond
``rotation``, as Diablo's ``rotate_backups`` did.
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

    def backup(self, context, instance_id, name, backup_type, rotation,
               extra_properties=None):
        """Start a backup of ``instance_id`` as image ``name``; the host
        then keeps only the newest ``rotation`` (>= 1) backups of this
        ``backup_type``.  Returns the new image."""
        if not isinstance(rotation, int) or rotation < 1:
            raise exception.InvalidParameterValue(
                err='rotation must be a positive integer')
        instance = self.get(context, instance_id)
        props = dict(extra_properties or {})
        props.update(image_type='backup', backup_type=str(backup_type),
                     instance_uuid=instance['uuid'])
        return self.snapshot(context, instance_id, name,
                             extra_properties=props,
                             cast_args={'image_type': 'backup',
                                        'backup_type': str(backup_type),
                                        'rotation': rotation})

    def snapshot(self, context, instance_id, name, description=None,
                 extra_properties=None, cast_args=None):
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
        for key, value in (extra_properties or {}).items():
            props.setdefault(str(key), value)
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
                                   image_id=image['id'],
                                   **(cast_args or {}))
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

    def snapshot_instance(self, context, instance_id, image_id,
                          image_type='snapshot', backup_type=None,
                          rotation=None, **_kwargs):
        """Copy the instance's root disk into image ``image_id`` (then,
        for a backup, rotate that type's backups)."""
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
            self._record(context, instance_id, image_type, SNAPSHOT_FAILED)
        else:
            self._record(context, instance_id, image_type, None)
            if image_type == 'backup' and rotation:
                try:
                    self.rotate_backups(context, instance['uuid'],
                                        backup_type, int(rotation))
                except Exception:  # noqa: BLE001 - the backup stands
                    LOG.exception('Could not rotate the %s backups of '
                                  'instance %s', backup_type, instance_id)
        finally:
            self._update(context, instance_id, task_state=None)

    @staticmethod
    def _record(context, instance_id, action, error):
        try:
            db.instance_action_create(context, {
                'instance_id': instance_id, 'action': action,
                'error': error})
        except Exception:  # noqa: BLE001 - the record is not the action
            LOG.exception('Could not record the %s of instance %s', action,
                          instance_id)

    def rotate_backups(self, context, instance_uuid, backup_type, rotation):
        """Delete the oldest backups of the instance and ``backup_type``
        beyond the newest ``rotation`` ones (the one just made counts)."""
        images = self._snapshot_images()
        backups = images.detail(context, filters={
            'image_type': 'backup', 'backup_type': backup_type,
            'instance_uuid': instance_uuid})
        backups.sort(key=lambda i: (i.get('created_at') is not None,
                                    i.get('created_at'), i['id']),
                     reverse=True)
        for image in backups[rotation:]:
            LOG.info('Rotating out backup %s of instance %s (%s, keeping '
                     '%d)', image['id'], instance_uuid, backup_type,
                     rotation)
            try:
                images.delete(context, image['id'])
            except exception.NotFound:
                pass
