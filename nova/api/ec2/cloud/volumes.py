"""Volume and snapshot actions: Create/Describe/Delete/Attach/DetachVolume,
Create/Describe/DeleteSnapshot (and Diablo's UpdateVolume).

Volumes are ``vol-%08x``, snapshots ``snap-%08x``.  Statuses are shown with
AWS's names so that clients' waiters work: a volume being attached is
``available`` with an ``attaching`` attachment, one being detached
``in-use`` with a ``detaching`` attachment; a snapshot being taken is
``pending``, a finished one ``completed``.  (The manual's ``euca-describe-
volumes`` line ``VOLUME vol-0000000b 7 nova creating ... <created>`` maps
to volumeId, size, availabilityZone, status and createTime.)
"""

from nova import db
from nova import exception
from nova.api.ec2 import ec2utils
from nova.api.ec2 import paging
from nova.api.ec2.cloud import tags

_VOLUME_STATUS = {'attaching': 'available', 'detaching': 'in-use',
                  'error_deleting': 'error'}
_ATTACHMENT_STATUS = {'attaching': 'attaching', 'in-use': 'attached',
                      'detaching': 'detaching'}
_SNAPSHOT_STATUS = {'creating': 'pending', 'available': 'completed',
                    'error_deleting': 'error'}


class InvalidVolumeIDMalformed(ec2utils.InvalidEc2Id):
    """A volume id that is not ``vol-<hex>``."""

    message = "Invalid id: '%(ec2_id)s' (expecting 'vol-...')"
    ec2_code = 'InvalidVolumeID.Malformed'


class InvalidSnapshotIDMalformed(ec2utils.InvalidEc2Id):
    """A snapshot id that is not ``snap-<hex>``."""

    message = "Invalid id: '%(ec2_id)s' (expecting 'snap-...')"
    ec2_code = 'InvalidSnapshotID.Malformed'


def volume_ec2_id(volume_id):
    """``vol-%08x``."""
    return ec2utils.id_to_ec2_id(volume_id, 'vol-%08x')


def snapshot_ec2_id(snapshot_id):
    """``snap-%08x``."""
    return ec2utils.id_to_ec2_id(snapshot_id, 'snap-%08x')


def ec2_volume_id_to_id(ec2_id):
    """The volume's integer id; InvalidVolumeID.Malformed for garbage."""
    return ec2utils.ec2_id_to_id(ec2_id, ('vol',), InvalidVolumeIDMalformed)


def ec2_snapshot_id_to_id(ec2_id):
    """The snapshot's integer id; InvalidSnapshotID.Malformed for garbage."""
    return ec2utils.ec2_id_to_id(ec2_id, ('snap',),
                                 InvalidSnapshotIDMalformed)


def _tagged_ids(context, resource_type, tag_filters):
    """Integer ids of the resources passing the tag filters, or None when
    there are no tag filters (no restriction)."""
    wanted = tags.matching_ids(context, resource_type, tag_filters)
    if wanted is None:
        return None
    ids = []
    for ec2_id in wanted:
        try:
            ids.append(int(str(ec2_id).rpartition('-')[2], 16))
        except ValueError:
            continue
    return ids


def tag_specifications(specs, resource_type):
    """``[(key, value)]`` of ``TagSpecification.N`` for a new resource of
    ``resource_type``; checked before anything is created."""
    result = []
    for spec in ec2utils.as_list(specs):
        if not isinstance(spec, dict) or spec.get('resource_type') is None:
            raise ec2utils.missing('TagSpecification.N.ResourceType')
        if spec['resource_type'] != resource_type:
            raise ec2utils.invalid_value(
                'TagSpecification.N.ResourceType', spec['resource_type'],
                'only %s can be tagged here' % resource_type)
        result.extend((k, '' if v is None else v)
                      for k, v in tags.parse_tags(spec.get('tag')))
    if len(dict(result)) > tags.MAX_TAGS:
        raise exception.TagLimitExceeded(limit=tags.MAX_TAGS)
    return result


