"""``os-flavor-extra-specs``: key/value specs of a flavor at
``/flavors/{flavor_id}/os-extra_specs`` (Diablo's FlavorExtraSpecs).

Anyone reads them; only administrators change them (Diablo let anyone).
``POST`` merges ``{"extra_specs": {…}}``; ``PUT /{key}`` with ``{key:
value}`` sets one (the body must name exactly the URL's key); ``DELETE
/{key}`` removes one.  An unknown flavor or key is a 404.
"""

import webob
import webob.exc

from nova import db
from nova import exception
from nova.api.openstack import common
from nova.api.openstack.extensions import ResourceExtension
from nova.compute import instance_types

EXTENSION = {
    'name': 'FlavorExtraSpecs',
    'alias': 'os-flavor-extra-specs',
    'description': 'Instance type (flavor) extra specs',
    'namespace': 'http://docs.openstack.org/ext/flavor_extra_specs/'
                 'api/v1.1',
    'updated': '2011-06-23T00:00:00+00:00',
}


def _flavor(flavor_id):
    try:
        return instance_types.get_instance_type_by_flavor_id(flavor_id)
    except exception.NotFound:
        raise common.not_found('Flavor %s could not be found.' % flavor_id)


def _specs(body, key='extra_specs'):
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and k and len(k) <= 255 and
            isinstance(v, (str, int, float)) and len(str(v)) <= 255
            for k, v in value.items()):
        raise common.bad_request('Malformed request body')
    return dict((k, str(v)) for k, v in value.items())


def _admin(req):
    ctxt = common.context_of(req)
    if not ctxt.is_admin:
        raise webob.exc.HTTPForbidden(
            explanation='Only administrators change extra specs')
    return ctxt


class FlavorExtraSpecsController(object):
    """``/flavors/{flavor_id}/os-extra_specs``."""

    def index(self, req, flavor_id, **_args):
        """``{"extra_specs": {…}}``."""
        flavor = _flavor(flavor_id)
        return {'extra_specs': db.instance_type_extra_specs_get(
            common.context_of(req), flavor['id'])}

    def create(self, req, flavor_id, body=None, **_args):
        """Merge specs in; the body back."""
        ctxt = _admin(req)
        flavor = _flavor(flavor_id)
        specs = _specs(body)
        db.instance_type_extra_specs_update_or_create(ctxt, flavor['id'],
                                                      specs)
        return {'extra_specs': specs}

    def show(self, req, flavor_id, id, **_args):
        """``{key: value}``; 404 for a missing key."""
        flavor = _flavor(flavor_id)
        specs = db.instance_type_extra_specs_get(common.context_of(req),
                                                 flavor['id'])
        if id not in specs:
            raise common.not_found('Extra spec %s could not be found.' % id)
        return {id: specs[id]}

    def update(self, req, flavor_id, id, body=None, **_args):
        """Set one spec: the body is ``{key: value}`` of the URL's key."""
        ctxt = _admin(req)
        flavor = _flavor(flavor_id)
        if not isinstance(body, dict) or list(body) != [id]:
            raise common.bad_request('Request body and URI mismatch')
        specs = _specs({'x': body}, 'x')
        db.instance_type_extra_specs_update_or_create(ctxt, flavor['id'],
                                                      specs)
        return specs

    def delete(self, req, flavor_id, id, **_args):
        """Remove one spec: 200 with no body, as Diablo."""
        ctxt = _admin(req)
        flavor = _flavor(flavor_id)
        if id not in db.instance_type_extra_specs_get(ctxt, flavor['id']):
            raise common.not_found('Extra spec %s could not be found.' % id)
        db.instance_type_extra_specs_delete(ctxt, flavor['id'], id)
        return webob.Response(status=200)


def resources():
    """The ``os-extra_specs`` collection of a flavor."""
    return [ResourceExtension('os-extra_specs', FlavorExtraSpecsController(),
                              ('index', 'create', 'show', 'update',
                               'delete'),
                              parent='flavors/{flavor_id}')]
