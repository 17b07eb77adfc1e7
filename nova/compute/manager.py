"""Manager of nova-compute: runs instances on this host's hypervisor.

RPC methods arrive on ``compute.<host>`` (cast by the scheduler and by
:mod:`nova.compute.api`).  Each moves an instance through the states of
instance-states.md: the API sets the ``task_state`` it is about to carry out,
the manager asks the driver and records the outcome (``vm_state``,
``power_state``, ``task_state`` back to None).  When it gives up on an
instance it sets ``vm_state`` error and records an instance fault whose
message the user sees.

Instances are never left in ``building`` forever: :meth:`init_host` fails
the builds a restart interrupted, and a periodic task fails builds older
than ``--instance_build_timeout``.
"""

import datetime
import logging
import traceback
import socket
import time

from nova import context as nova_context
from nova import db
from nova import exception
from nova import flags
from nova import manager
from nova import utils
from nova.compute import build_retry
from nova.compute import fault_reasons
from nova.compute import firewall_restore
from nova.compute import host_boot
from nova.compute import hypervisor_sync
from nova.compute import injected_files as injected_files_mod
from nova.compute import live_migration
from nova.compute import manager_admin
from nova.compute import manager_consoles
from nova.compute import manager_hosts
from nova.compute import manager_resize
from nova.compute import manager_volumes
from nova.compute import power_state
from nova.compute import security_groups
from nova.compute import snapshots
from nova.compute import task_states
from nova.compute import vm_states
from nova.db import retry as db_retry
from nova.utils import concurrency

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.compute.manager')

flags.DEFINE_string('instances_path', '$state_path/instances',
                    'where instances are stored on disk')
flags.DEFINE_string('compute_driver', 'nova.virt.connection.get_connection',
                    'Driver to use for controlling virtualization',
                    importable=True)
flags.DEFINE_integer('live_migration_retry_count', 30,
                     'Retry count needed in live_migration. sleep 1 sec for '
                     'each count')
flags.DEFINE_integer('rescue_timeout', 0,
                     'Automatically unrescue an instance after N seconds. '
                     'Set to 0 to disable.')
flags.DEFINE_integer('password_length', 12,
                     'Length of generated admin passwords')
flags.DEFINE_bool('stub_network', False,
                  'Stub network related code')
flags.DEFINE_integer('host_state_interval', 120,
                     'Interval in seconds for querying the host status '
                     '(the capabilities reported to the schedulers)')
flags.DEFINE_integer('instance_build_timeout', 600,
                     'seconds an instance may stay in building (scheduled '
                     'to this host) before it is put in error; 0 = never')
# Flags of Diablo features this project lacks (warned about when set).
flags.DEFINE_string('console_host', socket.gethostname(),
                    'console proxy host to use to connect to instances '
                    'on this host', unsupported='console proxy')

#: task states of a build this host owns once it has the instance.
_HOST_BUILD_TASKS = (task_states.NETWORKING, task_states.SPAWNING,
                     task_states.BLOCK_DEVICE_MAPPING)

#: task states that an interrupted action leaves behind, and where the
#: instance goes back to once the driver's view has been read.
_INTERRUPTED_TASKS = (task_states.REBOOTING, task_states.STOPPING,
                      task_states.STARTING, task_states.RESCUING,
                      task_states.UNRESCUING)


def _is_unreachable(error):
    """Whether a call failed because its service could not be reached."""
    if isinstance(error, (exception.RpcTimeout, exception.RpcUnavailable)):
        return True
    return getattr(error, 'exc_type', None) in ('RpcTimeout',
                                                 'RpcUnavailable')


def _load_driver(name):
    """The driver named by ``--compute_driver`` (a factory or a class)."""
    factory = utils.import_class(name)
    return factory()


