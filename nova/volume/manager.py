"""Manager of nova-volume: makes, exports, snapshots and deletes volumes.

RPC methods arrive on ``volume.<host>`` (cast by the scheduler, by
:mod:`nova.volume.api` and by nova-manage; ``initialize_connection`` is a
call from nova-compute).  States of ``volumes.status``::

    creating -> available -> attaching -> in-use -> detaching -> available
    available -> deleting -> (row deleted)
    creating -> error            deleting -> error_deleting

``attaching``/``detaching`` are set by the API and ended by nova-compute.
Snapshots: ``creating`` -> ``available`` (progress ``100%``) or ``error``;
``deleting`` -> (row deleted) or ``error_deleting``.

Nothing stays ``creating`` or ``deleting`` after a restart:
:meth:`init_host` redoes interrupted creations (storage half made is
removed first), finishes interrupted deletions and re-exports every volume
of this host.
"""

import logging

from nova import context as nova_context
from nova import db
from nova import exception
from nova import flags
from nova import manager
from nova import utils

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.volume.manager')

flags.DEFINE_string('volume_driver', 'nova.volume.driver.ISCSIDriver',
                    'Driver to use for volume creation', importable=True)
flags.DEFINE_bool('volume_force_update_capabilities', False,
                  'if True will force update capabilities on each check')
# Flags of Diablo features this project lacks (warned about when set).
flags.DEFINE_bool('use_local_volumes', True,
                  'attach volumes by local path when the instance is on the '
                  'volume host', unsupported='local volume attach')

#: volume states in which the volume is exported.
_EXPORTED = ('available', 'in-use', 'attaching', 'detaching')


def _volume_view(volume):
    """The facts a driver needs of a volume row."""
    return {'id': volume['id'], 'name': volume['name'],
            'size': volume['size'],
            'provider_location': volume['provider_location']}


def _snapshot_view(snapshot):
    """The facts a driver needs of a snapshot row."""
    return {'id': snapshot['id'], 'name': snapshot['name'],
            'volume_id': snapshot['volume_id'],
            'volume_size': snapshot['volume_size']}


