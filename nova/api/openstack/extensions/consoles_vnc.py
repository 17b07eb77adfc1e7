"""``os-consoles``: the server action ``os-getVNCConsole`` (the shape
Essex gave it; Diablo handed VNC consoles out through EC2's
GetVncConsole and the direct API only).

``{"os-getVNCConsole": {"type": "novnc"}}`` answers ``{"console":
{"type": "novnc", "url": "<nova-vncproxy URL with a fresh token>"}}``:
noVNC's page on ``--vnc_console_proxy_url``, its websocket bound to that
server for ``--vnc_token_ttl`` seconds.  ``xvpvnc`` (XenServer's proxy)
is a 400 here; a server not yet on a host, or without a VNC display, is a
409; no running nova-vncproxy is a 503; another project's server is a 404.
"""

import webob.exc

from nova import exception
from nova.api.openstack import common

EXTENSION = {
    'name': 'Consoles',
    'alias': 'os-consoles',
    'description': 'Interactive Console support (noVNC through '
                   'nova-vncproxy).',
    'namespace': 'http://docs.openstack.org/ext/os-consoles/api/v1.1',
    'updated': '2011-12-23T00:00:00+00:00',
}


def get_vnc_console(controller, req, instance, args):
    """``{"console": {"type": "novnc", "url": …}}`` for ``instance``."""
    if not isinstance(args, dict):
        raise common.bad_request('os-getVNCConsole takes an object')
    console_type = args.get('type')
    if console_type != 'novnc':
        raise common.bad_request(
            'Unsupported console type %r: this cloud offers "novnc"'
            % str(console_type)[:40])
    try:
        answer = controller.compute_api.get_vnc_console(
            common.context_of(req), instance['id'])
    except exception.InstanceInvalidState:
        raise webob.exc.HTTPConflict(
            explanation='The server is not on a host yet.')
    except exception.ConsoleNotAvailable as exc:
        raise webob.exc.HTTPConflict(explanation=str(exc))
    except exception.ConsoleProxyNotRunning as exc:
        raise webob.exc.HTTPServiceUnavailable(explanation=str(exc))
    return {'console': {'type': 'novnc', 'url': answer['url']}}


def actions():
    """``os-getVNCConsole``."""
    return {'os-getVNCConsole': get_vnc_console}
