"""A private RabbitMQ node and a private PostgreSQL cluster for fault tests.

Both run on their own free ports with their data in a temporary directory,
so a test may kill and restart them freely; the machine's own broker and
database are never touched.  RabbitMQ gets its own ``epmd`` port too
(``ERL_EPMD_PORT``), which is stopped with the node.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

from tests.ports import free_port

PG_BIN = '/usr/lib/postgresql/15/bin'


def reachable(port, host='127.0.0.1'):
    """Whether something accepts TCP connections on ``port``."""
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def _wait_port(port, seconds, up=True):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if reachable(port) == up:
            return True
        time.sleep(0.2)
    return False


def _chown_tree(path, user):
    info = pwd.getpwnam(user)
    for root, _dirs, files in os.walk(path):
        os.chown(root, info.pw_uid, info.pw_gid)
        for name in files:
            os.chown(os.path.join(root, name), info.pw_uid, info.pw_gid)


def rabbitmq_missing():
    """Why a private RabbitMQ cannot run here (None when it can)."""
    if shutil.which('rabbitmq-server') is None:
        return 'rabbitmq-server is not installed'
    if os.geteuid() != 0:
        return 'a private RabbitMQ node needs root (it runs as rabbitmq)'
    return None


def postgresql_missing():
    """Why a private PostgreSQL cannot run here (None when it can)."""
    if not os.path.exists(os.path.join(PG_BIN, 'pg_ctl')):
        return 'PostgreSQL 15 server binaries are not installed'
    if os.geteuid() != 0:
        return 'a private PostgreSQL cluster needs root (runs as postgres)'
    return None


def rabbit_node_env(base, directory, node, port, dist_port, epmd_port):
    """*base* (an environment) with what makes a RabbitMQ node private:
    its name, its ports on 127.0.0.1 and every file under *directory*."""
    env = dict(base)
    env.update({
        'HOME': directory,
        'RABBITMQ_NODENAME': node,
        'RABBITMQ_NODE_IP_ADDRESS': '127.0.0.1',
        'RABBITMQ_NODE_PORT': str(port),
        'RABBITMQ_DIST_PORT': str(dist_port),
        'ERL_EPMD_PORT': str(epmd_port),
        'RABBITMQ_MNESIA_BASE': os.path.join(directory, 'mnesia'),
        'RABBITMQ_LOG_BASE': os.path.join(directory, 'log'),
        'RABBITMQ_ENABLED_PLUGINS_FILE': os.path.join(directory, 'plugins'),
        'RABBITMQ_PID_FILE': os.path.join(directory, 'pid'),
        'RABBITMQ_CONFIG_FILE': os.path.join(directory, 'rabbitmq'),
        'RABBITMQ_ADVANCED_CONFIG_FILE': os.path.join(directory,
                                                      'advanced.config'),
        'RABBITMQ_CONF_ENV_FILE': os.path.join(directory, 'env.conf'),
    })
    return env


def signal_node(directory, signum):
    """Send *signum* to the Erlang VM of the RabbitMQ node whose files are
    under *directory* (its pid file), if it runs."""
    try:
        with open(os.path.join(directory, 'pid')) as src:
            pid = int(src.read().strip())
    except (OSError, ValueError):
        return
    if pid <= 0:
        return
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


class PrivateRabbit(object):
    """A RabbitMQ node of our own: start, kill -9, stop, start again."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='n9-rabbit-')
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.dist_port = free_port()
        self.epmd_port = free_port()
        self.node = 'n9_%s@localhost' % uuid.uuid4().hex[:8]
        for sub in ('mnesia', 'log'):
            os.makedirs(os.path.join(self.dir, sub))
        with open(os.path.join(self.dir, 'plugins'), 'w') as out:
            out.write('[].\n')
        open(os.path.join(self.dir, 'rabbitmq.conf'), 'w').close()
        _chown_tree(self.dir, 'rabbitmq')
        self.proc = None

    def _env(self):
        return rabbit_node_env(os.environ, self.dir, self.node, self.port,
                               self.dist_port, self.epmd_port)

    def start(self, timeout=90):
        """Start the node and wait until it accepts AMQP connections."""
        log = open(os.path.join(self.dir, 'server.out'), 'ab')
        self.proc = subprocess.Popen(['rabbitmq-server'], env=self._env(),
                                     stdout=log, stderr=log,
                                     start_new_session=True)
        if not _wait_port(self.port, timeout):
            self.kill()
            raise RuntimeError('private RabbitMQ did not start; see %s'
                               % self.dir)

    def kill(self):
        """SIGKILL the node (a crash): unacknowledged work must survive."""
        signal_node(self.dir, signal.SIGKILL)
        self._reap()
        _wait_port(self.port, 15, up=False)

    def stop(self):
        """Stop the node cleanly (SIGTERM)."""
        signal_node(self.dir, signal.SIGTERM)
        self._reap(30)
        _wait_port(self.port, 30, up=False)

    def _reap(self, seconds=10):
        if self.proc is not None:
            try:
                self.proc.wait(seconds)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
            self.proc = None

    def destroy(self):
        """Kill the node and its epmd; remove its files."""
        self.kill()
        subprocess.run(['epmd', '-port', str(self.epmd_port), '-kill'],
                       env=self._env(), capture_output=True, timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivatePostgres(object):
    """A PostgreSQL cluster of our own, run as the postgres user."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='n9-pg-')
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, 'data')
        self.port = free_port()
        _chown_tree(self.dir, 'postgres')
        self._as_postgres([os.path.join(PG_BIN, 'initdb'), '-D', self.data,
                           '-A', 'trust', '-U', 'postgres', '--no-sync'])

    @staticmethod
    def _as_postgres(argv, timeout=120):
        info = pwd.getpwnam('postgres')

        def demote():
            os.setgid(info.pw_gid)
            os.setuid(info.pw_uid)
        return subprocess.run(argv, preexec_fn=demote, capture_output=True,
                              text=True, timeout=timeout, check=True,
                              cwd='/tmp')

    @property
    def url(self):
        """The server's URL (database ``nova``)."""
        return 'postgresql://postgres@127.0.0.1:%d/nova' % self.port

    def start(self):
        """Start the server and wait until it accepts connections."""
        self._as_postgres([
            os.path.join(PG_BIN, 'pg_ctl'), '-D', self.data, '-w',
            '-l', os.path.join(self.dir, 'server.log'), '-o',
            '-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off '
            '-c max_connections=200' % (self.port, self.dir), 'start'])

    def create_database(self):
        """Create the ``nova`` database."""
        import psycopg
        with psycopg.connect('host=127.0.0.1 port=%d user=postgres '
                             'dbname=postgres' % self.port,
                             autocommit=True) as conn:
            conn.execute('CREATE DATABASE nova')

    def stop(self, mode='fast'):
        """Stop the server (``immediate`` is a crash)."""
        try:
            self._as_postgres([os.path.join(PG_BIN, 'pg_ctl'), '-D',
                               self.data, '-m', mode, '-w', 'stop'])
        except subprocess.CalledProcessError:
            pass

    def destroy(self):
        """Stop the server and remove its files."""
        self.stop('immediate')
        shutil.rmtree(self.dir, ignore_errors=True)
