"""``zadr-vsa`` (Diablo's VSAs extension, Zadara Virtual Storage Arrays).

``/zadr-vsa`` lists (``index``, ``detail``: ``{"vsaSet": [...]}``), shows
(``{"vsa": ...}``) and deletes the project's VSA records; each VSA has the
sub-collections ``/zadr-vsa/{vsa_id}/drives`` (its back-end volumes,
metadata ``to_vsa_id``), ``/volumes`` (volumes it exports, ``from_vsa_id``),
``/instances`` (its VCs, metadata ``vsa_id``) and ``/vpools`` (always
empty, as Diablo).  A VSA's view: ``id``, ``name``, ``displayName``,
``displayDescription``, ``createTime``, ``status``, ``vcType``,
``vcCount``, ``driveCount``, ``ipAddress``.

This cloud has no VSA appliance: ``POST /zadr-vsa`` records the VSA (it
stays, in status ``failed``, to be seen and deleted) and answers 501 "No
VSA backend configured"; so does creating a volume of a VSA.  Drives are
changed only through the VSA (400, as Diablo).
"""

import webob
import webob.exc

from nova import db
from nova import exception
from nova import flags
from nova.api.openstack import common
from nova.api.openstack.extensions import ResourceExtension
from nova.api.openstack.extensions import util
from nova.api.openstack.extensions import volumes as volume_views
from nova.compute import instance_types
from nova.vsa import api as vsa_api

FLAGS = flags.FLAGS

EXTENSION = {
    'name': 'VSAs',
    'alias': 'zadr-vsa',
    'description': 'Virtual Storage Arrays support',
    'namespace': 'http://docs.openstack.org/ext/vsa/api/v1.1',
    'updated': '2011-08-25T00:00:00+00:00',
}


def _not_implemented(exc):
    return webob.exc.HTTPNotImplemented(explanation=str(exc))


def _vsa_view(vsa, instances):
    instance_type = vsa.get('vsa_instance_type')
    address = None
    for instance in instances:
        for fixed in instance['fixed_ips'] or []:
            floating = fixed['floating_ips'] or []
            if floating:
                address = floating[0]['address']
                break
            address = address or fixed['address']
    return {'id': vsa['id'], 'name': vsa['name'],
            'displayName': vsa['display_name'],
            'displayDescription': vsa['display_description'],
            'createTime': common.isotime(vsa['created_at']),
            'status': vsa['status'],
            'vcType': (instance_type['name'] if instance_type
                       else vsa['instance_type_id']),
            'vcCount': vsa['vc_count'], 'driveCount': vsa['vol_count'],
            'ipAddress': address}


def _vsa(ctxt, vsa_id):
    """The project's VSA ``vsa_id`` (404 otherwise)."""
    number = util.to_int(vsa_id, 'VSA id')
    try:
        return vsa_api.API().get(ctxt, number)
    except exception.NotFound:
        raise common.not_found('Virtual Storage Array %s could not be '
                               'found.' % vsa_id)


