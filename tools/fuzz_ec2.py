#!/usr/bin/env python3
"""Fuzz the EC2 API with hostile requests; print a JSON status histogram.

A cloud runs in a child process exactly as ``nova-all`` runs it (eventlet,
SQLite, the in-memory queue, the fake hypervisor).  A seeded generator sends
signed (SigV4, as a project member and as an admin) and unsigned or forged
requests over every declared action -- and over helpers and junk names --
with hostile values: control characters, bad UTF-8, huge or Unicode-digit
indexes, lists and structures where one value is expected, deep names,
repeated names, oversized bodies, garbage signatures, stale timestamps.

It checks every answer (no 5xx, well-formed XML), that the server is alive
at the end, its RSS growth after warm-up, and that the database holds
exactly the instances that successful RunInstances calls announced (nothing
half-created).  ``tests/functional/test_ec2_fuzz.py`` runs the same for
about a minute; this script runs it for a release check:

    python tools/fuzz_ec2.py [--count 10000] [--seed 8] [--max-seconds N]

``--api osapi`` fuzzes the OpenStack API of the same cloud instead
(``tools/fuzz_osapi.py``: hostile JSON/XML bodies, paths, methods and
headers; fault bodies only, nothing half-created).

Exit status 0 when every check holds.
"""

import argparse
import collections
import http.client
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ET

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, ROOT)

USER = ('fuzz-access:fuzzp', 'fuzz-secret')
ADMIN = ('fuzzadmin-access:fuzzadmin', 'fuzzadmin-secret')
QUOTA_INSTANCES = 20


# -- the cloud (child process) --------------------------------------------------
def serve(state_path):
    """Run the cloud; print one JSON line with how to reach it; serve."""
    from nova.utils import concurrency
    concurrency.monkey_patch()
    import logging
    logging.basicConfig(level=logging.CRITICAL)
    from nova import context
    from nova import flags
    from nova import image
    from nova import service
    from nova import utils
    from nova.auth import manager as auth_manager
    from nova.db import migration
    from nova.utils import cmdline
    # The OpenStack API's flags (its mode: tools/fuzz_osapi.py).
    import nova.api.openstack.admin_actions  # noqa: F401
    import nova.api.openstack.ratelimit  # noqa: F401
    cmdline.parse_args([
        'fuzz-cloud', '--state_path=%s' % state_path,
        '--sql_connection=sqlite:///%s/nova.sqlite' % state_path,
        '--fake_rabbit', '--connection_type=fake',
        '--network_manager=nova.network.manager.FlatManager',
        '--ec2_listen=127.0.0.1', '--ec2_host=127.0.0.1',
        '--quota_instances=%d' % QUOTA_INSTANCES,
        '--logdir=%s' % state_path, '--report_interval=10',
        '--lock_path=%s' % state_path,
        '--osapi_listen=127.0.0.1', '--osapi_rate_limits=none',
        '--allow_admin_api',
        '--vncproxy_host=127.0.0.1', '--vncproxy_port=0',
    ])
    logging.getLogger().setLevel(logging.WARNING)
    migration.db_sync()
    ctxt = context.get_admin_context()
    FLAGS = flags.FLAGS
    utils.import_object(FLAGS.network_manager).create_networks(
        ctxt, 'private', '10.0.0.0/22', num_networks=1, network_size=1024,
        bridge='br100')
    auth = auth_manager.AuthManager()
    auth.create_user('fuzz', 'fuzz-access', 'fuzz-secret')
    auth.create_project('fuzzp', 'fuzz')
    for role in ('sysadmin', 'netadmin'):
        auth.add_role('fuzz', role)
        auth.add_role('fuzz', role, 'fuzzp')
    auth.create_user('fuzzadmin', 'fuzzadmin-access', 'fuzzadmin-secret',
                     admin=True)
    auth.create_project('fuzzadmin', 'fuzzadmin')
    images = image.get_default_image_service()
    ami = images.create(ctxt, {
        'name': 'fuzz', 'is_public': True, 'status': 'active',
        'container_format': 'ami', 'disk_format': 'ami',
        'properties': {'image_state': 'available', 'project_id': 'fuzzp',
                       'architecture': 'x86_64'}})
    services = [service.Service.create(binary='nova-scheduler'),
                service.Service.create(binary='nova-network'),
                service.Service.create(host='fuzzhost',
                                       binary='nova-compute')]
    # nova-vncproxy as nova-all runs it (its token service and noVNC on
    # loopback), so that console requests reach a real proxy.
    from nova.cmd import all as nova_all
    vncproxy = nova_all.vncproxy_services()
    if not vncproxy:
        raise RuntimeError('nova-vncproxy cannot start (noVNC missing?)')
    services += vncproxy
    # A real objectstore, so RegisterImage's hostile locations reach S3.
    from nova.objectstore import service as s3service
    s3 = s3service.S3Service(host='127.0.0.1', port=0)
    s3.start()
    FLAGS.set('s3_host', '127.0.0.1')
    FLAGS.set('s3_port', s3.port)
    api = service.WSGIService('ec2', host='127.0.0.1', port=0)
    # The OpenStack API on loopback: noauth ("user:project" tokens).
    osapi = service.WSGIService('osapi', host='127.0.0.1', port=0)
    services += [api, osapi]
    service.serve(*services)
    sys.stdout.write(json.dumps({'port': api.port, 'pid': os.getpid(),
                                 'osapi_port': osapi.port,
                                 'image_id': ami['id'],
                                 'ami': 'ami-%08x' % ami['id']}) + '\n')
    sys.stdout.flush()
    concurrency.spawn(_exit_with_parent, os.getppid())
    service.wait()


