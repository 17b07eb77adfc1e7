#!/usr/bin/env python3
"""Register nova's services and endpoints in Keystone's catalog.

    OS_AUTH_URL=http://keystone:5000/v3 OS_USERNAME=admin OS_PASSWORD=...
    OS_PROJECT_NAME=admin tools/keystone/register_nova.py --host HOST

Creates (or corrects) one service per type and its public, internal and
admin endpoints in ``--region``:

=================  ===========  ==========================================
type               name         URL
=================  ===========  ==========================================
``compute``        nova         ``http://HOST:8774/v2/%(tenant_id)s``
``compute_legacy`` nova_legacy  ``http://HOST:8774/v1.1/%(tenant_id)s``
``ec2``            ec2          ``http://HOST:8773/services/Cloud``
                                (admin: ``…/services/Admin``)
``s3``             s3           ``http://HOST:3333``
``image``          glance       ``--image-url`` (only when given)
=================  ===========  ==========================================

Keystone fills ``%(tenant_id)s`` with the token's project.  Idempotent: a
service of the type is reused, an endpoint with another URL is updated, a
missing one created; a second run changes nothing.  Talks to Keystone's
v3 API with the standard library only (any python3); the admin's
credentials come from the usual ``OS_*`` variables.  Prints one line per
endpoint (``created``, ``updated`` or ``unchanged``); exit 1 with the
reason on stderr when Keystone refuses or cannot be reached.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

INTERFACES = ('public', 'internal', 'admin')


class KeystoneError(Exception):
    """Keystone answered with an error or could not be reached."""


class Catalog(object):
    """Keystone's v3 catalog API with an admin token."""

    def __init__(self, auth_url, timeout=60):
        self.auth_url = auth_url.rstrip('/')
        self.timeout = timeout
        self.token = None

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.auth_url + path, data=data,
                                     method=method)
        req.add_header('Content-Type', 'application/json')
        req.add_header('Accept', 'application/json')
        if self.token:
            req.add_header('X-Auth-Token', self.token)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
                return resp.headers, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raise KeystoneError('%s %s: HTTP %s %s' % (
                method, path, exc.code, exc.read()[:300].decode(
                    'utf-8', 'replace')))
        except (OSError, ValueError) as exc:
            raise KeystoneError('%s %s: %s' % (method, path, exc))

    def login(self, user, password, project, user_domain, project_domain):
        """Get a project-scoped token by password."""
        body = {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': user, 'domain': {'name': user_domain},
                'password': password}}},
            'scope': {'project': {'name': project,
                                  'domain': {'name': project_domain}}}}}
        headers, _body = self._call('POST', '/auth/tokens', body)
        self.token = headers['X-Subject-Token']

    def service(self, kind, name, description):
        """The id of the service of type ``kind`` (created if missing)."""
        _h, body = self._call('GET', '/services?type=%s'
                              % urllib.parse.quote(kind))
        if body['services']:
            return body['services'][0]['id'], False
        _h, body = self._call('POST', '/services', {'service': {
            'type': kind, 'name': name, 'description': description,
            'enabled': True}})
        return body['service']['id'], True

    def endpoint(self, service_id, interface, region, url):
        """Make the service's ``interface`` endpoint in ``region`` be
        ``url``; returns ``created``, ``updated`` or ``unchanged``."""
        _h, body = self._call('GET', '/endpoints?' + urllib.parse.urlencode(
            {'service_id': service_id, 'interface': interface,
             'region_id': region}))
        found = [e for e in body['endpoints']
                 if e.get('region_id') == region
                 and e.get('interface') == interface]
        if not found:
            self._call('POST', '/endpoints', {'endpoint': {
                'service_id': service_id, 'interface': interface,
                'region_id': region, 'url': url, 'enabled': True}})
            return 'created'
        if found[0]['url'] == url:
            return 'unchanged'
        self._call('PATCH', '/endpoints/%s' % found[0]['id'],
                   {'endpoint': {'url': url}})
        return 'updated'

    def ensure_region(self, region):
        """Create ``region`` when Keystone does not know it."""
        try:
            self._call('GET', '/regions/%s' % urllib.parse.quote(region))
        except KeystoneError as exc:
            if 'HTTP 404' not in str(exc):
                raise
            self._call('POST', '/regions', {'region': {'id': region}})