class VolumeManager(manager.SchedulerDependentManager):
    """Handles the RPC messages sent to the volume topic."""

    def __init__(self, volume_driver=None, *args, **kwargs):
        if volume_driver is None or isinstance(volume_driver, str):
            volume_driver = utils.import_object(volume_driver or
                                                FLAGS.volume_driver)
        self.driver = volume_driver
        kwargs.setdefault('service_name', 'volume')
        super(VolumeManager, self).__init__(*args, **kwargs)
        self._last_volume_stats = {}

    # -- start-up -------------------------------------------------------------
    def init_host(self):
        """Check the driver, then bring this host's volumes to rest."""
        self.driver.check_for_setup_error()
        context = nova_context.get_admin_context()
        for volume in db.volume_get_all_by_host(context, self.host):
            try:
                self._recover(context, volume)
            except Exception:  # noqa: BLE001 - the others still recover
                LOG.exception('Could not recover volume %s', volume['id'])
        for snapshot in db.snapshot_get_all(context):
            if snapshot['status'] not in ('creating', 'deleting'):
                continue
            try:
                volume = db.volume_get(context, snapshot['volume_id'])
            except exception.VolumeNotFound:
                volume = None
            if volume is not None and volume['host'] != self.host:
                continue
            self._recover_snapshot(context, snapshot, volume)

    def _recover(self, context, volume):
        status = volume['status']
        if status == 'creating':
            LOG.info('Volume %s was being created: creating it again',
                     volume['id'])
            self.driver.delete_volume(_volume_view(volume))
            self._create(context, volume, volume['snapshot_id'])
        elif status == 'deleting':
            LOG.info('Volume %s was being deleted: finishing', volume['id'])
            self.delete_volume(context, volume['id'])
        elif status in _EXPORTED:
            self._ensure_export(context, volume)

    def _recover_snapshot(self, context, snapshot, volume):
        if snapshot['status'] == 'deleting':
            self.delete_snapshot(context, snapshot['id'])
            return
        self.driver.delete_snapshot(_snapshot_view(snapshot))
        if volume is None:
            db.snapshot_update(context, snapshot['id'], {'status': 'error'})
            return
        self._snapshot(context, snapshot, volume)

    def _ensure_export(self, context, volume):
        try:
            tid = db.volume_get_iscsi_target_num(context, volume['id'])
        except exception.ISCSITargetNotFoundForVolume:
            LOG.warning('Volume %s has no iSCSI target', volume['id'])
            return
        if not self.driver.volume_exists(_volume_view(volume)):
            LOG.error('Volume %s (%s) has no storage on %s', volume['id'],
                      volume['status'], self.host)
            return
        columns = self.driver.ensure_export(_volume_view(volume), tid)
        if columns:
            db.volume_update(context, volume['id'], columns)

    # -- targets ------------------------------------------------------------------
    def _ensure_iscsi_targets(self, context):
        """This host has rows for target numbers 1..--iscsi_num_targets."""
        wanted = FLAGS.iscsi_num_targets
        if db.iscsi_target_count_by_host(context, self.host) >= wanted:
            return
        for number in range(1, wanted + 1):
            db.iscsi_target_create_safe(context, {'host': self.host,
                                                  'target_num': number})

    # -- volumes --------------------------------------------------------------
    def create_volume(self, context, volume_id, snapshot_id=None, **_kwargs):
        """Make and export a volume; it ends ``available`` or ``error``."""
        context = context.elevated()
        try:
            volume = db.volume_get(context, volume_id)
        except exception.VolumeNotFound:
            LOG.warning('Volume %s vanished before it was created', volume_id)
            return
        if volume['status'] != 'creating':
            LOG.warning('Volume %s is %s, not creating it again', volume_id,
                        volume['status'])
            return
        self._create(context, volume, snapshot_id or volume['snapshot_id'])

    def _create(self, context, volume, snapshot_id):
        volume = db.volume_update(context, volume['id'], {'host': self.host})
        view = _volume_view(volume)
        try:
            if snapshot_id:
                snapshot = db.snapshot_get(context, snapshot_id)
                if snapshot['status'] != 'available':
                    raise exception.InvalidSnapshotState(
                        snapshot_id=snapshot_id, status=snapshot['status'],
                        action='create a volume from')
                self.driver.create_volume_from_snapshot(
                    view, _snapshot_view(snapshot))
            else:
                self.driver.create_volume(view)
            self._ensure_iscsi_targets(context)
            tid = db.volume_allocate_iscsi_target(context, volume['id'],
                                                  self.host)
            columns = self.driver.ensure_export(view, tid) or {}
        except Exception:  # noqa: BLE001 - recorded as the volume's state
            LOG.exception('Volume %s could not be created', volume['id'])
            db.volume_update(context, volume['id'], {'status': 'error'})
            return
        columns.update(status='available', launched_at=utils.utcnow())
        db.volume_update(context, volume['id'], columns)
        LOG.info('Volume %s created and exported', volume['name'])

    def delete_volume(self, context, volume_id, **_kwargs):
        """Unexport, erase and remove a volume, then delete its row.

        An attached volume is refused (it stays as it is); a driver that
        finds it busy (LVM origin of snapshots) puts it back ``available``;
        any other failure leaves it ``error_deleting``.
        """
        context = context.elevated()
        try:
            volume = db.volume_get(context, volume_id)
        except exception.VolumeNotFound:
            LOG.warning('Volume %s already deleted', volume_id)
            return
        if volume['attach_status'] == 'attached' or volume['instance_id']:
            LOG.error('Volume %s is attached: not deleting it', volume_id)
            return
        view = _volume_view(volume)
        try:
            tid = db.volume_get_iscsi_target_num(context, volume['id'])
        except exception.ISCSITargetNotFoundForVolume:
            tid = None
        try:
            if tid is not None:
                self.driver.remove_export(view, tid)
            self.driver.delete_volume(view)
        except exception.VolumeIsBusy as exc:
            LOG.warning('Volume %s is busy (%s): keeping it', volume_id, exc)
            if tid is not None:
                self.driver.ensure_export(view, tid)
            db.volume_update(context, volume_id, {'status': 'available'})
            return
        except Exception:  # noqa: BLE001 - recorded as the volume's state
            LOG.exception('Volume %s could not be deleted', volume_id)
            db.volume_update(context, volume_id,
                             {'status': 'error_deleting'})
            return
        db.volume_destroy(context, volume_id)
        LOG.info('Volume %s deleted', volume['name'])

    # -- snapshots ----------------------------------------------------------------
    def create_snapshot(self, context, volume_id, snapshot_id, **_kwargs):
        """Take a snapshot; it ends ``available`` or ``error``."""
        context = context.elevated()
        try:
            snapshot = db.snapshot_get(context, snapshot_id)
            volume = db.volume_get(context, volume_id)
        except exception.NotFound as exc:
            LOG.warning('Snapshot %s not taken: %s', snapshot_id, exc)
            return
        if snapshot['status'] != 'creating':
            return
        self._snapshot(context, snapshot, volume)

    def _snapshot(self, context, snapshot, volume):
        try:
            self.driver.create_snapshot(_snapshot_view(snapshot),
                                        _volume_view(volume))
        except Exception:  # noqa: BLE001 - recorded as the snapshot's state
            LOG.exception('Snapshot %s could not be taken', snapshot['id'])
            db.snapshot_update(context, snapshot['id'], {'status': 'error'})
            return
        db.snapshot_update(context, snapshot['id'],
                           {'status': 'available', 'progress': '100%'})
        LOG.info('Snapshot %s of %s taken', snapshot['name'], volume['name'])

    def delete_snapshot(self, context, snapshot_id, **_kwargs):
        """Erase and remove a snapshot, then delete its row."""
        context = context.elevated()
        try:
            snapshot = db.snapshot_get(context, snapshot_id)
        except exception.SnapshotNotFound:
            return
        try:
            self.driver.delete_snapshot(_snapshot_view(snapshot))
        except Exception:  # noqa: BLE001 - recorded as the snapshot's state
            LOG.exception('Snapshot %s could not be deleted', snapshot_id)
            db.snapshot_update(context, snapshot_id,
                               {'status': 'error_deleting'})
            return
        db.snapshot_destroy(context, snapshot_id)

    # -- connections (called by nova-compute) ---------------------------------------
    def initialize_connection(self, context, volume_id, **_kwargs):
        """How to reach the volume (see ``nova.virt.driver``).

        Exports it again first if the target daemon lost it.
        """
        context = context.elevated()
        volume = db.volume_get(context, volume_id)
        tid = db.volume_get_iscsi_target_num(context, volume['id'])
        info = self.driver.initialize_connection(_volume_view(volume), tid)
        location = '%s' % info['data']['target_portal']
        LOG.debug('Volume %s reachable at %s', volume_id, location)
        return info

    def check_for_export(self, context, instance_id, **_kwargs):
        """Raise unless every volume of the instance here is exported."""
        context = context.elevated()
        for volume in db.volume_get_all_by_instance(context, instance_id):
            if volume['host'] != self.host:
                continue
            tid = db.volume_get_iscsi_target_num(context, volume['id'])
            self.driver.check_for_export(_volume_view(volume), tid)

    # -- capabilities (reported to the schedulers) -------------------------------
    def report_capabilities(self, context):
        """The driver's volume stats, sent once the service is
        registered (see :meth:`_report_driver_status`)."""
        self._report_driver_status(context)

    @manager.periodic_task
    def _report_driver_status(self, context):
        """Send the driver's volume stats to the schedulers when they
        changed (every time with ``--volume_force_update_capabilities``)."""
        stats = self.driver.get_volume_stats(refresh=True)
        if not stats:
            return
        if FLAGS.volume_force_update_capabilities or \
                stats != self._last_volume_stats:
            LOG.info('New capabilities found: %s', stats)
            self._last_volume_stats = stats
            self.update_service_capabilities(stats)
        else:
            # Unchanged: no fanout this time.
            self.update_service_capabilities(None)

    def notification(self, context, event, **_kwargs):
        """A scheduler's event (``startup``): forget the stats sent, so
        the next check reports them again."""
        LOG.info('Notification {%s} received', event)
        self._last_volume_stats = {}
