"""The client side of compute: what the APIs call to manage instances.

:class:`API` validates a request, writes the database rows and sends the
work over RPC: ``run_instance`` to the scheduler, the other actions to
``compute.<host>`` of the instance.  It never imports a manager.

A launch validates everything (flavor, image, kernel and ramdisk, key pair,
security groups, counts, metadata, user data) before writing anything, then
checks the quota and creates all the rows in one transaction, so a failure
leaves nothing behind and two concurrent launches cannot both take the last
of a project's quota.
"""

import base64
import binascii
import collections
import logging
import re

from nova import db
from nova import exception
from nova import flags
from nova import quota
from nova import rpc
from nova import utils
from nova.compute import api_actions
from nova.compute import api_consoles
from nova.compute import api_hosts
from nova.compute import api_volumes
from nova.compute import injected_files as files_mod
from nova.compute import instance_types
from nova.compute import power_state
from nova.compute import security_groups
from nova.compute import snapshots
from nova.compute import task_states
from nova.compute import vm_states
from nova.rpc import outbox
from nova.utils import concurrency

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.compute.api')

flags.DEFINE_integer('find_host_timeout', 30,
                     'seconds to wait for an instance to get a host')

#: longest user data accepted (decoded bytes), as EC2.
MAX_USERDATA_SIZE = 16 * 1024

#: columns a caller may change through :meth:`API.update`.
_UPDATABLE = ('display_name', 'display_description', 'metadata',
              'access_ip_v4', 'access_ip_v6', 'locked')


class InstanceQuotaError(quota.QuotaError, exception.QuotaError):
    """Instance quota exceeded (EC2 ``InstanceLimitExceeded``).

    Both a :class:`nova.quota.QuotaError` and a
    :class:`nova.exception.QuotaError`, whichever a caller catches.
    """

    def __init__(self, message):
        super(InstanceQuotaError, self).__init__(message,
                                                 'InstanceLimitExceeded')


# One lock per project: the quota check and the row inserts of a launch
# happen as one step within this process.
_project_locks = collections.defaultdict(lambda: concurrency.Semaphore(1))


def _project_lock(project_id):
    return _project_locks[project_id]


def generate_default_hostname(instance):
    """A hostname from the display name (``server-<id>`` without one)."""
    name = (instance.get('display_name') or '').lower()
    name = re.sub(r'[\s_]+', '-', name)
    name = re.sub(r'[^a-z0-9.-]', '', name).strip('-.')[:63]
    return name or 'server-%d' % instance['id']


def _plain(value):
    """``value`` made JSON-friendly for an RPC message."""
    if isinstance(value, dict):
        return dict((k, _plain(v)) for k, v in value.items())
    if hasattr(value, 'to_dict'):
        return _plain(value.to_dict())
    return value


