"""Volume drivers: make volumes and snapshots, and export them.

``--volume_driver`` names one of:

* :class:`ISCSIDriver` (the default, as Diablo): storage from
  ``--volume_storage`` (LVM or sparse files, :mod:`nova.volume.driver.storage`),
  exported over iSCSI by ``--iscsi_helper`` (:mod:`nova.volume.driver.iscsi`) as
  target ``--iscsi_target_prefix`` + the volume name, LUN 1;
* :class:`FakeISCSIDriver`: keeps volumes, snapshots and exports in memory
  (the in-process test cloud); it refuses what the real driver refuses.

A driver gets every fact as an argument (the volume and snapshot as
mappings with ``id``, ``name``, ``size``/``volume_size``; the target number
the manager allocated in ``iscsi_targets``) and never touches the database
or RPC.  What the manager must record comes back as a dict of columns.
"""

import logging

from nova import exception
from nova import flags
from nova.volume.driver import iscsi
from nova.volume.driver import storage

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.volume.driver')

flags.DEFINE_integer('iscsi_num_targets', 100,
                     'Number of iscsi target ids per host')
flags.DEFINE_string('iscsi_target_prefix', 'iqn.2010-10.org.openstack:',
                    'prefix for iscsi volumes')
flags.DEFINE_string('iscsi_ip_address', '$my_ip',
                    'address initiators reach this host\'s iSCSI targets at')
flags.DEFINE_integer('iscsi_port', 3260,
                     'port of this host\'s iSCSI targets')
# Flags of Diablo features this project lacks (warned about when set).
flags.DEFINE_string('aoe_eth_dev', 'eth0',
                    'interface AoE volumes are exported on',
                    unsupported='AoE volumes')
flags.DEFINE_integer('num_shelves', 100, 'number of AoE shelves',
                     unsupported='AoE volumes')
flags.DEFINE_integer('blades_per_shelf', 16, 'AoE blades per shelf',
                     unsupported='AoE volumes')
# Diablo DEFINEd this retry count as a string with an integer default.
flags.DEFINE_integer('num_iscsi_scan_tries', 3,
                     'rescans while waiting for an iSCSI volume',
                     unsupported='iSCSI rescans on the compute host')
flags.DEFINE_string('rbd_pool', 'rbd', 'RADOS pool of RBD volumes',
                    unsupported='RBD volumes')
flags.DEFINE_string('iscsi_ip_prefix', '$my_ip',
                    'discover volumes on the IP that starts with this '
                    'prefix', unsupported='iSCSI discovery')


def iqn_of(volume):
    """``--iscsi_target_prefix`` + the volume name."""
    return '%s%s' % (FLAGS.iscsi_target_prefix, volume['name'])


def provider_location(tid, iqn):
    """``<ip>:<port>,<tid> <iqn> <lun>`` (what ``volumes`` records)."""
    return '%s:%s,%s %s %s' % (FLAGS.iscsi_ip_address, FLAGS.iscsi_port,
                               tid, iqn, iscsi.VOLUME_LUN)


def connection_info(volume, location=None):
    """What a compute driver needs to attach the volume (see virt.driver).

    From the volume's ``provider_location`` (or ``location``).
    """
    location = location or volume.get('provider_location')
    if not location:
        raise exception.VolumeBackendError(
            reason='volume %s is not exported' % volume['id'])
    portal_tid, iqn, lun = location.split(' ')
    portal = portal_tid.split(',')[0]
    return {'driver_volume_type': 'iscsi',
            'data': {'target_portal': portal, 'target_iqn': iqn,
                     'target_lun': int(lun), 'volume_id': volume['id']}}


