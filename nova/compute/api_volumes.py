"""The volume side of compute's API: attach, detach, and the block device
mappings of a launch.  Mixed into :class:`nova.compute.api.API`.

Attach moves the volume ``available`` -> ``attaching`` here and casts
``attach_volume`` to the instance's host; detach moves it ``in-use`` ->
``detaching`` and casts ``detach_volume``.  The compute host ends both
(``in-use`` / ``available``), or puts the volume back where it was.  The
state move and the cast commit together (transactional outbox): while the
broker is away the request waits in the outbox, it is never lost.
"""

import logging

from nova import db
from nova import exception
from nova import flags
from nova.compute import vm_states
from nova.rpc import outbox

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.compute.api')

#: vm_states of an instance a volume may be attached to or detached from.
_ATTACHABLE = (vm_states.ACTIVE, vm_states.STOPPED)


def normalize_device(device):
    """``vdb`` -> ``/dev/vdb``; anything else unchanged."""
    device = str(device or '').strip()
    if device and not device.startswith('/dev/'):
        device = '/dev/' + device
    return device


class VolumeAttachMixin(object):
    """Attach/detach and block device mappings (needs ``self.get``)."""

    _volume_api = None

    @property
    def volume_api(self):
        """The client side of nova-volume."""
        if self._volume_api is None:
            from nova.volume import api as volume_api
            self._volume_api = volume_api.API()
        return self._volume_api

    def _device_taken(self, context, instance, device):
        for volume in db.volume_get_all_by_instance(context.elevated(),
                                                    instance['id']):
            if volume['mountpoint'] == device:
                return True
        return False

    def attach_volume(self, context, instance_id, volume_id, device):
        """Attach a volume of the caller's project to one of its instances.

        Returns the volume (now ``attaching``).  Errors: InstanceNotFound,
        VolumeNotFound (also for another project's), InvalidDevicePath,
        DeviceInUse, VolumeInUse, InvalidVolumeState, InstanceInvalidState.
        """
        instance = self.get(context, instance_id)
        self.check_unlocked(context, instance, 'attach_volume')
        device = self.volume_api.check_device(normalize_device(device))
        volume = self.volume_api.get(context, volume_id)
        if instance['vm_state'] not in _ATTACHABLE or not instance['host']:
            raise exception.InstanceInvalidState(
                instance_id=instance['id'], attr='vm_state',
                state=instance['vm_state'], method='attach_volume')
        # an admin's "zone:host" placement names the zone before the colon
        instance_zone = (instance['availability_zone'] or '').partition(
            ':')[0]
        if volume['availability_zone'] and instance_zone and \
                volume['availability_zone'] != instance_zone:
            raise exception.VolumeZoneMismatch(
                volume_id=volume['id'],
                volume_zone=volume['availability_zone'],
                instance_zone=instance['availability_zone'])
        if self._device_taken(context, instance, device):
            raise exception.DeviceInUse(device=device,
                                        instance_id=instance['id'])
        with db.session_scope():
            volume = self.volume_api.begin_attach(context, volume['id'],
                                                   instance['id'], device)
            outbox.cast(context, '%s.%s' % (FLAGS.compute_topic,
                                            instance['host']),
                        {'method': 'attach_volume',
                         'args': {'instance_id': instance['id'],
                                  'volume_id': volume['id'],
                                  'mountpoint': device}})
        return volume

    def detach_volume(self, context, volume_id, force=False):
        """Detach an attached volume; returns it (now ``detaching``).

        A volume whose instance is gone or has no host is detached here;
        a locked instance keeps its volumes (InstanceIsLocked) unless the
        caller is an administrator.
        """
        attached_to = self.volume_api.get(context, volume_id).get(
            'instance_id')
        if attached_to:
            try:
                self.check_unlocked(context, db.instance_get(
                    context.elevated(), attached_to), 'detach_volume')
            except exception.InstanceNotFound:
                pass
        with db.session_scope():
            volume = self.volume_api.begin_detach(context, volume_id)
            try:
                instance = db.instance_get(context.elevated(),
                                           volume['instance_id'])
            except exception.InstanceNotFound:
                instance = None
            if instance is None or not instance['host']:
                db.volume_detached(context, volume['id'])
                return volume
            outbox.cast(context, '%s.%s' % (FLAGS.compute_topic,
                                            instance['host']),
                        {'method': 'detach_volume',
                         'args': {'instance_id': instance['id'],
                                  'volume_id': volume['id'],
                                  'force': bool(force)}})
        return volume

    # -- block device mappings of a launch --------------------------------------
    def check_block_device_mapping(self, context, mappings, max_count):
        """Validate the mappings of a launch before anything is written.

        Each is a dict: ``device_name`` and one of ``volume_id``,
        ``snapshot_id``, ``volume_size`` (a new blank volume),
        ``virtual_name`` or ``no_device``; ``delete_on_termination``.
        Returns them normalized.
        """
        checked = []
        devices = set()
        for mapping in mappings or []:
            mapping = dict(mapping)
            device = normalize_device(mapping.get('device_name'))
            if not device:
                raise exception.MissingParameter(
                    param='BlockDeviceMapping.N.DeviceName')
            if device in devices:
                raise exception.InvalidParameterValue(
                    err='Device %s is mapped twice' % device)
            devices.add(device)
            mapping['device_name'] = device
            if mapping.get('no_device') or mapping.get('virtual_name'):
                checked.append(mapping)
                continue
            if mapping.get('volume_id') is not None:
                if max_count > 1:
                    raise exception.InvalidParameterValue(
                        err='A volume can be attached to one instance only')
                volume = self.volume_api.get(context, mapping['volume_id'])
                if volume['status'] != 'available':
                    raise exception.VolumeInUse(volume_id=volume['id'],
                                                status=volume['status'])
            elif mapping.get('snapshot_id') is not None:
                snapshot = self.volume_api.get_snapshot(
                    context, mapping['snapshot_id'])
                if snapshot['status'] != 'available':
                    raise exception.InvalidSnapshotState(
                        snapshot_id=snapshot['id'],
                        status=snapshot['status'], action='launch from')
                wanted = mapping.get('volume_size')
                if wanted and int(wanted) < (snapshot['volume_size'] or 0):
                    raise exception.InvalidVolumeSize(
                        size=wanted, reason='smaller than the snapshot (%s '
                        'GB)' % snapshot['volume_size'])
            elif not mapping.get('volume_size'):
                raise exception.InvalidParameterValue(
                    err='BlockDeviceMapping for %s needs a snapshot, a '
                        'volume or a size' % device)
            self.volume_api.check_device(device)
            checked.append(mapping)
        return checked

    @staticmethod
    def store_block_device_mapping(context, instance_id, mappings):
        """Write the ``block_device_mapping`` rows of a new instance."""
        for mapping in mappings or []:
            values = dict((key, mapping.get(key)) for key in (
                'device_name', 'volume_id', 'snapshot_id', 'volume_size',
                'virtual_name', 'no_device'))
            values['delete_on_termination'] = bool(
                mapping.get('delete_on_termination'))
            values['instance_id'] = instance_id
            db.block_device_mapping_create(context, values)
