"""Signing in to the dashboard through Keystone (``--dashboard_keystone_url``).

Like Diablo's openstack-dashboard once Keystone was deployed, the login
form then takes a Keystone user name, password and project.
:func:`login` trades them for a token: Keystone's v3 ``POST
/auth/tokens`` (password method, scoped to the project by name in
``--dashboard_keystone_domain``, or to the user's default project when no
project is given); an auth URL ending in ``/v2.0`` is asked ``POST
/v2.0/tokens`` first and, when that Keystone has no v2.0 (404), v3 at the
same root.

The token's catalog names the compute endpoint (``compute_legacy``, the
v1.1 API, else ``compute``; ``--dashboard_keystone_interface``), unless
``--dashboard_osapi_url`` names the API root.  The dashboard then calls
the OpenStack API with ``X-Auth-Token`` through nova-api's Keystone
pipeline (``authtoken keystonecontext``).  The token stays in the
server-side session (:mod:`.session`): never in a URL, a cookie or a log;
logging out revokes it (:func:`revoke`).
An administrator is a user holding one of ``--keystone_admin_roles`` in
the token, the rule of :mod:`nova.api.auth`.
"""

import calendar
import json
import logging
import time
import urllib.parse

from nova import flags
from nova.dashboard import client as api_client

LOG = logging.getLogger('nova.dashboard.keystone')
FLAGS = flags.FLAGS
flags.DEFINE_string('dashboard_keystone_url', '',
                    "Keystone's auth URL (v3, e.g. http://127.0.0.1:5000/v3,"
                    ' or v2.0): when set, the dashboard signs users in with '
                    'their Keystone user name, password and project '
                    '(empty: with a nova user name and access key)')
flags.DEFINE_string('dashboard_keystone_domain', 'Default',
                    'the Keystone domain (name) of the users and projects '
                    'that sign in to the dashboard')
flags.DEFINE_string('dashboard_keystone_interface', 'public',
                    "the interface of the catalog's compute endpoint the "
                    'dashboard uses (public, internal or admin)')

#: catalog service types of the OpenStack API, in order of preference.
COMPUTE_TYPES = ('compute_legacy', 'compute')


class Refused(Exception):
    """Keystone refused the credentials (or the token is unusable); the
    message is for the login page."""


def enabled():
    """Whether the dashboard signs in through Keystone."""
    return bool(FLAGS.dashboard_keystone_url)


def _post(url, body):
    try:
        status, headers, raw = api_client.send(
            'POST', url, {'Content-Type': 'application/json',
                          'Accept': 'application/json',
                          'Connection': 'close'},
            json.dumps(body).encode('utf-8'))
    except api_client.APIError:
        raise api_client.APIError(502, 'The identity service (Keystone) '
                                  'cannot be reached.')
    try:
        data = json.loads(raw.decode('utf-8')) if raw else None
    except ValueError:
        data = None
    return status, dict((k.lower(), v) for k, v in headers.items()), data


def _v3_body(user, password, project, domain):
    body = {'auth': {'identity': {'methods': ['password'], 'password': {
        'user': {'name': user, 'domain': {'name': domain},
                 'password': password}}}}}
    if project:
        body['auth']['scope'] = {'project': {
            'name': project, 'domain': {'name': domain}}}
    return body


def _expiry(text):
    """Seconds since the epoch of an ISO 8601 UTC time (None if
    unreadable)."""
    if not text:
        return None
    text = text.rstrip('Z').split('.')[0]
    try:
        return calendar.timegm(time.strptime(text, '%Y-%m-%dT%H:%M:%S'))
    except ValueError:
        return None


def _v3_identity(token_id, body):
    token = body['token']
    project = token.get('project') or {}
    catalog = [{'type': svc.get('type'), 'endpoints': [
        {'interface': ep.get('interface'), 'url': ep.get('url')}
        for ep in svc.get('endpoints') or []]}
        for svc in token.get('catalog') or []]
    return {'token': token_id, 'user_id': token['user'].get('id'),
            'user': token['user'].get('name'),
            'project_id': project.get('id'),
            'project_name': project.get('name'),
            'roles': [r.get('name', '') for r in token.get('roles') or []],
            'expires': _expiry(token.get('expires_at')),
            'catalog': catalog}


