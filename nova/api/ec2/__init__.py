"""The EC2 API: paste filters and apps named in api-paste.ini.

The pipeline for ``/services/Cloud`` (and ``/services/Admin``) is::

    logrequest ec2limits ec2lockout authenticate cloudrequest authorizer
    ec2executor

* ``logrequest`` (:class:`RequestLogging`) writes one access line per call
  and answers EC2 ``InternalError`` (no traceback) if anything below fails;
* ``ec2limits`` (:class:`nova.api.ec2.params.RequestLimits`) bounds the body,
  the parameter count and names, before anything else reads the request;
* ``ec2lockout`` (:class:`Lockout`) refuses access keys locked out after
  repeated failures and counts the failures ``authenticate`` reports;
* ``authenticate`` (:class:`Authenticate`) verifies the signature (v0/v1/v2
  or SigV4) through the AuthManager and builds the request context;
  ``ec2noauth`` (:class:`NoAuth`) trusts ``ACCESS:PROJECT`` instead (tests);
* ``cloudrequest``/``adminrequest`` (:class:`Requestify`) decode the action
  and its flattened arguments for a controller;
* ``authorizer`` (:class:`Authorizer`) applies the role table;
* ``ec2executor`` (:class:`Executor`) calls the controller and renders XML,
  or an EC2 error.
"""

import logging
import time

import webob
import webob.dec

from nova import context
from nova import exception
from nova import flags
from nova import utils
from nova.api.ec2 import apirequest
from nova.api.ec2 import ec2utils
from nova.api.ec2 import faults
from nova.api.ec2 import forwarded
from nova.api.ec2 import params

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.api')
AUDIT = logging.getLogger('nova.api.ec2.audit')

# The EC2 API versions Diablo advertised at GET / of the EC2 port.
EC2_VERSIONS = ('1.0', '2007-01-19', '2007-03-01', '2007-08-29', '2007-10-10',
                '2007-12-15', '2008-02-01', '2008-09-01', '2009-04-04')

#: Parameters of the request envelope, never passed to an action.
ENVELOPE_PARAMS = ('Action', 'Version', 'Signature', 'AWSAccessKeyId',
                   'SignatureMethod', 'SignatureVersion', 'Timestamp',
                   'Expires', 'SecurityToken')

#: Set by Authenticate when the credentials were refused (read by Lockout):
#: the id of the user whose real secret gave another signature, else None.
AUTH_FAILED_KEY = 'nova.ec2.auth_failed'
SIGNED_REQUEST_KEY = 'nova.ec2.signed_request'


def _request_id(req):
    ctxt = req.environ.get('nova.context')
    return ctxt.request_id if ctxt is not None else \
        context.generate_request_id()


def _error(req, code, message, status):
    return faults.error_response(None, _request_id(req), status=status,
                                 code=code, message=message)


def _remote_address(req):
    """The client address (``X-Forwarded-For`` under the trusted-proxy
    rule of :mod:`nova.api.ec2.forwarded`), for the context and logs."""
    try:
        return forwarded.request_source(req)
    except exception.Invalid:
        return req.remote_addr


def signed_request(req):
    """The request's signature facts (one parse, kept in the environ)."""
    signed = req.environ.get(SIGNED_REQUEST_KEY)
    if signed is None:
        from nova.auth import signer
        parsed = params.request_params(req)
        body = parsed.body if req.method == 'POST' else b''
        signed = signer.SignedRequest(
            req.method, req.host, req.path, params=parsed.params,
            headers=dict(req.headers), body=body, query=parsed.query)
        req.environ[SIGNED_REQUEST_KEY] = signed
    return signed


def access_key_of(req):
    """The access key (``ACCESS[:PROJECT]``) a request is signed with.

    Taken from the same facts the signature is verified with, so that a
    failure is always counted against the key that was tried.  None when
    the request names no key or cannot be read.
    """
    try:
        return signed_request(req).access_key
    except Exception:  # noqa: BLE001 - an unreadable request names no key
        return None


