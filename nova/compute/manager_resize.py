"""Compute-manager side of resize, rebuild and password changes.

A resize (Diablo's flow) runs over three casts: the scheduler picks a
destination and casts ``prep_resize`` to it; the destination records a
``migrations`` row and casts ``resize_instance`` to the source; the source
powers the guest off (``migrate_disk_and_power_off``) and casts
``finish_resize`` to the destination, which runs the guest with the new
flavor and leaves the instance ``active``/``resize_verify`` (status
VERIFY_RESIZE).  The user then confirms (the source drops the original) or
reverts (the destination drops the copy, the source runs the original
again).  A resize that stays on one host (``--allow_resize_to_same_host``)
makes the same calls on that host.

When a step fails the instance goes back to ``active`` (the guest is
restarted where it was) with an instance fault saying why, and the
migration row becomes ``error``; the instance is never left resizing.
"""

import logging
import traceback

from nova import db
from nova import exception
from nova import flags
from nova import utils
from nova.compute import fault_reasons
from nova.compute import power_state
from nova.compute import resize_flags  # noqa: F401 - its flag
from nova.compute import task_states
from nova.compute import vm_states
from nova.rpc import outbox
from nova.virt import driver as virt_driver

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.compute.manager_resize')


#: the user-facing reasons of failed steps (``Code: text``).
RESIZE_FAILED = 'Server.InternalError: resize failed on the host'
REBUILD_FAILED = 'Server.InternalError: rebuild failed on the host'
PASSWORD_FAILED = ('Server.InternalError: the password could not be set '
                   'in the guest')


def _flavor_columns(instance_type):
    return {'instance_type_id': instance_type['id'],
            'memory_mb': instance_type['memory_mb'],
            'vcpus': instance_type['vcpus'],
            'local_gb': instance_type['local_gb']}


