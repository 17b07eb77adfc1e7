"""``os-hosts``: host administration (Diablo's Hosts extension; only
with ``--allow_admin_api``, and only for administrators).

``GET /os-hosts`` lists ``{host_name, service}`` of the registered
services; ``PUT /os-hosts/{host}`` with ``{"status": "enable"|"disable"}``
lets a compute host take new instances or not (the schedulers skip a
disabled one) and answers ``{host, status}``; ``GET
/os-hosts/{host}/startup|shutdown|reboot`` asks the host's hypervisor and
answers ``{host, power_action}``; a hypervisor that cannot (libvirt, as
Diablo's) is a 501 ``notImplemented``, a host that is down a 503.
"""

import webob.exc

from nova import exception
from nova import flags
from nova.api.openstack import admin_actions  # noqa: F401 - allow_admin_api
from nova.api.openstack import common
from nova.api.openstack.extensions import ResourceExtension
from nova.api.openstack.extensions import util

FLAGS = flags.FLAGS

EXTENSION = {
    'name': 'Hosts',
    'alias': 'os-hosts',
    'description': 'Host administration',
    'namespace': 'http://docs.openstack.org/ext/hosts/api/v1.1',
    'updated': '2011-06-29T00:00:00+00:00',
}


def _compute_api():
    from nova.compute import api as compute_api
    return compute_api.API()


def _admin(req):
    """The admin context; 404 without ``--allow_admin_api`` (the routes do
    not exist then, as Diablo), 403 for anyone else."""
    if not FLAGS.allow_admin_api:
        raise common.not_found()
    ctxt = common.context_of(req)
    if not ctxt.is_admin:
        raise webob.exc.HTTPForbidden(
            explanation='Only administrators may administer hosts')
    return ctxt


def _status(body):
    """True (enable) or False (disable) from ``{"status": …}``; 400 for
    any other setting or value, as Diablo."""
    if not isinstance(body, dict) or not body:
        raise common.bad_request('Malformed request body')
    enabled = None
    for raw_key, raw_value in body.items():
        key = str(raw_key).lower().strip()
        if key != 'status':
            raise common.bad_request("Invalid update setting: '%s'"
                                     % raw_key)
        value = raw_value.lower().strip() if isinstance(raw_value, str) \
            else ''
        if value[:6] not in ('enable', 'disabl'):
            raise common.bad_request("Invalid status: '%s'" % raw_value)
        enabled = value.startswith('enable')
    return enabled


def _remote(call, *args):
    """Run a compute API call; a remote error is re-raised as the local
    exception it names."""
    try:
        return call(*args)
    except exception.NovaException as exc:
        raise util.remote_to_local(exc)


class HostController(object):
    """``/os-hosts``."""

    def __init__(self, compute_api=None):
        self._compute_api = compute_api

    @property
    def compute_api(self):
        """The compute API (made on first use)."""
        if self._compute_api is None:
            self._compute_api = _compute_api()
        return self._compute_api

    def index(self, req, **_args):
        """``{"hosts": [{host_name, service}]}``."""
        return {'hosts': self.compute_api.list_hosts(_admin(req))}

    def _check_host(self, ctxt, host):
        names = [h['host_name'] for h in self.compute_api.list_hosts(ctxt)]
        if host not in names:
            raise common.not_found('Host %s could not be found.' % host)

    def update(self, req, id, body=None, **_args):
        """Enable or disable a compute host: ``{host, status}``."""
        ctxt = _admin(req)
        enabled = _status(body)
        self._check_host(ctxt, id)
        status = self.compute_api.set_host_enabled(ctxt, id, enabled)
        return {'host': id, 'status': status}

    def _power(self, req, host, action):
        ctxt = _admin(req)
        self._check_host(ctxt, host)
        try:
            result = _remote(self.compute_api.host_power_action, ctxt, host,
                             action)
        except exception.HostPowerActionNotSupported as exc:
            raise webob.exc.HTTPNotImplemented(explanation=str(exc))
        except exception.ComputeHostNotUp as exc:
            raise webob.exc.HTTPServiceUnavailable(explanation=str(exc))
        except exception.RpcTimeout:
            raise webob.exc.HTTPServiceUnavailable(
                explanation='Compute host %s did not answer.' % host)
        return {'host': host, 'power_action': result}

    def startup(self, req, id, **_args):
        """Power the host up."""
        return self._power(req, id, 'startup')

    def shutdown(self, req, id, **_args):
        """Shut the host down."""
        return self._power(req, id, 'shutdown')

    def reboot(self, req, id, **_args):
        """Reboot the host."""
        return self._power(req, id, 'reboot')


def resources():
    """The ``os-hosts`` collection."""
    return [ResourceExtension('os-hosts', HostController(),
                              ('index', 'update'),
                              member_actions=(('startup', 'GET'),
                                              ('shutdown', 'GET'),
                                              ('reboot', 'GET')))]
