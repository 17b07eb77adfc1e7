"""``NMN`` (Diablo's Multinic extension): the server actions
``addFixedIp`` (``{"networkId": id}``) and ``removeFixedIp``
(``{"address": ip}``), 202.

The server's host allocates (or gives back) the address through
nova-network, then hands the guest its new settings and resets its
network.  A body without its argument is a 422 as Diablo; an unknown (or
another project's) network, or an address the server does not have, a
404; a server without a host or in a task a 409.
"""

import ipaddress

import webob
import webob.exc

from nova import exception
from nova.api.openstack import common
from nova.api.openstack.extensions import util

EXTENSION = {
    'name': 'Multinic',
    'alias': 'NMN',
    'description': 'Multiple network support',
    'namespace': 'http://docs.openstack.org/ext/multinic/api/v1.1',
    'updated': '2011-06-09T00:00:00+00:00',
}


def _argument(args, key, action):
    if not isinstance(args, dict) or args.get(key) in (None, ''):
        raise webob.exc.HTTPUnprocessableEntity(
            explanation="Missing '%s' argument for %s" % (key, action))
    return args[key]


def _act(method, controller, req, instance, value):
    try:
        getattr(controller.compute_api, method)(
            common.context_of(req), instance['id'], value)
    except (exception.InstanceInvalidState,
            exception.InstanceIsLocked) as exc:
        raise webob.exc.HTTPConflict(explanation=str(exc))
    return webob.Response(status=202)


def add_fixed_ip(controller, req, instance, args):
    """``addFixedIp``: an address of network ``networkId``."""
    network_id = util.to_int(_argument(args, 'networkId', 'addFixedIp'),
                             'networkId', minimum=1)
    return _act('add_fixed_ip', controller, req, instance, network_id)


def remove_fixed_ip(controller, req, instance, args):
    """``removeFixedIp``: give ``address`` back."""
    address = _argument(args, 'address', 'removeFixedIp')
    try:
        address = str(ipaddress.ip_address(str(address).strip()))
    except ValueError:
        raise common.bad_request('address must be an IP address')
    return _act('remove_fixed_ip', controller, req, instance, address)


def actions():
    """``addFixedIp`` and ``removeFixedIp``."""
    return {'addFixedIp': add_fixed_ip, 'removeFixedIp': remove_fixed_ip}
