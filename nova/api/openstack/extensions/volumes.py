"""``os-volumes``: the project's volumes, their attachments to servers
(``/servers/{server_id}/os-volume_attachments``) and servers booted with
block device mappings (``os-volumes_boot``), as Diablo's Volumes
extension.

A volume is ``{id, status, size, availabilityZone, createdAt,
attachments, displayName, displayDescription, volumeType, snapshotId,
metadata}``; an attachment ``{id, volumeId, serverId, device}``.  Another
project's volume or server is a 404.  Creation goes through
``nova.volume.api`` (413 past the volume quotas), attach and detach
through ``nova.compute.api`` (202: the compute host ends them).
"""

import webob

from nova import exception
from nova.api.openstack import common
from nova.api.openstack.extensions import ResourceExtension
from nova.api.openstack.extensions import util

EXTENSION = {
    'name': 'Volumes',
    'alias': 'os-volumes',
    'description': 'Volumes support',
    'namespace': 'http://docs.openstack.org/ext/volumes/api/v1.1',
    'updated': '2011-03-25T00:00:00+00:00',
}


def _volume_api():
    from nova.volume import api as volume_api
    return volume_api.API()


def _compute_api():
    from nova.compute import api as compute
    return compute.API()


def _attachment(volume):
    return {'id': volume['id'], 'volumeId': volume['id'],
            'serverId': volume['instance_id'],
            'device': volume['mountpoint']}


def _view(volume):
    attached = volume['attach_status'] == 'attached'
    return {'id': volume['id'], 'status': volume['status'],
            'size': volume['size'],
            'availabilityZone': volume['availability_zone'],
            'createdAt': common.isotime(volume['created_at']),
            'attachments': [_attachment(volume)] if attached else [{}],
            'displayName': volume['display_name'],
            'displayDescription': volume['display_description'],
            'volumeType': None, 'snapshotId': volume['snapshot_id'],
            'metadata': {}}


def volume_of_project(ctxt, volume_id):
    """The volume ``volume_id`` of the context's project (404 else)."""
    number = util.to_int(volume_id, 'Volume id')
    try:
        volume = _volume_api().get(ctxt, number)
    except exception.NotFound:
        volume = None
    if volume is None or volume['project_id'] != ctxt.project_id:
        raise common.not_found('Volume %s could not be found.' % volume_id)
    return volume


def _project_volumes(ctxt):
    volumes = [v for v in _volume_api().get_all(ctxt)
               if v['project_id'] == ctxt.project_id]
    return sorted(volumes, key=lambda v: v['id'])


class VolumeController(object):
    """``/os-volumes``."""

    def index(self, req, **_args):
        """``{"volumes": [...]}`` (a page)."""
        ctxt = common.context_of(req)
        return {'volumes': [_view(v) for v in
                            common.limited(req, _project_volumes(ctxt))]}

    detail = index

    def show(self, req, id, **_args):
        """One volume of the project."""
        return {'volume': _view(volume_of_project(common.context_of(req),
                                                  id))}

    def create(self, req, body=None, **_args):
        """A new volume: ``{"volume": {size, display_name, …}}``."""
        params = util.entity(body, 'volume')
        ctxt = common.context_of(req)
        snapshot_id = params.get('snapshot_id')
        if snapshot_id not in (None, ''):
            snapshot_id = util.to_int(snapshot_id, 'snapshot_id')
        else:
            snapshot_id = None
        size = params.get('size')
        if size is not None or snapshot_id is None:
            size = util.to_int(size, 'size', minimum=1)
        volume = _volume_api().create(
            ctxt, size=size, snapshot_id=snapshot_id,
            name=util.text(params.get('display_name'), 'display_name',
                           required=False),
            description=util.text(params.get('display_description'),
                                  'display_description', required=False),
            availability_zone=util.text(params.get('availability_zone'),
                                        'availability_zone',
                                        required=False))
        return {'volume': _view(volume)}

    def delete(self, req, id, **_args):
        """Delete an available volume: 202."""
        ctxt = common.context_of(req)
        volume = volume_of_project(ctxt, id)
        _volume_api().delete(ctxt, volume['id'])
        return webob.Response(status=202)


