#!/usr/bin/env python3
"""DescribeInstances over 10,000 instances, unpaged and paged; print JSON.

The cloud runs in a child process as ``nova-all`` runs it (monkey-patched,
SQLite, the in-memory queue, the fake hypervisor); before it starts, N
instance rows (each in the ``default`` group with a fixed IP, as launched
instances are) are inserted straight into its database.  This process sends
SigV4-signed POSTs over HTTP (botocore's signer, no XML parsing) and reads
the child's RSS with psutil:

* unpaged DescribeInstances: p50/p95 (target p50 <= 1 s);
* one page of 1,000 (MaxResults=1000, following NextToken): p50/p95
  (target p50 <= 100 ms);
* walking every page of 1,000: total time (target <= 1.5x the unpaged p50);
* the server's RSS growth while listing (target < 50 MB);
* a baseline measured in the same run: a plain SQLite SELECT of N rows.

    python tools/bench/list.py [--instances 10000] [--samples 7]
"""

import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)


# -- the cloud (child process) --------------------------------------------------
def _insert_instances(count):
    """``count`` live instances of project ``bench``, in bulk."""
    from sqlalchemy import insert
    from nova import context
    from nova import db
    from nova import utils
    from nova.db.sqlalchemy import models
    from nova.db.sqlalchemy.session import session_scope
    ctxt = context.RequestContext('bench', 'bench')
    db.security_group_ensure_default(ctxt)
    group = db.security_group_get_by_name(ctxt, 'bench', 'default')
    network = db.network_get_all(context.get_admin_context())[0]
    now = utils.utcnow()
    with session_scope() as session:
        rows = []
        for index in range(count):
            rows.append({
                'created_at': now, 'deleted': False, 'user_id': 'bench',
                'project_id': 'bench', 'image_ref': '1',
                'reservation_id': 'r-%08x' % (index // 10),
                'launch_index': index % 10, 'vm_state': 'active',
                'power_state': 1, 'memory_mb': 512, 'vcpus': 1,
                'local_gb': 0, 'instance_type_id': 2, 'host': 'compute0',
                'availability_zone': 'nova', 'key_name': None,
                'hostname': 'server-%d' % index,
                'uuid': str(utils.gen_uuid()), 'launched_at': now,
                'disable_terminate': False, 'shutdown_terminate': True})
        session.execute(insert(models.Instance.__table__), rows)
        ids = [r[0] for r in session.execute(
            models.Instance.__table__.select().with_only_columns(
                models.Instance.__table__.c.id))]
        session.execute(insert(
            models.SecurityGroupInstanceAssociation.__table__), [
            {'created_at': now, 'deleted': False, 'instance_id': i,
             'security_group_id': group['id']} for i in ids])
        fixed = models.FixedIp.__table__
        free = [r[0] for r in session.execute(
            fixed.select().with_only_columns(fixed.c.id).where(
                fixed.c.network_id == network['id'],
                fixed.c.reserved.is_(False)).order_by(fixed.c.id)
            .limit(len(ids)))]
        for fixed_id, instance_id in zip(free, ids):
            session.execute(fixed.update().where(fixed.c.id == fixed_id)
                            .values(instance_id=instance_id, allocated=True,
                                    leased=True))


def serve(state_path, count):
    """Run the cloud with ``count`` instances; print how to reach it."""
    from nova.utils import concurrency
    concurrency.monkey_patch()
    import logging
    logging.basicConfig(level=logging.WARNING)
    from nova import flags
    from nova import service
    from nova.db import migration
    from nova.utils import cmdline
    FLAGS = flags.FLAGS
    cmdline.parse_args([
        'bench-cloud', '--state_path=%s' % state_path,
        '--sql_connection=sqlite:///%s/nova.sqlite' % state_path,
        '--fake_rabbit', '--connection_type=fake',
        '--network_manager=nova.network.manager.FlatManager',
        '--ec2_listen=127.0.0.1', '--ec2_host=127.0.0.1',
        '--logdir=%s' % state_path, '--report_interval=10',
    ])
    migration.db_sync()
    from nova import context
    from nova import utils
    from nova.auth import manager as auth_manager
    ctxt = context.get_admin_context()
    utils.import_object(FLAGS.network_manager).create_networks(
        ctxt, 'private', '10.0.0.0/17', num_networks=1, network_size=32768,
        bridge='br100')
    auth = auth_manager.AuthManager()
    auth.create_user('bench', 'bench-access', 'bench-secret')
    auth.create_project('bench', 'bench')
    _insert_instances(count)
    api = service.WSGIService('ec2', host='127.0.0.1', port=0)
    service.serve(api)
    sys.stdout.write(json.dumps({
        'port': api.port, 'access': 'bench-access:bench',
        'secret': 'bench-secret', 'pid': os.getpid()}) + '\n')
    sys.stdout.flush()
    concurrency.spawn(_exit_with_parent, os.getppid())
    service.wait()


def _exit_with_parent(parent):
    from nova.utils import concurrency
    while os.getppid() == parent:
        concurrency.sleep(0.5)
    os._exit(0)


# -- the driver (this process) ------------------------------------------------
class Cloud(object):
    """A child process serving the cloud, and signed raw calls to it."""

    def __init__(self, count):
        self.tmp = tempfile.TemporaryDirectory(prefix='nova-bench-list-')
        self.proc = subprocess.Popen(
            [sys.executable, __file__, '--serve', self.tmp.name,
             '--instances', str(count)], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError('the cloud did not start; see %s'
                               % self.tmp.name)
        info = json.loads(line)
        self.endpoint = 'http://127.0.0.1:%d/services/Cloud' % info['port']
        self.credentials = (info['access'], info['secret'])
        import psutil
        self.process = psutil.Process(info['pid'])

    def close(self):
        """Stop the child and remove its state."""
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.tmp.cleanup()

    def rss_mb(self):
        """The server's resident memory (MB)."""
        return self.process.memory_info().rss / 1e6

    def call(self, **params):
        """One signed DescribeInstances; ``(seconds, body bytes)``."""
        import urllib.parse
        import urllib.request
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        values = {'Action': 'DescribeInstances', 'Version': '2016-11-15'}
        values.update(params)
        body = urllib.parse.urlencode(values)
        request = AWSRequest(method='POST', url=self.endpoint, data=body,
                             headers={'Content-Type': 'application/'
                                      'x-www-form-urlencoded; charset=utf-8'})
        SigV4Auth(Credentials(*self.credentials), 'ec2',
                  'nova').add_auth(request)
        prepared = request.prepare()
        http = urllib.request.Request(prepared.url, data=body.encode(),
                                      headers=dict(prepared.headers),
                                      method='POST')
        start = time.perf_counter()
        with urllib.request.urlopen(http, timeout=300) as reply:
            data = reply.read()
        return time.perf_counter() - start, data


_TOKEN = re.compile(rb'<nextToken>([^<]+)</nextToken>')
_ITEM = re.compile(rb'<instanceId>')


def walk(cloud, size):
    """Every page of ``size``: ``(seconds, instances, page times)``."""
    token = None
    total = 0
    times = []
    start = time.perf_counter()
    while True:
        params = {'MaxResults': str(size)}
        if token:
            params['NextToken'] = token
        seconds, body = cloud.call(**params)
        times.append(seconds)
        total += len(_ITEM.findall(body))
        match = _TOKEN.search(body)
        if not match:
            return time.perf_counter() - start, total, times
        token = match.group(1).decode()


def baseline_select(count):
    """Seconds of a plain SQLite SELECT of ``count`` rows (same machine)."""
    conn = sqlite3.connect(':memory:')
    conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT)')
    conn.executemany('INSERT INTO t (a, b) VALUES (?, ?)',
                     [('x' * 20, 'y' * 20)] * count)
    start = time.perf_counter()
    rows = conn.execute('SELECT * FROM t').fetchall()
    assert len(rows) == count
    return time.perf_counter() - start


def _p(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1,
                       int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--serve', help=argparse.SUPPRESS)
    parser.add_argument('--instances', type=int, default=10000)
    parser.add_argument('--samples', type=int, default=7)
    parser.add_argument('--page-size', type=int, default=1000)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.instances)
    cloud = Cloud(args.instances)
    try:
        cloud.call(MaxResults='5')                     # warm up
        rss_start = cloud.rss_mb()
        unpaged = []
        for _ in range(args.samples):
            seconds, body = cloud.call()
            unpaged.append(seconds)
        listed = len(_ITEM.findall(body))
        rss_unpaged = cloud.rss_mb()
        walks = []
        page_times = []
        walked = 0
        for _ in range(max(1, args.samples // 2)):
            seconds, walked, times = walk(cloud, args.page_size)
            walks.append(seconds)
            page_times.extend(times)
        rss_end = cloud.rss_mb()
        unpaged_p50 = statistics.median(unpaged)
        walk_p50 = statistics.median(walks)
        report = {
            'benchmark': 'DescribeInstances over %d instances (HTTP, SigV4)'
                         % args.instances,
            'instances_listed_unpaged': listed,
            'instances_walked_paged': walked,
            'unpaged_p50_s': round(unpaged_p50, 3),
            'unpaged_p95_s': round(_p(unpaged, 0.95), 3),
            'page_size': args.page_size,
            'page_p50_ms': round(1000 * statistics.median(page_times), 1),
            'page_p95_ms': round(1000 * _p(page_times, 0.95), 1),
            'walk_all_pages_p50_s': round(walk_p50, 3),
            'walk_vs_unpaged': round(walk_p50 / unpaged_p50, 2),
            'server_rss_start_mb': round(rss_start, 1),
            'server_rss_growth_unpaged_mb': round(rss_unpaged - rss_start, 1),
            'server_rss_growth_mb': round(max(rss_unpaged, rss_end) -
                                          rss_start, 1),
            'baseline_sqlite_select_s': round(
                baseline_select(args.instances), 4),
            'targets': {'unpaged_p50_s': 1.0, 'page_p50_ms': 100,
                        'walk_vs_unpaged': 1.5, 'server_rss_growth_mb': 50},
        }
        report['meets_targets'] = (
            report['unpaged_p50_s'] <= 1.0 and report['page_p50_ms'] <= 100
            and report['walk_vs_unpaged'] <= 1.5
            and report['server_rss_growth_mb'] < 50)
        print(json.dumps(report, indent=2))
    finally:
        cloud.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
