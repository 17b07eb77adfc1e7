"""Client side of nova-volume: what the APIs, compute and nova-manage call.

:class:`API` validates a request, writes the rows and sends the work over
RPC: ``create_volume`` through the scheduler (which picks a volume host),
the rest to ``volume.<host>`` of the volume.  It never imports a manager.
Casts of work go through the transactional outbox (:mod:`nova.rpc.outbox`):
each commits with the rows it concerns, so a broker outage delays the
work but never loses it, and the API answers without waiting for the
broker.

The checks of attach and detach live here (``check_attach`` /
``check_detach``) so that compute's API and nova-manage share them; the
state moves themselves are compare-and-set updates, so two requests racing
for one volume cannot both win.
"""

import logging
import re

from nova import db
from nova import exception
from nova import flags
from nova import quota
from nova import rpc
from nova import utils
from nova.rpc import outbox

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.volume.api')

flags.DEFINE_string('storage_availability_zone', 'nova',
                    'availability zone of this service')
flags.DEFINE_integer('max_volume_size', 1000,
                     'largest volume (GB) a user may create')

#: device names a volume may be attached at (Diablo's check).
DEVICE_RE = re.compile(r'^/dev/[a-z]d[a-z]+$')


class VolumeQuotaError(quota.QuotaError, exception.QuotaError):
    """Volume quota exceeded (EC2 ``VolumeLimitExceeded``)."""

    def __init__(self, message):
        super(VolumeQuotaError, self).__init__(message,
                                               'VolumeLimitExceeded')


def _size(size):
    try:
        value = int(str(size).strip())
    except (TypeError, ValueError):
        raise exception.InvalidVolumeSize(size=size,
                                          reason='not a whole number of GB')
    if value < 1:
        raise exception.InvalidVolumeSize(size=size,
                                          reason='must be at least 1 GB')
    if value > FLAGS.max_volume_size:
        raise exception.InvalidVolumeSize(
            size=size, reason='must be at most %d GB (--max_volume_size)'
            % FLAGS.max_volume_size)
    return value


