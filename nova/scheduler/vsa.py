"""The VSA schedulers: place VSA drives by the drive QoS groups of hosts.

Diablo 2011.3's Zadara back end reported, per volume host, the capability
``drive_qos_info``: ``{group name: {'DriveType': 'SATA', 'DriveCapacity':
bytes, 'TotalDrives': n, 'TotalCapacity': bytes, 'AvailableCapacity': bytes,
'FullDrive': {'NumFreeDrives': n, 'NumOccupiedDrives': n},
'PartitionDrive': {'PartitionSize': bytes, 'NumFreePartitions': n,
'NumOccupiedPartitions': n}}}``.  A volume of a VSA drive type (a volume
type whose extra specs say ``type=vsa_drive``) goes to a host with a group
of the same drive type whose drive capacity is the drive type's size within
``--drive_type_approx_capacity_percent``.  Size 0 asks for a full drive,
otherwise a partition of that many gigabytes.

Two choices, as Diablo's (use one as ``--volume_scheduler_driver`` under the
MultiScheduler, or as ``--scheduler_driver``):

* :class:`VsaSchedulerLeastUsedHost` — the host whose groups have the least
  used capacity;
* :class:`VsaSchedulerMostAvailCapacity` — the host with the most free
  drives (full drive) or available bytes (partition) in the matching group.

Each allocation is taken off the reported capabilities at once (and given
back if a multi-volume request fails), so the requests that follow before
the next report see it.  A request for several volumes spreads them over
distinct hosts (``--vsa_select_unique_drives``) until
``--vsa_unique_hosts_per_alloc`` hosts are in use, then reuses those.
Volumes of other types are placed by the SimpleScheduler.
"""

import logging

from nova import context as nova_context
from nova import db
from nova import flags
from nova import rpc
from nova import utils
from nova.rpc import outbox
from nova.scheduler import driver
from nova.scheduler import simple
from nova.vsa.api import VsaState

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.scheduler.vsa')

flags.DEFINE_integer('drive_type_approx_capacity_percent', 10,
                     'The percentage range for capacity comparison')
flags.DEFINE_integer('vsa_unique_hosts_per_alloc', 10,
                     'The number of unique hosts per storage allocation')
flags.DEFINE_boolean('vsa_select_unique_drives', True,
                     'Allow selection of same host for multiple drives')


def bytes_to_gb(value):
    """Whole gigabytes (GiB) in ``value`` bytes."""
    return int(value) >> 30


def gb_to_bytes(value):
    """Bytes in ``value`` gigabytes (GiB)."""
    return int(value) << 30


def drive_type_of(volume_type):
    """``{'name', 'type', 'size', 'rpm'}`` of a VSA drive volume type."""
    specs = volume_type.get('extra_specs') or {}
    return {'name': specs.get('drive_name'),
            'type': specs.get('drive_type'),
            'size': int(specs.get('drive_size')),
            'rpm': specs.get('drive_rpm')}


def _same_name(reported, wanted):
    return str(reported).lower() == str(wanted).lower()


def _size_close(reported_bytes, wanted_gb):
    reported = bytes_to_gb(reported_bytes)
    wanted = int(wanted_gb)
    slack = wanted * FLAGS.drive_type_approx_capacity_percent // 100
    return wanted - slack <= reported <= wanted + slack


# (capability of the QoS group, key of the drive type, comparison)
_COMPARISONS = (('DriveType', 'type', _same_name),
                ('DriveCapacity', 'size', _size_close))


def qosgrp_match(drive_type, qos_values):
    """Whether a reported QoS group has drives of ``drive_type``: same
    type name (any case), capacity within the approximation percent."""
    for cap_key, type_key, same in _COMPARISONS:
        if cap_key not in qos_values or type_key not in drive_type:
            return False
        if not same(qos_values[cap_key], drive_type[type_key]):
            return False
    return True


