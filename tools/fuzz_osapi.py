#!/usr/bin/env python3
"""The OpenStack API mode of the fuzzer (``tools/fuzz_ec2.py --api osapi``).

The same child-process cloud as the EC2 mode (:class:`fuzz_ec2.Cloud`,
which also serves the OpenStack API on loopback with ``noauth``, the
administrators' actions on and rate limits off).  A seeded generator sends
hostile requests over the v1.0, v1.1 and v2 routes, core and extension:
malformed JSON and XML, deep nesting, DOCTYPE entities, oversized and huge
personality bodies, unknown flavors and images, a wrong type in every field
of the server create/update/action bodies and of the extensions' bodies,
odd paths, ids, methods, ``Accept`` and ``Content-Type`` headers.

Every answer is checked: below 500 (but Diablo's deliberate 501
``notImplemented``); an error is a fault body (JSON or XML
as its Content-Type says, and the one ``Accept`` asked for, naming the
status) with no traceback or file path; and the database shows nothing
half-created: the instance, volume, key pair and security group rows only
grow on a successful create, a failed request leaves them as they were.

    python tools/fuzz_ec2.py --api osapi [--count 5000] [--seed 8]
"""

import http.client
import json
import os
import random
import re
import sqlite3
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzz_ec2  # noqa: E402 - the cloud and the EC2 mode

PROJECT = 'fuzzp'
FAULT_NAMES = ('badRequest', 'unauthorized', 'resizeNotAllowed',
               'itemNotFound', 'badMethod', 'inProgress', 'overLimit',
               'badMediaType', 'computeFault', 'notImplemented',
               'serviceUnavailable', 'forbidden', 'conflict')
#: what an answer must never show.
LEAKS = re.compile(r'Traceback|File "[^"]*", line|%s|sqlalchemy|eventlet'
                   r'|site-packages' % re.escape(fuzz_ec2.ROOT))
#: tables whose rows a failed request must not add: (table, where).
COUNTED = (('instances', ''), ('volumes', ''), ('key_pairs', ''),
           ('security_groups', " WHERE name != 'default'"))

# -- values -------------------------------------------------------------------
HOSTILE = [
    None, True, False, 0, -1, 1, 2, 10 ** 30, -10 ** 30, 1.5, float('inf'),
    '', ' ', '1', '0', '-1', '2', 'abc', 'null', 'true', 'x' * 300,
    'y' * 70000, '\u0000', '\x1b[31m', '\ufffe', '\u202e', '\u00b2',
    '../../etc/passwd', '%s%n', '<x/>', ']]>', "' OR 1=1 --", 'http://',
    'http://x/v1.1/fuzzp/images/1', 'http://x/flavors/99999',
    'http://x/flavors/1', '/', '.', '..', 'SOFT', 'HARD', 'm1.tiny',
    'default', 'nova', '10.0.0.1', '0.0.0.0/0', '::1', 'tcp', 'icmp',
    [], {}, [1, 2], ['a'], [{}], [None], {'a': 'b'}, {'a': {}},
    {'name': None}, {'': ''}, [[[]]], {'contents': 1, 'path': []},
]
IDS = ['1', '2', '0', '-1', '99999999999999999999', 'abc', 'i-00000001',
       '%00', '..', '%2F', 'detail', 'x' * 300, '1.5', '\u00b2', '%FF',
       '00000000-0000-0000-0000-000000000000', ' 1', '1%20']
ACCEPTS = [None, 'application/json', 'application/xml', '*/*', 'text/html',
           'application/xml;q=0.5, application/json;q=0.9',
           'application/json;q=0, application/xml', ';;;', 'garbage/',
           'application/*', 'text/plain; charset=latin-1']
CONTENT_TYPES = ['application/json', 'application/json', 'application/xml',
                 None, 'text/plain', 'application/x-www-form-urlencoded',
                 'application/json; charset=latin-1', 'multipart/form-data',
                 'application/xml; foo=bar', '', 'application/jsonx',
                 'application/vnd.openstack.compute+json']
METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS',
           'TRACE', 'FOO']