def _v2_identity(body):
    access = body['access']
    token, user = access['token'], access['user']
    tenant = token.get('tenant') or {}
    interface = FLAGS.dashboard_keystone_interface + 'URL'
    catalog = [{'type': svc.get('type'), 'endpoints': [
        {'interface': FLAGS.dashboard_keystone_interface,
         'url': ep.get(interface)} for ep in svc.get('endpoints') or []]}
        for svc in access.get('serviceCatalog') or []]
    return {'token': token['id'], 'user_id': user.get('id'),
            'user': user.get('name'), 'project_id': tenant.get('id'),
            'project_name': tenant.get('name'),
            'roles': [r.get('name', '') for r in user.get('roles') or []],
            'expires': _expiry(token.get('expires')), 'catalog': catalog}


def _refusal(status):
    if status in (400, 401, 403, 404):
        return Refused('Invalid user name, password or project.')
    LOG.warning('Keystone answered %s to a dashboard sign-in', status)
    return api_client.APIError(502, 'The identity service could not sign '
                               'you in (it answered %d).' % status)


def _ask(auth_url, user, password, project):
    """Keystone's identity facts for the credentials (v2.0 or v3)."""
    domain = FLAGS.dashboard_keystone_domain
    root = auth_url.rstrip('/')
    if root.endswith('/v2.0'):
        body = {'auth': {'passwordCredentials': {
            'username': user, 'password': password}}}
        if project:
            body['auth']['tenantName'] = project
        status, _headers, data = _post(root + '/tokens', body)
        if status == 200 and isinstance(data, dict) and 'access' in data:
            return _v2_identity(data)
        if status != 404:
            raise _refusal(status)
        root = root[:-len('/v2.0')] + '/v3'
    status, headers, data = _post(root + '/auth/tokens',
                                  _v3_body(user, password, project, domain))
    if status == 201 and isinstance(data, dict) and 'token' in data \
            and headers.get('x-subject-token'):
        return _v3_identity(headers['x-subject-token'], data)
    raise _refusal(status)


def revoke(token):
    """Revoke ``token`` (v3 ``DELETE /auth/tokens``, the user's own right)
    at logout; a failure is logged (never the token) and ignored."""
    root = FLAGS.dashboard_keystone_url.rstrip('/')
    if root.endswith('/v2.0'):
        root = root[:-len('/v2.0')] + '/v3'
    try:
        status, _headers, _raw = api_client.send(
            'DELETE', root + '/auth/tokens',
            {'X-Auth-Token': token, 'X-Subject-Token': token,
             'Connection': 'close'})
    except api_client.APIError:
        status = None
    if status not in (204, 404):
        LOG.warning('Keystone did not revoke a dashboard token at logout '
                    '(%s)', status or 'unreachable')


def compute_endpoint(catalog):
    """The catalog's compute endpoint URL (None when it has none)."""
    interface = FLAGS.dashboard_keystone_interface
    for kind in COMPUTE_TYPES:
        for svc in catalog:
            if svc.get('type') != kind:
                continue
            for endpoint in svc['endpoints']:
                if endpoint.get('interface') == interface and \
                        endpoint.get('url'):
                    return endpoint['url'].rstrip('/')
    return None


def login(user, password, project=None, osapi_root=None):
    """The session data of a Keystone sign-in: ``token``, ``user``,
    ``project`` (nova's id of it), ``endpoint`` (the per-project API URL),
    ``is_admin``, ``expires`` (seconds since the epoch, or None).

    Raises :class:`Refused` (bad credentials, no project, no compute
    endpoint) or :class:`~nova.dashboard.client.APIError` 502 (Keystone
    unreachable or failing).
    """
    from nova.api import auth as keystone_auth  # its flags and id rule
    found = _ask(FLAGS.dashboard_keystone_url, user, password, project)
    if not found['project_id']:
        raise Refused('Name the project to sign in to.')
    user_id, project_id = keystone_auth.identity(
        found['user_id'], found['user'], found['project_id'],
        found['project_name'])
    if osapi_root:
        endpoint = osapi_root.rstrip('/') + '/' + urllib.parse.quote(
            project_id, safe='')
    else:
        endpoint = compute_endpoint(found['catalog'])
    if not endpoint:
        raise Refused("Keystone's catalog names no compute endpoint for "
                      'this project; ask the operator to register nova '
                      '(tools/keystone/register_nova.py) or set '
                      '--dashboard_osapi_url.')
    admin_roles = {r.strip().lower() for r in FLAGS.keystone_admin_roles}
    is_admin = any(r.strip().lower() in admin_roles for r in found['roles'])
    return {'token': found['token'], 'user': found['user'] or user,
            'user_id': user_id, 'project': project_id,
            'project_name': found['project_name'], 'endpoint': endpoint,
            'is_admin': is_admin, 'expires': found['expires'],
            'keystone': True}