class VsaController(object):
    """``/zadr-vsa``."""

    def _items(self, req):
        ctxt = common.context_of(req)
        vsas = sorted(vsa_api.API().get_all(ctxt), key=lambda v: v['id'])
        return {'vsaSet': [
            _vsa_view(vsa, db.vsa_instance_get_all(ctxt, vsa['id']))
            for vsa in common.limited(req, vsas)]}

    def index(self, req, **_args):
        """The project's VSAs."""
        return self._items(req)

    def detail(self, req, **_args):
        """The project's VSAs (the same view, as Diablo)."""
        return self._items(req)

    def show(self, req, id, **_args):
        """``{"vsa": ...}``."""
        ctxt = common.context_of(req)
        vsa = _vsa(ctxt, id)
        return {'vsa': _vsa_view(vsa, db.vsa_instance_get_all(ctxt,
                                                              vsa['id']))}

    def create(self, req, body=None, **_args):
        """Record a VSA; answers 501 (no VSA backend) once recorded.

        ``{"vsa": {"displayName", "displayDescription", "vcType",
        "vcCount", "storage": [{"drive_name", "num_drives", "size"}],
        "shared", "placement": {"AvailabilityZone"}}}``; an unknown
        ``vcType`` is 404, an unknown drive type 400.
        """
        ctxt = common.context_of(req)
        entity = util.entity(body, 'vsa')
        vc_type = entity.get('vcType') or FLAGS.default_vsa_instance_type
        try:
            instance_type = instance_types.get_instance_type_by_name(
                util.text(vc_type, 'vcType'))
        except exception.NotFound:
            raise common.not_found('Instance type %s could not be found.'
                                   % vc_type)
        storage = entity.get('storage') or []
        if not isinstance(storage, list) or \
                not all(isinstance(node, dict) for node in storage):
            raise common.bad_request('storage must be a list of drive '
                                     'requests')
        placement = entity.get('placement') or {}
        if not isinstance(placement, dict):
            raise common.bad_request('placement must be an object')
        try:
            vsa_api.API().create(
                ctxt,
                display_name=util.text(entity.get('displayName'),
                                       'displayName', required=False) or '',
                display_description=util.text(
                    entity.get('displayDescription'), 'displayDescription',
                    required=False) or '',
                vc_count=util.to_int(entity.get('vcCount', 1), 'vcCount',
                                     minimum=1),
                instance_type=instance_type, storage=storage,
                shared=bool(entity.get('shared')),
                availability_zone=placement.get('AvailabilityZone'))
        except exception.NoVsaBackend as exc:
            raise _not_implemented(exc)
        except (ValueError, TypeError, KeyError):
            raise common.bad_request('Malformed drive request in storage')
        raise webob.exc.HTTPInternalServerError(
            explanation='The VSA could not be created.')

    def delete(self, req, id, **_args):
        """Delete a VSA record: 202."""
        ctxt = common.context_of(req)
        vsa = _vsa(ctxt, id)
        vsa_api.API().delete(ctxt, vsa['id'])
        return webob.Response(status=202)


class _VsaVolumes(object):
    """The volumes of a VSA by one metadata key (subclasses say which)."""

    direction = objects = item = None

    def _view(self, volume, vsa_id):
        view = volume_views._view(volume)
        view.update(vsaId=vsa_id, name=volume['name'])
        return view

    def _items(self, req, vsa_id):
        ctxt = common.context_of(req)
        vsa = _vsa(ctxt, vsa_id)
        volumes = db.vsa_volume_get_all(ctxt, vsa['id'], self.direction)
        return {self.objects: [self._view(v, vsa['id'])
                               for v in common.limited(req, volumes)]}

    def index(self, req, vsa_id, **_args):
        """The VSA's volumes of this kind."""
        return self._items(req, vsa_id)

    def detail(self, req, vsa_id, **_args):
        """The VSA's volumes of this kind (the detailed view)."""
        return self._items(req, vsa_id)

    def _owned(self, ctxt, vsa_id, volume_id):
        vsa = _vsa(ctxt, vsa_id)
        number = util.to_int(volume_id, '%s id' % self.item)
        for volume in db.vsa_volume_get_all(ctxt, vsa['id'],
                                            self.direction):
            if volume['id'] == number:
                return vsa, volume
        raise common.not_found('%s %s of VSA %s could not be found.'
                               % (self.item.capitalize(), volume_id,
                                  vsa_id))

    def show(self, req, vsa_id, id, **_args):
        """``{"<item>": ...}`` of one of the VSA's volumes."""
        vsa, volume = self._owned(common.context_of(req), vsa_id, id)
        return {self.item: self._view(volume, vsa['id'])}