def _tag_new(context, resource_type, ec2_id, pairs, item):
    """Tag a resource just made and show the tags in its answer."""
    if pairs:
        db.tag_set(context, context.project_id, [(resource_type, ec2_id)],
                   pairs)
        item['tagSet'] = [{'key': k, 'value': v} for k, v in pairs]
    return item


def _one(value, name):
    values = [v for v in ec2utils.as_list(value) if v not in (None, '')]
    if not values:
        raise ec2utils.missing(name)
    return str(values[0])


def _attachment(volume, delete_on_termination=False):
    status = _ATTACHMENT_STATUS.get(volume['status'])
    if status is None or not volume['instance_id']:
        return None
    return {'volumeId': volume_ec2_id(volume['id']),
            'instanceId': ec2utils.instance_id_to_ec2(volume['instance_id']),
            'device': volume['mountpoint'],
            'status': status,
            'attachTime': volume['attach_time'] or
            ec2utils.isotime(volume['updated_at']),
            'deleteOnTermination': bool(delete_on_termination)}


def format_volume(volume, delete_on_termination=False):
    """A ``volumeSet`` item (also the CreateVolume answer)."""
    attachment = _attachment(volume, delete_on_termination)
    snapshot = volume['snapshot_id']
    return {'volumeId': volume_ec2_id(volume['id']),
            'size': volume['size'],
            'snapshotId': snapshot_ec2_id(snapshot) if snapshot else '',
            'availabilityZone': volume['availability_zone'],
            'status': _VOLUME_STATUS.get(volume['status'], volume['status']),
            'createTime': ec2utils.isotime(volume['created_at']),
            'attachmentSet': [attachment] if attachment else [],
            'volumeType': 'standard',
            'encrypted': False,
            'displayName': volume['display_name'],
            'displayDescription': volume['display_description']}


def format_snapshot(snapshot):
    """A ``snapshotSet`` item (also the CreateSnapshot answer)."""
    return {'snapshotId': snapshot_ec2_id(snapshot['id']),
            'volumeId': volume_ec2_id(snapshot['volume_id']),
            'status': _SNAPSHOT_STATUS.get(snapshot['status'],
                                           snapshot['status']),
            'startTime': ec2utils.isotime(snapshot['created_at']),
            'progress': snapshot['progress'] or '0%',
            'ownerId': snapshot['project_id'],
            'volumeSize': snapshot['volume_size'],
            'description': snapshot['display_description'] or '',
            'displayName': snapshot['display_name'],
            'displayDescription': snapshot['display_description'],
            'encrypted': False}


_VOLUME_FILTERS = {
    'volume-id': lambda v: v['volumeId'],
    'status': lambda v: v['status'],
    'size': lambda v: v['size'],
    'availability-zone': lambda v: v['availabilityZone'],
    'create-time': lambda v: v['createTime'],
    'snapshot-id': lambda v: v['snapshotId'],
    'volume-type': lambda v: v['volumeType'],
    'attachment.instance-id': lambda v: [a['instanceId']
                                         for a in v['attachmentSet']],
    'attachment.device': lambda v: [a['device'] for a in v['attachmentSet']],
    'attachment.status': lambda v: [a['status'] for a in v['attachmentSet']],
    'attachment.attach-time': lambda v: [a['attachTime']
                                         for a in v['attachmentSet']],
    'attachment.delete-on-termination': lambda v: [
        a['deleteOnTermination'] for a in v['attachmentSet']],
}

_SNAPSHOT_FILTERS = {
    'snapshot-id': lambda s: s['snapshotId'],
    'volume-id': lambda s: s['volumeId'],
    'status': lambda s: s['status'],
    'start-time': lambda s: s['startTime'],
    'progress': lambda s: s['progress'],
    'owner-id': lambda s: s['ownerId'],
    'volume-size': lambda s: s['volumeSize'],
    'description': lambda s: s['description'],
}


