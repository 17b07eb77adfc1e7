"""``ec2keystoneauth``: EC2 signatures checked by Keystone's ec2tokens API.

With Keystone, the EC2 pipelines read::

    pipeline = logrequest ec2limits ec2keystoneauth cloudrequest authorizer
               ec2executor

:class:`EC2KeystoneAuth` sends the facts a signature covers (access key,
signature, host, verb, path, parameters; for Signature Version 4 also the
headers and the body's SHA-256) to ``--keystone_ec2_url``.  Keystone looks
the access key up among its EC2 credentials, recomputes the signature with
the stored secret and answers a token scoped to the credential's project;
the request context is built from it (user, project, roles → nova roles,
projects unknown to nova created on first use; see :mod:`nova.api.auth`).

Keystone 29 and later only let an admin or service user call ec2tokens, so
the filter logs in with the service credentials of its paste section
(``auth_url``, ``username``, ``password``, ``project_name``,
``user_domain_name``, ``project_domain_name``; keystoneauth keeps and
renews the token).  The manual's ``…/v2.0/ec2tokens`` is tried first when
configured; a Keystone without v2.0 (404) is then asked at ``…/v3/ec2tokens``.

Hostile input: a bad or unknown key, a bad signature, an unreadable
request and anything Keystone refuses are an EC2 ``AuthFailure`` (never a
5xx, whatever Keystone answered); only a Keystone that cannot be reached in
``--keystone_ec2_timeout`` seconds (or says it is unavailable) gives
``ServiceUnavailable`` (503).  Keystone keeps no failure counter for EC2
keys, so nobody can lock another user out.
"""

import hashlib
import logging
import threading
import urllib.parse

import webob.dec

from nova import context
from nova import exception
from nova import flags
from nova.api import auth as keystone_auth
from nova.api import ec2
from nova.api.ec2 import faults

FLAGS = flags.FLAGS
flags.DEFINE_string('keystone_ec2_url', 'http://localhost:5000/v3/ec2tokens',
                    "URL of Keystone's ec2tokens API (v3, or v2.0 as in "
                    'the manual)')
flags.DEFINE_integer('keystone_ec2_timeout', 10,
                     'Seconds to wait for Keystone to check an EC2 '
                     'signature')
LOG = logging.getLogger('nova.api.ec2.keystone')
AUDIT = logging.getLogger('nova.api.ec2.audit')

#: paste options of the filter naming the service user (keystoneauth's
#: v3 password plugin arguments).
SERVICE_OPTIONS = ('auth_url', 'username', 'password', 'project_name',
                   'user_domain_name', 'project_domain_name')


class KeystoneUnavailable(Exception):
    """Keystone could not be asked (down, too slow, unavailable)."""


class Refused(Exception):
    """Keystone (or a check before asking it) refused the credentials."""


def credentials_of(req):
    """The ec2tokens ``credentials`` document of an EC2 request."""
    try:
        signed = ec2.signed_request(req)
        access, signature = signed.access_key, signed.signature
    except Exception as exc:  # noqa: BLE001 - an unreadable request
        raise Refused('unreadable request: %s' % exc)
    if not access or not signature:
        raise Refused('no access key or signature')
    params = {k: v for k, v in signed.params.items() if k != 'Signature'}
    creds = {'access': access, 'signature': signature, 'host': req.host,
             'verb': req.method, 'path': req.path, 'params': params}
    if signed.version == 4:
        facts = signed._v4
        if not facts['date'].startswith(facts['scope_date']):
            raise Refused('request date outside the credential scope')
        creds['headers'] = dict(req.headers)
        if facts['in_query']:
            creds['params'] = dict(signed.query)
        creds['body_hash'] = hashlib.sha256(signed.body).hexdigest()
    return creds


def _candidate_urls(url):
    urls = [url]
    parts = urllib.parse.urlsplit(url)
    if '/v2.0/' in parts.path + '/':
        v3 = parts.path.replace('/v2.0', '/v3', 1)
        urls.append(urllib.parse.urlunsplit(parts._replace(path=v3)))
    return urls


def identity_of(body):
    """``(user id, user name, project id, project name, role names)`` of
    an ec2tokens answer (v3 ``token`` or v2.0 ``access``)."""
    if 'token' in body and 'user' in body['token']:
        token = body['token']
        user, project = token['user'], token.get('project') or {}
        roles = token.get('roles') or []
    else:
        access = body['access']
        user = access['user']
        project = access['token'].get('tenant') or {}
        roles = user.get('roles') or []
    return (user.get('id'), user.get('name'), project.get('id'),
            project.get('name'), [r.get('name', '') for r in roles])