def _is_vsa_drive(volume_type):
    specs = (volume_type or {}).get('extra_specs') or {}
    return specs.get('type') == 'vsa_drive'


class VsaScheduler(simple.SimpleScheduler):
    """Places volumes of VSA drive types; subclasses choose the host."""

    def __init__(self):
        super(VsaScheduler, self).__init__()
        self._notify_all_volume_hosts('startup')

    @staticmethod
    def _notify_all_volume_hosts(event):
        """Ask every volume host to report its capabilities afresh."""
        try:
            rpc.fanout_cast(nova_context.get_admin_context(),
                            FLAGS.volume_topic,
                            {'method': 'notification',
                             'args': {'event': event}})
        except Exception:  # noqa: BLE001 - the hosts report periodically
            LOG.warning('could not notify the volume hosts of %s', event)

    # -- which hosts --------------------------------------------------------
    def _service_states(self):
        if self.host_states is None:
            return {}
        return self.host_states.service_states

    def _filter_hosts(self, context, topic, request_spec):
        """``[(host, drive_qos_info)]`` of the up hosts of ``topic`` with a
        group of the drive type that has capacity left."""
        drive_type = request_spec['drive_type']
        up = set(self.hosts_up(context, topic))
        found = []
        for host, services in sorted(self._service_states().items()):
            if host not in up or topic not in services:
                continue
            qos_info = services[topic].get('drive_qos_info') or {}
            for qos_values in qos_info.values():
                if not qosgrp_match(drive_type, qos_values):
                    continue
                if qos_values.get('AvailableCapacity', 0) > 0:
                    found.append((host, qos_info))
                else:
                    LOG.debug('Host %s has no free capacity. Skip', host)
                break
        LOG.debug('Filter hosts for drive type %s: %s', drive_type['name'],
                  [host for host, _caps in found])
        return found

    @staticmethod
    def _allowed_to_use_host(host, selected_hosts, unique):
        return not unique or host not in [h for h, _c in selected_hosts]

    @staticmethod
    def _add_hostcap_to_list(selected_hosts, host, cap):
        if host not in [h for h, _c in selected_hosts]:
            selected_hosts.append((host, cap))

    def host_selection_algorithm(self, request_spec, all_hosts,
                                 selected_hosts, unique):
        """``(host, qos group values)`` or ``(None, None)``; subclasses."""
        raise NotImplementedError('Must implement host selection mechanism')

    def _select_hosts(self, request_spec, all_hosts, selected_hosts=None):
        if selected_hosts is None:
            selected_hosts = []
        host = qos_cap = None
        if len(selected_hosts) >= FLAGS.vsa_unique_hosts_per_alloc:
            # Enough hosts in use: try those first, a host may repeat.
            unique = False
            host, qos_cap = self.host_selection_algorithm(
                request_spec, selected_hosts, selected_hosts, unique)
        else:
            unique = FLAGS.vsa_select_unique_drives
        if host is None:
            host, qos_cap = self.host_selection_algorithm(
                request_spec, all_hosts, selected_hosts, unique)
        if host is None:
            raise driver.NoValidHost(reason='No available hosts')
        return host, qos_cap

    def _forced_volume_host(self, context, availability_zone):
        return self.forced_host(context, FLAGS.volume_topic,
                                availability_zone)

    # -- consuming capacity ---------------------------------------------------
    @staticmethod
    def _consume_full_drive(qos_values, direction):
        qos_values['FullDrive']['NumFreeDrives'] += direction
        qos_values['FullDrive']['NumOccupiedDrives'] -= direction

    def _consume_partition(self, qos_values, size, direction):
        partitions = qos_values['PartitionDrive']
        partition_size = partitions['PartitionSize'] or size
        part_per_drive = qos_values['DriveCapacity'] // partition_size
        if direction == -1 and partitions['NumFreePartitions'] == 0:
            # No partition left: split one more free drive.
            self._consume_full_drive(qos_values, direction)
            partitions['NumFreePartitions'] += part_per_drive
        partitions['NumFreePartitions'] += direction
        partitions['NumOccupiedPartitions'] -= direction
        if direction == 1 and \
                partitions['NumFreePartitions'] >= part_per_drive:
            # A whole drive of partitions is free again.
            self._consume_full_drive(qos_values, direction)
            partitions['NumFreePartitions'] -= part_per_drive

    def _consume_resource(self, qos_values, size, direction):
        """Take (-1) or give back (1) a volume of ``size`` GB (0: a full
        drive) in the reported group ``qos_values``."""
        if qos_values is None:
            return
        if size == 0:
            qos_values['AvailableCapacity'] += \
                direction * qos_values['DriveCapacity']
            self._consume_full_drive(qos_values, direction)
        else:
            qos_values['AvailableCapacity'] += direction * gb_to_bytes(size)
            self._consume_partition(qos_values, gb_to_bytes(size),
                                    direction)

    # -- requests -------------------------------------------------------------
    def _assign_hosts_to_volumes(self, context, volume_params, forced_host):
        request_spec = {}
        selected_hosts = []
        previous_type_id = None
        all_hosts = []
        for vol in volume_params:
            if forced_host:
                vol['host'] = forced_host
                vol['capabilities'] = None
                continue
            request_spec['size'] = vol['size']
            if vol['volume_type_id'] != previous_type_id:
                volume_type = db.volume_type_get(context,
                                                 vol['volume_type_id'])
                request_spec['drive_type'] = drive_type_of(volume_type)
                all_hosts = self._filter_hosts(context, FLAGS.volume_topic,
                                               request_spec)
                previous_type_id = vol['volume_type_id']
            host, qos_cap = self._select_hosts(request_spec, all_hosts,
                                               selected_hosts)
            vol['host'] = host
            vol['capabilities'] = qos_cap
            self._consume_resource(qos_cap, vol['size'], -1)

    def _provision_volume(self, context, vol, availability_zone):
        volume = db.volume_create(context, {
            'size': vol['size'],
            'user_id': context.user_id,
            'project_id': context.project_id,
            'snapshot_id': None,
            'availability_zone': availability_zone,
            'status': 'creating',
            'attach_status': 'detached',
            'display_name': vol['name'],
            'display_description': vol.get('description'),
            'volume_type_id': vol['volume_type_id'],
            'host': vol['host'],
            'scheduled_at': utils.utcnow()})
        LOG.debug('Provision volume %s of size %s GB on host %s',
                  vol['name'], vol['size'], vol['host'])
        outbox.cast(context, driver.queue_for(FLAGS.volume_topic,
                                              vol['host']),
                    {'method': 'create_volume',
                     'args': {'volume_id': volume['id'],
                              'snapshot_id': None}})
        return volume

    def schedule_create_volumes(self, context, request_spec,
                                availability_zone=None, *_args, **_kwargs):
        """Place and create the back-end volumes of a VSA.

        ``request_spec``: ``{'num_volumes', 'vsa_id', 'volumes': [{'name',
        'description', 'size', 'volume_type_id'}]}``.  On failure the
        capacity taken is given back and the VSA is marked failed.
        Returns None (the casts are sent here).
        """
        vsa_id = request_spec.get('vsa_id')
        volume_params = request_spec.get('volumes') or []
        zone = availability_zone or FLAGS.storage_availability_zone
        try:
            forced = self._forced_volume_host(context, availability_zone)
            self._assign_hosts_to_volumes(context, volume_params, forced)
            for vol in volume_params:
                self._provision_volume(context, vol, zone)
        except Exception:
            if vsa_id:
                db.vsa_update(context, vsa_id,
                              {'status': VsaState.FAILED})
            for vol in volume_params:
                if 'capabilities' in vol:
                    self._consume_resource(vol['capabilities'], vol['size'],
                                           1)
            raise
        return None

    def schedule_create_volume(self, context, volume_id, *args, **kwargs):
        """A volume of a VSA drive type goes to the best matching host;
        any other volume is placed by the SimpleScheduler."""
        volume = db.volume_get(context, volume_id)
        volume_type = None
        if volume['volume_type_id']:
            volume_type = db.volume_type_get(context,
                                             volume['volume_type_id'])
        if not _is_vsa_drive(volume_type):
            return super(VsaScheduler, self).schedule_create_volume(
                context, volume_id, *args, **kwargs)
        host = self._forced_volume_host(context,
                                        volume['availability_zone'])
        qos_cap = None
        if host is None:
            request_spec = {'size': volume['size'],
                            'drive_type': drive_type_of(volume_type)}
            hosts = self._filter_hosts(context, FLAGS.volume_topic,
                                       request_spec)
            host, qos_cap = self._select_hosts(request_spec, hosts)
        db.volume_update(context, volume_id,
                         {'host': host, 'scheduled_at': utils.utcnow()})
        self._consume_resource(qos_cap, volume['size'], -1)
        return host


