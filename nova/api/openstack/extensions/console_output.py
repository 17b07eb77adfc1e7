"""``os-console-output``: the server action ``os-getConsoleOutput`` (the
extension Essex added; Diablo's users read the console through EC2's
GetConsoleOutput only).  ``{"os-getConsoleOutput": {"length": N}}``
answers ``{"output": "<text>"}``, the last ``N`` lines when ``length`` is
given.  A server not yet on a host is a 409; another project's is a 404.
"""

import webob.exc

from nova import exception
from nova.api.openstack import common
from nova.api.openstack.extensions import util

EXTENSION = {
    'name': 'Console_output',
    'alias': 'os-console-output',
    'description': 'Console log output support, with tailing ability.',
    'namespace': 'http://docs.openstack.org/ext/os-console-output/'
                 'api/v1.1',
    'updated': '2011-12-08T00:00:00+00:00',
}


def get_console_output(controller, req, instance, args):
    """The console text of ``instance``: ``{"output": …}``."""
    length = None
    if isinstance(args, dict) and args.get('length') not in (None, ''):
        length = util.to_int(args['length'], 'length', minimum=0)
    elif args not in (None, '', {}) and not isinstance(args, dict):
        raise common.bad_request('os-getConsoleOutput takes an object')
    try:
        output = controller.compute_api.get_console_output(
            common.context_of(req), instance['id'])
    except exception.InstanceInvalidState:
        raise webob.exc.HTTPConflict(
            explanation='The server has no console yet.')
    if isinstance(output, bytes):
        output = output.decode('utf-8', 'replace')
    output = output or ''
    if length is not None:
        lines = output.splitlines()
        output = '\n'.join(lines[-length:] if length else [])
    return {'output': output}


def actions():
    """``os-getConsoleOutput``."""
    return {'os-getConsoleOutput': get_console_output}
