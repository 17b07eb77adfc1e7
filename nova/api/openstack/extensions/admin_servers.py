"""``os-admin-servers``: every project's live servers for administrators
(what a cloud's dashboard lists on its admin page; Diablo's servers
collection is confined to one project).

``GET /os-admin-servers`` answers ``{"servers": [{id, name, status,
tenant_id, user_id, host, flavor: {id}, image: {id}, addresses,
created}]}``; a non-admin gets a 403.
"""

import webob.exc

from nova.api.openstack import common
from nova.api.openstack.extensions import ResourceExtension
from nova.api.openstack.views import servers as views

EXTENSION = {
    'name': 'AdminServers',
    'alias': 'os-admin-servers',
    'description': 'All projects\' servers with their hosts (admin only)',
    'namespace': 'http://docs.openstack.org/ext/admin-servers/api/v1.1',
    'updated': '2011-09-01T00:00:00+00:00',
}


def _view(instance):
    flavor = instance.get('instance_type') or {}
    return {'id': instance['id'], 'name': views.server_name(instance),
            'status': views.status_from_state(instance['vm_state'],
                                              instance.get('task_state')),
            'tenant_id': instance['project_id'],
            'user_id': instance['user_id'], 'host': instance['host'],
            'flavor': {'id': flavor.get('flavorid')},
            'image': {'id': instance.get('image_ref')},
            'addresses': views.addresses_v11(instance),
            'created': common.isotime(instance.get('created_at'))}


class AdminServersController(object):
    """``/os-admin-servers``."""

    def index(self, req, **_args):
        """``{"servers": [...]}`` of every project (admins only)."""
        ctxt = common.context_of(req)
        if not ctxt.is_admin:
            raise webob.exc.HTTPForbidden(
                explanation='Only administrators may list every '
                            'project\'s servers.')
        from nova.compute import api as compute
        instances = compute.API().get_all(ctxt, {'deleted': False})
        return {'servers': [_view(i) for i in sorted(
            instances, key=lambda i: i['id'])]}


def resources():
    """``os-admin-servers``."""
    return [ResourceExtension('os-admin-servers', AdminServersController(),
                              ('index',))]
