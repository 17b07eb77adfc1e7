"""How an instance looks to EC2: the ``instancesSet`` item and its filters."""

from nova import db
from nova import exception
from nova.api.ec2 import ec2utils
from nova.api.ec2.cloud import machine_facts
from nova.compute import fault_reasons
from nova.compute import instance_types


def _get(obj, key, default=None):
    try:
        value = obj[key]
    except (KeyError, AttributeError, TypeError):
        return default
    except Exception:  # noqa: BLE001 - a relation not loaded
        return default
    return default if value is None else value


def fixed_addresses(instance):
    """The instance's fixed IPs (addresses, in order)."""
    return [ip['address'] for ip in _get(instance, 'fixed_ips', [])
            if _get(ip, 'address')]


def floating_addresses(instance):
    """The floating IPs bound to the instance's fixed IPs."""
    result = []
    for fixed in _get(instance, 'fixed_ips', []):
        for floating in _get(fixed, 'floating_ips', []):
            if _get(floating, 'address'):
                result.append(floating['address'])
    return result


def group_names(instance):
    """The instance's security groups as ``[(id, name)]``."""
    return [(g['id'], g['name'])
            for g in _get(instance, 'security_groups', [])]


class InstanceView(object):
    """Formats instances for one request (caches flavor and zone lookups)."""

    def __init__(self, context):
        self.context = context
        self._types = {}
        self._zones = None
        self._volumes = None
        self._mappings = {}
        self._hypervisors = None

    def _type_name(self, instance):
        itype = _get(instance, 'instance_type')
        if itype:
            return itype['name']
        type_id = _get(instance, 'instance_type_id')
        if type_id is None:
            return None
        if type_id not in self._types:
            try:
                self._types[type_id] = instance_types.get_instance_type(
                    type_id)['name']
            except exception.NotFound:
                self._types[type_id] = None
        return self._types[type_id]

    def _zone(self, instance):
        zone = _get(instance, 'availability_zone')
        if zone:
            return zone
        host = _get(instance, 'host')
        if not host:
            return 'nova'
        if self._zones is None:
            self._zones = {}
            for service in db.service_get_all(self.context.elevated()):
                self._zones.setdefault(service['host'],
                                       service['availability_zone'])
        return self._zones.get(host) or 'nova'

    def _block_devices(self, instance):
        """The ``blockDeviceMapping`` items: the attached volumes."""
        if self._volumes is None:
            from nova.api.ec2.cloud import volumes
            self._volumes = volumes.attached_volumes(self.context)
        from nova.api.ec2.cloud import volumes
        return volumes.block_device_items(
            self.context, instance['id'],
            self._volumes.get(instance['id'], []))

    def prefetch(self, instances):
        """Load the block device mappings of many instances at once."""
        wanted = [instance['id'] for instance in instances
                  if instance['id'] not in self._mappings]
        if wanted:
            self._mappings.update(db.block_device_mapping_get_all_by_instances(
                self.context.elevated(), wanted))

    def mappings(self, instance):
        """The ``block_device_mapping`` rows of an instance."""
        self.prefetch([instance])
        return self._mappings.get(instance['id'], [])

    def hypervisor(self, instance):
        """The hypervisor of the instance's host (None with no host)."""
        host = _get(instance, 'host')
        if not host:
            return None
        if self._hypervisors is None:
            self._hypervisors = {}
            for node in db.compute_node_get_all(self.context.elevated()):
                service = _get(node, 'service')
                if service is not None and not _get(node, 'deleted'):
                    self._hypervisors[service['host']] = \
                        machine_facts.hypervisor_name(
                            _get(node, 'hypervisor_type'))
        return self._hypervisors.get(host)

    def state(self, instance):
        """``{'code', 'name'}`` of an instance."""
        code, name = ec2utils.instance_state(_get(instance, 'vm_state'),
                                             _get(instance, 'task_state'))
        return {'code': code, 'name': name}

    def format(self, instance, fault=None, tag_set=None):
        """The ``instancesSet`` item of an instance (``tagSet``: its tags)."""
        fixed = fixed_addresses(instance)
        floating = floating_addresses(instance)
        private_ip = fixed[0] if fixed else None
        public_ip = floating[0] if floating else None
        item = {
            'instanceId': ec2utils.instance_id_to_ec2(instance['id']),
            'imageId': None,
            'instanceState': self.state(instance),
            'privateDnsName': private_ip or '',
            'dnsName': public_ip or private_ip or '',
            'reason': '',
            'keyName': _get(instance, 'key_name'),
            'amiLaunchIndex': _get(instance, 'launch_index', 0),
            'productCodes': [],
            'instanceType': self._type_name(instance),
            'launchTime': _get(instance, 'created_at'),
            'placement': {'availabilityZone': self._zone(instance),
                          'tenancy': 'default'},
            'kernelId': None,
            'ramdiskId': None,
            'monitoring': {'state': 'disabled'},
            'privateIpAddress': private_ip,
            'ipAddress': public_ip or private_ip,
            'groupSet': [{'groupId': ec2utils.group_ec2_id(gid),
                          'groupName': name}
                         for gid, name in group_names(instance)],
            'stateReason': None,
            'architecture': _get(instance, 'architecture') or 'x86_64',
            'rootDeviceType': machine_facts.root_device_type(
                _get(instance, 'root_device_name'), self.mappings(instance)),
            'rootDeviceName': _get(instance, 'root_device_name') or
            machine_facts.DEFAULT_ROOT_DEVICE,
            'blockDeviceMapping': self._block_devices(instance),
            'virtualizationType': None,
            'hypervisor': self.hypervisor(instance),
            'displayName': _get(instance, 'display_name') or None,
            'displayDescription': _get(instance, 'display_description') or
            None,
            'tagSet': tag_set or None,
        }
        for key, column, prefix in (('imageId', 'image_ref', 'ami'),
                                    ('kernelId', 'kernel_id', 'aki'),
                                    ('ramdiskId', 'ramdisk_id', 'ari')):
            value = _get(instance, column)
            if value not in (None, ''):
                item[key] = ec2utils.image_ec2_id(value, prefix)
        item['virtualizationType'] = \
            machine_facts.instance_virtualization_type(
                item['hypervisor'], _get(instance, 'vm_mode'),
                _get(instance, 'kernel_id'))
        if self.context.is_admin and item['keyName'] is not None:
            # Diablo showed admins whose key it is and where it runs.
            item['keyName'] = '%s (%s, %s)' % (
                item['keyName'], _get(instance, 'project_id'),
                _get(instance, 'host'))
        if item['instanceState']['name'] == 'error':
            # Only the fault's short reason; its details stay inside.
            code, message = fault_reasons.split(_get(fault, 'message'))
            item['stateReason'] = {'code': code, 'message': message}
            item['reason'] = message
        return item

    def reservations(self, instances, faults=None, tag_sets=None):
        """``reservationSet`` items: instances grouped by reservation id.

        ``tag_sets`` maps EC2 instance ids to their ``tagSet``.
        """
        faults = faults or {}
        tag_sets = tag_sets or {}
        self.prefetch(instances)
        order = []
        grouped = {}
        for instance in instances:
            rid = _get(instance, 'reservation_id', '')
            if rid not in grouped:
                order.append(rid)
                grouped[rid] = {
                    'reservationId': rid,
                    'ownerId': _get(instance, 'project_id'),
                    'groupSet': [{'groupId': ec2utils.group_ec2_id(gid),
                                  'groupName': name}
                                 for gid, name in group_names(instance)],
                    'instancesSet': []}
            grouped[rid]['instancesSet'].append(
                self.format(instance, faults.get(instance['id']),
                            tag_sets.get(ec2utils.instance_id_to_ec2(
                                instance['id']))))
        return [grouped[rid] for rid in order]