class VsaVolumeController(_VsaVolumes):
    """``/zadr-vsa/{vsa_id}/volumes``: volumes the VSA exports."""

    direction, objects, item = 'from_vsa_id', 'volumes', 'volume'

    def create(self, req, vsa_id, body=None, **_args):
        """A volume served by the VSA needs its appliance: 501."""
        ctxt = common.context_of(req)
        vsa = _vsa(ctxt, vsa_id)
        util.entity(body, 'volume')
        raise _not_implemented(exception.NoVsaBackend(
            action='creating a volume of VSA %s' % vsa['name']))

    def delete(self, req, vsa_id, id, **_args):
        """Delete one of the VSA's volumes (as ``os-volumes``): 202."""
        ctxt = common.context_of(req)
        _vsa_row, volume = self._owned(ctxt, vsa_id, id)
        volume_views._volume_api().delete(ctxt, volume['id'])
        return webob.Response(status=202)


class VsaDriveController(_VsaVolumes):
    """``/zadr-vsa/{vsa_id}/drives``: the VSA's back-end volumes."""

    direction, objects, item = 'to_vsa_id', 'drives', 'drive'

    @staticmethod
    def _through_vsa(**_args):
        raise common.bad_request('Drives are created, changed and deleted '
                                 'through their VSA')

    def create(self, req, vsa_id, body=None, **_args):
        """400: drives come with the VSA."""
        self._through_vsa()

    def update(self, req, vsa_id, id, body=None, **_args):
        """400: drives change with the VSA."""
        self._through_vsa()

    def delete(self, req, vsa_id, id, **_args):
        """400: drives go with the VSA."""
        self._through_vsa()


class VsaVPoolController(object):
    """``/zadr-vsa/{vsa_id}/vpools``: none, as Diablo."""

    def index(self, req, vsa_id, **_args):
        """``{"vpools": []}`` of an existing VSA."""
        _vsa(common.context_of(req), vsa_id)
        return {'vpools': []}


def _server_view(instance):
    return {'id': instance['id'], 'uuid': instance['uuid'],
            'name': instance['display_name'],
            'status': instance['vm_state'],
            'created': common.isotime(instance['created_at'])}


class VsaInstanceController(object):
    """``/zadr-vsa/{vsa_id}/instances``: the VSA's VCs."""

    def index(self, req, vsa_id, **_args):
        """``{"servers": [...]}`` of the VSA."""
        ctxt = common.context_of(req)
        vsa = _vsa(ctxt, vsa_id)
        instances = db.vsa_instance_get_all(ctxt, vsa['id'])
        return {'servers': [_server_view(i)
                            for i in common.limited(req, instances)]}

    def show(self, req, vsa_id, id, **_args):
        """``{"server": ...}`` of one of the VSA's VCs (404 otherwise)."""
        ctxt = common.context_of(req)
        vsa = _vsa(ctxt, vsa_id)
        number = util.to_int(id, 'Server id')
        for instance in db.vsa_instance_get_all(ctxt, vsa['id']):
            if instance['id'] == number:
                return {'server': _server_view(instance)}
        raise common.not_found('Server %s of VSA %s could not be found.'
                               % (id, vsa_id))

    def create(self, req, vsa_id, body=None, **_args):
        """400: VCs are launched by the VSA, as Diablo."""
        raise common.bad_request('VSA instances are launched by their VSA')

    def delete(self, req, vsa_id, id, **_args):
        """400: VCs go with the VSA, as Diablo."""
        raise common.bad_request('VSA instances are deleted with their VSA')


def resources():
    """``zadr-vsa`` and its drives, volumes, vpools and instances."""
    parent = 'zadr-vsa/{vsa_id}'
    return [
        ResourceExtension('zadr-vsa', VsaController(),
                          ('index', 'detail', 'show', 'create', 'delete')),
        ResourceExtension('volumes', VsaVolumeController(),
                          ('index', 'detail', 'show', 'create', 'delete'),
                          parent=parent),
        ResourceExtension('drives', VsaDriveController(),
                          ('index', 'detail', 'show', 'create', 'update',
                           'delete'), parent=parent),
        ResourceExtension('vpools', VsaVPoolController(), ('index',),
                          parent=parent),
        ResourceExtension('instances', VsaInstanceController(),
                          ('index', 'show', 'create', 'delete'),
                          parent=parent),
    ]
