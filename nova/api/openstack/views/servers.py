"""Server views: Diablo's status mapping and the v1.0/v1.1 entities."""

import hashlib

from nova.api.openstack import common
from nova.compute import task_states
from nova.compute import vm_states

_VM_STATUS = {
    vm_states.ACTIVE: 'ACTIVE',
    vm_states.BUILDING: 'BUILD',
    vm_states.REBUILDING: 'REBUILD',
    vm_states.STOPPED: 'STOPPED',
    vm_states.MIGRATING: 'MIGRATING',
    vm_states.RESIZING: 'RESIZE',
    vm_states.PAUSED: 'PAUSED',
    vm_states.SUSPENDED: 'SUSPENDED',
    vm_states.RESCUED: 'RESCUE',
    vm_states.ERROR: 'ERROR',
    vm_states.DELETED: 'DELETED',
}
_ACTIVE_TASK_STATUS = {
    task_states.REBOOTING: 'REBOOT',
    task_states.UPDATING_PASSWORD: 'PASSWORD',
    task_states.RESIZE_VERIFY: 'VERIFY_RESIZE',
}


def status_from_state(vm_state, task_state=None):
    """Diablo's server status of a ``vm_state``/``task_state`` pair."""
    if vm_state == vm_states.ACTIVE:
        return _ACTIVE_TASK_STATUS.get(task_state, 'ACTIVE')
    return _VM_STATUS.get(vm_state, 'UNKNOWN_STATE')


def states_from_status(status):
    """The ``vm_state`` (and task) filters of a status; None if unknown."""
    status = status.upper()
    for task, name in _ACTIVE_TASK_STATUS.items():
        if name == status:
            return {'vm_state': vm_states.ACTIVE, 'task_state': task}
    for vm_state, name in _VM_STATUS.items():
        if name == status:
            return {'vm_state': vm_state}
    return None


def metadata_of(instance):
    """``{key: value}`` of an instance's live metadata rows."""
    rows = instance.get('metadata') or []
    if isinstance(rows, dict):
        return dict((str(k), str(v)) for k, v in rows.items())
    return dict((row['key'], row['value']) for row in rows
                if not row.get('deleted'))


def addresses_v11(instance):
    """``{label: [{addr, version}]}``: each fixed IP, then its floats."""
    result = {}
    for fixed in instance.get('fixed_ips') or []:
        network = fixed.get('network')
        label = (network['label'] if network else None) or 'private'
        ips = result.setdefault(label, [])
        ips.append({'addr': fixed['address'], 'version': 4})
        for floating in fixed.get('floating_ips') or []:
            ips.append({'addr': floating['address'], 'version': 4})
    return result


def addresses_v10(instance):
    """``{"public": [floating], "private": [fixed]}``."""
    public, private = [], []
    for fixed in instance.get('fixed_ips') or []:
        private.append(fixed['address'])
        public.extend(f['address'] for f in fixed.get('floating_ips') or [])
    return {'public': public, 'private': private}


def server_name(instance):
    """The server's name; Diablo's ``Server <id>`` for an unnamed one (an
    instance run through EC2 without a name)."""
    return instance.get('display_name') or 'Server %d' % instance['id']


def _host_id(instance):
    host = instance.get('host')
    if not host:
        return ''
    return hashlib.sha224(host.encode('utf-8')).hexdigest()


def _flavor_id(instance):
    itype = instance.get('instance_type')
    return itype['flavorid'] if itype else None


def basic(req, version, instance):
    """The index entity: ``{id, name[, links]}``, uuid."""
    data = {'id': instance['id'], 'name': server_name(instance),
            'uuid': instance['uuid']}
    if version != '1.0':
        data['links'] = common.links(req, 'servers', instance['id'])
    return data


def detail(req, version, instance):
    """The detail entity of Diablo's version ``version``."""
    status = status_from_state(instance['vm_state'],
                               instance.get('task_state'))
    data = {
        'id': instance['id'], 'uuid': instance['uuid'],
        'name': server_name(instance),
        'user_id': instance['user_id'], 'tenant_id': instance['project_id'],
        'status': status, 'metadata': metadata_of(instance),
        'hostId': _host_id(instance),
    }
    if version == '1.0':
        data['addresses'] = addresses_v10(instance)
        data['imageId'] = _maybe_int(instance['image_ref'])
        data['flavorId'] = _maybe_int(_flavor_id(instance))
        return data
    bookmark = common.bookmark_url(req)
    image_id = str(instance['image_ref'])
    flavor_id = str(_flavor_id(instance))
    data.update({
        'image': {'id': image_id, 'links': [{
            'rel': 'bookmark', 'href': '%s/images/%s' % (bookmark,
                                                         image_id)}]},
        'flavor': {'id': flavor_id, 'links': [{
            'rel': 'bookmark', 'href': '%s/flavors/%s' % (bookmark,
                                                          flavor_id)}]},
        'addresses': addresses_v11(instance),
        'created': common.isotime(instance.get('created_at')),
        'updated': common.isotime(instance.get('updated_at') or
                                  instance.get('created_at')),
        'accessIPv4': instance.get('access_ip_v4') or '',
        'accessIPv6': instance.get('access_ip_v6') or '',
        'key_name': instance.get('key_name') or '',
        'config_drive': instance.get('config_drive') or '',
        'links': common.links(req, 'servers', instance['id']),
    })
    if status in ('ACTIVE', 'BUILD'):
        data['progress'] = 100 if status == 'ACTIVE' else 0
    return data


def _maybe_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value