class VolumeDriver(object):
    """Storage from a :class:`nova.volume.driver.storage.Storage`, exported by a
    :class:`nova.volume.driver.iscsi.TargetHelper`."""

    def __init__(self, execute=None, storage_backend=None, helper=None):
        self.storage = storage_backend or storage.get_storage(execute)
        self.helper = helper or iscsi.get_helper(execute)

    # -- set-up --------------------------------------------------------------
    def check_for_setup_error(self):
        """Raise if the storage or the target daemon cannot work here."""
        self.storage.check_for_setup_error()
        self.helper.check_for_setup_error()

    def local_path(self, volume):
        """The host path of a volume."""
        return self.storage.local_path(volume)

    # -- volumes and snapshots -------------------------------------------------
    def create_volume(self, volume):
        """Make an empty volume; returns columns to record (or None)."""
        self.storage.create_volume(volume)

    def create_volume_from_snapshot(self, volume, snapshot):
        """Make a volume from a snapshot's data."""
        self.storage.create_volume_from_snapshot(volume, snapshot)

    def delete_volume(self, volume):
        """Erase and remove a volume (absent storage is fine)."""
        self.storage.delete_volume(volume)

    def create_snapshot(self, snapshot, volume):
        """Make a snapshot of a volume."""
        self.storage.create_snapshot(snapshot, volume)

    def delete_snapshot(self, snapshot):
        """Erase and remove a snapshot (absent is fine)."""
        self.storage.delete_snapshot(snapshot)

    def volume_exists(self, volume):
        """Whether the volume's storage exists."""
        return self.storage.exists(volume)

    # -- exports -----------------------------------------------------------------
    def create_export(self, volume, tid):
        """Export the volume as target ``tid``; returns the columns to save
        (``provider_location``)."""
        iqn = iqn_of(volume)
        self.helper.create_iscsi_target(tid, iqn, self.local_path(volume))
        return {'provider_location': provider_location(tid, iqn)}

    def ensure_export(self, volume, tid):
        """Export the volume unless target ``tid`` already does (restart)."""
        iqn = iqn_of(volume)
        path = self.local_path(volume)
        current = self.helper.show_target(tid)
        if current is not None:
            if current['iqn'] == iqn and path in current['paths']:
                return {'provider_location': provider_location(tid, iqn)}
            LOG.warning('Target %s is %s, not %s: replacing it', tid,
                        current['iqn'], iqn)
            self.helper.remove_iscsi_target(tid)
        return self.create_export(volume, tid)

    def remove_export(self, volume, tid):
        """Stop exporting the volume (only if ``tid`` is still its target)."""
        self.helper.remove_iscsi_target(tid, iqn=iqn_of(volume))

    def check_for_export(self, volume, tid):
        """Raise VolumeBackendError unless target ``tid`` exports the volume."""
        current = self.helper.show_target(tid)
        if current is None or current['iqn'] != iqn_of(volume):
            raise exception.VolumeBackendError(
                reason='volume %s is not exported as target %s'
                % (volume['name'], tid))

    def initialize_connection(self, volume, tid):
        """The connection info of an exported volume (ensures the export)."""
        columns = self.ensure_export(volume, tid)
        return connection_info(volume, columns['provider_location'])

    def get_volume_stats(self, refresh=False):
        """Capabilities reported to the scheduler (none, as Diablo)."""
        return None


class ISCSIDriver(VolumeDriver):
    """Diablo's default driver: LVM (or files) exported over iSCSI."""


class _MemoryStorage(storage.Storage):
    """Volumes and snapshots as entries of dicts (sizes only)."""

    def __init__(self):
        super(_MemoryStorage, self).__init__(execute=lambda *a, **k: None)
        self.volumes = {}
        self.snapshots = {}

    def check_for_setup_error(self):
        """Nothing can be missing."""

    def local_path(self, volume):
        """A made-up path."""
        return '/dev/fake/%s' % volume['name']

    def exists(self, volume):
        """Whether the volume was made."""
        return volume['name'] in self.volumes

    def create_volume(self, volume):
        """Record the volume."""
        self.volumes[volume['name']] = {'size': volume['size'],
                                        'from': None}

    def create_volume_from_snapshot(self, volume, snapshot):
        """Record the volume; the snapshot must exist."""
        if snapshot['name'] not in self.snapshots:
            raise exception.VolumeBackendError(
                reason='snapshot %s has no data' % snapshot['name'])
        self.volumes[volume['name']] = {'size': volume['size'],
                                        'from': snapshot['name']}

    def delete_volume(self, volume):
        """Forget the volume."""
        self.volumes.pop(volume['name'], None)

    def create_snapshot(self, snapshot, volume):
        """Record the snapshot; the volume must exist."""
        if volume['name'] not in self.volumes:
            raise exception.VolumeBackendError(
                reason='volume %s has no data' % volume['name'])
        self.snapshots[snapshot['name']] = {'volume': volume['name']}

    def delete_snapshot(self, snapshot):
        """Forget the snapshot."""
        self.snapshots.pop(snapshot['name'], None)


class _MemoryTargets(iscsi.TargetHelper):
    """Targets as entries of a dict."""

    def __init__(self):
        super(_MemoryTargets, self).__init__(execute=lambda *a, **k: None)
        self.targets = {}

    def check_for_setup_error(self):
        """Nothing can be missing."""

    def create_iscsi_target(self, tid, iqn, path):
        """Record the target; a taken tid is an error, as with tgtadm."""
        if int(tid) in self.targets:
            raise exception.VolumeBackendError(
                reason='target %s exists' % tid)
        self.targets[int(tid)] = {'iqn': iqn, 'paths': [path]}

    def remove_iscsi_target(self, tid, iqn=None):
        """Forget the target."""
        current = self.targets.get(int(tid))
        if current is not None and (iqn is None or current['iqn'] == iqn):
            del self.targets[int(tid)]

    def show_target(self, tid):
        """The recorded target or None."""
        return self.targets.get(int(tid))


class FakeISCSIDriver(VolumeDriver):
    """An in-memory driver for the in-process cloud and unit tests."""

    def __init__(self, *args, **kwargs):
        super(FakeISCSIDriver, self).__init__(
            storage_backend=_MemoryStorage(), helper=_MemoryTargets())