#: DescribeInstances filters over a formatted item (and its reservation).
FILTERS = {
    'instance-id': lambda r, i: i['instanceId'],
    'instance-state-name': lambda r, i: i['instanceState']['name'],
    'instance-state-code': lambda r, i: i['instanceState']['code'],
    'key-name': lambda r, i: (i.get('keyName') or '').split(' (')[0] or None,
    'availability-zone': lambda r, i: i['placement']['availabilityZone'],
    'reservation-id': lambda r, i: r['reservationId'],
    'owner-id': lambda r, i: r['ownerId'],
    'instance-type': lambda r, i: i.get('instanceType'),
    'image-id': lambda r, i: i.get('imageId'),
    'kernel-id': lambda r, i: i.get('kernelId'),
    'ramdisk-id': lambda r, i: i.get('ramdiskId'),
    'private-ip-address': lambda r, i: i.get('privateIpAddress'),
    'ip-address': lambda r, i: i.get('ipAddress'),
    'dns-name': lambda r, i: i.get('dnsName'),
    'private-dns-name': lambda r, i: i.get('privateDnsName'),
    'launch-index': lambda r, i: i.get('amiLaunchIndex'),
    'architecture': lambda r, i: i.get('architecture'),
    'root-device-type': lambda r, i: i.get('rootDeviceType'),
    'root-device-name': lambda r, i: i.get('rootDeviceName'),
    'hypervisor': lambda r, i: i.get('hypervisor'),
    'virtualization-type': lambda r, i: i.get('virtualizationType'),
    'group-name': lambda r, i: [g['groupName'] for g in i['groupSet']],
    'group-id': lambda r, i: [g['groupId'] for g in i['groupSet']],
    'instance.group-name': lambda r, i: [g['groupName']
                                         for g in i['groupSet']],
    'instance.group-id': lambda r, i: [g['groupId'] for g in i['groupSet']],
    'launch-time': lambda r, i: ec2utils.isotime(i.get('launchTime')),
}


def filter_reservations(reservations, filters):
    """Keep the instances passing every filter; drop empty reservations."""
    for name in filters:
        if name not in FILTERS:
            raise exception.InvalidParameterValue(
                err="The filter '%s' is invalid" % name)
    if not filters:
        return reservations
    result = []
    for reservation in reservations:
        kept = [i for i in reservation['instancesSet']
                if all(ec2utils.value_matches(patterns,
                                              FILTERS[name](reservation, i))
                       for name, patterns in filters.items())]
        if kept:
            result.append(dict(reservation, instancesSet=kept))
    return result