class EC2KeystoneAuth(ec2.Middleware):
    """Paste filter ``ec2keystoneauth`` (see the module doc)."""

    def __init__(self, application, session=None, provisioner=None,
                 **local_config):
        super(EC2KeystoneAuth, self).__init__(application)
        self._options = {k: local_config[k] for k in SERVICE_OPTIONS
                         if local_config.get(k)}
        self._session = session
        self._lock = threading.Lock()
        self.provisioner = provisioner or keystone_auth.Provisioner()

    @property
    def session(self):
        """A keystoneauth session holding the service user's token."""
        with self._lock:
            if self._session is None:
                from keystoneauth1 import session
                from keystoneauth1.identity import v3
                options = dict(self._options)
                options.setdefault('user_domain_name', 'Default')
                options.setdefault('project_domain_name', 'Default')
                plugin = v3.Password(**options) \
                    if 'auth_url' in options else None
                self._session = session.Session(auth=plugin)
            return self._session

    def ask_keystone(self, creds):
        """Keystone's token body for ``creds``; raises Refused or
        KeystoneUnavailable."""
        from keystoneauth1 import exceptions as ks_exc
        for url in _candidate_urls(FLAGS.keystone_ec2_url):
            try:
                resp = self.session.post(
                    url, json={'credentials': creds}, raise_exc=False,
                    timeout=FLAGS.keystone_ec2_timeout,
                    authenticated=self.session.auth is not None,
                    headers={'Connection': 'close'})
            except ks_exc.Unauthorized as exc:
                LOG.error('the EC2 filter cannot log in to Keystone: %s',
                          exc)
                raise KeystoneUnavailable('service login refused')
            except ks_exc.ClientException as exc:
                raise KeystoneUnavailable(str(exc))
            if resp.status_code == 404 and url != _candidate_urls(
                    FLAGS.keystone_ec2_url)[-1]:
                continue
            if resp.status_code == 200:
                try:
                    return resp.json()
                except ValueError:
                    raise Refused('unreadable answer from Keystone')
            if resp.status_code == 503:
                raise KeystoneUnavailable('Keystone answered 503')
            if resp.status_code in (401, 403) and 'ec2' not in \
                    resp.text.lower() and 'signature' not in \
                    resp.text.lower() and 'credential' not in \
                    resp.text.lower():
                LOG.warning('Keystone refused the EC2 filter (%s): does '
                            'its service user hold the admin or service '
                            'role?', resp.status_code)
            raise Refused('Keystone answered %s' % resp.status_code)
        raise Refused('no ec2tokens API found')

    @webob.dec.wsgify
    def __call__(self, req):
        try:
            creds = credentials_of(req)
            body = self.ask_keystone(creds)
            user_id, user_name, project_id, project_name, roles = \
                identity_of(body)
            if not user_id or not project_id:
                raise Refused('token without a project')
        except KeystoneUnavailable as exc:
            LOG.error('Keystone cannot check EC2 signatures: %s', exc)
            return faults.error_response(
                None, context.generate_request_id(), status=503,
                code='ServiceUnavailable',
                message='The identity service is unavailable; try again '
                'later.')
        except (Refused, KeyError, TypeError, AttributeError) as exc:
            AUDIT.warning('Authentication failure from %s (key %s): %s',
                          ec2._remote_address(req), ec2.access_key_of(req),
                          exc)
            return ec2._error(req, faults.AUTH_FAILURE,
                              'AWS was not able to validate the provided '
                              'access credentials',
                              faults.AUTH_FAILURE_STATUS)
        user_id, project_id = keystone_auth.identity(
            user_id, user_name, project_id, project_name)
        is_admin, nova_roles = keystone_auth.nova_roles(roles)
        try:
            self.provisioner.ensure(user_id, project_id, is_admin)
        except exception.NovaException as exc:
            LOG.error('cannot record Keystone project %s: %s',
                      project_id, exc)
        req.environ['nova.context'] = context.RequestContext(
            user_id=user_id, project_id=project_id, is_admin=is_admin,
            roles=nova_roles, remote_address=ec2._remote_address(req),
            strategy='keystone')
        return req.get_response(self.application)