class API(object):
    """Create, list, delete and snapshot volumes."""

    # -- volumes --------------------------------------------------------------
    def create(self, context, size=None, snapshot_id=None, name=None,
               description=None, availability_zone=None):
        """Record a volume (``creating``) and ask the scheduler to make it.

        ``size`` in GB; with ``snapshot_id`` it may be omitted (the
        snapshot's size) but not smaller than the snapshot.
        """
        snapshot = None
        if snapshot_id is not None:
            snapshot = self.get_snapshot(context, snapshot_id)
            if snapshot['status'] != 'available':
                raise exception.InvalidSnapshotState(
                    snapshot_id=snapshot_id, status=snapshot['status'],
                    action='create a volume from')
            if size is None or size == '':
                size = snapshot['volume_size']
        if size is None or size == '':
            raise exception.MissingParameter(param='Size')
        size = _size(size)
        if snapshot is not None and size < (snapshot['volume_size'] or 0):
            raise exception.InvalidVolumeSize(
                size=size, reason='smaller than the snapshot (%s GB)'
                % snapshot['volume_size'])
        zone = availability_zone or FLAGS.storage_availability_zone
        if zone != FLAGS.storage_availability_zone:
            raise exception.InvalidParameterValue(
                err='Unknown availability zone %s' % zone)
        # The volume and the request to make it commit together (outbox):
        # a broker outage delays the work, it never loses it.
        with db.session_scope():
            if quota.allowed_volumes(context, 1, size) < 1:
                LOG.warning('Quota exceeded for %s, tried to create %sG '
                            'volume', context.project_id, size)
                raise VolumeQuotaError('Volume quota exceeded. You cannot '
                                       'create a volume of size %sG' % size)
            volume = db.volume_create(context, {
                'size': size, 'user_id': context.user_id,
                'project_id': context.project_id,
                'snapshot_id': snapshot['id'] if snapshot else None,
                'availability_zone': zone, 'status': 'creating',
                'attach_status': 'detached',
                'display_name': name, 'display_description': description})
            outbox.cast(context, FLAGS.scheduler_topic, {
                'method': 'create_volume',
                'args': {'topic': FLAGS.volume_topic,
                         'volume_id': volume['id'],
                         'snapshot_id': snapshot['id'] if snapshot else None}})
        return volume

    def get(self, context, volume_id):
        """A volume (project-scoped); raises VolumeNotFound."""
        return db.volume_get(context, volume_id)

    def get_all(self, context):
        """The volumes the context may see."""
        if context.is_admin:
            return db.volume_get_all(context)
        return db.volume_get_all_by_project(context, context.project_id)

    def delete(self, context, volume_id):
        """Delete an ``available`` (or failed) volume.

        An attached volume is refused with VolumeInUse; a volume in the
        middle of something else with InvalidVolumeState.
        """
        volume = self.get(context, volume_id)
        if volume['status'] in ('in-use', 'attaching', 'detaching') or \
                volume['attach_status'] == 'attached':
            raise exception.VolumeInUse(volume_id=volume_id,
                                        status=volume['status'])
        allowed = ('available', 'error', 'error_deleting')
        with db.session_scope():
            if not db.volume_update_if_status(
                    context, volume['id'], allowed,
                    {'status': 'deleting', 'terminated_at': utils.utcnow()}):
                volume = self.get(context, volume_id)
                raise exception.InvalidVolumeState(
                    volume_id=volume_id, status=volume['status'],
                    action='delete')
            if not volume['host']:
                # Never reached a volume host: nothing to erase.
                db.volume_destroy(context.elevated(), volume['id'])
                return
            # The state and the request commit together (outbox).
            self.cast_to_host(context, volume, 'delete_volume',
                              volume_id=volume['id'])

    def update(self, context, volume_id, **values):
        """Change the display name/description."""
        allowed = dict((k, v) for k, v in values.items()
                       if k in ('display_name', 'display_description'))
        self.get(context, volume_id)
        return db.volume_update(context, volume_id, allowed)

    # -- attach checks (used by compute's API) ------------------------------------
    def check_device(self, device):
        """``/dev/[a-z]d[a-z]+`` or InvalidDevicePath."""
        if device is None or not DEVICE_RE.match(str(device)):
            raise exception.InvalidDevicePath(path=device)
        return str(device)

    def begin_attach(self, context, volume_id, instance_id=None,
                     mountpoint=None):
        """``available`` -> ``attaching`` (recording the instance and the
        mountpoint it is going to); VolumeInUse/InvalidVolumeState."""
        volume = self.get(context, volume_id)
        if volume['status'] != 'available' or \
                volume['attach_status'] == 'attached':
            if volume['status'] in ('in-use', 'attaching', 'detaching'):
                raise exception.VolumeInUse(volume_id=volume_id,
                                            status=volume['status'])
            raise exception.InvalidVolumeState(
                volume_id=volume_id, status=volume['status'],
                action='attach')
        if not db.volume_update_if_status(context, volume['id'],
                                          ('available',),
                                          {'status': 'attaching',
                                           'instance_id': instance_id,
                                           'mountpoint': mountpoint}):
            raise exception.VolumeInUse(volume_id=volume_id,
                                        status='attaching')
        return volume

    def begin_detach(self, context, volume_id):
        """``in-use`` -> ``detaching``; IncorrectState when not attached."""
        volume = self.get(context, volume_id)
        if volume['status'] != 'in-use' or not volume['instance_id']:
            raise exception.InvalidVolumeState(
                volume_id=volume_id, status=volume['status'],
                action='detach')
        if not db.volume_update_if_status(context, volume['id'],
                                          ('in-use',),
                                          {'status': 'detaching'}):
            raise exception.InvalidVolumeState(
                volume_id=volume_id, status='detaching', action='detach')
        return volume

    # -- snapshots ----------------------------------------------------------------
    def create_snapshot(self, context, volume_id, name=None,
                        description=None, force=False):
        """Record a snapshot (``creating``) and ask the volume host for it.

        The volume must be ``available`` (or ``in-use`` with ``force``).
        """
        volume = self.get(context, volume_id)
        allowed = ('available', 'in-use') if force else ('available',)
        if volume['status'] not in allowed:
            raise exception.InvalidVolumeState(
                volume_id=volume_id, status=volume['status'],
                action='snapshot')
        with db.session_scope():
            snapshot = db.snapshot_create(context, {
                'volume_id': volume['id'], 'user_id': context.user_id,
                'project_id': context.project_id, 'status': 'creating',
                'progress': '0%', 'volume_size': volume['size'],
                'display_name': name, 'display_description': description})
            self.cast_to_host(context, volume, 'create_snapshot',
                              volume_id=volume['id'],
                              snapshot_id=snapshot['id'])
        return snapshot

    def get_snapshot(self, context, snapshot_id):
        """A snapshot (project-scoped); raises SnapshotNotFound."""
        return db.snapshot_get(context, snapshot_id)

    def get_all_snapshots(self, context):
        """The snapshots the context may see."""
        if context.is_admin:
            return db.snapshot_get_all(context)
        return db.snapshot_get_all_by_project(context, context.project_id)

    def delete_snapshot(self, context, snapshot_id):
        """Delete an ``available`` (or failed) snapshot."""
        snapshot = self.get_snapshot(context, snapshot_id)
        try:
            volume = db.volume_get(context.elevated(), snapshot['volume_id'])
        except exception.VolumeNotFound:
            volume = None
        with db.session_scope():
            if not db.snapshot_update_if_status(
                    context, snapshot['id'],
                    ('available', 'error', 'error_deleting'),
                    {'status': 'deleting'}):
                raise exception.InvalidSnapshotState(
                    snapshot_id=snapshot_id, status=snapshot['status'],
                    action='delete')
            if volume is None or not volume['host']:
                db.snapshot_destroy(context.elevated(), snapshot['id'])
                return
            self.cast_to_host(context, volume, 'delete_snapshot',
                              snapshot_id=snapshot['id'])

    # -- RPC to the volume host -----------------------------------------------------
    @staticmethod
    def _queue(volume):
        return '%s.%s' % (FLAGS.volume_topic, volume['host'])

    def cast_to_host(self, context, volume, method, **args):
        """Cast ``method`` to the volume's host, through the outbox: it
        commits with the caller's transaction (if any) and waits there
        while the broker is away."""
        outbox.cast(context, self._queue(volume), {'method': method,
                                                   'args': args})

    def initialize_connection(self, context, volume):
        """The connection info of a volume (a call to its host)."""
        if not volume['host']:
            raise exception.VolumeBackendError(
                reason='volume %s has no host' % volume['id'])
        return rpc.call(context, self._queue(volume), {
            'method': 'initialize_connection',
            'args': {'volume_id': volume['id']}})
