"""The compute side of a live migration (a ComputeManager mixin).

The scheduler checked the move (:mod:`nova.scheduler.live_migration`) and
casts ``live_migration`` to the source.  The source asks the destination to
get ready (``pre_live_migration``: VIFs and firewall; it answers with the
address its QEMU takes the memory stream on, ``--live_migration_inbound_addr``
when set), lets the driver move the guest, asks the destination to make it
persistent (``post_live_migration_at_destination``), removes its own
firewall rules and records the new host.  On failure the instance goes back
to ``active`` on the source with a fault saying why.
"""

import logging
import traceback

from nova import db
from nova import exception
from nova import flags
from nova import rpc
from nova.compute import fault_reasons
from nova.compute import vm_states
from nova.utils import concurrency

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.compute.manager')

flags.DEFINE_string('live_migration_inbound_addr', None,
                    'address of this host for the memory stream of guests '
                    'migrating to it (default: its host name)')


class LiveMigrationMixin(object):
    """RPC methods of a live migration (see the module docstring)."""

    def compare_cpu(self, context, cpu_info):
        """Raise unless this host can run guests of a ``cpu_info`` host."""
        return self.driver.compare_cpu(cpu_info)

    def create_shared_storage_test_file(self, context):
        """A new file in --instances_path (its name)."""
        return self.driver.create_shared_storage_test_file()

    def check_shared_storage_test_file(self, context, filename):
        """Whether the other host's test file is visible here."""
        return self.driver.check_shared_storage_test_file(filename)

    def cleanup_shared_storage_test_file(self, context, filename):
        """Remove the test file."""
        self.driver.cleanup_shared_storage_test_file(filename)

    def pre_live_migration(self, context, instance_id,
                           block_migration=False, disk=None):
        """On the destination: plug VIFs, set up the firewall; for a block
        migration, the instance directory and its disks (``disk``: the
        source's ``get_instance_disk_info``)."""
        context = context.elevated()
        instance = db.instance_get(context, instance_id)
        network_info = self._network_info(context, instance)
        self._plug_for_migration(instance, network_info)
        # The chain the driver made has no group rules (drivers never read
        # the database): resolve and apply them, as after a spawn, before
        # the guest arrives, so its peers still reach it on this host.
        self.apply_security_groups(context, instance, network_info)
        if block_migration:
            self.driver.pre_block_migration(context, instance, disk)
        if FLAGS.live_migration_inbound_addr:
            return {'migrate_uri': 'tcp://%s'
                    % FLAGS.live_migration_inbound_addr}
        return {}

    def _plug_for_migration(self, instance, network_info):
        """Plug the VIFs and filters, retried as Diablo did: a host command
        that fails (a bridge or chain another request is making) is tried
        again each second, up to ``--live_migration_retry_count`` times."""
        attempts = max(1, FLAGS.live_migration_retry_count)
        for attempt in range(1, attempts + 1):
            try:
                return self.driver.pre_live_migration(instance, network_info)
            except exception.ProcessExecutionError as exc:
                if attempt == attempts:
                    raise
                LOG.warning('Preparing instance %s for live migration '
                            'failed (attempt %d of %d): %s', instance['id'],
                            attempt, attempts, exc)
                concurrency.sleep(1)

    def rollback_live_migration_at_destination(self, context, instance_id):
        """On the destination of a failed block migration: remove what
        :meth:`pre_live_migration` made (domain, firewall, files)."""
        context = context.elevated()
        instance = db.instance_get(context, instance_id)
        self.driver.destroy(instance, self._network_info(context, instance))

    def post_live_migration_at_destination(self, context, instance_id):
        """On the destination: make the arrived guest persistent."""
        context = context.elevated()
        instance = db.instance_get(context, instance_id)
        network_info = self._network_info(context, instance)
        self.driver.post_live_migration_at_destination(instance,
                                                       network_info)

    def live_migration(self, context, instance_id, dest,
                       block_migration=False, **_kwargs):
        """On the source: move the running guest to ``dest``."""
        context = context.elevated()
        instance = db.instance_get(context, instance_id)
        network_info = self._network_info(context, instance)
        prepared = False
        try:
            disk = self.driver.get_instance_disk_info(instance) \
                if block_migration else None
            prepared = block_migration
            ready = rpc.call(context, 'compute.%s' % dest,
                             {'method': 'pre_live_migration',
                              'args': {'instance_id': instance_id,
                                       'block_migration': block_migration,
                                       'disk': disk}})
            self.driver.live_migration(
                context, instance, dest, block_migration=block_migration,
                migrate_uri=(ready or {}).get('migrate_uri'))
        except Exception as error:  # noqa: BLE001 - recorded as a fault
            LOG.exception('Live migration of instance %s to %s failed',
                          instance_id, dest)
            self._update(context, instance_id, vm_state=vm_states.ACTIVE,
                         task_state=None)
            fault_reasons.record(
                context, instance_id, fault_reasons.LIVE_MIGRATION_FAILED,
                'Live migration to %s failed: %s' % (dest, error),
                traceback.format_exc())
            if prepared:
                rpc.cast(context, 'compute.%s' % dest,
                         {'method': 'rollback_live_migration_at_destination',
                          'args': {'instance_id': instance_id}})
            return
        try:
            self.driver.unfilter_instance(instance, network_info)
        except Exception:  # noqa: BLE001 - the guest has moved anyway
            LOG.exception('Could not remove the firewall of instance %s',
                          instance_id)
        self._update(context, instance_id, host=dest)
        rpc.call(context, 'compute.%s' % dest,
                 {'method': 'post_live_migration_at_destination',
                  'args': {'instance_id': instance_id}})
        self._update(context, instance_id, vm_state=vm_states.ACTIVE,
                     task_state=None)
        if block_migration:
            # The disks moved with the guest: remove the source's copy.
            self.driver.destroy(instance, network_info)
        LOG.info('Instance %s now runs on %s', instance_id, dest)