# -- bodies of each request kind: field -> plausible value ---------------------
SERVER_FIELDS = {
    'name': 'fuzz', 'imageRef': '{image}', 'flavorRef': '1',
    'metadata': {'k': 'v'}, 'personality': [
        {'path': '/etc/motd', 'contents': 'aGVsbG8='}],
    'key_name': 'fuzzkey', 'security_groups': [{'name': 'default'}],
    'min_count': 1, 'max_count': 1, 'user_data': 'IyEvYmluL3NoCg==',
    'adminPass': 'secret', 'accessIPv4': '10.0.0.9', 'accessIPv6': '::9',
    'availability_zone': 'nova', 'config_drive': False,
    'block_device_mapping': [{'volume_id': '1', 'device_name': 'vdb'}],
}
V10_SERVER_FIELDS = {'name': 'fuzz', 'imageId': '{image}', 'flavorId': 1,
                     'metadata': {'k': 'v'}}
ACTIONS = {
    'reboot': {'type': 'SOFT'}, 'rebuild': {'imageRef': '{image}',
                                            'name': 'r', 'metadata': {},
                                            'personality': [],
                                            'adminPass': 'x'},
    'resize': {'flavorRef': '2'}, 'confirmResize': None,
    'revertResize': None, 'changePassword': {'adminPass': 'pw'},
    'createImage': {'name': 'snap', 'metadata': {'a': 'b'}},
    'createBackup': {'name': 'bk', 'backup_type': 'daily', 'rotation': 1},
    'pause': None, 'unpause': None, 'suspend': None, 'resume': None,
    'migrate': None, 'resetNetwork': None, 'injectNetworkInfo': None,
    'lock': None, 'unlock': None, 'os-getConsoleOutput': {'length': 5},
    'addFixedIp': {'networkId': 1}, 'removeFixedIp': {'address': '1.2.3.4'},
    'addFloatingIp': {'address': '10.1.0.1'},
    'removeFloatingIp': {'address': '10.1.0.1'},
    'addSecurityGroup': {'name': 'default'},
    'removeSecurityGroup': {'name': 'default'},
    'rescue': None, 'unrescue': None, 'bogusAction': {},
}
#: extension (and other core) bodies: (method, path template, root, fields)
BODIES = [
    ('PUT', 'servers/{id}', 'server', {'name': 'n', 'accessIPv4': '1.2.3.4',
                                       'accessIPv6': '::1'}),
    ('POST', 'servers/{id}/metadata', 'metadata', {'a': 'b'}),
    ('PUT', 'servers/{id}/metadata', 'metadata', {'a': 'b'}),
    ('PUT', 'servers/{id}/metadata/a', 'meta', {'a': 'b'}),
    ('POST', 'images', 'image', {'serverRef': '{id}', 'name': 'img'}),
    ('POST', 'images/{image}/metadata', 'metadata', {'a': 'b'}),
    ('PUT', 'images/{image}/metadata/a', 'meta', {'a': 'b'}),
    ('POST', 'os-keypairs', 'keypair', {'name': 'kp',
                                        'public_key': 'ssh-rsa AAAA x'}),
    ('POST', 'os-security-groups', 'security_group',
     {'name': 'g', 'description': 'd'}),
    ('POST', 'os-security-group-rules', 'security_group_rule',
     {'parent_group_id': 1, 'ip_protocol': 'tcp', 'from_port': 22,
      'to_port': 22, 'cidr': '0.0.0.0/0', 'group_id': None}),
    ('POST', 'os-floating-ips', None, {'pool': 'nova'}),
    ('POST', 'os-volumes', 'volume', {'size': 1, 'display_name': 'v',
                                      'display_description': 'd',
                                      'snapshot_id': None}),
    ('POST', 'servers/{id}/os-volume_attachments', 'volumeAttachment',
     {'volumeId': '1', 'device': '/dev/vdb'}),
    ('PUT', 'os-quota-sets/{project}', 'quota_set',
     {'instances': 10, 'cores': 20, 'ram': 51200, 'volumes': 10}),
    ('POST', 'flavors/1/os-extra_specs', 'extra_specs', {'k': 'v'}),
    ('PUT', 'flavors/1/os-extra_specs/k', 'k', 'v'),
    ('POST', 'os-volumes_boot', 'server', SERVER_FIELDS),
    ('POST', 'os-create-server-ext', 'server', SERVER_FIELDS),
    ('POST', 'servers/{id}/backup_schedule', 'backupSchedule',
     {'enabled': True, 'weekly': 'MONDAY', 'daily': 'H_0000_0200'}),
    ('POST', 'shared_ip_groups', 'sharedIpGroup', {'name': 'g'}),
]
#: paths read or deleted (any method is tried on them now and then).
PATHS = [
    '', 'servers', 'servers/detail', 'servers/{id}', 'servers/{id}/ips',
    'servers/{id}/ips/private', 'servers/{id}/ips/{any}',
    'servers/{id}/metadata', 'servers/{id}/metadata/{any}',
    'servers/{id}/action', 'servers/{id}/diagnostics',
    'servers/{id}/os-virtual-interfaces',
    'servers/{id}/os-volume_attachments',
    'servers/{id}/os-volume_attachments/{any}', 'flavors',
    'flavors/detail', 'flavors/{any}', 'flavors/1/os-extra_specs',
    'images', 'images/detail', 'images/{image}', 'images/{any}',
    'images/{image}/metadata', 'limits', 'extensions',
    'extensions/{any}', 'extensions/os-keypairs', 'os-keypairs',
    'os-keypairs/{any}', 'os-security-groups', 'os-security-groups/{any}',
    'os-security-group-rules/{any}', 'os-floating-ips',
    'os-floating-ips/{any}', 'os-volumes', 'os-volumes/detail',
    'os-volumes/{any}', 'os-quota-sets/{project}',
    'os-quota-sets/{project}/defaults', 'os-simple-tenant-usage',
    'os-simple-tenant-usage/{project}', 'os-create-server-ext',
    'os-create-server-ext/{id}', 'zones', 'consoles', 'os-hosts',
    'servers/{id}/pause', 'servers/{id}/lock', 'servers/{id}/{any}',
    'shared_ip_groups', 'servers/{id}/backup_schedule', '{any}',
    '{any}/{any}/{any}',
]
QUERIES = ['', '', '', '?limit=1', '?limit=-1', '?limit=abc',
           '?marker={id}', '?marker=zzz', '?changes-since=2001-01-01',
           '?changes-since=yesterday', '?status=ACTIVE', '?status=NOPE',
           '?image={image}', '?image=zz', '?flavor=1', '?flavor=nope',
           '?name=fuzz', '?offset=-5', '?limit=99999999999999999999',
           '?start=x&end=y', '?detailed=1&start=2011-01-01T00:00:00',
           '?%FF=%FF', '?name=%00', '?a=' + 'b' * 5000]