class Middleware(object):
    """A paste filter: wraps the next application."""

    def __init__(self, application, **local_config):
        self.application = application

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.deploy filter factory."""
        def _factory(app):
            return cls(app, **local_config)
        return _factory


class RequestLogging(Middleware):
    """One access-log line per request, as Diablo wrote them."""

    @webob.dec.wsgify
    def __call__(self, req):
        start = time.time()
        try:
            resp = req.get_response(self.application)
        except Exception as exc:  # noqa: BLE001 - the last-resort handler
            # An EC2 error with the request id; the traceback is logged
            # (by faults) and never sent.
            resp = faults.error_response(exc, _request_id(req))
        self.log_request_completion(resp, req, start)
        return resp

    def log_request_completion(self, response, request, start):
        """Log the finished request."""
        apireq = request.environ.get('ec2.request')
        controller = action = None
        if apireq is not None:
            controller = type(apireq.controller).__name__
            action = apireq.action
        ctxt = request.environ.get('nova.context')
        elapsed = time.time() - start
        LOG.info('%s %.6fs %s %s %s %s:%s %s [%s] %s %s',
                 ctxt.request_id if ctxt is not None else '-',
                 elapsed, request.remote_addr, request.method,
                 '%s%s' % (request.script_name, request.path_info),
                 controller, action, response.status_int,
                 request.user_agent, request.content_type,
                 response.content_type)


class Lockout(Middleware):
    """Refuse users that failed to authenticate too often.

    The counter is per user (:meth:`AuthManager.user_id_of_access` maps the
    user name and the access key to the same id) and is kept in a store
    shared by every API worker (memcached or the database, see
    :mod:`nova.auth.lockout`).  Only the failures ``authenticate`` reports
    as a computed signature mismatch count; a success resets the counter.
    """

    def __init__(self, application, store=None, **local_config):
        super(Lockout, self).__init__(application)
        self._store = store
        self._guard = None
        self._manager = None

    @property
    def guard(self):
        """The lockout policy (built on first use)."""
        if self._guard is None:
            from nova.auth import lockout
            self._guard = lockout.Lockout(self._store)
        return self._guard

    @property
    def manager(self):
        """The AuthManager (built on first use)."""
        if self._manager is None:
            from nova.auth import manager
            self._manager = manager.AuthManager()
        return self._manager

    @webob.dec.wsgify
    def __call__(self, req):
        user_id = self.manager.user_id_of_access(access_key_of(req))
        if user_id is None:
            # Unknown key (or none): authenticate refuses it; nothing to
            # count, no row to create.
            return req.get_response(self.application)
        failures = self.guard.failures(user_id)
        if failures >= flags.FLAGS.lockout_attempts:
            AUDIT.warning('User %s is locked out; request refused', user_id)
            return _error(req, faults.AUTH_FAILURE,
                          'Too many failed authentications.', faults.AUTH_FAILURE_STATUS)
        resp = req.get_response(self.application)
        failed_user = req.environ.get(AUTH_FAILED_KEY)
        if failed_user:
            self.guard.record_failure(failed_user)
        elif failures and req.environ.get('nova.context') is not None:
            self.guard.reset(user_id)
        return resp


class Authenticate(Middleware):
    """Verify the request's signature and build its RequestContext."""

    def __init__(self, application, **local_config):
        super(Authenticate, self).__init__(application)
        self._manager = None

    @property
    def manager(self):
        """The AuthManager (built on first use)."""
        if self._manager is None:
            from nova.auth import manager
            self._manager = manager.AuthManager()
        return self._manager

    @webob.dec.wsgify
    def __call__(self, req):
        try:
            signed = signed_request(req)
            user, project = self.manager.authenticate_request(signed)
        except Exception as exc:  # noqa: BLE001 - any failure is AuthFailure
            if faults.is_outage(exc):
                # The database is away: not the caller's fault (503).
                return faults.error_response(
                    exc, context.generate_request_id())
            if not isinstance(exc, (exception.NotFound,
                                    exception.NotAuthorized,
                                    exception.Invalid)):
                LOG.exception('unexpected error while authenticating')
            # Only a signature computed with the real secret that did not
            # match is evidence of guessing: the lockout counts just those.
            req.environ[AUTH_FAILED_KEY] = getattr(exc, 'user_id', None)
            AUDIT.warning('Authentication failure from %s (key %s): %s',
                          _remote_address(req), access_key_of(req), exc)
            return _error(req, faults.AUTH_FAILURE,
                          'AWS was not able to validate the provided '
                          'access credentials', faults.AUTH_FAILURE_STATUS)
        is_admin, roles = self.manager.request_roles(user, project)
        ctxt = context.RequestContext(
            user_id=user.id, project_id=project.id, is_admin=is_admin,
            roles=roles, remote_address=_remote_address(req),
            strategy='ec2')
        req.environ['nova.context'] = ctxt
        return req.get_response(self.application)


class NoAuth(Middleware):
    """Trust ``AWSAccessKeyId=USER:PROJECT`` without a signature (tests)."""

    @webob.dec.wsgify
    def __call__(self, req):
        access = access_key_of(req)
        if not access:
            return _error(req, faults.AUTH_FAILURE,
                          'AWSAccessKeyId is required', faults.AUTH_FAILURE_STATUS)
        user_id, _sep, project_id = access.partition(':')
        req.environ['nova.context'] = context.RequestContext(
            user_id, project_id or user_id, is_admin=True,
            remote_address=_remote_address(req), strategy='noauth')
        return req.get_response(self.application)


class Requestify(Middleware):
    """Decode the action and its arguments for ``controller``."""

    def __init__(self, application, controller=None, **local_config):
        super(Requestify, self).__init__(application)
        if isinstance(controller, str):
            controller = utils.import_class(controller)()
        self.controller = controller

    @webob.dec.wsgify
    def __call__(self, req):
        args = dict(params.request_params(req).params)
        action = args.get('Action')
        if not action:
            return _error(req, 'MissingAction',
                          'The request must contain the parameter Action',
                          400)
        if apirequest.find_method(self.controller, action) is None:
            return faults.error_response(
                apirequest.unavailable(self.controller, action),
                _request_id(req))
        version = args.get('Version') or apirequest.DEFAULT_VERSION
        if not apirequest.VERSION_RE.match(version):
            return _error(req, 'InvalidParameterValue',
                          'Invalid value for parameter Version', 400)
        for name in list(args):
            if name in ENVELOPE_PARAMS or name.startswith('X-Amz-'):
                del args[name]
        try:
            args = ec2utils.unflatten(args)
        except exception.NovaException as exc:
            return faults.error_response(exc, _request_id(req))
        req.environ['ec2.request'] = apirequest.APIRequest(
            self.controller, action, version, args)
        return req.get_response(self.application)


