"""Client side of resize, rebuild, passwords and the admin actions.

Mixed into :class:`nova.compute.api.API` (needs ``get``, ``_check_state``,
``_act``, ``_cast_compute`` and ``_compute_topic``).  Every method checks
what it can before answering, so that an API that says "accepted" means it:
the instance's state, its lock (a locked instance only takes actions from
an administrator), and — for what only some hypervisors can do (resize,
passwords, the network agent) — the abilities its host's driver reports
(:class:`exception.ActionNotSupported` otherwise).
"""

import logging

from nova import db
from nova import exception
from nova import flags
from nova import quota
from nova import rpc
from nova.compute import injected_files
from nova.compute import instance_types
from nova.compute import task_states
from nova.compute import resize_flags  # noqa: F401 - its flag
from nova.compute import vm_states
from nova.rpc import outbox
from nova.utils import servicegroup

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.compute.api_actions')


class ActionsApiMixin(object):
    """Resize, rebuild, password and admin actions of the compute API."""

    # -- checks -----------------------------------------------------------------
    @staticmethod
    def check_unlocked(context, instance, method):
        """InstanceIsLocked unless unlocked or the caller is an admin."""
        if instance.get('locked') and not context.is_admin:
            raise exception.InstanceIsLocked(instance_id=instance['id'],
                                             method=method)

    def _placed(self, context, instance_id, method, vm_ok=None,
                task_ok=(None,)):
        """The instance, checked: state, lock and a host."""
        instance = self.get(context, instance_id)
        self._check_state(instance, method, vm_ok=vm_ok, task_ok=task_ok)
        self.check_unlocked(context, instance, method)
        if not instance['host']:
            raise exception.InstanceInvalidState(
                instance_id=instance['id'], attr='host', state='unassigned',
                method=method)
        return instance

    def driver_features(self, context, host):
        """The optional abilities of ``host``'s hypervisor (a call)."""
        return rpc.call(context, '%s.%s' % (FLAGS.compute_topic, host),
                        {'method': 'get_driver_features', 'args': {}})

    def _require(self, context, instance, feature, action):
        if feature not in self.driver_features(context, instance['host']):
            raise exception.ActionNotSupported(host=instance['host'],
                                               action=action)

    # -- resize -----------------------------------------------------------------
    def _resize_destinations(self, context, source):
        hosts = [svc['host'] for svc in db.service_get_all_by_topic(
            context.elevated(), FLAGS.compute_topic)
            if servicegroup.service_is_up(svc) and not svc['disabled']]
        if not FLAGS.allow_resize_to_same_host:
            hosts = [host for host in hosts if host != source]
        return hosts

    def resize(self, context, instance_id, flavor_id=None):
        """Resize (``flavor_id``) or migrate (None) an active instance.

        The scheduler picks the destination and casts ``prep_resize``;
        the instance is ``resizing`` (status RESIZE) until it waits for the
        user's answer (VERIFY_RESIZE).
        """
        instance = self._placed(context, instance_id, 'resize',
                                vm_ok=(vm_states.ACTIVE,))
        current = instance_types.get_instance_type(
            instance['instance_type_id'])
        if flavor_id is None:
            new = current
        else:
            new = instance_types.get_instance_type_by_flavor_id(flavor_id)
            if current['memory_mb'] > new['memory_mb']:
                raise exception.CannotResizeToSmallerSize()
            if current['id'] == new['id'] or \
                    current['memory_mb'] == new['memory_mb']:
                raise exception.CannotResizeToSameSize()
        self._require(context, instance, 'resize', 'resize')
        if not self._resize_destinations(context, instance['host']):
            raise exception.NoValidHost(
                reason='no other compute host can take the instance '
                       '(see --allow_resize_to_same_host)')
        with db.session_scope():
            db.instance_update_columns(context, instance['id'], {
                'vm_state': vm_states.RESIZING,
                'task_state': task_states.RESIZE_PREP})
            outbox.cast(context, FLAGS.scheduler_topic, {
                'method': 'prep_resize',
                'args': {'topic': FLAGS.compute_topic,
                         'instance_id': instance['id'],
                         'instance_type_id': new['id']}})
        LOG.info('Resizing instance %s from %s to %s', instance['id'],
                 current['name'], new['name'])

    def _finished_migration(self, context, instance, method):
        self._check_state(instance, method, vm_ok=(vm_states.ACTIVE,),
                          task_ok=(task_states.RESIZE_VERIFY,))
        self.check_unlocked(context, instance, method)
        return db.migration_get_by_instance_and_status(
            context.elevated(), instance['uuid'], 'finished')

    def confirm_resize(self, context, instance_id):
        """Keep the resized instance; its source host drops the original."""
        instance = self.get(context, instance_id)
        migration = self._finished_migration(context, instance,
                                             'confirm_resize')
        admin = context.elevated()
        with db.session_scope():
            db.migration_update(admin, migration['id'],
                                {'status': 'confirmed'})
            db.instance_update_columns(admin, instance['id'], {
                'host': migration['dest_compute'],
                'task_state': task_states.RESIZE_CONFIRMING})
            outbox.cast(context, '%s.%s' % (FLAGS.compute_topic,
                                            migration['source_compute']),
                        {'method': 'confirm_resize',
                         'args': {'instance_id': instance['id'],
                                  'migration_id': migration['id']}})

    def revert_resize(self, context, instance_id):
        """Go back to the original instance on its source host."""
        instance = self.get(context, instance_id)
        migration = self._finished_migration(context, instance,
                                             'revert_resize')
        with db.session_scope():
            db.instance_update_columns(context, instance['id'], {
                'task_state': task_states.RESIZE_REVERTING})
            outbox.cast(context, '%s.%s' % (FLAGS.compute_topic,
                                            migration['dest_compute']),
                        {'method': 'revert_resize',
                         'args': {'instance_id': instance['id'],
                                  'migration_id': migration['id']}})

    # -- rebuild and passwords -------------------------------------------------
    def rebuild(self, context, instance_id, image_href, admin_password,
                name=None, metadata=None, files_to_inject=None):
        """Re-make an active instance from ``image_href``; the new name and
        metadata (when given) replace the old ones."""
        instance = self._placed(context, instance_id, 'rebuild',
                                vm_ok=(vm_states.ACTIVE,))
        image = self.image_service.show(context, image_href)
        files = injected_files.check(context, files_to_inject)
        values = {'image_ref': str(image.get('id', image_href)),
                  'vm_state': vm_states.REBUILDING,
                  'task_state': task_states.REBUILDING}
        if metadata is not None:
            quota.check_metadata(context, metadata)
        if name:
            values['display_name'] = name
        with db.session_scope():
            if metadata is not None:
                db.instance_update(context, instance['id'],
                                   {'metadata': metadata})
            db.instance_update_columns(context, instance['id'], values)
            extra = {'injected_files': injected_files.encode(files)} \
                if files else {}
            self._cast_compute(context, instance, 'rebuild_instance',
                               new_pass=admin_password, **extra)

    def set_admin_password(self, context, instance_id, password):
        """Set the administrator password of an active instance."""
        instance = self._placed(context, instance_id, 'set_admin_password',
                                vm_ok=(vm_states.ACTIVE,))
        self._require(context, instance, 'set_admin_password',
                      'set the password of')
        with db.session_scope():
            db.instance_update_columns(context, instance['id'], {
                'task_state': task_states.UPDATING_PASSWORD})
            self._cast_compute(context, instance, 'set_admin_password',
                               new_pass=password)

    # -- admin actions ----------------------------------------------------------
    def _admin_act(self, context, instance_id, method, task_state, vm_ok,
                   feature):
        instance = self._placed(context, instance_id, method, vm_ok=vm_ok,
                                task_ok=(None, task_state))
        self._require(context, instance, feature, method)
        with db.session_scope():
            db.instance_update_columns(context, instance['id'],
                                       {'task_state': task_state})
            self._cast_compute(context, instance, '%s_instance' % method)

    def pause(self, context, instance_id):
        """Freeze an active instance (status PAUSED)."""
        self._admin_act(context, instance_id, 'pause', task_states.PAUSING,
                        (vm_states.ACTIVE,), 'pause')

    def unpause(self, context, instance_id):
        """Let a paused instance run again."""
        self._admin_act(context, instance_id, 'unpause',
                        task_states.UNPAUSING, (vm_states.PAUSED,), 'pause')

    def suspend(self, context, instance_id):
        """Save an active instance to disk (status SUSPENDED)."""
        self._admin_act(context, instance_id, 'suspend',
                        task_states.SUSPENDING, (vm_states.ACTIVE,),
                        'suspend')

    def resume(self, context, instance_id):
        """Restore a suspended instance."""
        self._admin_act(context, instance_id, 'resume', task_states.RESUMING,
                        (vm_states.SUSPENDED,), 'suspend')

    def lock(self, context, instance_id):
        """Lock an instance: only admins may act on it until unlocked."""
        instance = self.get(context, instance_id)
        db.instance_update_columns(context, instance['id'], {'locked': True})

    def unlock(self, context, instance_id):
        """Unlock an instance."""
        instance = self.get(context, instance_id)
        db.instance_update_columns(context, instance['id'],
                                   {'locked': False})

    def get_actions(self, context, instance_id):
        """The ``instance_actions`` rows of an instance (admins only:
        AdminRequired otherwise, as Diablo)."""
        instance = self.get(context, instance_id)
        return db.instance_get_actions(context, instance['id'])

    def get_lock(self, context, instance_id):
        """Whether the instance is locked."""
        return bool(self.get(context, instance_id)['locked'])

    def get_diagnostics(self, context, instance_id):
        """The hypervisor's counters of a running instance (a call)."""
        instance = self._placed(context, instance_id, 'get_diagnostics',
                                task_ok=None)
        self._require(context, instance, 'get_diagnostics',
                      'report diagnostics of')
        return rpc.call(context, self._compute_topic(instance), {
            'method': 'get_diagnostics',
            'args': {'instance_id': instance['id']}})

    def _network_act(self, context, instance_id, method):
        instance = self._placed(context, instance_id, method, task_ok=None)
        self._require(context, instance, method, method.replace('_', ' '))
        self._cast_compute(context, instance, method)

    def reset_network(self, context, instance_id):
        """Make the instance's agent reset its network."""
        self._network_act(context, instance_id, 'reset_network')

    def inject_network_info(self, context, instance_id):
        """Hand the instance's network settings to its agent."""
        self._network_act(context, instance_id, 'inject_network_info')