class ComputeManager(manager_resize.ResizeMixin,
                     manager_consoles.ConsoleMixin,
                     manager_admin.AdminActionsMixin,
                     manager_hosts.HostAdminMixin,
                     manager_volumes.VolumeMixin,
                     security_groups.SecurityGroupsMixin,
                     hypervisor_sync.HypervisorSyncMixin,
                     live_migration.LiveMigrationMixin,
                     snapshots.SnapshotManagerMixin,
                     manager.SchedulerDependentManager):
    """Handles the RPC messages sent to the compute topic of this host."""

    def __init__(self, compute_driver=None, *args, **kwargs):
        if compute_driver is None or isinstance(compute_driver, str):
            compute_driver = _load_driver(compute_driver or
                                          FLAGS.compute_driver)
        self.driver = compute_driver
        self._network_api = kwargs.pop('network_api', None)
        self._building = set()
        kwargs.setdefault('service_name', 'compute')
        super(ComputeManager, self).__init__(*args, **kwargs)

    @property
    def network_api(self):
        """The client side of nova-network."""
        if self._network_api is None:
            from nova.network import api as network_api
            self._network_api = network_api.API()
        return self._network_api

    # -- helpers ------------------------------------------------------------
    def _update(self, context, instance_id, **values):
        """Set columns of an instance (one UPDATE; nothing is reloaded)."""
        db.instance_update_columns(context, instance_id, values)

    def _fail(self, context, instance_id, message, details=None, code=500,
              reason=fault_reasons.FAILED):
        """Put an instance in error and record why: ``reason`` (one of
        :mod:`nova.compute.fault_reasons`) for the user, ``message`` and
        ``details`` for the log and ``instance_faults.details``."""
        LOG.error('Instance %s: %s', instance_id, message)
        try:
            self._update(context, instance_id, vm_state=vm_states.ERROR,
                         task_state=None)
            fault_reasons.record(context, instance_id, reason, message,
                                 details, code)
        except exception.InstanceNotFound:
            pass

    def _power_state(self, instance):
        try:
            return self.driver.get_info(instance['name'])['state']
        except exception.NotFound:
            return power_state.NOSTATE

    def _network_info(self, context, instance):
        if FLAGS.stub_network:
            return []
        try:
            return self.network_api.get_instance_nw_info(context, instance)
        except Exception:  # noqa: BLE001 - actions go on without it
            LOG.exception('Could not get the network of instance %s; '
                          'using its last known network info',
                          instance['id'])
            return self._last_known_network_info(instance['id'])

    def _network_info_to_destroy(self, context, instance):
        """The network info a guest is torn down with: the one this host
        last got for it (its fixed IPs do not change while it lives; a
        multinic change forgets it), else nova-network's."""
        if not FLAGS.stub_network:
            known = self.network_info_cache.get(instance['id'])
            if known:
                return known
        return self._network_info(context, instance)

    # -- start-up -----------------------------------------------------------
    def init_host(self):
        """Initialize the driver, then make the database match it."""
        self.driver.init_host(host=self.host)
        context = nova_context.get_admin_context()
        try:
            # before anything applies iptables: see firewall_restore
            firewall_restore.restore(self, context)
        except Exception:  # noqa: BLE001 - start anyway
            LOG.exception('Could not rebuild the firewalls of the guests')
        try:
            self._reconcile(context)
        except Exception:  # noqa: BLE001 - start anyway
            LOG.exception('Could not reconcile instances with the driver')
        try:
            self._reconcile_volumes(context)
        except Exception:  # noqa: BLE001 - start anyway
            LOG.exception('Could not reconcile volume attachments')

    def _reconcile(self, context):
        running = set(self.driver.list_instances())
        for instance in db.instance_get_all_by_host(context, self.host):
            self._reconcile_one(context, instance, running)
        self._fail_stuck_builds(context)
        self._handle_orphan_guests(context)

    def _reconcile_one(self, context, instance, running):
        instance_id = instance['id']
        vm_state = instance['vm_state']
        task = instance['task_state']
        present = instance['name'] in running
        if task == task_states.DELETING:
            LOG.info('Finishing the deletion of instance %s', instance_id)
            self.terminate_instance(context, instance_id)
            return
        if vm_state == vm_states.BUILDING:
            if task in _HOST_BUILD_TASKS:
                # Its message is delivered again too; whichever comes
                # first resumes the build, the other finds it under way.
                LOG.info('Resuming the build of instance %s interrupted '
                         'by a restart (%s)', instance_id, task)
                self._building.add(instance_id)
                concurrency.spawn_n(self._resume_build, context, instance)
            return
        if vm_state not in (vm_states.ACTIVE, vm_states.STOPPED,
                            vm_states.RESCUED):
            return
        if not present:
            self._update(context, instance_id,
                         power_state=power_state.NOSTATE)
            self._fail(context, instance_id,
                       'The instance is no longer known to the hypervisor '
                       'of %s' % self.host, reason=fault_reasons.LOST)
            return
        state = self._power_state(instance)
        if host_boot.should_start(instance, state):
            LOG.info('Rebooting instance %s after nova-compute restart',
                     instance_id)
            self.reboot_instance(context, instance_id)
            return
        values = {'power_state': state}
        if task in _INTERRUPTED_TASKS:
            values['task_state'] = None
        if vm_state == vm_states.ACTIVE and state in (
                power_state.SHUTOFF, power_state.SHUTDOWN):
            values['vm_state'] = vm_states.STOPPED
        elif vm_state == vm_states.STOPPED and state == power_state.RUNNING:
            values['vm_state'] = vm_states.ACTIVE
        if any(instance[k] != v for k, v in values.items()):
            self._update(context, instance_id, **values)

    def _destroy_quietly(self, instance, network_info=None):
        try:
            self.driver.destroy(instance, network_info or [])
        except Exception:  # noqa: BLE001 - best effort
            LOG.exception('Could not destroy instance %s', instance['id'])

    # -- launch -------------------------------------------------------------
    def run_instance(self, context, instance_id, injected_files=None,
                     **_kwargs):
        """Build an instance: network, spawn, then ``active``.

        ``injected_files`` (base64 in the message, see
        :mod:`nova.compute.injected_files`) go to the driver's spawn.
        """
        context = context.elevated()
        try:
            instance = db.instance_get_for_host(context, instance_id)
        except exception.InstanceNotFound:
            LOG.warning('Instance %s vanished before it was built',
                        instance_id)
            return
        if instance_id in self._building:
            LOG.info('Instance %s is being built already', instance_id)
            return
        resume = self._is_interrupted_build(instance)
        if not resume and (instance['vm_state'] != vm_states.BUILDING or
                           instance['task_state'] not in
                           (task_states.SCHEDULING, None)):
            LOG.warning('Instance %s is %s/%s, not building it again',
                        instance_id, instance['vm_state'],
                        instance['task_state'])
            return
        self._building.add(instance_id)
        try:
            self._run_instance(context, instance, resume=resume,
                               injected_files=injected_files)
        finally:
            self._building.discard(instance_id)

    def _is_interrupted_build(self, instance):
        """Whether a build of this host stopped half-way (crash, restart,
        database outage) and may be taken up again."""
        return instance['vm_state'] == vm_states.BUILDING and \
            instance['task_state'] in _HOST_BUILD_TASKS and \
            instance['host'] == self.host

    def _resume_build(self, context, instance):
        try:
            self._run_instance(context, instance, resume=True)
        except Exception:  # noqa: BLE001 - the build timeout catches it
            LOG.exception('Could not resume the build of instance %s',
                          instance['id'])
        finally:
            self._building.discard(instance['id'])

    def _run_instance(self, context, instance, resume=False,
                      injected_files=None):
        instance_id = instance['id']
        try:
            existing = self.driver.list_instances()
        except Exception as error:  # noqa: BLE001 - recorded as a fault
            self._fail(context, instance_id,
                       'Build failed: the hypervisor of %s is unavailable: '
                       '%s' % (self.host, error),
                       details=traceback.format_exc(),
                       reason=fault_reasons.HYPERVISOR_UNAVAILABLE)
            return
        if instance['name'] in existing:
            if not resume:
                self._fail(context, instance_id,
                           'Instance %s already exists on the hypervisor'
                           % instance['name'],
                           reason=fault_reasons.BUILD_FAILED)
                return
            # A guest half-made before the interruption: build it anew.
            self._destroy_quietly(instance)
        building = {'host': self.host, 'launched_on': self.host,
                    'task_state': task_states.NETWORKING}
        self._update(context, instance_id, **building)
        # The instance in hand is detached: keep it in step with the row.
        for key, value in building.items():
            setattr(instance, key, value)
        network_info = None
        block_device_info = None
        step = 'allocating its network'
        try:
            if FLAGS.stub_network:
                network_info = []
            else:
                network_info = self.network_api.allocate_for_instance(
                    context, instance,
                    vpn=instance['image_ref'] == str(FLAGS.vpn_image_id))
            step = 'setting up its block devices'
            # No mappings (most instances): no phase of attaching volumes.
            block_device_info = {'block_device_mapping': [],
                                 'volume_ids': []}
            if self._block_devices_of(context, instance)[0]:
                self._update(context, instance_id,
                             task_state=task_states.BLOCK_DEVICE_MAPPING)
                block_device_info = self._setup_block_devices(context,
                                                              instance)
            step = 'spawning it'
            self._update(context, instance_id,
                         task_state=task_states.SPAWNING)
            instance.task_state = task_states.SPAWNING
            self._spawn(context, instance, network_info, block_device_info,
                        injected_files)
            step = 'applying its security groups'
            self.apply_security_groups(context, instance, network_info)
            state = self._power_state(instance)
        except Exception as error:  # noqa: BLE001 - recorded as a fault
            if db_retry.is_disconnect(error):
                # The database is away: the whole handler runs again
                # (db_retry) and resumes this build; do not fail it.
                raise
            if network_info is None and _is_unreachable(error):
                # nova-network did not answer: another try, not an error.
                self._release_network(context, instance)
                build_retry.retry_or_fail(
                    context, instance_id, 'Build made no progress while '
                    '%s: %s' % (step, type(error).__name__),
                    lambda message, failure=error: self._abort_build(
                        context, instance, None, step, failure),
                    extra_args={'injected_files': injected_files}
                    if injected_files else None)
                return
            self._abort_build(context, instance, network_info, step, error)
            self._release_block_devices(context, block_device_info)
            return
        self._block_devices_attached(context, instance, block_device_info)
        # Active only if nothing changed it meanwhile (a delete, an error):
        # one conditional UPDATE, and a read of the states when it did not
        # apply.
        if not db.instance_update_if_building(
                context, instance_id, {'vm_state': vm_states.ACTIVE,
                                       'task_state': None,
                                       'power_state': state,
                                       'launched_at': utils.utcnow()}):
            try:
                vm_state, task_state = db.instance_get_states(context,
                                                              instance_id)
            except exception.InstanceNotFound:
                vm_state, task_state = vm_states.DELETED, None
            LOG.info('Instance %s changed while building (%s/%s)',
                     instance_id, vm_state, task_state)
            if vm_state in (vm_states.ERROR, vm_states.DELETED):
                self._teardown_block_devices(context, instance)
            if vm_state == vm_states.ERROR:
                self._destroy_quietly(instance, network_info)
                self._release_network(context, instance)
            return
        # Its groups were read with it (instance_get_for_host, or the host's
        # listing when a build resumes); hosts are told only when a rule
        # names one of them (as read with it: a rule added since was
        # resolved by its own refresh, which finds this instance's address
        # once it was allocated).
        if getattr(instance, 'groups_granted', True):
            self._refresh_members_of(context, [
                g['id'] for g in instance['security_groups']])
        LOG.info('Instance %s is active on %s', instance_id, self.host)

    def _spawn(self, context, instance, network_info, block_device_info,
               injected_files):
        """The driver's spawn, with the decoded files to inject (if any:
        drivers without injection keep their old signature)."""
        files = injected_files_mod.decode(injected_files)
        if files:
            self.driver.spawn(context, instance, network_info,
                              block_device_info, injected_files=files)
        else:
            self.driver.spawn(context, instance, network_info,
                              block_device_info)

    def _abort_build(self, context, instance, network_info, step, error):
        reason = '%s: %s' % (type(error).__name__, error)
        LOG.exception('Instance %s failed while %s', instance['id'], step)
        self._fail(context, instance['id'],
                   'Build failed while %s: %s' % (step, reason),
                   details=traceback.format_exc(),
                   reason=fault_reasons.build_failed(step, error))
        if network_info is not None:
            self._destroy_quietly(instance, network_info)
            self._release_network(context, instance)

    def _release_network(self, context, instance):
        if FLAGS.stub_network:
            return
        try:
            self.network_api.deallocate_for_instance(context, instance)
        except Exception:  # noqa: BLE001 - logged; the row stays
            LOG.exception('Could not release the network of instance %s',
                          instance['id'])

    # -- terminate ----------------------------------------------------------
    def terminate_instance(self, context, instance_id, **_kwargs):
        """Destroy the guest, give back its network, delete the row."""
        context = context.elevated()
        try:
            instance = db.instance_get_for_host(context, instance_id)
        except exception.InstanceNotFound:
            LOG.warning('Instance %s already deleted', instance_id)
            return
        network_info = self._network_info_to_destroy(context, instance)
        self._teardown_block_devices(context, instance)
        try:
            self.driver.destroy(instance, network_info)
        except exception.NotFound:
            pass
        except Exception as error:  # noqa: BLE001 - recorded as a fault
            LOG.exception('Could not destroy instance %s', instance_id)
            self._fail(context, instance_id,
                       'Terminate failed: %s' % error,
                       details=traceback.format_exc(),
                       reason=fault_reasons.TERMINATE_FAILED)
            return
        # The groups read with the instance (instance_get_for_host loads
        # them).
        groups = [g['id'] for g in instance['security_groups']]
        self._release_network(context, instance)
        db.instance_destroy(context, instance_id,
                            vm_states.terminated(utils.utcnow()))
        self._forget_network_info(instance_id)
        # Hosts are told when a rule names one of its groups (as read with
        # it); with none, there is nobody to tell.
        if getattr(instance, 'groups_granted', True):
            self._refresh_members_of(context, groups)
        LOG.info('Instance %s terminated', instance_id)

    # -- actions ------------------------------------------------------------
    def _act(self, context, instance_id, action, done_vm_state, call):
        """Run ``call(instance, network_info)``; record the outcome."""
        context = context.elevated()
        instance = db.instance_get(context, instance_id)
        network_info = self._network_info(context, instance)
        try:
            call(context, instance, network_info)
        except Exception as error:  # noqa: BLE001 - recorded as a fault
            LOG.exception('%s of instance %s failed', action, instance_id)
            self._fail(context, instance_id,
                       '%s failed: %s' % (action.capitalize(), error),
                       details=traceback.format_exc(),
                       reason=fault_reasons.action_failed(action))
            return
        self._update(context, instance_id, vm_state=done_vm_state,
                     task_state=None,
                     power_state=self._power_state(instance))

    def reboot_instance(self, context, instance_id, **_kwargs):
        """Reboot the guest; it ends ``active``."""
        self._act(context, instance_id, 'reboot', vm_states.ACTIVE,
                  lambda ctx, inst, nw: self.driver.reboot(inst, nw))

    def stop_instance(self, context, instance_id, **_kwargs):
        """Power the guest off; it ends ``stopped``."""
        self._act(context, instance_id, 'stop', vm_states.STOPPED,
                  lambda ctx, inst, nw: self.driver.power_off(inst))

    def start_instance(self, context, instance_id, **_kwargs):
        """Power the guest on; it ends ``active``."""
        self._act(context, instance_id, 'start', vm_states.ACTIVE,
                  lambda ctx, inst, nw: self.driver.power_on(inst))

    def rescue_instance(self, context, instance_id, **_kwargs):
        """Boot the guest from the rescue image; it ends ``rescued``."""
        self._act(context, instance_id, 'rescue', vm_states.RESCUED,
                  lambda ctx, inst, nw: self.driver.rescue(ctx, inst, nw))

    def unrescue_instance(self, context, instance_id, **_kwargs):
        """Boot the guest from its own disk again; it ends ``active``."""
        self._act(context, instance_id, 'unrescue', vm_states.ACTIVE,
                  lambda ctx, inst, nw: self.driver.unrescue(inst, nw))

    def get_console_output(self, context, instance_id, **_kwargs):
        """The guest's console text."""
        instance = db.instance_get(context.elevated(), instance_id)
        output = self.driver.get_console_output(instance)
        if isinstance(output, bytes):
            output = output.decode('utf-8', 'replace')
        return output

    # -- host resources -----------------------------------------------------
    def update_available_resource(self, context):
        """Write this host's resources into its ``compute_nodes`` row."""
        context = context.elevated()
        resources = dict(self.driver.get_available_resource())
        try:
            service = db.service_get_by_args(context, self.host,
                                             'nova-compute')
        except exception.NotFound:
            LOG.debug('No nova-compute service row for %s yet', self.host)
            return None
        resources['service_id'] = service['id']
        try:
            node = db.compute_node_get_by_service(context, service['id'])
        except exception.NotFound:
            return db.compute_node_create(context, resources)
        return db.compute_node_update(context, node['id'], resources)

    def service_registered(self, context):
        """Write the ``compute_nodes`` row at once, as Diablo's service
        start did, so the host's hypervisor is known before the first
        periodic task; then send the host's capabilities to the
        schedulers (see SchedulerDependentManager)."""
        self.update_available_resource(context)
        super(ComputeManager, self).service_registered(context)

    # -- periodic tasks -----------------------------------------------------
    @manager.periodic_task
    def _report_available_resource(self, context):
        self.update_available_resource(context)

    def report_capabilities(self, context):
        """Take the driver's host stats as the capabilities to report."""
        self._last_host_check = time.monotonic()
        LOG.info('Updating host status')
        self.update_service_capabilities(
            self.driver.get_host_stats(refresh=True))

    @manager.periodic_task
    def _report_driver_status(self, context):
        """Every ``--host_state_interval`` seconds, take the driver's host
        stats as the capabilities to report to the schedulers."""
        last = getattr(self, '_last_host_check', None)
        if last is not None and \
                time.monotonic() - last < FLAGS.host_state_interval:
            return
        self.report_capabilities(context)

    @manager.periodic_task
    def _sync_power_states(self, context):
        """Copy the driver's power state of this host's guests into the DB.

        Instances with an action in progress are left alone.
        """
        running = set(self.driver.list_instances())
        for instance in db.instance_get_all_by_host(context, self.host):
            if instance['task_state'] is not None or \
                    instance['vm_state'] in (vm_states.BUILDING,
                                             vm_states.DELETED):
                continue
            if instance['name'] in running:
                state = self._power_state(instance)
            else:
                state = power_state.NOSTATE
            if state != instance['power_state']:
                LOG.info('Instance %s power state %s -> %s', instance['id'],
                         instance['power_state'], state)
                self._update(context, instance['id'], power_state=state)

    @manager.periodic_task
    def _check_build_timeouts(self, context):
        """Put this host's builds older than the timeout in error."""
        self._fail_stuck_builds(context)

    def _fail_stuck_builds(self, context):
        timeout = FLAGS.instance_build_timeout
        if not timeout or timeout <= 0:
            return []
        cutoff = utils.utcnow() - datetime.timedelta(seconds=timeout)
        stuck = db.instance_get_all_by_filters(context, {
            'host': self.host, 'vm_state': vm_states.BUILDING,
            'changes-before': cutoff})
        failed = []
        for instance in stuck:
            if instance['id'] in self._building:
                continue
            build_retry.retry_or_fail(
                context, instance['id'],
                'Build timed out: no progress for %d seconds on %s (task '
                '%s)' % (timeout, self.host, instance['task_state']),
                lambda message, iid=instance['id']: self._fail(
                    context, iid, message, code=504,
                    reason=fault_reasons.BUILD_TIMED_OUT))
            failed.append(instance['id'])
        return failed
