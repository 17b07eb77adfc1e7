#!/usr/bin/env python3
"""Launch and terminate instances through the EC2 API; print JSON figures.

The cloud runs in a child process exactly as ``nova-all`` runs it
(monkey-patched, SQLite, the in-memory queue, the fake hypervisor) with 1 or
10 nova-compute services; this process drives it with boto3 over HTTP:

* RunInstances of N instances until DescribeInstances shows all ``running``;
* TerminateInstances of them until DescribeInstances shows none;
* DescribeInstances latency (p50/p95) with 1,000 instances running.

Targets on a 2-core machine: N=200 on one host running in <= 10 s and gone in
<= 5 s, growing linearly with N; DescribeInstances over 1,000 at p50 <= 150 ms.

    python tools/bench/boot.py [--sizes 50,100,200] [--hosts 1,10]
                               [--describe-count 1000] [--describe-samples 30]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)


# -- the cloud (child process) --------------------------------------------------
def serve(state_path, compute_hosts):
    """Run the cloud; print one JSON line with how to reach it; serve."""
    from nova.utils import concurrency
    concurrency.monkey_patch()
    import logging
    logging.basicConfig(level=logging.WARNING)
    from nova import flags
    from nova import service
    from nova.db import migration
    from nova.rpc import embedded  # noqa: F401 - its flags
    from nova.utils import cmdline
    from nova.virt import fake_store  # noqa: F401 - its flags
    FLAGS = flags.FLAGS
    cmdline.parse_args([
        'bench-cloud', '--state_path=%s' % state_path,
        '--sql_connection=sqlite:///%s/nova.sqlite' % state_path,
        # One process: the in-memory transport, guests kept in memory only.
        '--fake_rabbit', '--fake_rabbit_transport=memory',
        '--nofake_hypervisor_state', '--connection_type=fake',
        '--network_manager=nova.network.manager.FlatManager',
        '--ec2_listen=127.0.0.1', '--ec2_host=127.0.0.1',
        '--quota_instances=100000', '--quota_cores=100000',
        '--quota_ram=100000000', '--max_cores=100000',
        '--logdir=%s' % state_path, '--report_interval=10',
    ])
    migration.db_sync()
    from nova import context
    from nova import utils
    from nova.auth import manager as auth_manager
    ctxt = context.get_admin_context()
    utils.import_object(FLAGS.network_manager).create_networks(
        ctxt, 'private', '10.0.0.0/18', num_networks=1, network_size=16384,
        bridge='br100')
    auth = auth_manager.AuthManager()
    auth.create_user('bench', 'bench-access', 'bench-secret', admin=True)
    auth.create_project('bench', 'bench')
    from nova import image
    images = image.get_default_image_service()
    ami = images.create(ctxt, {
        'name': 'bench', 'is_public': True, 'status': 'active',
        'container_format': 'ami', 'disk_format': 'ami',
        'properties': {'image_state': 'available', 'project_id': 'bench',
                       'architecture': 'x86_64'}})
    services = [service.Service.create(binary='nova-scheduler'),
                service.Service.create(binary='nova-network')]
    services += [service.Service.create(host='compute%d' % i,
                                        binary='nova-compute')
                 for i in range(compute_hosts)]
    api = service.WSGIService('ec2', host='127.0.0.1', port=0)
    services.append(api)
    service.serve(*services)
    sys.stdout.write(json.dumps({
        'port': api.port, 'access': 'bench-access:bench',
        'secret': 'bench-secret', 'ami': 'ami-%08x' % ami['id']}) + '\n')
    sys.stdout.flush()
    # Serve until the parent goes away (or stops us with SIGTERM).
    concurrency.spawn(_exit_with_parent, os.getppid())
    service.wait()


def _exit_with_parent(parent):
    from nova.utils import concurrency
    while os.getppid() == parent:
        concurrency.sleep(0.5)
    os._exit(0)


def _profiled(func, *args):
    """Run ``func`` under cProfile when NOVA_BENCH_PROFILE names a file."""
    path = os.environ.get('NOVA_BENCH_PROFILE')
    if not path:
        return func(*args)
    import cProfile
    import signal
    profile = cProfile.Profile()

    dumps = []

    def dump(signum, frame):
        profile.disable()
        dumps.append(1)
        profile.dump_stats('%s.%d' % (path, len(dumps)))

    def restart(signum, frame):
        profile.disable()
        profile.clear() if hasattr(profile, 'clear') else None
        profile.__init__()
        profile.enable()

    signal.signal(signal.SIGUSR1, dump)
    signal.signal(signal.SIGUSR2, restart)
    profile.enable()
    return func(*args)


# -- the driver (this process) ------------------------------------------------
class Cloud(object):
    """A child process running the cloud, and a boto3 client of it."""

    def __init__(self, compute_hosts):
        self.tmp = tempfile.TemporaryDirectory(prefix='nova-bench-')
        self.proc = subprocess.Popen(
            [sys.executable, __file__, '--serve', self.tmp.name,
             '--compute-hosts', str(compute_hosts)],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError('the cloud did not start; see %s'
                               % self.tmp.name)
        info = json.loads(line)
        import boto3
        import botocore.config
        self.ami = info['ami']
        self.endpoint = 'http://127.0.0.1:%d/services/Cloud' % info['port']
        self.credentials = (info['access'], info['secret'])
        self.client = boto3.client(
            'ec2', endpoint_url='http://127.0.0.1:%d/services/Cloud'
            % info['port'], region_name='nova',
            aws_access_key_id=info['access'],
            aws_secret_access_key=info['secret'],
            config=botocore.config.Config(retries={'max_attempts': 1},
                                          read_timeout=300))

    def close(self):
        """Stop the child and remove its state."""
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.tmp.cleanup()

    def raw_describe(self):
        """DescribeInstances signed like boto3 (SigV4) but not parsed:
        the server's latency plus the transfer, without boto3's XML parsing.
        """
        import urllib.request
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        body = 'Action=DescribeInstances&Version=2016-11-15'
        request = AWSRequest(method='POST', url=self.endpoint, data=body,
                             headers={'Content-Type': 'application/'
                                      'x-www-form-urlencoded; charset=utf-8'})
        SigV4Auth(Credentials(*self.credentials), 'ec2',
                  'nova').add_auth(request)
        prepared = request.prepare()
        http = urllib.request.Request(prepared.url, data=body.encode(),
                                      headers=dict(prepared.headers),
                                      method='POST')
        with urllib.request.urlopen(http, timeout=60) as reply:
            return reply.read()

    def states(self, ids=None):
        """{instance id: state name} of the listed (or all) instances."""
        result = {}
        pages = self.client.describe_instances()['Reservations']
        for reservation in pages:
            for inst in reservation['Instances']:
                result[inst['InstanceId']] = inst['State']['Name']
        if ids is not None:
            result = {i: s for i, s in result.items() if i in ids}
        return result

    def launch(self, count):
        """RunInstances of ``count``; returns (ids, seconds to running)."""
        start = time.monotonic()
        ids = []
        while len(ids) < count:
            batch = min(200, count - len(ids))
            reply = self.client.run_instances(
                ImageId=self.ami, InstanceType='m1.tiny', MinCount=batch,
                MaxCount=batch)
            ids += [i['InstanceId'] for i in reply['Instances']]
        wanted = set(ids)
        while True:
            states = self.states(wanted)
            if len(states) == count and all(
                    s == 'running' for s in states.values()):
                return ids, time.monotonic() - start
            bad = [i for i, s in states.items() if s == 'error']
            if bad:
                raise RuntimeError('%d instances went to error' % len(bad))
            time.sleep(0.25)

    def terminate(self, ids):
        """TerminateInstances; returns seconds until none is listed."""
        start = time.monotonic()
        for first in range(0, len(ids), 200):
            self.client.terminate_instances(InstanceIds=ids[first:first + 200])
        wanted = set(ids)
        while True:
            states = self.states(wanted)
            if not [s for s in states.values() if s != 'terminated']:
                return time.monotonic() - start
            time.sleep(0.25)


def percentile(values, fraction):
    """The value below which ``fraction`` of ``values`` lie."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--serve', help=argparse.SUPPRESS)
    parser.add_argument('--compute-hosts', type=int, default=1,
                        help=argparse.SUPPRESS)
    parser.add_argument('--sizes', default='50,100,200')
    parser.add_argument('--hosts', default='1,10')
    parser.add_argument('--describe-count', type=int, default=1000)
    parser.add_argument('--describe-samples', type=int, default=30)
    args = parser.parse_args()
    if args.serve:
        return _profiled(serve, args.serve, args.compute_hosts)

    report = {'benchmark': 'EC2 launch/terminate through nova (fake driver)',
              'launch': []}
    for hosts in [int(h) for h in args.hosts.split(',')]:
        cloud = Cloud(hosts)
        try:
            for size in [int(n) for n in args.sizes.split(',')]:
                ids, run_s = cloud.launch(size)
                term_s = cloud.terminate(ids)
                report['launch'].append({
                    'compute_hosts': hosts, 'instances': size,
                    'to_running_s': round(run_s, 2),
                    'to_terminated_s': round(term_s, 2),
                    'per_instance_ms': round(1000 * run_s / size, 1)})
        finally:
            cloud.close()
    if args.describe_count:
        cloud = Cloud(1)
        try:
            _ids, run_s = cloud.launch(args.describe_count)
            raw, parsed = [], []
            for _ in range(args.describe_samples):
                start = time.monotonic()
                cloud.raw_describe()
                raw.append(1000 * (time.monotonic() - start))
                start = time.monotonic()
                cloud.client.describe_instances()
                parsed.append(1000 * (time.monotonic() - start))
            report['describe_instances'] = {
                'instances': args.describe_count,
                'launch_s': round(run_s, 2),
                'http_p50_ms': round(statistics.median(raw), 1),
                'http_p95_ms': round(percentile(raw, 0.95), 1),
                'boto3_parsed_p50_ms': round(statistics.median(parsed), 1),
                'boto3_parsed_p95_ms': round(percentile(parsed, 0.95), 1)}
        finally:
            cloud.close()
    report['targets'] = {'200_on_1_host_running_s': 10,
                         '200_on_1_host_terminated_s': 5,
                         'describe_1000_p50_ms': 150}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
