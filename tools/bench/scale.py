#!/usr/bin/env python3
"""1,000 instances on 10 nova-compute processes over RabbitMQ and PostgreSQL.

Everything runs as separate OS processes started from one flagfile, as a
deployment runs them: nova-api (EC2), nova-scheduler (SimpleScheduler),
nova-network (FlatManager) and ``--computes`` nova-compute daemons with the
fake driver, each with its own ``--host``.  They share a database created
for this run on the machine's PostgreSQL (127.0.0.1:5432, dropped at the
end) and, by default, a private RabbitMQ node on free ports (see
``tests/integration/private_services.py``).  ``--broker=machine`` uses the
machine's RabbitMQ (127.0.0.1:5672) under a control exchange of its own
instead; but queue names (``scheduler``, ``compute.<host>``) are shared by
every cloud on that vhost, so another cloud running meanwhile consumes some
of this one's messages (seen: 143 of 1,000 launches lost to another test's
scheduler).  Nothing of the machine's services is reconfigured.

boto3 then launches ``--instances`` in RunInstances batches of
``--batch``, times until DescribeInstances shows all ``running``,
terminates them and times until none is listed but ``terminated``; the
spread is counted from the database (instances per host, max/min).

Prints JSON with each figure beside its target and today's anchor.

    python tools/bench/scale.py [--instances 1000] [--computes 10]
                                [--batch 200] [--keep-logs DIR]
                                [--broker private|machine]

NOVA_SCALE_PROFILE=DIR writes a cProfile of each daemon there (only those
NOVA_SCALE_PROFILE_ONLY names, e.g. ``nova-scheduler,nova-compute:compute00``);
NOVA_SCALE_PROFILE_CLOCK=cpu counts CPU time instead of wall time.
"""

import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BIN = os.path.join(ROOT, 'bin')
PG_ADMIN = 'host=127.0.0.1 port=5432 user=postgres dbname=postgres'

# Issue 22: targets, and the figures measured from outside before this bench.
TARGETS = {'to_running_s': 20.0, 'to_gone_s': 10.0,
           'max_min_per_host': 1.2}
ANCHORS = {'to_running_s': 45.5, 'to_gone_s': 42.1}


def _reachable(port):
    try:
        socket.create_connection(('127.0.0.1', port), timeout=2).close()
        return True
    except OSError:
        return False


def _free_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


_TICK = os.sysconf('SC_CLK_TCK')
# An instance's id and its state's name in a DescribeInstances answer.
_STATE_RE = re.compile(r'<instanceId>(i-[0-9a-f]+)</instanceId>.*?'
                       r'<instanceState>\s*<code>\d+</code>\s*'
                       r'<name>([a-z-]+)</name>', re.S)


def _cpu_seconds(pid):
    """User + system CPU seconds of one process and its waited-for
    children (0 once it is gone)."""
    try:
        with open('/proc/%d/stat' % pid) as src:
            fields = src.read().rsplit(')', 1)[1].split()
    except OSError:
        return 0.0
    # utime, stime, cutime, cstime: fields 14-17 of proc(5).
    return sum(int(f) for f in fields[11:15]) / _TICK


def _all_processes():
    """``{pid: (command name, CPU seconds)}`` of every process now."""
    found = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as src:
                head, tail = src.read().rsplit(')', 1)
        except OSError:
            continue
        fields = tail.split()
        found[int(entry)] = (head.split('(', 1)[1],
                             sum(int(f) for f in fields[11:13]) / _TICK)
    return found


def _busy_seconds():
    """CPU seconds every core of the machine spent busy so far, and of
    those the kernel's interrupt handling (loopback packets are handled
    there, charged to no process) and the time the hypervisor gave to
    other guests (steal)."""
    with open('/proc/stat') as src:
        values = [int(v) for v in src.readline().split()[1:]]
    idle = values[3] + values[4]
    return ((sum(values[:8]) - idle) / _TICK,
            (values[5] + values[6]) / _TICK, values[7] / _TICK)


def _calibration_seconds():
    """CPU seconds of a fixed piece of pure-Python work, done alone with
    the cloud idle: this virtual machine's speed varies by 1.5x from run
    to run (the same work costs every daemon that much more CPU), and this
    figure tells a slow run from a slower cloud."""
    start = time.process_time()
    for _ in range(10):
        text = json.dumps([{'id': n, 'name': 'instance-%08x' % n,
                            'state': n % 7} for n in range(20000)])
        sum(len(item['name']) for item in json.loads(text))
    return round(time.process_time() - start, 3)


