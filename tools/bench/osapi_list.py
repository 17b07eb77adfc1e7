#!/usr/bin/env python3
"""``GET /servers/detail`` vs EC2 DescribeInstances of the same servers.

One cloud in a child process (as ``nova-all`` runs it: monkey-patched,
SQLite, the in-memory queue, the fake hypervisor) serves both APIs over
HTTP; N instance rows (each in the ``default`` group with a fixed IP) are
inserted straight into its database first (``tools/bench/list.py``'s
loader).  This process times, alternating, the OpenStack API v1.1's
``GET /v1.1/bench/servers/detail`` (noauth on loopback, JSON, the whole
list in one page) and the SigV4-signed unpaged ``DescribeInstances``, and
prints JSON:

* each side's p50/p95 and how many servers it listed;
* the anchor: ``osapi_vs_ec2`` = the OpenStack p50 / the EC2 p50 of the
  same run (target <= 1.5);
* a baseline measured in the same run: a plain SQLite SELECT of N rows.

    python tools/bench/osapi_list.py [--instances 1000] [--samples 9]
"""

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, ROOT)


def _list_bench():
    """``tools/bench/list.py`` (its loader, EC2 caller and baseline)."""
    spec = importlib.util.spec_from_file_location(
        'bench_list', os.path.join(HERE, 'list.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the cloud (child process) --------------------------------------------------
def serve(state_path, count):
    """Run both APIs over ``count`` instances; print how to reach them."""
    from nova.utils import concurrency
    concurrency.monkey_patch()
    import logging
    logging.basicConfig(level=logging.WARNING)
    import nova.api.openstack.ratelimit  # noqa: F401 - its flags
    from nova import context
    from nova import flags
    from nova import service
    from nova import utils
    from nova.auth import manager as auth_manager
    from nova.db import migration
    from nova.utils import cmdline
    FLAGS = flags.FLAGS
    cmdline.parse_args([
        'bench-cloud', '--state_path=%s' % state_path,
        '--sql_connection=sqlite:///%s/nova.sqlite' % state_path,
        '--fake_rabbit', '--connection_type=fake',
        '--network_manager=nova.network.manager.FlatManager',
        '--ec2_listen=127.0.0.1', '--ec2_host=127.0.0.1',
        '--osapi_listen=127.0.0.1', '--osapi_rate_limits=none',
        '--osapi_max_limit=%d' % max(1000, count),
        '--logdir=%s' % state_path, '--report_interval=10',
    ])
    migration.db_sync()
    utils.import_object(FLAGS.network_manager).create_networks(
        context.get_admin_context(), 'private', '10.0.0.0/17',
        num_networks=1, network_size=32768, bridge='br100')
    auth = auth_manager.AuthManager()
    auth.create_user('bench', 'bench-access', 'bench-secret')
    auth.create_project('bench', 'bench')
    _list_bench()._insert_instances(count)
    ec2 = service.WSGIService('ec2', host='127.0.0.1', port=0)
    osapi = service.WSGIService('osapi', host='127.0.0.1', port=0)
    service.serve(ec2, osapi)
    sys.stdout.write(json.dumps({
        'port': ec2.port, 'osapi_port': osapi.port,
        'access': 'bench-access:bench', 'secret': 'bench-secret',
        'pid': os.getpid()}) + '\n')
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
    """The child process, an EC2 caller and an OpenStack API caller."""

    def __init__(self, count):
        bench = _list_bench()
        self.tmp = tempfile.TemporaryDirectory(prefix='nova-bench-osapi-')
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), '--serve',
             self.tmp.name, '--instances', str(count)],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError('the cloud did not start; see %s'
                               % self.tmp.name)
        info = json.loads(line)
        self.osapi_url = 'http://127.0.0.1:%d/v1.1/bench' % \
            info['osapi_port']
        # list.py's signed DescribeInstances caller, on this cloud.
        self.ec2 = bench.Cloud.__new__(bench.Cloud)
        self.ec2.endpoint = 'http://127.0.0.1:%d/services/Cloud' % \
            info['port']
        self.ec2.credentials = (info['access'], info['secret'])
        self.baseline_select = bench.baseline_select

    def close(self):
        """Stop the child and remove its state."""
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.tmp.cleanup()

    def servers_detail(self):
        """One ``GET /servers/detail``: ``(seconds, servers listed)``."""
        request = urllib.request.Request(
            self.osapi_url + '/servers/detail',
            headers={'X-Auth-Token': 'bench:bench',
                     'Accept': 'application/json'})
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=300) as reply:
            data = reply.read()
        seconds = time.perf_counter() - start
        return seconds, len(json.loads(data)['servers'])

    def describe_instances(self):
        """One unpaged DescribeInstances: ``(seconds, instances listed)``."""
        seconds, body = self.ec2.call()
        return seconds, body.count(b'<instanceId>')


def _p(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1,
                       int(round(fraction * (len(ordered) - 1))))]


def measure(count, samples):
    """Run the benchmark; returns the report (a dict)."""
    cloud = Cloud(count)
    try:
        cloud.servers_detail()                         # warm up
        cloud.describe_instances()
        osapi, ec2 = [], []
        for _ in range(samples):
            seconds, os_listed = cloud.servers_detail()
            osapi.append(seconds)
            seconds, ec2_listed = cloud.describe_instances()
            ec2.append(seconds)
        baseline = cloud.baseline_select(count)
    finally:
        cloud.close()
    os_p50, ec2_p50 = statistics.median(osapi), statistics.median(ec2)
    report = {
        'benchmark': 'GET /servers/detail vs DescribeInstances over %d '
                     'instances (HTTP, same cloud, same run)' % count,
        'samples': samples,
        'osapi_servers_listed': os_listed,
        'ec2_instances_listed': ec2_listed,
        'osapi_detail_p50_s': round(os_p50, 3),
        'osapi_detail_p95_s': round(_p(osapi, 0.95), 3),
        'ec2_describe_p50_s': round(ec2_p50, 3),
        'ec2_describe_p95_s': round(_p(ec2, 0.95), 3),
        'osapi_vs_ec2': round(os_p50 / ec2_p50, 2),
        'baseline_sqlite_select_s': round(baseline, 4),
        'targets': {'osapi_vs_ec2': 1.5},
    }
    report['meets_targets'] = (report['osapi_vs_ec2'] <= 1.5 and
                               os_listed == ec2_listed == count)
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--serve', help=argparse.SUPPRESS)
    parser.add_argument('--instances', type=int, default=1000)
    parser.add_argument('--samples', type=int, default=9)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.instances)
    report = measure(args.instances, args.samples)
    print(json.dumps(report, indent=2))
    return 0 if report['meets_targets'] else 1


if __name__ == '__main__':
    sys.exit(main())