# Roles per action (ec2-actions.md); an action Diablo left out of its table
# gets the roles of its siblings; anything else is for admins only.
_INSTANCE_ROLES = ['projectmanager', 'sysadmin']
_NETWORK_ROLES = ['netadmin']
ACTION_ROLES = {
    'CloudController': {
        'all': ['DescribeAvailabilityZones', 'DescribeRegions',
                'DescribeSnapshots', 'DescribeKeyPairs', 'CreateKeyPair',
                'DeleteKeyPair', 'DescribeSecurityGroups', 'ImportPublicKey',
                'ImportKeyPair', 'DescribeInstances', 'DescribeAddresses',
                'DescribeImages', 'DescribeImageAttribute',
                'DescribeAccountAttributes', 'DescribeInstancesV6',
                'DescribeVolumes', 'DescribeTags', 'DescribeInstanceTypes',
                'DescribeInstanceStatus'],
        'netadmin': ['AuthorizeSecurityGroupIngress',
                     'RevokeSecurityGroupIngress', 'CreateSecurityGroup',
                     'DeleteSecurityGroup', 'AllocateAddress',
                     'ReleaseAddress', 'AssociateAddress',
                     'DisassociateAddress', 'AuthorizeSecurityGroupEgress',
                     'RevokeSecurityGroupEgress'],
        'projectmanager': ['GetConsoleOutput', 'CreateVolume',
                           'AttachVolume', 'DetachVolume', 'DeleteVolume',
                           'UpdateVolume', 'CreateSnapshot',
                           'DeleteSnapshot', 'RunInstances',
                           'TerminateInstances', 'RebootInstances',
                           'UpdateInstance', 'StartInstances',
                           'StopInstances', 'RescueInstance',
                           'UnrescueInstance', 'DescribeInstanceAttribute',
                           'GetAjaxConsole', 'GetVncConsole',
                           'DeregisterImage', 'RegisterImage',
                           'ModifyImageAttribute', 'ResetImageAttribute',
                           'UpdateImage', 'CreateImage', 'CreateTags',
                           'DeleteTags', 'ModifyInstanceAttribute',
                           'ResetInstanceAttribute', 'GetPasswordData'],
    },
    'AdminController': {},
}


def _role_table():
    table = {}
    for controller, by_role in ACTION_ROLES.items():
        actions = table.setdefault(controller, {})
        for role, names in by_role.items():
            roles = {'projectmanager': _INSTANCE_ROLES,
                     'netadmin': _NETWORK_ROLES}.get(role, [role])
            for name in names:
                actions[name] = list(roles)
    return table


class Authorizer(Middleware):
    """Allow an action to a context holding one of its roles."""

    def __init__(self, application, **local_config):
        super(Authorizer, self).__init__(application)
        self.action_roles = _role_table()

    @staticmethod
    def _allowed(ctxt, roles):
        if ctxt.is_admin or 'all' in roles:
            return True
        return any(role in ctxt.roles for role in roles)

    @webob.dec.wsgify
    def __call__(self, req):
        ctxt = req.environ['nova.context']
        apireq = req.environ['ec2.request']
        controller = type(apireq.controller).__name__
        roles = self.action_roles.get(controller, {}).get(
            apireq.action, ['none'])
        if self._allowed(ctxt, roles):
            return req.get_response(self.application)
        AUDIT.warning('Unauthorized request for controller=%s action=%s '
                      'by user %s in project %s', controller, apireq.action,
                      ctxt.user_id, ctxt.project_id)
        return _error(req, 'UnauthorizedOperation',
                      'You are not authorized to perform this operation.',
                      403)


class Executor(object):
    """Call the controller method; XML result or EC2 error."""

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.deploy app factory."""
        return cls()

    @webob.dec.wsgify
    def __call__(self, req):
        ctxt = req.environ['nova.context']
        apireq = req.environ['ec2.request']
        try:
            body = apireq.invoke(ctxt)
        except Exception as exc:  # noqa: BLE001 - every error is answered
            return faults.error_response(exc, ctxt.request_id)
        resp = webob.Response(status=200, content_type='text/xml',
                              charset='utf-8')
        resp.text = body
        return resp


class Versions(object):
    """``GET /``: the EC2 API versions, one per line."""

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.deploy app factory."""
        return cls()

    @webob.dec.wsgify
    def __call__(self, req):
        body = ''.join('%s\n' % v for v in EC2_VERSIONS)
        return webob.Response(body=body, content_type='text/plain',
                              charset='utf-8')
