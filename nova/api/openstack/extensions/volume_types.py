"""``os-volume-types`` (Diablo's VolumeTypes extension): named kinds of
volume, with key/value extra specs at
``/os-volume-types/{vol_type_id}/extra_specs``.

Anyone reads them; only administrators create, delete or change them
(Diablo let anyone).  As in Diablo, ``GET /os-volume-types`` answers in
JSON a dict keyed by type name (``{name: {id, name, extra_specs, …}}``;
XML, where names cannot be element names, lists ``<volume_types>``);
``POST`` takes ``{"volume_type": {"name", "extra_specs"}}`` (422 without
it, 409 for a name in use) and answers ``{"volume_type": …}``; ``GET`` and
``DELETE /{id}`` show and remove one (404 otherwise; 200 on delete).  The
extra specs behave as a flavor's: ``POST`` merges ``{"extra_specs": …}``,
``PUT /{key}`` sets one from ``{key: value}``, ``DELETE /{key}`` removes
one.  Keys are letters, digits, ``_ . : -`` (255 at most), values 255
characters at most.
"""

import re

import webob
import webob.exc

from nova import db
from nova import exception
from nova.api.openstack import common
from nova.api.openstack import wsgi
from nova.api.openstack.extensions import ResourceExtension
from nova.api.openstack.extensions import util

EXTENSION = {
    'name': 'VolumeTypes',
    'alias': 'os-volume-types',
    'description': 'Volume types support',
    'namespace': 'http://docs.openstack.org/ext/volume_types/api/v1.1',
    'updated': '2011-08-24T00:00:00+00:00',
}

_KEY = re.compile(r'^[A-Za-z_][A-Za-z0-9_.:-]{0,254}$')


def _view(volume_type):
    return {'id': volume_type['id'], 'name': volume_type['name'],
            'extra_specs': dict(volume_type['extra_specs']),
            'created_at': common.isotime(volume_type['created_at']),
            'updated_at': common.isotime(volume_type['updated_at'])}


def _specs(value):
    """``{key: str}`` from a request's specs; 400 when malformed."""
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and _KEY.match(k) and
            isinstance(v, (str, int, float)) and not isinstance(v, bool) and
            len(str(v)) <= 255 for k, v in value.items()):
        raise common.bad_request('Malformed extra specs: keys are letters, '
                                 'digits, "_.:-", values strings or numbers '
                                 'of at most 255 characters')
    return dict((k, str(v)) for k, v in value.items())


def _admin(req):
    ctxt = common.context_of(req)
    if not ctxt.is_admin:
        raise webob.exc.HTTPForbidden(
            explanation='Only administrators change volume types')
    return ctxt


def _type(ctxt, type_id):
    """A live volume type by id (404 otherwise)."""
    try:
        number = int(str(type_id))
        if not 0 < number < 2 ** 31:
            raise ValueError(type_id)
        return db.volume_type_get(ctxt, number, read_deleted='no')
    except (ValueError, exception.NotFound):
        raise common.not_found('Volume type %s could not be found.'
                               % type_id)


class VolumeTypesController(object):
    """``/os-volume-types``."""

    def index(self, req, **_args):
        """Diablo's ``{name: volume_type}`` (XML: ``<volume_types>``)."""
        types = db.volume_type_get_all(common.context_of(req))
        if req.best_match_content_type() == wsgi.XML:
            return {'volume_types': [_view(t) for t in types.values()]}
        return wsgi.respond(req, dict((name, _view(t))
                                      for name, t in types.items()))

    def create(self, req, body=None, **_args):
        """A new volume type: ``{"volume_type": …}``."""
        ctxt = _admin(req)
        entity = util.entity(body, 'volume_type')
        name = entity.get('name')
        if not isinstance(name, str) or not name.strip():
            raise webob.exc.HTTPUnprocessableEntity(
                explanation='A volume type needs a name')
        name = util.text(name, 'name')
        specs = entity.get('extra_specs')
        specs = _specs({} if specs is None else specs)
        created = db.volume_type_create(ctxt, {'name': name,
                                               'extra_specs': specs})
        return {'volume_type': _view(created)}

    def show(self, req, id, **_args):
        """``{"volume_type": …}``."""
        return {'volume_type': _view(_type(common.context_of(req), id))}

    def delete(self, req, id, **_args):
        """Remove a volume type (its volumes keep their reference)."""
        ctxt = _admin(req)
        db.volume_type_destroy(ctxt, _type(ctxt, id)['name'])
        return webob.Response(status=200)


class VolumeTypeExtraSpecsController(object):
    """``/os-volume-types/{vol_type_id}/extra_specs``."""

    def index(self, req, vol_type_id, **_args):
        """``{"extra_specs": {…}}``."""
        return {'extra_specs': dict(_type(common.context_of(req),
                                          vol_type_id)['extra_specs'])}

    def create(self, req, vol_type_id, body=None, **_args):
        """Merge specs in; the body back."""
        ctxt = _admin(req)
        volume_type = _type(ctxt, vol_type_id)
        if not isinstance(body, dict) or 'extra_specs' not in body:
            raise common.bad_request('No Request Body')
        specs = _specs(body['extra_specs'])
        db.volume_type_extra_specs_update_or_create(ctxt, volume_type['id'],
                                                    specs)
        return {'extra_specs': specs}

    def show(self, req, vol_type_id, id, **_args):
        """``{key: value}``; 404 for a missing key."""
        specs = _type(common.context_of(req), vol_type_id)['extra_specs']
        if id not in specs:
            raise common.not_found('Extra spec %s could not be found.' % id)
        return {id: specs[id]}

    def update(self, req, vol_type_id, id, body=None, **_args):
        """Set one spec from ``{key: value}`` naming the URL's key."""
        ctxt = _admin(req)
        volume_type = _type(ctxt, vol_type_id)
        if not isinstance(body, dict) or id not in body:
            raise common.bad_request('Request body and URI mismatch')
        if len(body) > 1:
            raise common.bad_request('Request body contains too many items')
        specs = _specs(body)
        db.volume_type_extra_specs_update_or_create(ctxt, volume_type['id'],
                                                    specs)
        return specs

    def delete(self, req, vol_type_id, id, **_args):
        """Remove one spec: 200, as Diablo."""
        ctxt = _admin(req)
        volume_type = _type(ctxt, vol_type_id)
        try:
            db.volume_type_extra_specs_delete(ctxt, volume_type['id'], id)
        except exception.VolumeTypeExtraSpecsNotFound:
            raise common.not_found('Extra spec %s could not be found.' % id)
        return webob.Response(status=200)


def resources():
    """``os-volume-types`` and the extra specs of each."""
    return [
        ResourceExtension('os-volume-types', VolumeTypesController(),
                          ('index', 'create', 'show', 'delete')),
        ResourceExtension('extra_specs', VolumeTypeExtraSpecsController(),
                          ('index', 'create', 'show', 'update', 'delete'),
                          parent='os-volume-types/{vol_type_id}'),
    ]