class VsaSchedulerLeastUsedHost(VsaScheduler):
    """The host with the least used capacity (over all its groups) that
    has room in a group of the drive type."""

    def host_selection_algorithm(self, request_spec, all_hosts,
                                 selected_hosts, unique):
        """As Diablo: a host's used capacity sums its groups up to (and
        over all of them when) the matching group has room."""
        size = request_spec['size']
        drive_type = request_spec['drive_type']
        best = (None, None, None)
        min_used = 0
        for host, capabilities in all_hosts:
            enough = False
            matched = None
            used = 0
            for qos_values in capabilities.values():
                used += (qos_values['TotalCapacity'] -
                         qos_values['AvailableCapacity'])
                if not qosgrp_match(drive_type, qos_values):
                    continue
                if size == 0:
                    room = qos_values['FullDrive']['NumFreeDrives'] > 0
                else:
                    room = (qos_values['AvailableCapacity'] >= size and
                            (qos_values['PartitionDrive'][
                                'NumFreePartitions'] > 0 or
                             qos_values['FullDrive']['NumFreeDrives'] > 0))
                if not room:
                    break
                enough = True
                matched = qos_values
            if enough and \
                    self._allowed_to_use_host(host, selected_hosts, unique) \
                    and (best[0] is None or used < min_used):
                min_used = used
                best = (host, matched, capabilities)
        host, qos_cap, capabilities = best
        if host:
            self._add_hostcap_to_list(selected_hosts, host, capabilities)
            LOG.debug('LeastUsedHost: best host %s (used capacity %s GB)',
                      host, bytes_to_gb(min_used))
        return host, qos_cap


class VsaSchedulerMostAvailCapacity(VsaScheduler):
    """The host with the most free drives (full drive request) or most
    available bytes (partition) in its group of the drive type."""

    def host_selection_algorithm(self, request_spec, all_hosts,
                                 selected_hosts, unique):
        """The first matching group of each host is compared."""
        size = request_spec['size']
        drive_type = request_spec['drive_type']
        best = (None, None, None)
        max_avail = 0
        for host, capabilities in all_hosts:
            for qos_values in capabilities.values():
                if not qosgrp_match(drive_type, qos_values):
                    continue
                if size == 0:
                    available = qos_values['FullDrive']['NumFreeDrives']
                else:
                    available = qos_values['AvailableCapacity']
                if available > max_avail and \
                        self._allowed_to_use_host(host, selected_hosts,
                                                  unique):
                    max_avail = available
                    best = (host, qos_values, capabilities)
                break
        host, qos_cap, capabilities = best
        if host:
            self._add_hostcap_to_list(selected_hosts, host, capabilities)
            LOG.debug('MostAvailCap: best host %s (available %s %s)', host,
                      max_avail, 'drives' if size == 0 else 'bytes')
        return host, qos_cap