class API(api_actions.ActionsApiMixin, api_volumes.VolumeAttachMixin,
          security_groups.TriggerMixin, snapshots.SnapshotApiMixin,
          api_hosts.HostApiMixin, api_consoles.ConsoleApiMixin):
    """Create, list and act on instances (used by the EC2/OpenStack APIs)."""

    def __init__(self, image_service=None, network_api=None, **_kwargs):
        self._image_service = image_service
        self._network_api = network_api

    # -- collaborators (loaded on first use) -----------------------------
    @property
    def image_service(self):
        """The image service named by ``--image_service``."""
        if self._image_service is None:
            from nova import image
            self._image_service = image.get_default_image_service()
        return self._image_service

    @property
    def network_api(self):
        """The client side of nova-network."""
        if self._network_api is None:
            from nova.network import api as network_api
            self._network_api = network_api.API()
        return self._network_api

    # -- create ------------------------------------------------------------
    def _instance_type(self, instance_type):
        if instance_type is None or instance_type == '':
            return instance_types.get_default_instance_type()
        if isinstance(instance_type, str):
            return instance_types.get_instance_type_by_name(instance_type)
        return instance_type

    @staticmethod
    def _counts(min_count, max_count):
        try:
            max_count = 1 if max_count is None else int(max_count)
            min_count = max_count if min_count is None else int(min_count)
        except (TypeError, ValueError):
            raise exception.InvalidParameterValue(
                err='MinCount and MaxCount must be integers')
        if min_count < 1 or max_count < 1:
            raise exception.InvalidParameterValue(
                err='MinCount and MaxCount must be at least 1')
        if min_count > max_count:
            raise exception.InvalidParameterValue(
                err='MinCount (%d) must not exceed MaxCount (%d)'
                % (min_count, max_count))
        return min_count, max_count

    def _image(self, context, image_href):
        if image_href is None or image_href == '':
            raise exception.InvalidParameterValue(err='An image is required')
        return self.image_service.show(context, image_href)

    def _kernel_ramdisk(self, context, image, kernel_id, ramdisk_id):
        """Kernel and ramdisk: given, else from the image; each checked."""
        props = image.get('properties') or {}
        if kernel_id is None:
            kernel_id = props.get('kernel_id')
        if ramdisk_id is None:
            ramdisk_id = props.get('ramdisk_id')
        found = []
        for value in (kernel_id, ramdisk_id):
            if value in (None, '', 'nokernel', 'noramdisk',
                         str(FLAGS.null_kernel)):
                found.append(None)
                continue
            self.image_service.show(context, value)
            found.append(str(value))
        return found

    @staticmethod
    def _user_data(user_data):
        if user_data is None or user_data == '':
            return None
        text = user_data.decode('ascii', 'replace') \
            if isinstance(user_data, bytes) else str(user_data)
        compact = ''.join(text.split())
        try:
            decoded = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            raise exception.InvalidParameterValue(
                err='UserData must be base64 encoded')
        if len(decoded) > MAX_USERDATA_SIZE:
            raise exception.InvalidParameterValue(
                err='UserData is larger than %d bytes' % MAX_USERDATA_SIZE)
        return compact

    @staticmethod
    def _security_groups(context, security_group):
        if not security_group:
            names = ['default']
        elif isinstance(security_group, str):
            names = [security_group]
        else:
            names = list(security_group)
        ids = []
        for name in names:
            if name == 'default':
                group = db.security_group_ensure_default(context)
            else:
                group = db.security_group_get_by_name(
                    context, context.project_id, name)
            if group.id not in ids:
                ids.append(group.id)
        return ids

    def _check_quota(self, context, instance_type, min_count, max_count):
        allowed = quota.allowed_instances(context, max_count, instance_type)
        if allowed >= min_count:
            return allowed
        LOG.warning('Quota exceeded for %s, tried to run %s instances',
                    context.project_id, min_count)
        if allowed <= 0:
            message = ('Instance quota exceeded. You cannot run any more '
                       'instances of this type.')
        else:
            message = ('Instance quota exceeded. You can only run %s more '
                       'instances of this type.' % allowed)
        raise InstanceQuotaError(message)

    def create(self, context, instance_type, image_href, kernel_id=None,
               ramdisk_id=None, min_count=1, max_count=1, display_name='',
               display_description='', key_name=None, key_data=None,
               security_group='default', availability_zone=None,
               user_data=None, metadata=None, reservation_id=None,
               block_device_mapping=None, client_token=None,
               instance_values=None, injected_files=None, **_kwargs):
        """Launch instances; returns the list of instances created.

        Launches ``max_count`` instances, or as many as the quota allows if
        that is at least ``min_count``; raises InstanceQuotaError otherwise.
        ``instance_values`` are further columns of the new rows (EC2
        attributes such as ``disable_terminate``).  With a ``client_token``
        the launch is idempotent within the project: when live instances
        already carry that token they are returned and nothing is launched.
        ``injected_files`` (``[(path, contents)]``) are written into each
        guest's disk by its hypervisor driver; bad paths and the
        injected-file quotas are refused before anything is made.
        """
        injected_files = files_mod.check(context, injected_files)
        instance_type = self._instance_type(instance_type)
        min_count, max_count = self._counts(min_count, max_count)
        image = self._image(context, image_href)
        kernel_id, ramdisk_id = self._kernel_ramdisk(context, image,
                                                     kernel_id, ramdisk_id)
        if key_name and not key_data:
            key_pair = db.key_pair_get(context, context.user_id, key_name)
            key_data = key_pair['public_key']
        user_data = self._user_data(user_data)
        metadata = dict(metadata or {})
        quota.check_metadata(context, metadata)
        group_ids = self._security_groups(context, security_group)
        block_device_mapping = self.check_block_device_mapping(
            context, block_device_mapping, max_count)
        reservation_id = reservation_id or utils.generate_uid('r')
        base = {
            'reservation_id': reservation_id,
            'image_ref': str(image.get('id', image_href)),
            'kernel_id': kernel_id,
            'ramdisk_id': ramdisk_id,
            'vm_state': vm_states.BUILDING,
            'task_state': task_states.SCHEDULING,
            'power_state': power_state.NOSTATE,
            'user_id': context.user_id,
            'project_id': context.project_id,
            'instance_type_id': instance_type['id'],
            'memory_mb': instance_type['memory_mb'],
            'vcpus': instance_type['vcpus'],
            'local_gb': instance_type['local_gb'],
            'display_name': display_name,
            'display_description': display_description,
            'user_data': user_data,
            'key_name': key_name,
            'key_data': key_data,
            'locked': False,
            'availability_zone': availability_zone,
            'os_type': (image.get('properties') or {}).get('os_type'),
            'architecture': (image.get('properties') or {}).get(
                'architecture'),
            'root_device_name': (image.get('properties') or {}).get(
                'root_device_name'),
            'launched_on': None,
            'host': None,
        }
        base.update(instance_values or {})
        if client_token:
            base['client_token'] = client_token
        with _project_lock(context.project_id):
            with db.session_scope():
                # Other API workers launching for this project wait here,
                # so usage is counted after their rows are committed.
                db.instance_launch_lock(context, context.project_id)
                if client_token:
                    existing = self.get_by_client_token(context,
                                                        client_token)
                    if existing:
                        return existing
                count = self._check_quota(context, instance_type, min_count,
                                          max_count)
                # The rows go in together (one round trip for the lot);
                # the default hostname needs each new id.
                instances = db.instance_create_many(context, [
                    dict(base, launch_index=index, security_groups=group_ids,
                         metadata=metadata) for index in range(count)],
                    hostname=generate_default_hostname)
                for instance in instances:
                    self.store_block_device_mapping(
                        context, instance['id'], block_device_mapping)
                request_spec = {
                    'image': _plain(image),
                    'instance_type': _plain(instance_type),
                    'num_instances': len(instances),
                    'instance_properties': dict(
                        (k, v) for k, v in base.items()
                        if k not in ('user_data', 'key_data')),
                }
                # The requests to build commit with the rows (outbox): the
                # answer never waits for the broker, no work is lost.
                outbox.cast_many(context, [
                    self._schedule_cast(instance, request_spec,
                                        availability_zone, injected_files)
                    for instance in instances])
        LOG.info('Launching %d instance(s) of %s in reservation %s',
                 len(instances), instance_type['name'], reservation_id)
        return instances

    @staticmethod
    def _schedule_cast(instance, request_spec, availability_zone,
                       injected_files=None):
        """``(topic, msg)`` of the scheduler's run_instance for one."""
        args = {'topic': FLAGS.compute_topic,
                'instance_id': instance['id'],
                'request_spec': request_spec,
                'availability_zone': availability_zone}
        if injected_files:
            args['injected_files'] = files_mod.encode(injected_files)
        return FLAGS.scheduler_topic, {'method': 'run_instance',
                                       'args': args}

    # -- reads -------------------------------------------------------------
    def get(self, context, instance_id):
        """The instance (project-scoped); raises InstanceNotFound."""
        return db.instance_get(context, instance_id)

    def get_many(self, context, instance_ids):
        """The instances (project-scoped) in the order given, read
        together; InstanceNotFound names the first id not found."""
        return db.instance_get_many(context, instance_ids)

    def get_all(self, context, search_opts=None):
        """The instances matching ``search_opts`` the context may see.

        Non-admins only ever see their own project.  Besides the database
        filters (see ``instance_get_all_by_filters``), ``fixed_ip`` (or
        ``ip``) keeps instances holding that fixed address.
        """
        filters = dict(search_opts or {})
        if not context.is_admin:
            filters['project_id'] = context.project_id
        address = filters.pop('fixed_ip', None) or filters.pop('ip', None)
        instances = db.instance_get_all_by_filters(context, filters)
        if address:
            instances = [inst for inst in instances
                         if any(ip['address'] == address
                                for ip in inst['fixed_ips'])]
        return instances

    def get_by_client_token(self, context, client_token):
        """The live instances the project launched with ``client_token``,
        by launch index."""
        instances = db.instance_get_all_by_filters(context, {
            'project_id': context.project_id, 'client_token': client_token})
        return sorted(instances, key=lambda i: (i['launch_index'] or 0,
                                                i['id']))

    def get_page(self, context, search_opts=None, marker=None, limit=None):
        """Up to ``limit`` instances below id ``marker``, newest first.

        Keyset paging for the APIs' MaxResults; ``search_opts`` are the
        database filters of :meth:`get_all`.
        """
        filters = dict(search_opts or {})
        if not context.is_admin:
            filters['project_id'] = context.project_id
        return db.instance_get_page(context, filters, marker, limit)

    def get_listing(self, context, search_opts=None, marker=None,
                    limit=None):
        """Like :meth:`get_all` (or a :meth:`get_page` page with ``limit``)
        but as plain dicts holding what a listing shows: the columns, the
        security groups and the fixed and floating addresses."""
        filters = dict(search_opts or {})
        if not context.is_admin:
            filters['project_id'] = context.project_id
        return db.instance_get_listing(context, filters, marker, limit)

    def get_fault(self, context, instance_id):
        """The newest fault of an instance (why it is in error), or None."""
        self.get(context, instance_id)
        return db.instance_fault_get_latest(context, instance_id)

    # -- actions -----------------------------------------------------------
    @staticmethod
    def _check_state(instance, method, vm_ok=None, task_ok=(None,)):
        if vm_ok is not None and instance['vm_state'] not in vm_ok:
            raise exception.InstanceInvalidState(
                instance_id=instance['id'], attr='vm_state',
                state=instance['vm_state'], method=method)
        if task_ok is not None and instance['task_state'] not in task_ok:
            raise exception.InstanceInvalidState(
                instance_id=instance['id'], attr='task_state',
                state=instance['task_state'], method=method)

    @staticmethod
    def _compute_topic(instance):
        return '%s.%s' % (FLAGS.compute_topic, instance['host'])

    def _cast_compute(self, context, instance, method, **args):
        args['instance_id'] = instance['id']
        outbox.cast(context, self._compute_topic(instance),
                    {'method': method, 'args': args})

    def _act(self, context, instance_id, method, task_state, vm_ok):
        instance = self.get(context, instance_id)
        # Asking again for what is already under way is harmless.
        self._check_state(instance, method, vm_ok=vm_ok,
                          task_ok=(None, task_state))
        self.check_unlocked(context, instance, method)
        if not instance['host']:
            raise exception.InstanceInvalidState(
                instance_id=instance['id'], attr='host', state='unassigned',
                method=method)
        with db.session_scope():
            db.instance_update_columns(context, instance['id'],
                                       {'task_state': task_state})
            self._cast_compute(context, instance, '%s_instance' % method)

    def _host_is_registered(self, context, host):
        """Whether ``host`` still runs (or will run again) nova-compute.

        A host whose heartbeat is merely late keeps its instances: they may
        still be running there, so termination waits in its queue.  Only a
        host whose service was removed is taken as gone.
        """
        try:
            db.service_get_by_args(context.elevated(), host, 'nova-compute')
        except exception.NotFound:
            return False
        return True

    def delete(self, context, instance_id):
        """Terminate an instance (InstanceIsLocked when it is locked and
        the caller no administrator).

        An instance with no compute host (never scheduled) or whose host's
        service was removed is deleted here, its fixed IPs given back;
        otherwise ``terminate_instance`` goes to its host's queue, where a
        host that is only down finds it when it comes back.
        """
        instance = self.get(context, instance_id)
        if instance['vm_state'] == vm_states.DELETED:
            return
        self.check_unlocked(context, instance, 'terminate')
        host = instance['host']
        if host and self._host_is_registered(context, host):
            with db.session_scope():
                db.instance_update_columns(
                    context, instance['id'],
                    {'task_state': task_states.DELETING})
                self._cast_compute(context, instance, 'terminate_instance')
            return
        self._delete_here(context, instance)

    def delete_many(self, context, instances):
        """Terminate several instances already read (as :meth:`delete`
        does one), in one transaction: each registered host is looked up
        once and the ``terminate_instance`` casts are committed together
        (then published together).  Locks are checked for all first, so a
        locked instance refuses the whole request before any is touched.
        """
        live = [i for i in instances if i['vm_state'] != vm_states.DELETED]
        for instance in live:
            self.check_unlocked(context, instance, 'terminate')
        registered = {}
        here = []
        remote = []
        with db.session_scope():
            for instance in live:
                host = instance['host']
                if host and host not in registered:
                    registered[host] = self._host_is_registered(context,
                                                                host)
                if host and registered[host]:
                    remote.append(instance)
                else:
                    here.append(instance)
            # One UPDATE and one round trip of casts for them all.
            db.instance_update_columns_many(
                context, [i['id'] for i in remote],
                {'task_state': task_states.DELETING})
            outbox.cast_many(context, [
                (self._compute_topic(instance),
                 {'method': 'terminate_instance',
                  'args': {'instance_id': instance['id']}})
                for instance in remote])
        for instance in here:
            self._delete_here(context, instance)

    def _delete_here(self, context, instance):
        if instance['fixed_ips']:
            try:
                self.network_api.deallocate_for_instance(
                    context.elevated(), instance)
            except Exception:  # noqa: BLE001 - delete the row anyway
                LOG.exception('Could not release the network of instance '
                              '%s', instance['id'])
        db.instance_destroy(context, instance['id'],
                            vm_states.terminated(utils.utcnow()))

    def reboot(self, context, instance_id):
        """Reboot an active instance, or boot a stopped one (as Diablo's,
        which checked no state: the manual's disaster recovery reboots the
        instances a host's power loss left shut off)."""
        self._act(context, instance_id, 'reboot', task_states.REBOOTING,
                  (vm_states.ACTIVE, vm_states.STOPPED))

    def stop(self, context, instance_id):
        """Power off an active instance (it becomes ``stopped``)."""
        self._act(context, instance_id, 'stop', task_states.STOPPING,
                  (vm_states.ACTIVE,))

    def start(self, context, instance_id):
        """Power on a stopped instance."""
        self._act(context, instance_id, 'start', task_states.STARTING,
                  (vm_states.STOPPED,))

    def rescue(self, context, instance_id):
        """Boot an active or stopped instance from the rescue image."""
        self._act(context, instance_id, 'rescue', task_states.RESCUING,
                  (vm_states.ACTIVE, vm_states.STOPPED))

    def unrescue(self, context, instance_id):
        """Return a rescued instance to its own disk."""
        self._act(context, instance_id, 'unrescue', task_states.UNRESCUING,
                  (vm_states.RESCUED,))

    def get_console_output(self, context, instance_id):
        """The console text of an instance (a call to its host)."""
        instance = self.get(context, instance_id)
        if not instance['host']:
            raise exception.InstanceInvalidState(
                instance_id=instance['id'], attr='host', state='unassigned',
                method='get_console_output')
        return rpc.call(context, self._compute_topic(instance), {
            'method': 'get_console_output',
            'args': {'instance_id': instance['id']}})

    def set_attributes(self, context, instance_id, values,
                       stopped_only=False):
        """Change launch attributes of an instance (EC2's Modify/Reset
        InstanceAttribute): ``disable_terminate``, ``shutdown_terminate``,
        ``kernel_id``, ``ramdisk_id``, ``user_data`` and ``instance_type``
        (a flavor: its id and sizes are copied).  ``stopped_only``: refuse
        unless the instance is stopped (InstanceInvalidState).
        """
        allowed = ('disable_terminate', 'shutdown_terminate', 'kernel_id',
                   'ramdisk_id', 'user_data', 'instance_type')
        unknown = set(values) - set(allowed)
        if unknown:
            raise exception.InvalidParameterValue(
                err='Cannot change %s' % ', '.join(sorted(unknown)))
        instance = self.get(context, instance_id)
        if stopped_only:
            self._check_state(instance, 'modify_attribute',
                              vm_ok=(vm_states.STOPPED,))
        values = dict(values)
        flavor = values.pop('instance_type', None)
        if flavor is not None:
            values.update({'instance_type_id': flavor['id'],
                           'memory_mb': flavor['memory_mb'],
                           'vcpus': flavor['vcpus'],
                           'local_gb': flavor['local_gb']})
        db.instance_update_columns(context, instance['id'], values)

    def update(self, context, instance_id, **values):
        """Change what a user may change (display name, description...)."""
        unknown = set(values) - set(_UPDATABLE)
        if unknown:
            raise exception.InvalidParameterValue(
                err='Cannot update %s' % ', '.join(sorted(unknown)))
        instance = self.get(context, instance_id)
        if 'metadata' in values:
            quota.check_metadata(context, values['metadata'])
        return db.instance_update(context, instance['id'], values)