def _fill(value, ids):
    if isinstance(value, str):
        return value.replace('{image}', ids['image']).replace(
            '{id}', ids['id'])
    if isinstance(value, dict):
        return dict((k, _fill(v, ids)) for k, v in value.items())
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _to_xml(root, value, depth=0):
    """A plausible XML rendering of ``{root: value}`` (not validated)."""
    if depth > 6:
        return ''
    if isinstance(value, dict):
        attrs = ''.join(' %s="%s"' % (k, _esc(v)) for k, v in value.items()
                        if not isinstance(v, (dict, list)) and _tag(k))
        inner = ''.join(_to_xml(k, v, depth + 1) for k, v in value.items()
                        if isinstance(v, (dict, list)) and _tag(k))
        return '<%s%s>%s</%s>' % (root, attrs, inner, root)
    if isinstance(value, list):
        child = root[:-1] if root.endswith('s') else 'item'
        return '<%s>%s</%s>' % (root, ''.join(
            _to_xml(child, v, depth + 1) for v in value), root)
    return '<%s>%s</%s>' % (root, _esc(value), root)


def _tag(name):
    return bool(re.match(r'^[A-Za-z_][\w.-]*$', str(name)))


def _esc(value):
    text = str(value).replace('&', '&amp;').replace('<', '&lt;')
    return text.replace('"', '&quot;').replace('\x00', '')