def _wait(predicate, seconds, what, step=0.25):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(step)
    raise RuntimeError('timed out waiting for %s' % what)


class Database(object):
    """A database of this run's own on the machine's PostgreSQL."""

    def __init__(self):
        import psycopg
        self.psycopg = psycopg
        self.name = 'nova_scale_%s' % uuid.uuid4().hex[:10]
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute('CREATE DATABASE %s' % self.name)
        self.url = 'postgresql://postgres@127.0.0.1:5432/%s' % self.name

    def connection_budget(self):
        """Connections this run may open: a share of what the server has
        left (other clouds and tests use it too)."""
        rows = self.query("SELECT current_setting('max_connections')::int, "
                          "(SELECT count(*) FROM pg_stat_activity)")
        limit, used = rows[0]
        return max(0, int((limit - used) * 0.6))

    def query(self, sql):
        """Rows of one read-only query."""
        with self.psycopg.connect(
                'host=127.0.0.1 port=5432 user=postgres dbname=%s'
                % self.name) as conn:
            return conn.execute(sql).fetchall()

    def drop(self):
        """Drop the database (the daemons are gone by now)."""
        with self.psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute('DROP DATABASE IF EXISTS %s WITH (FORCE)'
                         % self.name)


class Deployment(object):
    """One flagfile, nova-manage, the daemons and a boto3 client."""

    def __init__(self, tmp, database, computes, rabbit_port,
                 extra_flags=()):
        self.tmp = tmp
        self.database = database
        self.computes = ['compute%02d' % i for i in range(computes)]
        self.port = _free_port()
        self.exchange = 'nova_scale_%s' % uuid.uuid4().hex[:8]
        self.flagfile = os.path.join(tmp, 'nova.conf')
        with open(self.flagfile, 'w') as conf:
            conf.write('\n'.join([
                '--state_path=%s' % os.path.join(tmp, 'state'),
                '--sql_connection=%s' % database.url,
                '--rabbit_host=127.0.0.1',
                '--rabbit_port=%d' % rabbit_port,
                '--control_exchange=%s' % self.exchange,
                '--connection_type=fake',
                '--network_manager=nova.network.manager.FlatManager',
                '--scheduler_driver=nova.scheduler.simple.SimpleScheduler',
                '--max_cores=100000',
                '--enabled_apis=ec2',
                '--ec2_listen=127.0.0.1',
                '--ec2_listen_port=%d' % self.port,
                '--api_paste_config=%s' % os.path.join(
                    ROOT, 'etc', 'nova', 'api-paste.ini'),
                '--report_interval=2',
                '--logdir=%s' % tmp,
            ] + list(extra_flags) + ['']))
        self.rabbit_port = rabbit_port
        # Pools sized to fit the server's max_connections: 14 daemons at
        # the default 10 each exceed PostgreSQL's default 100, and a
        # refused connection stalls its handler --sql_retry_interval (10 s).
        # Minimum and maximum are equal, as by default: a smaller minimum
        # closes every connection above it when it is returned, and under
        # this load that was ~500 PostgreSQL backends started and ended
        # (a fork and an authentication each) in one run.
        shares = len(self.computes) + 2 * 3     # api, scheduler, network: 2
        per_share = database.connection_budget() // shares
        self.pools = {'compute': min(10, max(2, per_share)),
                      'control': min(10, max(2, 2 * per_share))}
        self.procs = []
        self.names = {}
        self.broker_dir = None      # a private RabbitMQ's files (its pid)
        self.client = None
        self.ami = None

    def manage(self, *words):
        proc = subprocess.run(
            [sys.executable, os.path.join(BIN, 'nova-manage'),
             '--flagfile=%s' % self.flagfile] + list(words),
            capture_output=True, text=True, timeout=300, cwd=ROOT)
        if proc.returncode != 0:
            raise RuntimeError('nova-manage %s failed: %s'
                               % (' '.join(words), proc.stderr[-2000:]))
        return proc.stdout

    def start(self, binary, host):
        # Compiled modules cached outside the checkout: thirteen daemons
        # each compiling ~1,000 modules would dominate the start-up.
        env = dict(os.environ, PYTHONPYCACHEPREFIX=os.path.join(
            tempfile.gettempdir(), 'nova-scale-pycache'))
        env.pop('PYTHONDONTWRITEBYTECODE', None)
        profile_dir = os.environ.get('NOVA_SCALE_PROFILE')
        argv = [sys.executable]
        only = os.environ.get('NOVA_SCALE_PROFILE_ONLY', '').split(',')
        if profile_dir and (only == [''] or '%s:%s' % (binary, host) in only
                            or binary in only):
            out = os.path.join(profile_dir, '%s-%s.prof' % (binary, host))
            if os.environ.get('NOVA_SCALE_PROFILE_CLOCK') == 'cpu':
                # CPU time, not wall time (see tools/bench/cpu_profile.py)
                argv += [os.path.join(ROOT, 'tools', 'bench',
                                      'cpu_profile.py'), out]
            else:
                argv += ['-m', 'cProfile', '-o', out]
        pool = self.pools['compute' if binary == 'nova-compute'
                          else 'control']
        argv += [os.path.join(BIN, binary), '--flagfile=%s' % self.flagfile,
                 '--host=%s' % host, '--sql_min_pool_size=%d' % pool,
                 '--sql_max_pool_size=%d' % pool]
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, cwd=ROOT,
                                env=env)
        self.procs.append(proc)
        self.names[proc.pid] = binary
        return proc

    def set_up(self, instances):
        self.manage('db', 'sync')
        exports = self.manage('user', 'admin', 'bench')
        access = re.search(r'EC2_ACCESS_KEY=(\S+)', exports).group(1)
        secret = re.search(r'EC2_SECRET_KEY=(\S+)', exports).group(1)
        self.manage('project', 'create', 'scale', 'bench')
        quota = str(instances * 2)
        for quota_of in ('instances', 'cores'):
            self.manage('project', 'quota', 'scale', quota_of, quota)
        self.manage('project', 'quota', 'scale', 'ram',
                    str(instances * 2 * 512))
        self.manage('network', 'create', 'private', '10.40.0.0/20', '1',
                    '4096')
        image = os.path.join(self.tmp, 'disk.img')
        with open(image, 'wb') as out:
            out.write(b'\0' * 4096)
        registered = self.manage('image', 'image_register', image, 'scale')
        self.ami = 'ami-%s' % re.search(r'\((\w{8})\)',
                                        registered).group(1)
        self.start('nova-scheduler', 'ctl')
        self.start('nova-network', 'ctl')
        for host in self.computes:
            self.start('nova-compute', host)
        self.start('nova-api', 'ctl')
        wanted = 2 + len(self.computes)

        def all_up():
            rows = self.manage('service', 'list').splitlines()
            alive = [r for r in rows if ':-)' in r]
            return len(alive) >= wanted and _reachable(self.port)
        _wait(all_up, 300, '%d services and the API' % wanted, step=1)
        import boto3
        import botocore.config
        self.client = boto3.client(
            'ec2', endpoint_url='http://127.0.0.1:%d/services/Cloud'
            % self.port, region_name='nova',
            aws_access_key_id='%s:scale' % access,
            aws_secret_access_key=secret,
            config=botocore.config.Config(retries={'max_attempts': 1},
                                          read_timeout=600))
        self.credentials = self.client._request_signer._credentials

    def states(self, wanted):
        """``{instance id: state name}`` of the ``wanted`` instances, from
        one DescribeInstances.

        Signed as boto3 signs it, but the XML is scanned with one regular
        expression instead of boto3's parser: parsing 1,000 instances costs
        the client about as much CPU as the API spends answering, and on
        this machine the client's CPU is the cloud's (a user's client runs
        elsewhere)."""
        import botocore.auth
        import botocore.awsrequest
        import urllib.request
        request = botocore.awsrequest.AWSRequest(
            method='POST', url=self.client.meta.endpoint_url,
            data='Action=DescribeInstances&Version=2011-01-01',
            headers={'Content-Type': 'application/x-www-form-urlencoded; '
                                     'charset=utf-8'})
        botocore.auth.SigV4Auth(self.credentials, 'ec2', 'nova').add_auth(
            request)
        prepared = request.prepare()
        with urllib.request.urlopen(urllib.request.Request(
                prepared.url, data=prepared.body.encode()
                if isinstance(prepared.body, str) else prepared.body,
                headers=dict(prepared.headers), method='POST'),
                timeout=600) as reply:
            body = reply.read().decode()
        return {instance_id: state
                for instance_id, state in _STATE_RE.findall(body)
                if instance_id in wanted}

    def launch(self, count, batch):
        """RunInstances in batches; (ids, seconds to all running,
        seconds the RunInstances calls took)."""
        start = time.monotonic()
        ids = []
        while len(ids) < count:
            size = min(batch, count - len(ids))
            reply = self.client.run_instances(
                ImageId=self.ami, InstanceType='m1.tiny', MinCount=size,
                MaxCount=size)
            ids += [i['InstanceId'] for i in reply['Instances']]
        api_s = time.monotonic() - start
        wanted = set(ids)

        def all_running():
            states = self.states(wanted)
            if [i for i, s in states.items() if s == 'error']:
                raise RuntimeError('instances went to error')
            return len(states) == count and all(
                s == 'running' for s in states.values())
        # Each look lists every instance: not too often, or the bench's own
        # DescribeInstances takes the API's time from the launches.
        _wait(all_running, 900, '%d instances running' % count, step=1)
        return ids, time.monotonic() - start, api_s

    def terminate(self, ids, batch):
        """TerminateInstances; (seconds until none is listed but
        ``terminated``, seconds the API calls took)."""
        start = time.monotonic()
        for first in range(0, len(ids), batch):
            self.client.terminate_instances(
                InstanceIds=ids[first:first + batch])
        api_s = time.monotonic() - start
        wanted = set(ids)
        _wait(lambda: not [s for s in self.states(wanted).values()
                           if s != 'terminated'], 900, 'instances gone',
              step=1)
        return time.monotonic() - start, api_s

    def cpu(self):
        """CPU seconds so far: per daemon binary (its processes summed),
        the database server's backends of this run, and the machine."""
        spent = {}
        for proc in self.procs:
            name = self.names[proc.pid]
            spent[name] = spent.get(name, 0.0) + _cpu_seconds(proc.pid)
        rows = self.database.query(
            'SELECT pid FROM pg_stat_activity WHERE datname = '
            'current_database()')
        spent['postgresql'] = {pid: _cpu_seconds(pid) for pid, in rows}
        if self.broker_dir:
            try:
                with open(os.path.join(self.broker_dir, 'pid')) as src:
                    spent['rabbitmq'] = _cpu_seconds(int(src.read()))
            except (OSError, ValueError):
                pass
        usage = resource.getrusage(resource.RUSAGE_SELF)
        spent['bench-client'] = usage.ru_utime + usage.ru_stime
        (spent['machine'], spent['machine_interrupts'],
         spent['machine_steal']) = _busy_seconds()
        spent['processes'] = _all_processes()
        return spent

    def per_host(self):
        rows = self.database.query(
            "SELECT host, count(*) FROM instances WHERE deleted = false "
            "AND vm_state = 'active' GROUP BY host")
        counts = {host: 0 for host in self.computes}
        counts.update({host: n for host, n in rows})
        return counts

    def stop_all(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT if os.environ.get(
                    'NOVA_SCALE_PROFILE') else signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        self.procs = []

    def delete_exchange(self):
        """Remove this run's exchange and the topic queues nobody else
        uses (best effort): queue names are shared by every cloud on the
        broker, so one another cloud consumes or fills is left alone."""
        try:
            import kombu
            with kombu.Connection('amqp://guest:guest@127.0.0.1:%d//'
                                  % self.rabbit_port) as conn:
                channel = conn.channel()
                for topic in ('scheduler', 'network', 'compute'):
                    for name in [topic] + ['%s.%s' % (topic, h) for h in
                                           self.computes + ['ctl']]:
                        try:
                            channel.queue_delete(name, if_unused=True,
                                                 if_empty=True)
                        except Exception:  # noqa: BLE001 - best effort
                            channel = conn.channel()
                channel.exchange_delete(self.exchange)
        except Exception:  # noqa: BLE001 - best effort
            pass


def _delta(before, after):
    """CPU seconds spent between two :meth:`Deployment.cpu` readings (the
    database's backends: those alive at the second one)."""
    spent = {}
    ours = set()
    for name in sorted(after):
        if name == 'processes':
            continue
        if name == 'postgresql':
            ours.update(after[name])
            value = sum(secs - before[name].get(pid, 0.0)
                        for pid, secs in after[name].items())
        else:
            value = after[name] - before.get(name, 0.0)
        spent[name] = round(value, 1)
    # What else ran: other processes by command name (the machine's
    # PostgreSQL's own workers, the kernel's threads, other work).
    ours.update(p for p, (comm, _) in after['processes'].items()
                if comm.startswith(('nova-', 'python', 'beam')))
    others = {}
    for pid, (comm, secs) in after['processes'].items():
        if pid in ours or pid == os.getpid():
            continue
        old = before['processes'].get(pid)
        used = secs - (old[1] if old and old[0] == comm else 0.0)
        others[comm] = others.get(comm, 0.0) + used
    spent['other_processes'] = {comm: round(secs, 1) for comm, secs in
                                sorted(others.items(), key=lambda x: -x[1])
                                if secs >= 0.2}
    return spent


def run(args):
    """Bring the cloud up, measure, tear it down; the report dict."""
    checks = [(5432, 'PostgreSQL')]
    broker = None
    if args.broker == 'private':
        sys.path.insert(0, ROOT)
        from tests.integration import private_services
        missing = private_services.rabbitmq_missing()
        if missing:
            raise SystemExit('bench: no private RabbitMQ (%s); try '
                             '--broker=machine' % missing)
    else:
        checks.append((5672, 'RabbitMQ'))
    for port, what in checks:
        if not _reachable(port):
            raise SystemExit('bench: %s is not reachable on 127.0.0.1:%d'
                             % (what, port))
    tmp = tempfile.mkdtemp(prefix='nova-scale-')
    database = Database()
    try:
        if args.broker == 'private':
            broker = private_services.PrivateRabbit()
            broker.start()
        cloud = Deployment(tmp, database, args.computes,
                           broker.port if broker else 5672, args.flag)
        cloud.broker_dir = broker.dir if broker else None
    except BaseException:
        database.drop()
        if broker is not None:
            broker.destroy()
        raise
    try:
        started = time.monotonic()
        cloud.set_up(args.instances)
        up_s = time.monotonic() - started
        time.sleep(2)
        calibration = _calibration_seconds()
        cpu_up = cloud.cpu()
        ids, run_s, run_api_s = cloud.launch(args.instances, args.batch)
        cpu_run = cloud.cpu()
        counts = cloud.per_host()
        gone_s, term_api_s = cloud.terminate(ids, args.batch)
        cpu_gone = cloud.cpu()
    finally:
        cloud.stop_all()
        if broker is not None:
            broker.destroy()
        else:
            cloud.delete_exchange()
        database.drop()
        if args.keep_logs:
            shutil.copytree(tmp, args.keep_logs, dirs_exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
    spread = (max(counts.values()) / min(counts.values())
              if min(counts.values()) else None)
    return {
        'benchmark': '%d instances on %d nova-compute processes (fake '
                     'driver) over RabbitMQ and PostgreSQL'
                     % (args.instances, args.computes),
        'broker': args.broker,
        'cloud_up_s': round(up_s, 1),
        'calibration_cpu_s': calibration,
        'sql_pool_per_daemon': cloud.pools,
        'loadavg_at_end': [round(x, 2) for x in os.getloadavg()],
        'run_instances_batch': args.batch,
        'to_running_s': {'value': round(run_s, 2),
                         'target': TARGETS['to_running_s'],
                         'anchor': ANCHORS['to_running_s']},
        'run_instances_api_s': round(run_api_s, 2),
        'to_gone_s': {'value': round(gone_s, 2),
                      'target': TARGETS['to_gone_s'],
                      'anchor': ANCHORS['to_gone_s']},
        'terminate_instances_api_s': round(term_api_s, 2),
        'cpu_s_to_running': _delta(cpu_up, cpu_run),
        'cpu_s_to_gone': _delta(cpu_run, cpu_gone),
        'instances_per_host': counts,
        'max_min_per_host': {
            'value': round(spread, 3) if spread else None,
            'target': TARGETS['max_min_per_host']},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--instances', type=int, default=1000)
    parser.add_argument('--computes', type=int, default=10)
    parser.add_argument('--batch', type=int, default=200,
                        help='instances per RunInstances/Terminate call')
    parser.add_argument('--flag', action='append', default=[],
                        help='an extra --flag=value for every daemon')
    parser.add_argument('--broker', choices=('private', 'machine'),
                        default='private',
                        help='a private RabbitMQ node (default) or the '
                        'machine\'s, under an exchange of this run')
    parser.add_argument('--keep-logs', help='copy the daemons\' logs here')
    args = parser.parse_args()
    print(json.dumps(run(args), indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