def block_device_mapping(items):
    """RunInstances' ``BlockDeviceMapping.N`` as compute's mappings.

    ``Ebs.SnapshotId`` takes a ``snap-`` or (Nova extension) a ``vol-``
    id; DeleteOnTermination defaults to true, false for an existing volume.
    """
    mappings = []
    for item in ec2utils.as_list(items):
        if not isinstance(item, dict):
            raise exception.InvalidParameterValue(
                err='BlockDeviceMapping must be a list of mappings')
        mapping = {'device_name': item.get('device_name')}
        if item.get('virtual_name'):
            mapping['virtual_name'] = str(item['virtual_name'])
        ebs = item.get('ebs') or {}
        if item.get('no_device') is not None or \
                (isinstance(ebs, dict) and ebs.get('no_device')):
            mapping['no_device'] = True
        if isinstance(ebs, dict) and ebs:
            source = ebs.get('snapshot_id')
            default_delete = True
            if source:
                source = str(source)
                if source.startswith('vol-'):
                    mapping['volume_id'] = ec2_volume_id_to_id(source)
                    default_delete = False
                else:
                    mapping['snapshot_id'] = ec2_snapshot_id_to_id(source)
            if ebs.get('volume_size') not in (None, ''):
                mapping['volume_size'] = ec2utils.to_int(
                    ebs['volume_size'], 'Ebs.VolumeSize', minimum=1)
            delete = ebs.get('delete_on_termination')
            mapping['delete_on_termination'] = default_delete \
                if delete is None else ec2utils.to_bool(
                    delete, 'Ebs.DeleteOnTermination')
        mappings.append(mapping)
    return mappings


def attached_volumes(context):
    """``{instance_id: [volumes]}`` of the volumes the context sees."""
    if context.is_admin:
        rows = db.volume_get_all(context)
    else:
        rows = db.volume_get_all_by_project(context, context.project_id)
    found = {}
    for volume in rows:
        if volume['instance_id'] and volume['status'] in _ATTACHMENT_STATUS:
            found.setdefault(volume['instance_id'], []).append(volume)
    return found


def block_device_items(context, instance_id, volumes):
    """DescribeInstances' ``blockDeviceMapping`` of an instance."""
    if not volumes:
        return []
    delete = dict((bdm['volume_id'], bool(bdm['delete_on_termination']))
                  for bdm in db.block_device_mapping_get_all_by_instance(
                      context.elevated(), instance_id) if bdm['volume_id'])
    items = []
    for volume in sorted(volumes, key=lambda v: v['mountpoint'] or ''):
        attachment = _attachment(volume, delete.get(volume['id'], False))
        items.append({'deviceName': volume['mountpoint'],
                      'ebs': {'volumeId': attachment['volumeId'],
                              'status': attachment['status'],
                              'attachTime': attachment['attachTime'],
                              'deleteOnTermination':
                                  attachment['deleteOnTermination']}})
    return items


