"""The multi-node cloud of ``tools/multinode.py`` as seen from a test.

:class:`MultiNode` runs ``multinode.py up`` (controller, ``--nodes``
compute-node namespaces, switch, outside), registers the test guest with
the cloud's image store, creates an admin user with two projects, and gives
boto3 clients and helpers (run a guest on a chosen node, wait for its
marker, read its console, query the cloud's database, run a command in a
host's namespace).  :meth:`MultiNode.stop` runs ``multinode.py down``,
which removes everything, also after a failure.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
TOOL = os.path.join(REPO, 'tools', 'multinode.py')
MARKER_RE = re.compile(r'NOVA-TEST-GUEST ip=(\S+) id=(\S+)')


def missing_parts():
    """Why the multi-node cloud cannot run here (None when it can)."""
    from tests.integration.virt import guestnet
    missing = guestnet.missing_parts()
    if missing:
        return missing
    if shutil.which('rabbitmqctl') is None:
        return 'rabbitmq-server is not installed'
    try:
        socket.create_connection(('127.0.0.1', 5672), 2).close()
    except OSError:
        return 'the machine\'s RabbitMQ does not answer on 127.0.0.1:5672'
    from tests.integration import private_services
    missing = private_services.postgresql_missing()
    if missing:
        return missing
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return 'psycopg is not installed'
    return None


def wait_for(predicate, timeout, what, interval=0.5):
    """Poll ``predicate`` until truthy; returns its value."""
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError('timed out (%ss) waiting for %s' % (
                timeout, what))
        time.sleep(interval)


#: run in a node's namespace by MultiNode.metadata
_METADATA_GET = r'''
import socket, subprocess, sys
relay, source, path, forwarded = sys.argv[1:5]
local = subprocess.run(['ip', '-4', '-o', 'addr', 'show', 'to',
                        source + '/32'], capture_output=True,
                       text=True).stdout.strip()
knob = '/proc/sys/net/ipv4/conf/all/arp_ignore'
if not local:
    old = open(knob).read().strip()
    open(knob, 'w').write('1')
    subprocess.run(['ip', 'addr', 'add', source + '/32', 'dev', 'lo'],
                   check=True)
# not SNATed (nova-network's rule for the fixed range) on its way to lo
exempt = ['POSTROUTING', '-s', source + '/32', '-d', relay + '/32', '-j',
          'ACCEPT']
subprocess.run(['iptables', '-w', '-t', 'nat', '-I'] + exempt[:1] + ['1'] +
               exempt[1:], check=True)
try:
    conn = socket.create_connection((relay, 8773), 10,
                                    source_address=(source, 0))
    head = 'GET %s HTTP/1.1\r\nHost: 169.254.169.254\r\n' % path
    if forwarded:
        head += 'X-Forwarded-For: %s\r\n' % forwarded
    conn.sendall((head + 'Connection: close\r\n\r\n').encode())
    data = b''
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    conn.close()
finally:
    subprocess.run(['iptables', '-w', '-t', 'nat', '-D'] + exempt)
    if not local:
        subprocess.run(['ip', 'addr', 'del', source + '/32', 'dev', 'lo'])
        open(knob, 'w').write(old)
head, _sep, body = data.partition(b'\r\n\r\n')
print(head.split()[1].decode())
print(body.decode(errors='replace'), end='')
'''


def pinger(addresses, rounds=900):
    """User data: ping ``addresses`` once a second, each round's answers
    on the console as ``MN-SEEN <round> <addresses>``."""
    return '''#!/bin/sh
( n=0
  while [ $n -lt %d ]; do
    n=$((n+1)); : > /tmp/seen
    for a in %s; do
      ( ping -c 1 -W 1 $a >/dev/null 2>&1 && echo "$a" >> /tmp/seen ) &
    done
    wait
    echo "MN-SEEN $n $(sort /tmp/seen | tr '\\n' ' ')" >/dev/ttyS0
    sleep 1
  done ) >/dev/null 2>&1 &
''' % (rounds, ' '.join(addresses))


SEEN_RE = re.compile(r'MN-SEEN (\d+) ([0-9. ]*)')


def qemu_count(name):
    """How many QEMU processes run the domain ``name``."""
    out = subprocess.run(['pgrep', '-f', 'qemu-system.*guest=%s,' % name],
                         capture_output=True, text=True).stdout
    return len(out.split())


class MultiNode(object):
    """A running ``tools/multinode.py`` cloud."""

    def __init__(self, nodes=2, up_args=()):
        self.nodes = nodes
        # more words for ``up`` (--iscsi, --private-instances)
        self.up_args = list(up_args)
        self.tag = uuid.uuid4().hex[:5]
        self.prefix = 'mn%s' % self.tag
        self.dir = tempfile.mkdtemp(prefix='mn-%s-' % self.tag)
        self.state = {}
        self.clients = {}

    def tool(self, *words, timeout=300):
        """Run ``multinode.py WORDS --state DIR``; returns stdout."""
        proc = subprocess.run(
            [sys.executable, TOOL] + list(words[:1]) + ['--state', self.dir]
            + list(words[1:]), capture_output=True, text=True,
            timeout=timeout)
        if proc.returncode != 0:
            raise AssertionError('multinode.py %s failed: %s\n%s' % (
                words[0], proc.stdout[-3000:], proc.stderr[-3000:]))
        return proc.stdout

    def start(self, test_guest):
        """``up``, the image, the user and its two projects."""
        started = time.time()
        # A PostgreSQL of the cloud's own unless MN_DATABASE=machine: the
        # machine's server is shared with benches that may take all of its
        # connections.
        self.tool('up', '--nodes', str(self.nodes), '--prefix', self.prefix,
                  '--database', os.environ.get('MN_DATABASE', 'private'),
                  *self.up_args)
        self.up_seconds = time.time() - started
        with open(os.path.join(self.dir, 'state.json')) as source:
            self.state = json.load(source)
        self.ami = self._register(test_guest)
        out = self.tool('manage', '--', 'user', 'admin', 'mnadmin')
        keys = dict(re.findall(r'export (EC2_\w+)=(\S+)', out))
        self.access = keys['EC2_ACCESS_KEY']
        self.secret = keys['EC2_SECRET_KEY']
        for project in ('proja', 'projb'):
            self.tool('manage', '--', 'project', 'create', project,
                      'mnadmin')
        return self

    def _register(self, test_guest):
        """The guest's kernel, ramdisk and disk in the cloud's images."""
        code = (
            'import sys, json\n'
            'from nova import flags\n'
            'import nova.image.local\n'
            'flags.FLAGS(["x", "--images_path=" + sys.argv[1]])\n'
            'sys.path.insert(0, sys.argv[3])\n'
            'from tests.integration.virt.conftest import register_guest\n'
            'from nova.api.ec2 import ec2utils\n'
            'ids = register_guest(json.loads(sys.argv[2]))\n'
            'print(ec2utils.image_ec2_id(ids["ami"], "ami"))\n')
        proc = subprocess.run(
            [sys.executable, '-c', code, os.path.join(self.dir, 'images'),
             json.dumps(test_guest), REPO], capture_output=True, text=True,
            cwd=REPO, timeout=120)
        if proc.returncode != 0:
            raise AssertionError('registering the guest: %s' % proc.stderr)
        return proc.stdout.strip().splitlines()[-1]

    def stop(self):
        """``down``: nothing is left behind (``MN_KEEP_LOGS=1`` keeps the
        logs in the state directory for a look after a failure)."""
        if not os.path.isdir(self.dir):
            return
        if os.environ.get('MN_KEEP_LOGS'):
            self.tool('down', '--keep-logs')
            return
        try:
            self.tool('down')
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- access ------------------------------------------------------------
    def client(self, project):
        """A boto3 EC2 client of the admin user in ``project``."""
        if project not in self.clients:
            import boto3
            import botocore.config
            self.clients[project] = boto3.client(
                'ec2', endpoint_url='http://127.0.0.1:%d/services/Cloud'
                % self.state['ports']['ec2'], region_name='nova',
                aws_access_key_id='%s:%s' % (self.access, project),
                aws_secret_access_key=self.secret,
                config=botocore.config.Config(retries={'max_attempts': 1}))
        return self.clients[project]

    def ns(self, host, *cmd, check=True, timeout=60):
        """Run a command in a host's namespace (ctl, out, c1, ...)."""
        proc = subprocess.run(
            ['ip', 'netns', 'exec', '%s-%s' % (self.prefix, host)] +
            [str(c) for c in cmd], capture_output=True, text=True,
            timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError('%s in %s failed: %s %s' % (
                cmd, host, proc.stdout, proc.stderr))
        return proc

    def metadata(self, node, source, path, forwarded=None):
        """(status, body) of ``GET path`` sent to ``node``'s metadata
        relay (the target of its 169.254.169.254 DNAT) from its namespace
        with ``source`` as the source address (put on ``lo`` for the
        request when the node has no such address, the node then not
        answering ARP for it; exempted from the node's SNAT of the fixed
        range for the request), with ``forwarded`` as an
        ``X-Forwarded-For`` of the client's own."""
        relay = '192.168.100.%d' % (10 + int(node[1:]))
        proc = self.ns(node, sys.executable, '-c', _METADATA_GET, relay,
                       source, path, forwarded or '')
        status, _sep, body = proc.stdout.partition('\n')
        return int(status), body

    def query(self, sql, *params):
        """Rows of a query on the cloud's database."""
        import psycopg
        with psycopg.connect('host=127.0.0.1 port=%d user=postgres '
                             'dbname=%s' % (self.state['pg_port'],
                                            self.state['database'])) as conn:
            return conn.execute(sql, params).fetchall()

    def execute(self, sql):
        """Run one statement on the cloud's database (as psql would)."""
        import psycopg
        with psycopg.connect('host=127.0.0.1 port=%d user=postgres '
                             'dbname=%s' % (self.state['pg_port'],
                                            self.state['database']),
                             autocommit=True) as conn:
            return conn.execute(sql).rowcount

    def wait_reported(self, host, timeout):
        """Wait until ``host``'s nova-compute wrote its service row within
        the last 3 seconds (it runs and reaches the database)."""
        def reported():
            rows = self.query(
                "SELECT updated_at > now() AT TIME ZONE 'UTC' - "
                "interval '3 seconds' FROM services WHERE host = %s AND "
                "topic = 'compute'", host)
            return rows and rows[0][0]
        wait_for(reported, timeout, '%s nova-compute to report' % host)

    def migrate(self, command, ec2_id, dest, timeout):
        """``nova-manage vm <command> ec2_id dest`` (live_migration or
        block_migration); waits until the database says ``dest`` and
        active (migrating meanwhile) and returns the seconds it took."""
        started = time.time()
        self.tool('manage', '--', 'vm', command, ec2_id, dest)

        def moved():
            row = self.query('SELECT host, vm_state FROM instances WHERE '
                             'id = %s', int(ec2_id[2:], 16))[0]
            assert row[1] in ('migrating', 'active'), row
            return row == (dest, 'active')
        wait_for(moved, timeout, 'the %s of %s' % (command, ec2_id), 1)
        return time.time() - started

    def domains(self, node):
        """{name: active} of a node's libvirtd."""
        import libvirt
        conn = libvirt.open('qemu+unix:///system?socket=%s' % os.path.join(
            self.dir, node, 'lv', 'run', 'libvirt-sock'))
        try:
            return {dom.name(): bool(dom.isActive())
                    for dom in conn.listAllDomains(0)}
        finally:
            conn.close()

    def domain_name(self, ec2_id):
        """The libvirt name of an instance."""
        return 'instance-%s-%08x' % (self.prefix, int(ec2_id[2:], 16))

    def log_tail(self, name, size=3000):
        """The end of a daemon's log (``c1/nova-compute``...)."""
        try:
            with open(os.path.join(self.dir, name + '.log'),
                      errors='replace') as source:
                return source.read()[-size:]
        except OSError:
            return ''

    # -- guests ------------------------------------------------------------
    def run(self, project, node, user_data='', group=None):
        """One guest of ``project`` forced onto ``node``; its ``i-...``."""
        kwargs = {'UserData': user_data} if user_data else {}
        if group:
            kwargs['SecurityGroups'] = [group]
        res = self.client(project).run_instances(
            ImageId=self.ami, MinCount=1, MaxCount=1, InstanceType='m1.tiny',
            Placement={'AvailabilityZone': 'nova:%s' % node}, **kwargs)
        return res['Instances'][0]['InstanceId']

    def describe(self, project, ec2_id):
        """DescribeInstances of one instance."""
        res = self.client(project).describe_instances(InstanceIds=[ec2_id])
        return res['Reservations'][0]['Instances'][0]

    def wait_running(self, project, ec2_id, timeout=180):
        """Wait for ``running``; returns the instance."""
        def state():
            item = self.describe(project, ec2_id)
            return item if item['State']['Name'] in ('running', 'error') \
                else None
        item = wait_for(state, timeout, '%s to run' % ec2_id)
        assert item['State']['Name'] == 'running', (
            item.get('StateReason'), self.log_tail('c1/nova-compute'),
            self.log_tail('c2/nova-compute'))
        return item

    def host_of(self, ec2_id):
        """The ``host`` column of the instance."""
        return self.query('SELECT host FROM instances WHERE id = %s',
                          int(ec2_id[2:], 16))[0][0]

    def console(self, project, ec2_id):
        """GetConsoleOutput as text."""
        out = self.client(project).get_console_output(InstanceId=ec2_id)
        return out.get('Output') or ''

    def marker(self, project, ec2_id, timeout=180):
        """(ip, id) of the guest's marker line."""
        def found():
            match = MARKER_RE.search(self.console(project, ec2_id))
            return match.groups() if match else None
        try:
            return wait_for(found, timeout, 'the marker of %s' % ec2_id, 1)
        except AssertionError:
            raise AssertionError('no marker; console tail: %s' % (
                self.console(project, ec2_id)[-2500:]))

    def rounds(self, project, ec2_id):
        """[(round, {addresses answered})] of a :func:`pinger` guest."""
        return [(int(n), set(addrs.split())) for n, addrs in
                SEEN_RE.findall(self.console(project, ec2_id))]

    def last_round(self, project, ec2_id):
        """The number of the guest's latest round (0: none yet)."""
        rounds = self.rounds(project, ec2_id)
        return rounds[-1][0] if rounds else 0

    def first_round(self, project, ec2_id, after, predicate, timeout=90):
        """The first round after ``after`` whose answered set fits."""
        def found():
            return next((n for n, seen in self.rounds(project, ec2_id)
                         if n > after and predicate(seen)), None)
        return wait_for(found, timeout, 'a round of %s after #%d' % (
            ec2_id, after), interval=1)

    def terminate(self, project, ids):
        """Terminate and wait until they are gone."""
        import botocore.exceptions
        self.client(project).terminate_instances(InstanceIds=list(ids))

        def gone(ec2_id):
            try:
                return self.describe(project, ec2_id)['State']['Name'] == \
                    'terminated'
            except botocore.exceptions.ClientError as exc:
                return 'NotFound' in exc.response['Error']['Code']
        for ec2_id in ids:
            wait_for(lambda ec2_id=ec2_id: gone(ec2_id), 120,
                     '%s to terminate' % ec2_id)