class VolumeAttachmentController(object):
    """``/servers/{server_id}/os-volume_attachments``."""

    def __init__(self):
        self._servers = None

    def _server(self, req, server_id):
        if self._servers is None:
            from nova.api.openstack import servers
            self._servers = servers.Controller('1.1')
        return self._servers.get_instance(req, server_id)

    @staticmethod
    def _attached(ctxt, server, volume_id):
        volume = volume_of_project(ctxt, volume_id)
        if volume['instance_id'] != server['id'] or \
                volume['attach_status'] != 'attached':
            raise common.not_found('Volume %s is not attached to server %s'
                                   % (volume_id, server['id']))
        return volume

    def index(self, req, server_id, **_args):
        """``{"volumeAttachments": [...]}`` of the server."""
        ctxt = common.context_of(req)
        server = self._server(req, server_id)
        volumes = [v for v in _project_volumes(ctxt)
                   if v['instance_id'] == server['id'] and
                   v['attach_status'] == 'attached']
        return {'volumeAttachments': [_attachment(v) for v in volumes]}

    def show(self, req, server_id, id, **_args):
        """One attachment (its id is the volume's)."""
        ctxt = common.context_of(req)
        server = self._server(req, server_id)
        return {'volumeAttachment': _attachment(
            self._attached(ctxt, server, id))}

    def create(self, req, server_id, body=None, **_args):
        """Attach ``{"volumeAttachment": {volumeId, device}}``."""
        params = util.entity(body, 'volumeAttachment')
        ctxt = common.context_of(req)
        server = self._server(req, server_id)
        volume = volume_of_project(ctxt, params.get('volumeId'))
        device = util.text(params.get('device'), 'device')
        volume = _compute_api().attach_volume(ctxt, server['id'],
                                              volume['id'], device)
        return {'volumeAttachment': {
            'id': volume['id'], 'volumeId': volume['id'],
            'serverId': server['id'], 'device': volume['mountpoint']}}

    def delete(self, req, server_id, id, **_args):
        """Detach: 202."""
        ctxt = common.context_of(req)
        server = self._server(req, server_id)
        volume = self._attached(ctxt, server, id)
        _compute_api().detach_volume(ctxt, volume['id'])
        return webob.Response(status=202)


def _boot_controller():
    from nova.api.openstack import servers

    class BootFromVolumeController(servers.Controller):
        """``/os-volumes_boot``: servers with ``block_device_mapping``."""

        def _create_args(self, req, server):
            args = super(BootFromVolumeController, self)._create_args(
                req, server)
            mappings = server.get('block_device_mapping') or []
            if not isinstance(mappings, list) or not all(
                    isinstance(m, dict) for m in mappings):
                raise common.bad_request('Invalid block_device_mapping')
            ctxt = common.context_of(req)
            checked = []
            for mapping in mappings:
                mapping = dict(mapping)
                if mapping.get('volume_id') not in (None, ''):
                    mapping['volume_id'] = volume_of_project(
                        ctxt, mapping['volume_id'])['id']
                checked.append(mapping)
            args['block_device_mapping'] = checked
            return args

    return BootFromVolumeController('1.1')


def resources():
    """``os-volumes``, ``os-volume_attachments``, ``os-volumes_boot``."""
    return [
        ResourceExtension('os-volumes', VolumeController(),
                          ('index', 'detail', 'show', 'create', 'delete')),
        ResourceExtension('os-volume_attachments',
                          VolumeAttachmentController(),
                          ('index', 'show', 'create', 'delete'),
                          parent='servers/{server_id}'),
        ResourceExtension('os-volumes_boot', _boot_controller(),
                          ('index', 'detail', 'show', 'create')),
    ]