class VolumeActions(object):
    """EC2 volume and snapshot actions."""

    _volume_api = None

    @property
    def volume_api(self):
        """``nova.volume.api.API`` (talks RPC to nova-volume)."""
        if self._volume_api is None:
            from nova.volume import api as volume_api
            self._volume_api = volume_api.API()
        return self._volume_api

    # -- volumes ----------------------------------------------------------------
    def _delete_flags(self, context, volumes):
        """``{volume id: DeleteOnTermination}`` of attached volumes."""
        deletes = {}
        for instance_id in set(v['instance_id'] for v in volumes
                               if v['instance_id']):
            for bdm in db.block_device_mapping_get_all_by_instance(
                    context.elevated(), instance_id):
                if bdm['volume_id']:
                    deletes[bdm['volume_id']] = bool(
                        bdm['delete_on_termination'])
        return deletes

    def describe_volumes(self, context, volume_id=None, filter=None,
                         max_results=None, next_token=None, **kwargs):
        """DescribeVolumes: VolumeId.N, filters (also ``tag:<key>``,
        ``tag-key``, ``tag-value``), MaxResults/NextToken (keyset pages in
        volume id order); each volume with its ``tagSet``."""
        filters, tag_filters = tags.split_filters(
            ec2utils.filters_from(filter))
        ec2utils.apply_filters([], filters, _VOLUME_FILTERS)
        ec2_ids = [str(v) for v in ec2utils.as_list(volume_id)]
        page = paging.page_of(context, 'DescribeVolumes', max_results,
                              next_token, ids=ec2_ids)
        if ec2_ids:
            volumes = [self.volume_api.get(context, ec2_volume_id_to_id(v))
                       for v in ec2_ids]
            deletes = self._delete_flags(context, volumes)
            items = [format_volume(v, deletes.get(v['id'], False))
                     for v in volumes]
            items = tags.filter_by_tags(
                context, 'volume',
                ec2utils.apply_filters(items, filters, _VOLUME_FILTERS),
                'volumeId', tag_filters)
            token = None
        else:
            tagged = _tagged_ids(context, 'volume', tag_filters)

            def read(marker, limit):
                rows = [] if tagged == [] else db.volume_get_page(
                    context, tagged, marker, limit)
                deletes = self._delete_flags(context, rows)
                return [(v['id'], format_volume(v, deletes.get(v['id'],
                                                               False)))
                        for v in rows]
            pairs, token = paging.fill_page(
                page, read,
                lambda pair: ec2utils.apply_filters([pair[1]], filters,
                                                    _VOLUME_FILTERS),
                lambda pair: pair[0])
            items = [item for _id, item in pairs]
        tags.attach_tag_sets(context, items, 'volumeId')
        return paging.answer('volumeSet', items, token)

    def create_volume(self, context, size=None, snapshot_id=None,
                      availability_zone=None, display_name=None,
                      display_description=None, **kwargs):
        """CreateVolume: Size (GB) and/or SnapshotId; AvailabilityZone."""
        snapshot = None
        if snapshot_id not in (None, ''):
            snapshot = ec2_snapshot_id_to_id(snapshot_id)
        if size not in (None, ''):
            size = ec2utils.to_int(size, 'Size')
        elif snapshot is None:
            raise ec2utils.missing('Size')
        pairs = tag_specifications(kwargs.get('tag_specification'),
                                   'volume')
        volume = self.volume_api.create(
            context, size=size, snapshot_id=snapshot,
            name=display_name, description=display_description,
            availability_zone=availability_zone or None)
        return _tag_new(context, 'volume', volume_ec2_id(volume['id']),
                        pairs, format_volume(volume))

    def delete_volume(self, context, volume_id=None, **kwargs):
        """DeleteVolume: true; an attached volume is VolumeInUse."""
        number = ec2_volume_id_to_id(_one(volume_id, 'VolumeId'))
        self.volume_api.delete(context, number)
        return True

    def update_volume(self, context, volume_id=None, display_name=None,
                      display_description=None, **kwargs):
        """UpdateVolume (Nova extension): display name and description."""
        number = ec2_volume_id_to_id(_one(volume_id, 'VolumeId'))
        values = {}
        if display_name is not None:
            values['display_name'] = str(display_name)
        if display_description is not None:
            values['display_description'] = str(display_description)
        self.volume_api.update(context, number, **values)
        return True

    def attach_volume(self, context, volume_id=None, instance_id=None,
                      device=None, **kwargs):
        """AttachVolume: VolumeId, InstanceId, Device (``/dev/vdX``)."""
        number = ec2_volume_id_to_id(_one(volume_id, 'VolumeId'))
        instance = ec2utils.ec2_instance_id_to_id(
            _one(instance_id, 'InstanceId'))
        device = _one(device, 'Device')
        volume = self.compute_api.attach_volume(context, instance, number,
                                                device)
        return {'volumeId': volume_ec2_id(volume['id']),
                'instanceId': ec2utils.instance_id_to_ec2(instance),
                'device': device if device.startswith('/dev/')
                else '/dev/' + device,
                'status': 'attaching',
                'attachTime': ec2utils.isotime(volume['updated_at'])}

    def detach_volume(self, context, volume_id=None, instance_id=None,
                      device=None, force=None, **kwargs):
        """DetachVolume: VolumeId (InstanceId and Device must match if
        given); Force detaches even if the guest does not let go."""
        number = ec2_volume_id_to_id(_one(volume_id, 'VolumeId'))
        volume = self.volume_api.get(context, number)
        if instance_id not in (None, ''):
            wanted = ec2utils.ec2_instance_id_to_id(instance_id)
            if volume['instance_id'] != wanted:
                raise exception.InvalidVolumeState(
                    volume_id=volume_ec2_id(number),
                    status='not attached to %s' % instance_id,
                    action='detach')
        if device not in (None, '') and volume['mountpoint'] and \
                str(device) != volume['mountpoint']:
            raise exception.InvalidVolumeState(
                volume_id=volume_ec2_id(number),
                status='not attached at %s' % device, action='detach')
        force = ec2utils.to_bool(force, 'Force') if force is not None \
            else False
        volume = self.compute_api.detach_volume(context, number, force=force)
        return {'volumeId': volume_ec2_id(volume['id']),
                'instanceId': ec2utils.instance_id_to_ec2(
                    volume['instance_id']),
                'device': volume['mountpoint'],
                'status': 'detaching',
                'attachTime': volume['attach_time']}

    # -- snapshots ------------------------------------------------------------------
    def describe_snapshots(self, context, snapshot_id=None, owner=None,
                           restorable_by=None, filter=None, max_results=None,
                           next_token=None, **kwargs):
        """DescribeSnapshots: SnapshotId.N, Owner.N, filters (also the tag
        filters), MaxResults/NextToken (keyset pages in snapshot id
        order); each snapshot with its ``tagSet``."""
        filters, tag_filters = tags.split_filters(
            ec2utils.filters_from(filter))
        ec2utils.apply_filters([], filters, _SNAPSHOT_FILTERS)
        ec2_ids = [str(s) for s in ec2utils.as_list(snapshot_id)]
        page = paging.page_of(context, 'DescribeSnapshots', max_results,
                              next_token, ids=ec2_ids)
        owners = [str(o) for o in ec2utils.as_list(owner)]
        mine = set(o if o != 'self' else context.project_id for o in owners)

        def keep(item):
            if owners and item['ownerId'] not in mine:
                return False
            return bool(ec2utils.apply_filters([item], filters,
                                               _SNAPSHOT_FILTERS))
        if ec2_ids:
            items = [format_snapshot(self.volume_api.get_snapshot(
                context, ec2_snapshot_id_to_id(s))) for s in ec2_ids]
            items = tags.filter_by_tags(
                context, 'snapshot', [i for i in items if keep(i)],
                'snapshotId', tag_filters)
            token = None
        else:
            tagged = _tagged_ids(context, 'snapshot', tag_filters)

            def read(marker, limit):
                rows = [] if tagged == [] else db.snapshot_get_page(
                    context, tagged, marker, limit)
                return [(row['id'], format_snapshot(row)) for row in rows]
            pairs, token = paging.fill_page(
                page, read, lambda pair: keep(pair[1]), lambda pair: pair[0])
            items = [item for _id, item in pairs]
        tags.attach_tag_sets(context, items, 'snapshotId')
        return paging.answer('snapshotSet', items, token)

    def create_snapshot(self, context, volume_id=None, description=None,
                        display_name=None, display_description=None,
                        force=None, **kwargs):
        """CreateSnapshot: VolumeId, Description (Force: of in-use)."""
        number = ec2_volume_id_to_id(_one(volume_id, 'VolumeId'))
        force = ec2utils.to_bool(force, 'Force') if force is not None \
            else False
        pairs = tag_specifications(kwargs.get('tag_specification'),
                                   'snapshot')
        snapshot = self.volume_api.create_snapshot(
            context, number, name=display_name,
            description=display_description or description, force=force)
        return _tag_new(context, 'snapshot', snapshot_ec2_id(snapshot['id']),
                        pairs, format_snapshot(snapshot))

    def delete_snapshot(self, context, snapshot_id=None, **kwargs):
        """DeleteSnapshot: true."""
        number = ec2_snapshot_id_to_id(_one(snapshot_id, 'SnapshotId'))
        self.volume_api.delete_snapshot(context, number)
        return True