class Generator(object):
    """Seeded hostile OpenStack API requests."""

    def __init__(self, seed, image_id):
        self.rng = random.Random(seed)
        self.image_id = str(image_id)
        self.servers = []

    def _ids(self):
        rng = self.rng
        server = rng.choice(self.servers) if self.servers and \
            rng.random() < 0.7 else rng.choice(IDS)
        return {'id': str(server), 'image': self.image_id if
                rng.random() < 0.7 else rng.choice(IDS)}

    def _mutate(self, fields):
        """A copy of ``fields`` with hostile values in some of them."""
        rng = self.rng
        data = dict(fields) if isinstance(fields, dict) else fields
        if not isinstance(data, dict):
            return rng.choice(HOSTILE) if rng.random() < 0.5 else data
        for key in list(data):
            roll = rng.random()
            if roll < 0.2:
                data[key] = rng.choice(HOSTILE)
            elif roll < 0.27:
                del data[key]
            elif roll < 0.3 and isinstance(data[key], dict):
                data[key] = self._mutate(data[key])
        if rng.random() < 0.1:
            data[rng.choice(['bogus', '', 'x' * 300, '\u00e9'])] = \
                rng.choice(HOSTILE)
        return data

    def _personality(self):
        rng = self.rng
        kind = rng.choice(['many', 'big', 'junk', 'paths'])
        if kind == 'many':
            return [{'path': '/f%d' % i, 'contents': 'eA=='}
                    for i in range(rng.choice([6, 50, 2000]))]
        if kind == 'big':
            return [{'path': '/big', 'contents': 'QUFB' * 40000}]
        if kind == 'junk':
            return [{'path': '/j', 'contents': '!!not base64!!'}]
        return [{'path': rng.choice(HOSTILE), 'contents': 'eA=='}]

    def _server_body(self, v10, ids):
        rng = self.rng
        fields = _fill(V10_SERVER_FIELDS if v10 else SERVER_FIELDS, ids)
        fields = dict(fields, name='fuzz-%d' % rng.randint(0, 9999))
        if rng.random() < 0.5:
            fields = dict((k, v) for k, v in fields.items() if k in (
                'name', 'imageRef', 'flavorRef', 'imageId', 'flavorId'))
        if rng.random() < 0.6:
            fields = self._mutate(fields)
        if rng.random() < 0.08:
            fields['personality'] = self._personality()
        if rng.random() < 0.05:
            fields['flavorRef' if not v10 else 'flavorId'] = rng.choice(
                ['99999', 'm1.huge', 'http://x/flavors/777', -1])
        if rng.random() < 0.1:
            fields['max_count'] = rng.choice([2, 3, 50, 0, -1, '2'])
        return {'server': fields}

    def _body(self, method, path, v10, ids):
        """``(data, xml root)`` of the body of a request, or (None, None)."""
        rng = self.rng
        if method not in ('POST', 'PUT'):
            return None
        if path == 'servers' and method == 'POST':
            return self._server_body(v10, ids)
        if path == 'servers/{id}/action':
            name = rng.choice(list(ACTIONS))
            value = _fill(ACTIONS[name], ids)
            if rng.random() < 0.5:
                value = self._mutate(value)
            if name == 'rebuild' and rng.random() < 0.1:
                value = dict(value or {}, personality=self._personality())
            body = {name: value}
            if rng.random() < 0.05:
                body['reboot'] = {'type': 'HARD'}
            return body
        for b_method, template, root, fields in BODIES:
            if template == path and b_method == method:
                value = _fill(fields, ids)
                if rng.random() < 0.7:
                    value = self._mutate(value)
                if root is None:
                    return value if rng.random() < 0.5 else None
                return {root: value}
        return {rng.choice(['server', 'x', 'meta']): rng.choice(HOSTILE)}

    def _encode(self, data, content_type):
        """Bytes of ``data`` in ``content_type`` -- or a malformed body."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.03:
            return b'[' * rng.choice([17, 200, 100000])
        if roll < 0.05:
            return b'<a>' * rng.choice([17, 5000]) + b'x'
        if roll < 0.07:
            return (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">'
                    b'<!ENTITY b "&a;&a;&a;&a;">]><server name="&b;"/>')
        if roll < 0.09:
            return rng.choice([b'{', b'{"server": ', b'\xff\xfe{}', b'nul',
                               b'<server', b'<?xml?>', b'{"a":1}{"b":2}',
                               b'\x00' * 10, b'"just a string"', b'[]',
                               b'{"server": NaN}', b'1e999'])
        if roll < 0.1:
            return b'{"k": "' + b'x' * (300 * 1024) + b'"}'
        if data is None:
            return b''
        if content_type and 'xml' in content_type or \
                (content_type is None and rng.random() < 0.3):
            if isinstance(data, dict) and len(data) == 1:
                root, value = next(iter(data.items()))
                if _tag(root):
                    return _to_xml(root, value).encode('utf-8', 'replace')
            return b'<x/>'
        try:
            return json.dumps(data).encode('utf-8', 'surrogatepass')
        except (ValueError, TypeError):
            return b'{}'

    def request(self):
        """``(method, url path, headers, body bytes, kind)``."""
        rng = self.rng
        ids = self._ids()
        version = rng.choices(['v1.1', 'v1.0', 'v2', 'v2.1', 'junk'],
                              [70, 12, 10, 4, 4])[0]
        v10 = version == 'v1.0'
        if rng.random() < 0.35:
            template = 'servers' if rng.random() < 0.4 else \
                'servers/{id}/action'
            method = 'POST'
        elif rng.random() < 0.35:
            method, template = rng.choice(BODIES)[:2]
        else:
            template = rng.choice(PATHS)
            method = rng.choices(['GET', 'DELETE', 'POST', 'PUT', 'other'],
                                 [55, 15, 10, 10, 10])[0]
            if method == 'other':
                method = rng.choice(METHODS)
        data = self._body(method, template, v10, ids)
        path = template.replace('{id}', ids['id']).replace(
            '{image}', ids['image']).replace('{project}', rng.choice(
                [PROJECT, PROJECT, 'other', '']))
        while '{any}' in path:
            path = path.replace('{any}', rng.choice(IDS), 1)
        if version == 'junk':
            prefix = rng.choice(['', '/v3', '/v1.1x', '/V1.1', '//v1.1'])
        elif v10:
            prefix = '/v1.0'
        else:
            prefix = '/%s/%s' % (version, rng.choice(
                [PROJECT] * 9 + ['otherproj']))
        path = '%s/%s' % (prefix, path) if path else prefix or '/'
        if rng.random() < 0.15:
            path += rng.choice(['.json', '.xml', '.yaml', '/', '.'])
        if method in ('GET', 'HEAD'):
            path += rng.choice(QUERIES).replace('{id}', ids['id']).replace(
                '{image}', ids['image'])
        headers = {'X-Auth-Token': '%s:%s' % ('fuzz', PROJECT)}
        if rng.random() < 0.04:
            headers['X-Auth-Token'] = rng.choice(['', 'x' * 3000,
                                                  'other:otherproj', ':'])
        accept = rng.choice(ACCEPTS)
        if accept is not None:
            headers['Accept'] = accept
        content_type = rng.choice(CONTENT_TYPES)
        body = b''
        if method in ('POST', 'PUT') or rng.random() < 0.05:
            body = self._encode(data, content_type)
            if content_type is not None:
                headers['Content-Type'] = content_type
        kind = 'create' if method == 'POST' and re.search(
            r'/(servers|os-volumes_boot|os-create-server-ext)/?'
            r'(\.json|\.xml)?$', path.split('?')[0]) else 'other'
        return method, path, headers, body, kind


# -- checking answers -------------------------------------------------------------
def _fault_of(status, content_type, text):
    """None when ``text`` is a well-formed fault of ``status``, else why."""
    if 'application/json' in content_type:
        try:
            data = json.loads(text)
        except ValueError:
            return 'fault is not JSON'
        if not isinstance(data, dict) or len(data) != 1:
            return 'fault is not one named object'
        name, fault = next(iter(data.items()))
        if name not in FAULT_NAMES or not isinstance(fault, dict):
            return 'unknown fault name %r' % name
        if fault.get('code') != status or not isinstance(
                fault.get('message'), str):
            return 'fault code/message do not match the status'
        return None
    if 'application/xml' in content_type:
        try:
            root = ET.fromstring(text)
        except ET.ParseError:
            return 'fault is not XML'
        name = root.tag.rsplit('}', 1)[-1]
        if name not in FAULT_NAMES:
            return 'unknown fault name %r' % name
        if root.get('code') != str(status):
            return 'fault code does not match the status'
        return None
    return 'fault of media type %r' % content_type


def _format_asked(path, headers):
    """'json'/'xml' when the request asks plainly for one, else None."""
    bare = path.split('?', 1)[0]
    for suffix in ('json', 'xml'):
        if bare.endswith('.' + suffix):
            return suffix
    accept = headers.get('Accept')
    if accept in ('application/json', 'application/xml'):
        return accept.split('/')[1]
    return None


def check(method, path, headers, status, reply_headers, text):
    """The reasons an answer is wrong (empty when fine)."""
    problems = []
    body = text.decode('utf-8', 'replace')
    # 501 notImplemented is Diablo's deliberate answer (v1.0's shared IP
    # groups and backup schedules, actions a hypervisor lacks); any other
    # 5xx is a failure.
    if status >= 500 and not (status == 501 and 'notImplemented' in body):
        problems.append('status %d' % status)
    if LEAKS.search(body):
        problems.append('a traceback or path in the body')
    content_type = reply_headers.get('Content-Type', '')
    if status < 400 and text.strip() and method != 'HEAD':
        if 'application/xml' in content_type:
            try:
                ET.fromstring(text)
            except ET.ParseError:
                problems.append('malformed XML answer')
        elif 'application/json' in content_type:
            try:
                json.loads(text)
            except ValueError:
                problems.append('malformed JSON answer')
    if status >= 400 and method != 'HEAD':
        why = _fault_of(status, content_type, text)
        if why:
            problems.append(why)
        asked = _format_asked(path, headers)
        if asked and not why and asked not in content_type and \
                status != 401:
            problems.append('asked for %s, got %s' % (asked, content_type))
    return problems


def send(port, method, path, headers, body):
    """One request; ``(status, headers, body bytes)``."""
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
    try:
        # Non-ASCII ids go out percent-encoded; raw %XX stay as they are.
        path = urllib.parse.quote(path, safe="/?=&%.:;,+-_~*'()!$@")
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.putheader('Content-Length', str(len(body)))
        conn.endheaders(body)
        reply = conn.getresponse()
        return reply.status, dict(reply.getheaders()), reply.read()
    finally:
        conn.close()


def counts(cloud):
    """Row counts of the :data:`COUNTED` tables."""
    path = os.path.join(cloud.tmp.name, 'nova.sqlite')
    with sqlite3.connect('file:%s?mode=ro' % path, uri=True,
                         timeout=30) as conn:
        return dict((table, conn.execute(
            'SELECT count(*) FROM %s%s' % (table, where)).fetchone()[0])
            for table, where in COUNTED)


def _created_ids(text):
    try:
        data = json.loads(text)
        return [data['server']['id']]
    except (ValueError, KeyError, TypeError):
        pass
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return []
    return [root.get('id')] if root.get('id') else []


def run(count=5000, seed=8, max_seconds=None, warmup=200, out=None):
    """Fuzz a fresh cloud's OpenStack API; returns the report (a dict)."""
    cloud = fuzz_ec2.Cloud()
    histogram, failures = {}, []
    created = 0
    start = time.monotonic()
    rss_after_warmup = None
    sent = 0
    try:
        generator = Generator(seed, cloud.image_id)
        before = counts(cloud)
        for sent in range(1, count + 1):
            method, path, headers, body, kind = generator.request()
            try:
                status, reply_headers, text = send(
                    cloud.osapi_port, method, path, headers, body)
            except (OSError, http.client.HTTPException) as exc:
                failures.append({'request': '%s %s' % (method, path[:200]),
                                 'error': repr(exc)})
                if not cloud.alive():
                    break
                continue
            histogram[str(status)] = histogram.get(str(status), 0) + 1
            problems = check(method, path, headers, status, reply_headers,
                             text)
            after = counts(cloud)
            grown = dict((t, after[t] - before[t]) for t in after
                         if after[t] != before[t])
            if grown and status >= 400:
                problems.append('a failed request added rows: %s' % grown)
            if kind == 'create' and status == 202:
                created += grown.get('instances', 0)
                generator.servers.extend(_created_ids(text))
                if not grown.get('instances'):
                    problems.append('a 202 create added no instance')
            elif grown.get('instances'):
                problems.append('instances added by %s' % kind)
            before = after
            if problems:
                failures.append({
                    'request': '%s %s' % (method, path[:200]),
                    'headers': headers, 'body': body[:300].decode(
                        'utf-8', 'replace'), 'status': status,
                    'problems': problems,
                    'answer': text[:300].decode('utf-8', 'replace')})
            if sent == warmup:
                rss_after_warmup = cloud.rss()
            if max_seconds and time.monotonic() - start > max_seconds:
                break
            if out is not None and sent % 500 == 0:
                out.write('%d requests, %d failures\n' % (sent,
                                                          len(failures)))
                out.flush()
        alive = cloud.alive() and send(
            cloud.osapi_port, 'GET', '/v1.1/%s/flavors' % PROJECT,
            {'X-Auth-Token': 'fuzz:' + PROJECT}, b'')[0] == 200
        rss_end = cloud.rss() if cloud.alive() else None
    finally:
        cloud.close()
    growth = None
    if rss_after_warmup is not None and rss_end is not None:
        growth = (rss_end - rss_after_warmup) / 1e6
    report = {
        'api': 'osapi', 'requests': sent, 'seed': seed,
        'seconds': round(time.monotonic() - start, 1),
        'status_histogram': dict(sorted(histogram.items())),
        'failures': failures[:20], 'failure_count': len(failures),
        'server_alive': alive, 'instances_created': created,
        'rss_growth_mb': round(growth, 1) if growth is not None else None,
    }
    report['ok'] = bool(not failures and alive and
                        (growth is None or growth < 30))
    return report


__all__ = ['Generator', 'check', 'run', 'send']
