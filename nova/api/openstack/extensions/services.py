"""``os-services``: every registered service with its state (``up`` or
``down``, from its last heartbeat and ``--service_down_time``) and status
(``enabled`` or ``disabled``), and the administrator's switch (the
collection later releases added; Diablo's operators ran ``nova-manage
service enable/disable``).

``GET /os-services`` → ``{"services": [{id, binary, host, zone, status,
state, updated_at}]}``; ``PUT /os-services/enable`` (or ``disable``) with
``{"host": …, "binary": …}`` → ``{"service": {host, binary, status}}``.
Administrators only (403), and only with ``--allow_admin_api`` (404).
"""

import webob.exc

from nova import db
from nova import exception
from nova import flags
from nova.api.openstack import common
from nova.api.openstack.extensions import ResourceExtension
from nova.api.openstack.extensions import util
from nova.utils import servicegroup

FLAGS = flags.FLAGS

EXTENSION = {
    'name': 'Services',
    'alias': 'os-services',
    'description': 'List services and enable or disable them',
    'namespace': 'http://docs.openstack.org/ext/services/api/v1.1',
    'updated': '2011-09-01T00:00:00+00:00',
}


def _admin(req):
    if not FLAGS.allow_admin_api:
        raise common.not_found()
    ctxt = common.context_of(req)
    if not ctxt.is_admin:
        raise webob.exc.HTTPForbidden(
            explanation='Only administrators may administer services')
    return ctxt


def _view(service):
    return {'id': service['id'], 'binary': service['binary'],
            'host': service['host'],
            'zone': service['availability_zone'],
            'status': 'disabled' if service['disabled'] else 'enabled',
            'state': 'up' if servicegroup.service_is_up(service)
            else 'down',
            'updated_at': common.isotime(servicegroup.last_heartbeat(
                service))}


class ServicesController(object):
    """``/os-services``."""

    def index(self, req, **_args):
        """``{"services": [...]}`` sorted by host and binary."""
        ctxt = _admin(req)
        services = db.service_get_all(ctxt.elevated())
        return {'services': [_view(s) for s in sorted(
            services, key=lambda s: (s['host'], s['binary']))]}

    def update(self, req, id, body=None, **_args):
        """``PUT /os-services/enable|disable``: flip ``disabled``."""
        ctxt = _admin(req)
        if id not in ('enable', 'disable'):
            raise common.not_found('Unknown action %s.' % id)
        if not isinstance(body, dict):
            raise common.bad_request('Malformed request body')
        host = util.text(body.get('host'), 'host')
        binary = util.text(body.get('binary'), 'binary')
        try:
            service = db.service_get_by_args(ctxt.elevated(), host, binary)
        except exception.NotFound:
            raise common.not_found('Service %s on %s could not be found.'
                                   % (binary, host))
        db.service_update(ctxt.elevated(), service['id'],
                          {'disabled': id == 'disable'})
        return {'service': {'host': host, 'binary': binary,
                            'status': id + 'd'}}


def resources():
    """``os-services``."""
    return [ResourceExtension('os-services', ServicesController(),
                              ('index', 'update'))]