class ResizeMixin(object):
    """RPC methods of nova-compute for resize, rebuild and passwords
    (needs ``driver``, ``host``, ``_update``, ``_fail``, ``_network_info``,
    ``_spawn`` and ``_power_state`` of the manager)."""

    # -- what the driver can do ---------------------------------------------
    def get_driver_features(self, context, **_kwargs):
        """The optional abilities of this host's hypervisor (a list of
        :data:`nova.virt.driver.FEATURES` names)."""
        return sorted(name for name in virt_driver.FEATURES
                      if virt_driver.supports(self.driver, name))

    # -- helpers ----------------------------------------------------------------
    def _fault(self, context, instance_id, reason, internal, code=500):
        """Record why a step failed without putting the instance in error."""
        LOG.error('Instance %s: %s', instance_id, internal)
        db.instance_fault_create(context, {
            'instance_id': instance_id, 'code': code, 'message': reason,
            'details': '%s\n%s' % (internal, traceback.format_exc())})

    def _resize_failed(self, context, instance, migration_id, internal,
                       restart=False):
        """Back to active where it was, migration ``error``, a fault."""
        if restart:
            try:
                self.driver.power_on(instance)
            except Exception:  # noqa: BLE001 - the fault says it all
                LOG.exception('Could not restart instance %s after a '
                              'failed resize', instance['id'])
        if migration_id is not None:
            db.migration_update(context, migration_id, {'status': 'error'})
        self._update(context, instance['id'], vm_state=vm_states.ACTIVE,
                     task_state=None,
                     power_state=self._power_state(instance))
        self._fault(context, instance['id'], RESIZE_FAILED, internal)

    def _cast_host(self, context, host, method, **args):
        outbox.cast(context, '%s.%s' % (FLAGS.compute_topic, host),
                    {'method': method, 'args': args})

    # -- resize: destination, source, destination ------------------------------
    def prep_resize(self, context, instance_id, instance_type_id, **_kwargs):
        """On the destination: record the migration, ask the source."""
        context = context.elevated()
        instance = db.instance_get(context, instance_id)
        if instance['host'] == self.host and \
                not FLAGS.allow_resize_to_same_host:
            self._resize_failed(context, instance, None,
                                'Migration error: destination same as '
                                'source!')
            return
        migration = db.migration_create(context, {
            'instance_uuid': instance['uuid'],
            'source_compute': instance['host'],
            'dest_compute': self.host,
            'dest_host': self.driver.get_host_ip_addr(),
            'old_instance_type_id': instance['instance_type_id'],
            'new_instance_type_id': instance_type_id,
            'status': 'pre-migrating'})
        LOG.info('Instance %s: resizing from %s to %s (migration %s)',
                 instance_id, instance['host'], self.host, migration['id'])
        self._update(context, instance_id,
                     task_state=task_states.RESIZE_MIGRATING)
        self._cast_host(context, instance['host'], 'resize_instance',
                        instance_id=instance_id,
                        migration_id=migration['id'])

    def resize_instance(self, context, instance_id, migration_id,
                        **_kwargs):
        """On the source: power off, hand the disk to the destination."""
        context = context.elevated()
        migration = db.migration_get(context, migration_id)
        instance = db.instance_get(context, instance_id)
        db.migration_update(context, migration_id, {'status': 'migrating'})
        try:
            disk_info = self.driver.migrate_disk_and_power_off(
                instance, migration['dest_host'])
        except NotImplementedError:
            self._resize_failed(context, instance, migration_id,
                                'The hypervisor of %s cannot resize'
                                % self.host)
            return
        except Exception as error:  # noqa: BLE001 - recorded as a fault
            LOG.exception('Resize of instance %s failed', instance_id)
            self._resize_failed(context, instance, migration_id,
                                'Resize failed on %s: %s' % (self.host,
                                                             error),
                                restart=True)
            return
        db.migration_update(context, migration_id,
                            {'status': 'post-migrating'})
        self._update(context, instance_id,
                     task_state=task_states.RESIZE_MIGRATED,
                     power_state=self._power_state(instance))
        self._cast_host(context, migration['dest_compute'], 'finish_resize',
                        instance_id=instance_id, migration_id=migration_id,
                        disk_info=disk_info)

    def finish_resize(self, context, instance_id, migration_id,
                      disk_info=None, **_kwargs):
        """On the destination: run the guest with the new flavor."""
        context = context.elevated()
        migration = db.migration_get(context, migration_id)
        resize = migration['old_instance_type_id'] != \
            migration['new_instance_type_id']
        if resize:
            new_type = db.instance_type_get(
                context, migration['new_instance_type_id'])
            self._update(context, instance_id, **_flavor_columns(new_type))
        self._update(context, instance_id,
                     task_state=task_states.RESIZE_FINISH)
        instance = db.instance_get(context, instance_id)
        network_info = self._network_info(context, instance)
        try:
            self.driver.finish_migration(context, instance, disk_info,
                                         network_info, resize)
        except Exception as error:  # noqa: BLE001 - recorded as a fault
            LOG.exception('Finishing the resize of instance %s failed',
                          instance_id)
            old_type = db.instance_type_get(
                context, migration['old_instance_type_id'])
            self._update(context, instance_id, **_flavor_columns(old_type))
            db.migration_update(context, migration_id, {'status': 'error'})
            self._update(context, instance_id, task_state=None)
            self._cast_host(context, migration['source_compute'],
                            'finish_revert_resize', instance_id=instance_id,
                            migration_id=migration_id)
            self._fault(context, instance_id, RESIZE_FAILED,
                        'Finishing the resize on %s failed: %s'
                        % (self.host, error))
            return
        self._update(context, instance_id, vm_state=vm_states.ACTIVE,
                     task_state=task_states.RESIZE_VERIFY,
                     power_state=self._power_state(instance))
        db.migration_update(context, migration_id, {'status': 'finished'})
        LOG.info('Instance %s: resized, waiting for confirmation',
                 instance_id)

    # -- the user's answer ------------------------------------------------------
    def confirm_resize(self, context, instance_id, migration_id,
                       **_kwargs):
        """On the source: drop the original guest (kept for a revert)."""
        context = context.elevated()
        migration = db.migration_get(context, migration_id)
        instance = db.instance_get(context, instance_id)
        if migration['source_compute'] == migration['dest_compute']:
            self.driver.confirm_migration(instance)
        else:
            self.driver.destroy(instance, self._network_info(context,
                                                             instance))
        self._update(context, instance_id, task_state=None)
        LOG.info('Instance %s: resize confirmed', instance_id)

    def revert_resize(self, context, instance_id, migration_id, **_kwargs):
        """On the destination: drop the copy; the source takes over."""
        context = context.elevated()
        migration = db.migration_get(context, migration_id)
        instance = db.instance_get(context, instance_id)
        if migration['source_compute'] != migration['dest_compute']:
            self.driver.destroy(instance, self._network_info(context,
                                                             instance))
        self._cast_host(context, migration['source_compute'],
                        'finish_revert_resize', instance_id=instance_id,
                        migration_id=migration_id)

    def finish_revert_resize(self, context, instance_id, migration_id,
                             **_kwargs):
        """On the source: the old flavor again, the original guest runs."""
        context = context.elevated()
        migration = db.migration_get(context, migration_id)
        old_type = db.instance_type_get(context,
                                        migration['old_instance_type_id'])
        self._update(context, instance_id, **_flavor_columns(old_type))
        instance = db.instance_get(context, instance_id)
        try:
            self.driver.revert_migration(instance)
        except Exception as error:  # noqa: BLE001 - recorded as a fault
            LOG.exception('Revert of instance %s failed', instance_id)
            self._fail(context, instance_id,
                       'Revert of the resize failed on %s: %s'
                       % (self.host, error), details=traceback.format_exc())
            return
        if migration['status'] != 'error':
            db.migration_update(context, migration_id,
                                {'status': 'reverted'})
        self._update(context, instance_id, vm_state=vm_states.ACTIVE,
                     task_state=None,
                     power_state=self._power_state(instance))
        LOG.info('Instance %s: resize reverted', instance_id)

    # -- rebuild ----------------------------------------------------------------
    def rebuild_instance(self, context, instance_id, new_pass=None,
                         injected_files=None, **_kwargs):
        """Destroy the guest and spawn it again from its (new) image,
        with ``injected_files`` (base64 in the message) written into it."""
        context = context.elevated()
        instance = db.instance_get(context, instance_id)
        LOG.info('Rebuilding instance %s from image %s', instance_id,
                 instance['image_ref'])
        network_info = self._network_info(context, instance)
        try:
            self.driver.destroy(instance, network_info)
            self._update(context, instance_id,
                         task_state=task_states.SPAWNING,
                         power_state=power_state.NOSTATE)
            self._spawn(context, instance, network_info, None,
                        injected_files)
        except Exception as error:  # noqa: BLE001 - recorded as a fault
            LOG.exception('Rebuild of instance %s failed', instance_id)
            self._fail(context, instance_id,
                       'Rebuild failed on %s: %s' % (self.host, error),
                       details=traceback.format_exc(),
                       reason=fault_reasons.of_error(error, REBUILD_FAILED))
            return
        if new_pass and virt_driver.supports(self.driver,
                                             'set_admin_password'):
            self._set_password(context, instance, new_pass)
        self._update(context, instance_id, vm_state=vm_states.ACTIVE,
                     task_state=None, launched_at=utils.utcnow(),
                     power_state=self._power_state(instance))

    # -- password ---------------------------------------------------------------
    def _set_password(self, context, instance, new_pass):
        try:
            self.driver.set_admin_password(instance, new_pass)
        except Exception as error:  # noqa: BLE001 - recorded as a fault
            LOG.exception('Setting the password of instance %s failed',
                          instance['id'])
            self._fault(context, instance['id'], PASSWORD_FAILED,
                        'set_admin_password failed on %s: %s'
                        % (self.host, error))
            return False
        LOG.info('Instance %s: administrator password set', instance['id'])
        return True

    def set_admin_password(self, context, instance_id, new_pass=None,
                           **_kwargs):
        """Set the administrator password inside a running guest."""
        context = context.elevated()
        instance = db.instance_get(context, instance_id)
        try:
            if self._power_state(instance) != power_state.RUNNING:
                raise exception.InstanceNotRunning(instance_id=instance_id)
            self._set_password(context, instance, new_pass or
                               utils.generate_password(
                                   FLAGS.password_length))
        except exception.InstanceNotRunning as error:
            self._fault(context, instance_id, PASSWORD_FAILED, str(error),
                        code=409)
        finally:
            self._update(context, instance_id, task_state=None)
