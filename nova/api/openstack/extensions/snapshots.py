"""``os-snapshots``: the project's volume snapshots (the collection Essex
added beside ``os-volumes``; Diablo offered them through EC2 only).

A snapshot is ``{id, volumeId, status, size, createdAt, displayName,
displayDescription}``.  ``POST {"snapshot": {volume_id, force,
display_name, display_description}}`` snapshots a volume of the project
(an ``in-use`` one only with ``force``; 409 otherwise); another project's
volume or snapshot is a 404.
"""

import webob
import webob.exc

from nova import exception
from nova.api.openstack import common
from nova.api.openstack.extensions import ResourceExtension
from nova.api.openstack.extensions import util
from nova.api.openstack.extensions import volumes

EXTENSION = {
    'name': 'Snapshots',
    'alias': 'os-snapshots',
    'description': 'Volume snapshots',
    'namespace': 'http://docs.openstack.org/ext/snapshots/api/v1.1',
    'updated': '2011-08-08T00:00:00+00:00',
}


def _view(snapshot):
    return {'id': snapshot['id'], 'volumeId': snapshot['volume_id'],
            'status': snapshot['status'], 'size': snapshot['volume_size'],
            'createdAt': common.isotime(snapshot['created_at']),
            'displayName': snapshot['display_name'],
            'displayDescription': snapshot['display_description']}


def _snapshot_of_project(ctxt, snapshot_id):
    number = util.to_int(snapshot_id, 'Snapshot id')
    try:
        snapshot = volumes._volume_api().get_snapshot(ctxt, number)
    except exception.NotFound:
        snapshot = None
    if snapshot is None or snapshot['project_id'] != ctxt.project_id:
        raise common.not_found('Snapshot %s could not be found.'
                               % snapshot_id)
    return snapshot


class SnapshotController(object):
    """``/os-snapshots``."""

    def index(self, req, **_args):
        """``{"snapshots": [...]}`` of the project (a page)."""
        ctxt = common.context_of(req)
        found = sorted((s for s in volumes._volume_api().get_all_snapshots(
            ctxt) if s['project_id'] == ctxt.project_id),
            key=lambda s: s['id'])
        return {'snapshots': [_view(s) for s in common.limited(req, found)]}

    detail = index

    def show(self, req, id, **_args):
        """One snapshot of the project."""
        return {'snapshot': _view(_snapshot_of_project(
            common.context_of(req), id))}

    def create(self, req, body=None, **_args):
        """Snapshot a volume of the project."""
        params = util.entity(body, 'snapshot')
        ctxt = common.context_of(req)
        volume = volumes.volume_of_project(ctxt, params.get('volume_id'))
        force = str(params.get('force', False)).lower() in ('true', '1')
        try:
            snapshot = volumes._volume_api().create_snapshot(
                ctxt, volume['id'],
                name=util.text(params.get('display_name'), 'display_name',
                               required=False),
                description=util.text(params.get('display_description'),
                                      'display_description',
                                      required=False),
                force=force)
        except exception.InvalidVolumeState as exc:
            raise webob.exc.HTTPConflict(explanation=str(exc))
        return {'snapshot': _view(snapshot)}

    def delete(self, req, id, **_args):
        """Delete a snapshot of the project: 202."""
        ctxt = common.context_of(req)
        snapshot = _snapshot_of_project(ctxt, id)
        try:
            volumes._volume_api().delete_snapshot(ctxt, snapshot['id'])
        except exception.InvalidSnapshotState as exc:
            raise webob.exc.HTTPConflict(explanation=str(exc))
        return webob.Response(status=202)


def resources():
    """``os-snapshots``."""
    return [ResourceExtension('os-snapshots', SnapshotController(),
                              ('index', 'detail', 'show', 'create',
                               'delete'))]