def _exit_with_parent(parent):
    from nova.utils import concurrency
    while os.getppid() == parent:
        concurrency.sleep(0.5)
    os._exit(0)


class Cloud(object):
    """The child process running the cloud."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix='nova-fuzz-')
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), '--serve',
             self.tmp.name], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError('the cloud did not start; see %s'
                               % self.tmp.name)
        info = json.loads(line)
        self.port = info['port']
        self.pid = info['pid']
        self.ami = info['ami']
        self.osapi_port = info['osapi_port']
        self.image_id = info['image_id']

    def rss(self):
        """Resident memory of the server (bytes)."""
        import psutil
        return psutil.Process(self.pid).memory_info().rss

    def alive(self):
        """Whether the server process still runs."""
        return self.proc.poll() is None

    def instance_rows(self):
        """(id, reservation_id, deleted, project_id) of every instance
        row."""
        path = os.path.join(self.tmp.name, 'nova.sqlite')
        with sqlite3.connect('file:%s?mode=ro' % path, uri=True,
                             timeout=30) as conn:
            return conn.execute('SELECT id, reservation_id, deleted, '
                                'project_id FROM instances').fetchall()

    def close(self):
        """Stop the child and remove its state."""
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(30)
        self.tmp.cleanup()


# -- the generator ------------------------------------------------------------
HOSTILE_VALUES = [
    '', 'None', 'null', '-1', '0', '1', '2', '65536', '99999999999999999999',
    'i-00000001', 'i-ffffffff', 'i-', 'ami-00000001', 'ami-zzzz', 'sg-1',
    'vol-00000001', 'snap-00000001', 'default', 'nova', 'true', 'false',
    '1e309', 'NaN', '0x10', '\u00b2', '\u0662', '\u00e9\u00e8', '"', "'",
    '<x/>', '&amp;', ']]>', "' OR 1=1 --", '../../etc/passwd', '*', '?',
    '%s%n', '{}', '[]', 'a' * 300, 'b' * 20000, ' ', '\t', 'x\ny',
    '\r\nInjected: header', '\x01', '\x00', '\x1b[31m', '\ufffe',
    '\u202e', '10.0.0.1', '0.0.0.0/0', '::1', 'tcp', 'icmp', '-',
    'userData', 'kernel', 'm1.tiny', 'm1.xlarge', 'us-east-1',
]
RAW_VALUES = ['%FF', '%C3', '%ED%A0%80', '%00', '%0A', '%E2%80%A8']
SUFFIXES = ['.1', '.2', '.x', '.1.Value', '.\u00b2', '.99999',
            '.1.1.1.1.1.1.1', '.-1', '.0']
PLAUSIBLE = [('InstanceId', 'i-00000001'), ('MinCount', '1'),
             ('MaxCount', '1'), ('InstanceType', 'm1.tiny'),
             ('KeyName', 'fuzzkey'), ('GroupName', 'default'),
             ('GroupDescription', 'fuzz group'), ('IpProtocol', 'tcp'),
             ('FromPort', '22'), ('ToPort', '22'), ('CidrIp', '0.0.0.0/0'),
             ('Attribute', 'kernel'), ('Name', 'fuzzname'),
             ('Size', '1'), ('PublicKeyMaterial', 'c3NoLXJzYSBBQUFB')]


def _camel(name):
    return ''.join(part[:1].upper() + part[1:] for part in
                   str(name).split('_'))


def _names_for(shape, prefix, rng, depth=0):
    """Wire parameter names following an EC2 request shape."""
    if shape is None or shape == 's' or depth > 4:
        return [prefix]
    if isinstance(shape, list):
        count = rng.choice([1, 1, 2, 3])
        names = []
        for index in range(1, count + 1):
            names += _names_for(shape[1], '%s.%d' % (prefix, index), rng,
                                depth + 1)
        return names
    members = list(shape)
    rng.shuffle(members)
    names = []
    for member in members[:rng.randint(1, min(3, len(members) or 1))]:
        names += _names_for(shape[member], '%s.%s' % (prefix, _camel(member)),
                            rng, depth + 1)
    return names


def _controller_params(action, admin):
    """{wire name: shape} an action takes (EC2 shapes, else signature)."""
    import inspect
    from nova.api.ec2 import param_shapes
    shapes = param_shapes.SHAPES.get(action)
    if shapes is not None:
        return {_camel(k): v for k, v in shapes.items() if k != 'dry_run'}
    from nova.api.ec2 import ec2utils
    if admin:
        from nova.api.ec2.admin import AdminController as Controller
    else:
        from nova.api.ec2.cloud import CloudController as Controller
    method = getattr(Controller, ec2utils.camelcase_to_underscore(action),
                     None)
    if method is None or not callable(method):
        return {}
    params = inspect.signature(method).parameters
    return {_camel(name): 's' for name, param in list(params.items())[2:]
            if param.kind == param.POSITIONAL_OR_KEYWORD}


class Generator(object):
    """Seeded hostile requests: ``(path, body text, auth kind)``."""

    def __init__(self, seed, ami):
        from nova.api.ec2 import actions
        self.rng = random.Random(seed)
        self.ami = ami
        self.cloud = sorted(actions.CLOUD_ACTIONS)
        self.admin = sorted(actions.ADMIN_ACTIONS)
        self.junk = ['FormatImage', 'GetImage', 'ComputeApi', 'Setup',
                     'GetMetadata', '_private', 'describeinstances',
                     'Describe\u00c9', '', 'A' * 300]
        self._params = {}

    def _value(self, name):
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            if 'ImageId' in name or 'KernelId' in name:
                return self.ami, None
            for key, value in PLAUSIBLE:
                if key in name:
                    return value, None
            return 'fuzz', None
        return rng.choice(HOSTILE_VALUES), None

    def _params_of(self, action, admin):
        key = (action, admin)
        if key not in self._params:
            self._params[key] = _controller_params(action, admin)
        return self._params[key]

    def request(self):
        """One request: (path, body, auth kind, action)."""
        rng = self.rng
        roll = rng.random()
        admin = roll < 0.12
        if rng.random() < 0.03:
            action = rng.choice(self.junk)
        elif rng.random() < 0.15:
            action = 'RunInstances'
        else:
            action = rng.choice(self.admin if admin else self.cloud)
        path = '/services/Admin/' if admin else '/services/Cloud/'
        pairs = [('Action', action), ('Version', rng.choice(
            ['2016-11-15'] * 6 + ['2009-04-04', '', '2016"x="1',
                                  '\u00b2']))]
        params = self._params_of(action, admin)
        if action == 'RunInstances' and rng.random() < 0.5:
            pairs += [('ImageId', self.ami), ('MinCount', '1'),
                      ('MaxCount', rng.choice(['1', '2'])),
                      ('InstanceType', 'm1.tiny')]
            params = dict(rng.sample(sorted(params.items()), 1))
        if rng.random() < 0.04:
            pairs.append((rng.choice(['InstanceId', 'KeyName', 'Name',
                                      'AWSAccessKeyId']),
                          rng.choice(RAW_VALUES)))
        seen = set(k for k, _v in pairs)
        for name, shape in params.items():
            if rng.random() < 0.6 or name in seen:
                continue
            for wire in _names_for(shape, name, rng):
                if rng.random() < 0.1:
                    wire += rng.choice(SUFFIXES)
                value, raw = self._value(wire)
                pairs.append((wire, value if raw is None else raw))
        if rng.random() < 0.1:
            pairs.append((rng.choice(['Filter.1.Name', 'Bogus', 'X' * 300,
                                      'Name.\u0663', 'A.B.C.D.E.F.G.H']),
                          rng.choice(HOSTILE_VALUES)))
        if rng.random() < 0.03 and len(pairs) > 2:
            pairs.append(pairs[-1])
        if rng.random() < 0.01:
            pairs.append(('Big', 'x' * (1024 * 1024 + 10)))
        if rng.random() < 0.01:
            pairs += [('P%d' % i, 'v') for i in range(5000)]
        auth = rng.choices(['user', 'admin', 'none', 'garbage', 'v0',
                            'stale', 'other-key'],
                           [70, 10, 6, 5, 3, 3, 3])[0]
        if admin and auth == 'user':
            auth = rng.choice(['admin', 'user'])
        body = '&'.join(
            '%s=%s' % (urllib.parse.quote(k, safe=''),
                       v if v in RAW_VALUES else
                       urllib.parse.quote(v, safe=''))
            for k, v in pairs)
        return path, body, auth, action


def _signed_headers(port, path, body, access, secret):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    url = 'http://127.0.0.1:%d%s' % (port, path)
    request = AWSRequest(method='POST', url=url, data=body.encode(),
                         headers={'Content-Type':
                                  'application/x-www-form-urlencoded'})
    SigV4Auth(Credentials(access, secret), 'ec2', 'nova').add_auth(request)
    return dict(request.prepare().headers)


def _headers(port, path, body, auth):
    plain = {'Content-Type': 'application/x-www-form-urlencoded'}
    if auth == 'user':
        return body, _signed_headers(port, path, body, *USER)
    if auth == 'admin':
        return body, _signed_headers(port, path, body, *ADMIN)
    if auth == 'other-key':
        return body, _signed_headers(port, path, body, 'nobody:fuzzp', 'x')
    if auth == 'garbage':
        plain['Authorization'] = ('AWS4-HMAC-SHA256 Credential=%s/2026/x/'
                                  'aws4_request, Signature=00' % USER[0])
        return body, plain
    if auth in ('v0', 'stale'):
        extra = {'AWSAccessKeyId': USER[0], 'SignatureVersion':
                 '0' if auth == 'v0' else '2', 'SignatureMethod':
                 'HmacSHA256', 'Signature': 'AAAA',
                 'Timestamp': '2020-01-01T00:00:00Z'}
        return body + '&' + urllib.parse.urlencode(extra), plain
    return body, plain


def send(port, path, body, auth):
    """POST one request; returns (status, body bytes)."""
    body, headers = _headers(port, path, body, auth)
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
    try:
        conn.request('POST', path, body=body.encode(), headers=headers)
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


def _well_formed(status, text):
    if not text.strip():
        return status < 400
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return False
    if status >= 400:
        return root.find('./Errors/Error/Code') is not None
    return True


def _launched_reservations(text):
    root = ET.fromstring(text)
    found = []
    for node in root.iter():
        if node.tag.endswith('reservationId') and node.text:
            found.append(node.text)
    return found


def run(count=10000, seed=8, max_seconds=None, warmup=200, out=None):
    """Fuzz a fresh cloud; returns the report (a dict)."""
    cloud = Cloud()
    histogram = {}
    codes = {}
    failures = []
    reservations = set()
    start = time.monotonic()
    rss_after_warmup = None
    sent = 0
    try:
        generator = Generator(seed, cloud.ami)
        for sent in range(1, count + 1):
            path, body, auth, action = generator.request()
            try:
                status, text = send(cloud.port, path, body, auth)
            except (OSError, http.client.HTTPException) as exc:
                failures.append({'action': action, 'error': repr(exc),
                                 'body': body[:300]})
                if not cloud.alive():
                    break
                continue
            histogram[str(status)] = histogram.get(str(status), 0) + 1
            if status >= 500 or not _well_formed(status, text):
                failures.append({'action': action, 'status': status,
                                 'auth': auth, 'body': body[:300],
                                 'answer': text[:300].decode('utf-8',
                                                             'replace')})
            elif status >= 400:
                code = ET.fromstring(text).findtext('./Errors/Error/Code')
                codes[code] = codes.get(code, 0) + 1
            elif action == 'RunInstances':
                reservations.update(_launched_reservations(text))
            if sent == warmup:
                rss_after_warmup = cloud.rss()
            if max_seconds and time.monotonic() - start > max_seconds:
                break
            if out is not None and sent % 1000 == 0:
                out.write('%d requests, %d failures\n' % (sent,
                                                          len(failures)))
                out.flush()
        alive = cloud.alive()
        if alive:
            status, _text = send(cloud.port, '/services/Cloud/',
                                 'Action=DescribeRegions&Version=2016-11-15',
                                 'user')
            alive = status == 200
        rss_end = cloud.rss() if cloud.alive() else None
        rows = cloud.instance_rows()
    finally:
        cloud.close()
    orphans = sorted({r[1] for r in rows} - reservations)
    growth = None
    if rss_after_warmup is not None and rss_end is not None:
        growth = (rss_end - rss_after_warmup) / 1e6
    live = sum(1 for r in rows if not r[2])
    # The quota is per project (the fuzzer runs as a member and an admin,
    # each in a project of its own).
    live_by_project = collections.Counter(r[3] for r in rows if not r[2])
    most_in_a_project = max(live_by_project.values(), default=0)
    report = {
        'requests': sent, 'seed': seed,
        'seconds': round(time.monotonic() - start, 1),
        'status_histogram': dict(sorted(histogram.items())),
        'error_codes': dict(sorted(codes.items(), key=lambda i: -i[1])),
        'failures': failures[:20], 'failure_count': len(failures),
        'server_alive': alive,
        'rss_growth_mb': round(growth, 1) if growth is not None else None,
        'instances_launched': len(rows), 'instances_live': live,
        'most_live_in_one_project': most_in_a_project,
        'reservations_announced': len(reservations),
        'rows_without_an_announced_reservation': orphans,
    }
    report['ok'] = bool(not failures and alive and not orphans and
                        most_in_a_project <= QUOTA_INSTANCES and
                        (growth is None or growth < 20))
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--serve', help=argparse.SUPPRESS)
    parser.add_argument('--api', choices=('ec2', 'osapi'), default='ec2',
                        help='the API to fuzz (osapi: tools/fuzz_osapi.py)')
    parser.add_argument('--count', type=int, default=10000)
    parser.add_argument('--seed', type=int, default=8)
    parser.add_argument('--max-seconds', type=float, default=None)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve)
    if args.api == 'osapi':
        import fuzz_osapi
        report = fuzz_osapi.run(args.count, args.seed, args.max_seconds,
                                out=sys.stderr)
    else:
        report = run(args.count, args.seed, args.max_seconds,
                     out=sys.stderr)
    print(json.dumps(report, indent=2))
    return 0 if report['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
