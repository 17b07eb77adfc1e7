"""``os-floating-ips``: the project's floating IPs, and the server actions
``addFloatingIp`` / ``removeFloatingIp`` (``{"address": ip}``, 202).

``POST /os-floating-ips`` allocates one from the pool (413 past the
``floating_ips`` quota, 400 when the pool is empty); ``DELETE
/os-floating-ips/{id}`` disassociates it if needed and releases it (202).
An entity is ``{id, ip, fixed_ip, instance_id}``.  Another project's
floating IP is a 404.  Everything goes through ``nova.network.api``.
"""

import ipaddress

import webob

from nova import db
from nova import exception
from nova.api.openstack import common
from nova.api.openstack.extensions import ResourceExtension
from nova.api.openstack.extensions import util

EXTENSION = {
    'name': 'Floating_ips',
    'alias': 'os-floating-ips',
    'description': 'Floating IPs support',
    'namespace': 'http://docs.openstack.org/ext/floating_ips/api/v1.1',
    'updated': '2011-06-16T00:00:00+00:00',
}


def _network_api():
    from nova.network import api as network_api
    return network_api.API()


def _network(method, *args):
    """Call ``network_api.<method>``; remote errors become local ones
    (the pool running dry is a 400)."""
    try:
        return getattr(_network_api(), method)(*args)
    except exception.NovaException as exc:
        local = util.remote_to_local(exc)
        if isinstance(local, exception.NoMoreFloatingIps):
            raise common.bad_request('No more floating ips available.')
        raise local


def _view(floating_ip):
    fixed = floating_ip['fixed_ip']
    instance = fixed['instance'] if fixed is not None else None
    return {'id': floating_ip['id'], 'ip': floating_ip['address'],
            'fixed_ip': fixed['address'] if fixed is not None else None,
            'instance_id': instance['id'] if instance is not None else None}


def _project_ips(ctxt):
    return db.floating_ip_get_all_by_project(ctxt, ctxt.project_id)


def _by_id(ctxt, floating_id):
    number = util.to_int(floating_id, 'Floating IP id')
    for floating_ip in _project_ips(ctxt):
        if floating_ip['id'] == number:
            return floating_ip
    raise common.not_found('Floating ip %s not found' % floating_id)


def _by_address(ctxt, args):
    address = args.get('address') if isinstance(args, dict) else None
    try:
        address = str(ipaddress.IPv4Address(str(address).strip()))
    except ValueError:
        raise common.bad_request('Address not specified or not an IPv4 '
                                 'address')
    for floating_ip in _project_ips(ctxt):
        if floating_ip['address'] == address:
            return floating_ip
    raise common.not_found('Floating ip %s not found' % address)


class FloatingIPController(object):
    """``/os-floating-ips``."""

    def index(self, req, **_args):
        """``{"floating_ips": [...]}``."""
        ctxt = common.context_of(req)
        return {'floating_ips': [_view(f) for f in _project_ips(ctxt)]}

    def show(self, req, id, **_args):
        """One floating IP of the project."""
        return {'floating_ip': _view(_by_id(common.context_of(req), id))}

    def create(self, req, body=None, **_args):
        """Allocate a floating IP to the project."""
        ctxt = common.context_of(req)
        address = _network('allocate_floating_ip', ctxt)
        for floating_ip in _project_ips(ctxt):
            if floating_ip['address'] == address:
                return {'floating_ip': _view(floating_ip)}
        raise common.not_found('Floating ip %s not found' % address)

    def delete(self, req, id, **_args):
        """Disassociate (if needed) and release: 202."""
        ctxt = common.context_of(req)
        floating_ip = _by_id(ctxt, id)
        if floating_ip['fixed_ip_id'] is not None:
            _network('disassociate_floating_ip', ctxt,
                     floating_ip['address'])
        _network('release_floating_ip', ctxt, floating_ip['address'])
        return webob.Response(status=202)


def add_floating_ip(controller, req, instance, args):
    """``addFloatingIp``: map the address to the server's first fixed IP."""
    ctxt = common.context_of(req)
    floating_ip = _by_address(ctxt, args)
    fixed = db.instance_get_fixed_addresses(ctxt, instance['id'])
    if not fixed:
        raise common.bad_request('The server has no fixed IP to associate '
                                 'the floating IP with')
    if floating_ip['fixed_ip_id'] is not None:
        raise common.bad_request('Floating ip %s is already associated'
                                 % floating_ip['address'])
    _network('associate_floating_ip', ctxt, floating_ip['address'],
             fixed[0])
    return webob.Response(status=202)


def remove_floating_ip(controller, req, instance, args):
    """``removeFloatingIp``: unmap an address mapped to this server."""
    ctxt = common.context_of(req)
    floating_ip = _by_address(ctxt, args)
    view = _view(floating_ip)
    if view['instance_id'] != instance['id']:
        raise common.bad_request('Floating ip %s is not associated with '
                                 'this server' % floating_ip['address'])
    _network('disassociate_floating_ip', ctxt, floating_ip['address'])
    return webob.Response(status=202)


def resources():
    """The ``os-floating-ips`` collection."""
    return [ResourceExtension('os-floating-ips', FloatingIPController(),
                              ('index', 'show', 'create', 'delete'))]


def actions():
    """``addFloatingIp`` and ``removeFloatingIp``."""
    return {'addFloatingIp': add_floating_ip,
            'removeFloatingIp': remove_floating_ip}