def services(args):
    """``[(type, name, description, {interface: url})]`` to register."""
    osapi = 'http://%s:%d' % (args.host, args.osapi_port)
    ec2 = 'http://%s:%d/services/' % (args.host, args.ec2_port)
    wanted = [
        ('compute', 'nova', 'Nova Compute Service (OpenStack API v2)',
         dict.fromkeys(INTERFACES, osapi + '/v2/%(tenant_id)s')),
        ('compute_legacy', 'nova_legacy',
         'Nova Compute Service (OpenStack API v1.1)',
         dict.fromkeys(INTERFACES, osapi + '/v1.1/%(tenant_id)s')),
        ('ec2', 'ec2', 'EC2 Compatibility Layer',
         {'public': ec2 + 'Cloud', 'internal': ec2 + 'Cloud',
          'admin': ec2 + 'Admin'}),
        ('s3', 's3', 'S3 object store (nova-objectstore)',
         dict.fromkeys(INTERFACES, 'http://%s:%d' % (args.host,
                                                     args.s3_port))),
    ]
    if args.image_url:
        wanted.append(('image', 'glance', 'Glance Image Service',
                       dict.fromkeys(INTERFACES, args.image_url)))
    return wanted


def parse_args(argv):
    """The command line (and the ``OS_*`` environment)."""
    env = os.environ.get
    parser = argparse.ArgumentParser(
        description="Register nova's endpoints in Keystone's catalog.")
    parser.add_argument('--host', default='127.0.0.1',
                        help='host name in the endpoint URLs')
    parser.add_argument('--osapi-port', type=int, default=8774)
    parser.add_argument('--ec2-port', type=int, default=8773)
    parser.add_argument('--s3-port', type=int, default=3333)
    parser.add_argument('--image-url',
                        help="Glance's URL (registers the image service)")
    parser.add_argument('--region', default=env('OS_REGION_NAME',
                                                'RegionOne'))
    parser.add_argument('--os-auth-url', default=env('OS_AUTH_URL'))
    parser.add_argument('--os-username', default=env('OS_USERNAME'))
    parser.add_argument('--os-password', default=env('OS_PASSWORD'))
    parser.add_argument('--os-project-name',
                        default=env('OS_PROJECT_NAME', 'admin'))
    parser.add_argument('--os-user-domain-name',
                        default=env('OS_USER_DOMAIN_NAME', 'Default'))
    parser.add_argument('--os-project-domain-name',
                        default=env('OS_PROJECT_DOMAIN_NAME', 'Default'))
    args = parser.parse_args(argv)
    for name in ('os_auth_url', 'os_username', 'os_password'):
        if not getattr(args, name):
            parser.error('--%s (or %s) is required' % (
                name.replace('_', '-'), name.upper()))
    return args


def main(argv=None):
    """Register everything; the exit status."""
    args = parse_args(argv)
    catalog = Catalog(args.os_auth_url)
    try:
        catalog.login(args.os_username, args.os_password,
                      args.os_project_name, args.os_user_domain_name,
                      args.os_project_domain_name)
        catalog.ensure_region(args.region)
        for kind, name, description, urls in services(args):
            service_id, _new = catalog.service(kind, name, description)
            for interface in INTERFACES:
                what = catalog.endpoint(service_id, interface, args.region,
                                        urls[interface])
                print('%s %s %s %s' % (what, kind, interface,
                                       urls[interface]))
    except KeystoneError as exc:
        print('register_nova: %s' % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
