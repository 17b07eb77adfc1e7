"""``os-rescue``: the server actions ``rescue`` and ``unrescue`` (Diablo's
Rescue extension): boot the server from the rescue image, then back from
its own disk.  202; a server in a state that forbids it is a 409."""

import webob
import webob.exc

from nova import exception
from nova.api.openstack import common

EXTENSION = {
    'name': 'Rescue',
    'alias': 'os-rescue',
    'description': 'Instance rescue mode',
    'namespace': 'http://docs.openstack.org/ext/rescue/api/v1.1',
    'updated': '2011-08-18T00:00:00+00:00',
}


def _act(method, controller, req, instance):
    try:
        getattr(controller.compute_api, method)(common.context_of(req),
                                                instance['id'])
    except exception.InstanceInvalidState as exc:
        raise webob.exc.HTTPConflict(explanation=str(exc))
    return webob.Response(status=202)


def rescue(controller, req, instance, args):
    """``{"rescue": …}``: boot from the rescue image."""
    return _act('rescue', controller, req, instance)


def unrescue(controller, req, instance, args):
    """``{"unrescue": …}``: back to the server's own disk."""
    return _act('unrescue', controller, req, instance)


def actions():
    """``rescue`` and ``unrescue``."""
    return {'rescue': rescue, 'unrescue': unrescue}
