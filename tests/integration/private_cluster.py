"""A private three-node RabbitMQ cluster for the clustered-broker test.

Each node is the machine's ``rabbitmq-server`` run as the ``rabbitmq`` user
with its own node name, AMQP port, distribution port and data directory
under one temporary directory.  All nodes share a private ``epmd`` port
(``ERL_EPMD_PORT``: the machine's own broker and its epmd on 4369 are never
touched) and one Erlang cookie, written to each node's own ``HOME``.  The
second and third nodes join the first with ``rabbitmqctl join_cluster``.
:meth:`PrivateCluster.destroy` kills every node and the private epmd and
removes the files.
"""

import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

from tests.integration import private_services

SBIN = '/usr/lib/rabbitmq/bin'


def _demote():
    info = pwd.getpwnam('rabbitmq')
    os.setgid(info.pw_gid)
    os.setuid(info.pw_uid)


def cluster_missing():
    """Why a private cluster cannot run here (None when it can)."""
    if not os.path.exists(os.path.join(SBIN, 'rabbitmq-server')):
        return 'rabbitmq-server is not installed'
    if os.geteuid() != 0:
        return 'a private RabbitMQ cluster needs root (it runs as rabbitmq)'
    return None


class ClusterNode(object):
    """One node of the cluster: its ports, files and process."""

    def __init__(self, base, prefix, index, epmd_port, cookie):
        self.index = index
        self.name = '%s_%d@localhost' % (prefix, index)
        self.dir = os.path.join(base, 'node%d' % index)
        self.port = private_services.free_port()
        self.dist_port = private_services.free_port()
        self.epmd_port = epmd_port
        self.proc = None
        for sub in ('mnesia', 'log'):
            os.makedirs(os.path.join(self.dir, sub))
        with open(os.path.join(self.dir, 'plugins'), 'w') as out:
            out.write('[].\n')
        open(os.path.join(self.dir, 'rabbitmq.conf'), 'w').close()
        cookie_path = os.path.join(self.dir, '.erlang.cookie')
        with open(cookie_path, 'w') as out:
            out.write(cookie)
        os.chmod(cookie_path, 0o400)

    def env(self):
        """The environment of this node's server and CLI tools."""
        base = dict((k, v) for k, v in os.environ.items()
                    if not k.startswith('RABBITMQ_'))
        return private_services.rabbit_node_env(
            base, self.dir, self.name, self.port, self.dist_port,
            self.epmd_port)

    def start(self, timeout=90):
        """Start the server and wait until it accepts AMQP connections."""
        log = open(os.path.join(self.dir, 'server.out'), 'ab')
        self.proc = subprocess.Popen(
            [os.path.join(SBIN, 'rabbitmq-server')], env=self.env(),
            stdout=log, stderr=log, cwd=self.dir, preexec_fn=_demote,
            start_new_session=True)
        log.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            if private_services.reachable(self.port):
                return
            time.sleep(0.3)
        self.kill()
        raise RuntimeError('cluster node %s did not start; see %s'
                           % (self.name, self.dir))

    def ctl(self, *words, tool='rabbitmqctl', timeout=60):
        """Run a CLI tool against this node; its standard output."""
        proc = subprocess.run(
            [os.path.join(SBIN, tool), '-n', self.name] + list(words),
            env=self.env(), cwd=self.dir, preexec_fn=_demote,
            capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError('%s %s on %s failed: %s' % (
                tool, ' '.join(words), self.name,
                proc.stderr.strip() or proc.stdout.strip()))
        return proc.stdout

    def kill(self):
        """SIGKILL the node (a crash) and its process group."""
        private_services.signal_node(self.dir, signal.SIGKILL)
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
        deadline = time.time() + 15
        while time.time() < deadline and \
                private_services.reachable(self.port):
            time.sleep(0.2)

    @property
    def alive(self):
        """Whether the node's server process still runs."""
        return self.proc is not None and self.proc.poll() is None


class PrivateCluster(object):
    """``size`` RabbitMQ nodes clustered together on private ports."""

    def __init__(self, size=3):
        self.dir = tempfile.mkdtemp(prefix='n9-cluster-')
        os.chmod(self.dir, 0o755)
        self.epmd_port = private_services.free_port()
        prefix = 'n9c_%s' % uuid.uuid4().hex[:8]
        cookie = secrets.token_hex(16).upper()
        self.nodes = [ClusterNode(self.dir, prefix, i, self.epmd_port,
                                  cookie) for i in range(1, size + 1)]
        info = pwd.getpwnam('rabbitmq')
        for root, _dirs, files in os.walk(self.dir):
            os.chown(root, info.pw_uid, info.pw_gid)
            for name in files:
                os.chown(os.path.join(root, name), info.pw_uid, info.pw_gid)

    @property
    def hosts(self):
        """``host:port,...`` of every node, for ``--rabbit_hosts``."""
        return ','.join('127.0.0.1:%d' % n.port for n in self.nodes)

    def start(self):
        """Start every node; the others join the first one's cluster."""
        first = self.nodes[0]
        first.start()
        for node in self.nodes[1:]:
            node.start()
            node.ctl('stop_app')
            node.ctl('join_cluster', first.name)
            node.ctl('start_app')
        running = self.running_nodes()
        if sorted(running) != sorted(n.name for n in self.nodes):
            raise RuntimeError('the cluster has %s, not every node'
                               % running)

    def running_nodes(self, via=None):
        """The names of the nodes the cluster reports running."""
        node = via or self.alive_nodes()[0]
        status = json.loads(node.ctl('cluster_status', '--formatter',
                                     'json'))
        return status.get('running_nodes', [])

    def alive_nodes(self):
        """The nodes whose server still runs."""
        return [n for n in self.nodes if n.alive]

    def node_named(self, name):
        """The node called ``name`` (as the broker writes it)."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def queues(self, vhost='/'):
        """``{queue name: (type, leader node name or None)}``."""
        node = self.alive_nodes()[0]
        out = node.ctl('list_queues', '-p', vhost, 'name', 'type',
                       'leader', '--formatter', 'json', '-q')
        found = {}
        for row in json.loads(out or '[]'):
            leader = row.get('leader')
            found[row['name']] = (row.get('type'),
                                  leader if leader not in ('', None)
                                  else None)
        return found

    def leader_of(self, queue, vhost='/'):
        """The node that leads the quorum queue ``queue``."""
        kind, leader = self.queues(vhost).get(queue, (None, None))
        if kind != 'quorum' or not leader:
            raise LookupError('%s is not a quorum queue with a leader '
                              '(%s)' % (queue, kind))
        return self.node_named(leader)

    def destroy(self):
        """Kill every node and the private epmd; remove the files."""
        for node in self.nodes:
            node.kill()
        subprocess.run([shutil.which('epmd') or 'epmd', '-port',
                        str(self.epmd_port), '-kill'],
                       env=self.nodes[0].env(), capture_output=True,
                       timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)
