"""The volume side of nova-compute: attach, detach, volumes at boot and at
termination.  Mixed into :class:`nova.compute.manager.ComputeManager`.

The connection info of a volume comes from its volume host
(``initialize_connection``, an RPC call through :mod:`nova.volume.api`); the
hypervisor driver attaches it (``attach_volume(instance_name,
connection_info, mountpoint)``).  A failed attach puts the volume back
``available``, a failed detach back ``in-use``; the volume is never left
``attaching``/``detaching``.
"""

import logging
import time

from nova import db
from nova import exception
from nova import flags
from nova.utils import concurrency

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.compute.manager')

flags.DEFINE_integer('boot_volume_create_timeout', 120,
                     'seconds a launch waits for the volumes of its block '
                     'device mapping to be created')


class VolumeMixin(object):
    """Volume methods of the compute manager (needs ``self.driver``)."""

    _volume_api = None

    @property
    def volume_api(self):
        """The client side of nova-volume."""
        if self._volume_api is None:
            from nova.volume import api as volume_api
            self._volume_api = volume_api.API()
        return self._volume_api

    # -- RPC: attach / detach ---------------------------------------------------
    def attach_volume(self, context, instance_id, volume_id, mountpoint,
                      **_kwargs):
        """Attach a volume (``attaching``) to a guest of this host.

        Ends ``in-use`` with a block device mapping row, or back
        ``available`` if the volume host or the hypervisor refuses.
        """
        context = context.elevated()
        try:
            instance = db.instance_get(context, instance_id)
            volume = db.volume_get(context, volume_id)
            self._connect_volume(context, instance, volume, mountpoint)
        except Exception:  # noqa: BLE001 - the volume goes back
            LOG.exception('Attaching volume %s to instance %s at %s failed',
                          volume_id, instance_id, mountpoint)
            self._volume_back(context, volume_id, 'available')
            return False
        self._record_attached(context, instance_id, volume_id, mountpoint)
        LOG.info('Volume %s attached to instance %s at %s', volume_id,
                 instance_id, mountpoint)
        return True

    def _connect_volume(self, context, instance, volume, mountpoint):
        info = self.volume_api.initialize_connection(context, volume)
        self.driver.attach_volume(instance['name'], info, mountpoint)
        return info

    def _record_attached(self, context, instance_id, volume_id, mountpoint):
        db.volume_attached(context, volume_id, instance_id, mountpoint)
        for bdm in db.block_device_mapping_get_all_by_instance(
                context, instance_id):
            if bdm['device_name'] == mountpoint:
                if bdm['volume_id'] == int(volume_id):
                    return
                db.block_device_mapping_destroy(context, bdm['id'])
        db.block_device_mapping_create(context, {
            'instance_id': instance_id, 'device_name': mountpoint,
            'volume_id': volume_id, 'delete_on_termination': False})

    @staticmethod
    def _volume_back(context, volume_id, status):
        try:
            if status == 'available':
                db.volume_update(context, volume_id, {
                    'status': 'available', 'attach_status': 'detached',
                    'instance_id': None, 'mountpoint': None})
            else:
                db.volume_update(context, volume_id, {'status': status})
        except exception.VolumeNotFound:
            pass

    def detach_volume(self, context, instance_id, volume_id, force=False,
                      **_kwargs):
        """Detach a volume (``detaching``) from a guest of this host.

        A guest that is not on the hypervisor any more has nothing to
        detach.  If the hypervisor refuses, the volume stays ``in-use``
        unless ``force``.
        """
        context = context.elevated()
        try:
            instance = db.instance_get(context, instance_id)
            volume = db.volume_get(context, volume_id)
        except exception.NotFound as exc:
            LOG.warning('Detach of volume %s: %s', volume_id, exc)
            self._volume_back(context, volume_id, 'available')
            return False
        try:
            self._disconnect_volume(instance, volume)
        except Exception:  # noqa: BLE001 - the volume stays attached
            LOG.exception('Detaching volume %s from instance %s failed',
                          volume_id, instance_id)
            if not force:
                self._volume_back(context, volume_id, 'in-use')
                return False
        self._record_detached(context, instance_id, volume_id)
        LOG.info('Volume %s detached from instance %s', volume_id,
                 instance_id)
        return True

    def _disconnect_volume(self, instance, volume):
        if not volume['mountpoint']:
            return
        try:
            self.driver.detach_volume(instance['name'], volume['mountpoint'])
        except exception.InstanceNotFound:
            LOG.info('Instance %s is not running here: nothing to detach',
                     instance['id'])

    @staticmethod
    def _record_detached(context, instance_id, volume_id):
        db.volume_detached(context, volume_id)
        db.block_device_mapping_destroy_by_instance_and_volume(
            context, instance_id, volume_id)

    def _reconcile_volumes(self, context):
        """After a restart: attaches and detaches this host was doing when
        it stopped end where they started (``available`` / ``in-use``)."""
        for instance in db.instance_get_all_by_host(context, self.host):
            for volume in db.volume_get_all_by_instance(context,
                                                        instance['id']):
                if volume['status'] == 'attaching':
                    LOG.info('Volume %s was being attached: back to '
                             'available', volume['id'])
                    self._volume_back(context, volume['id'], 'available')
                elif volume['status'] == 'detaching':
                    LOG.info('Volume %s was being detached: back to in-use',
                             volume['id'])
                    self._volume_back(context, volume['id'], 'in-use')

    # -- at boot ---------------------------------------------------------------------
    def _wait_for_volume(self, context, volume_id):
        deadline = time.time() + FLAGS.boot_volume_create_timeout
        while True:
            volume = db.volume_get(context, volume_id)
            if volume['status'] == 'available':
                return volume
            if volume['status'] != 'creating':
                raise exception.VolumeBackendError(
                    reason='volume %s for the launch is %s'
                    % (volume_id, volume['status']))
            if time.time() > deadline:
                raise exception.VolumeBackendError(
                    reason='volume %s was not created within %s s'
                    % (volume_id, FLAGS.boot_volume_create_timeout))
            concurrency.sleep(0.2)

    def _setup_block_devices(self, context, instance):
        """Create, reserve and connect the volumes of the instance's block
        device mapping; returns ``block_device_info`` for ``spawn``.

        Every volume it touched is listed in ``block_device_info
        ['volume_ids']`` so that a failed build can give them back.
        """
        mappings = []
        touched = []
        info = {'block_device_mapping': mappings, 'volume_ids': touched}
        for bdm in db.block_device_mapping_get_all_by_instance(
                context, instance['id']):
            if bdm['no_device'] or bdm['virtual_name']:
                continue
            volume_id = bdm['volume_id']
            if volume_id is None:
                volume = self.volume_api.create(
                    context, size=bdm['volume_size'],
                    snapshot_id=bdm['snapshot_id'],
                    name='%s %s' % (instance['name'], bdm['device_name']))
                volume_id = volume['id']
                db.block_device_mapping_update(context, bdm['id'],
                                               {'volume_id': volume_id})
                touched.append(volume_id)
                self._wait_for_volume(context, volume_id)
            self.volume_api.begin_attach(context, volume_id, instance['id'],
                                         bdm['device_name'])
            if volume_id not in touched:
                touched.append(volume_id)
            volume = db.volume_get(context, volume_id)
            connection = self.volume_api.initialize_connection(context,
                                                               volume)
            mappings.append({'connection_info': connection,
                             'mount_device': bdm['device_name'],
                             'volume_id': volume_id,
                             'delete_on_termination':
                                 bdm['delete_on_termination']})
        return info

    def _block_devices_attached(self, context, instance, block_device_info):
        """Record the boot volumes ``in-use`` once the guest runs."""
        for mapping in (block_device_info or {}).get('block_device_mapping',
                                                      []):
            db.volume_attached(context, mapping['volume_id'], instance['id'],
                               mapping['mount_device'])

    def _release_block_devices(self, context, block_device_info):
        """A failed build gives its volumes back (``available``)."""
        for volume_id in (block_device_info or {}).get('volume_ids', []):
            try:
                volume = db.volume_get(context, volume_id)
            except exception.VolumeNotFound:
                continue
            if volume['status'] == 'attaching':
                self._volume_back(context, volume_id, 'available')

    # -- at termination -----------------------------------------------------------------
    @staticmethod
    def _block_devices_of(context, instance):
        """``(mappings, volumes)`` of an instance: as read with it by
        ``instance_get_for_host`` (mappings are made before the build, and
        volumes attach to built instances only), else asked now."""
        known = getattr(instance, 'block_devices', None)
        if known is None:
            known = db.instance_block_devices_exist(context, instance['id'])
        return known

    def _teardown_block_devices(self, context, instance):
        """Detach every volume of the instance; delete those that asked.

        Errors are logged: termination goes on.
        """
        delete = set()
        if not any(self._block_devices_of(context, instance)):
            return
        for bdm in db.block_device_mapping_get_all_by_instance(
                context, instance['id']):
            if bdm['volume_id'] and bdm['delete_on_termination']:
                delete.add(bdm['volume_id'])
        for volume in db.volume_get_all_by_instance(context, instance['id']):
            try:
                self._disconnect_volume(instance, volume)
            except Exception:  # noqa: BLE001 - terminate anyway
                LOG.exception('Could not detach volume %s from %s',
                              volume['id'], instance['id'])
            self._record_detached(context, instance['id'], volume['id'])
        for volume_id in sorted(delete):
            try:
                self.volume_api.delete(context, volume_id)
            except Exception:  # noqa: BLE001 - terminate anyway
                LOG.exception('Could not delete volume %s of terminated '
                              'instance %s', volume_id, instance['id'])
