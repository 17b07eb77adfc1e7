"""Network namespaces for tests: every one is named ``n10-...`` and removed.

:class:`Lab` creates namespaces, veth pairs and processes inside them and
tears all of it down (processes first) even when a test fails.  Nothing is
created in the root namespace.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir,
                                    os.pardir, os.pardir))
AGENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'agent.py')


def missing_tools():
    """Why namespace tests cannot run here (None when they can)."""
    if os.geteuid() != 0:
        return 'network namespace tests need root'
    for tool in ('ip', 'iptables-save', 'iptables-restore', 'dnsmasq',
                 'udhcpc'):
        if shutil.which(tool) is None:
            return '%s is not installed' % tool
    return None


def run(*cmd, check=True, timeout=30, input=None):
    """Run a command; returns its stdout (raises with stderr on failure)."""
    proc = subprocess.run([str(c) for c in cmd], capture_output=True,
                          text=True, timeout=timeout, input=input)
    if check and proc.returncode != 0:
        raise RuntimeError('%s failed (%s): %s %s' % (
            ' '.join(map(str, cmd)), proc.returncode, proc.stdout,
            proc.stderr))
    return proc.stdout


class Agent(object):
    """tests/integration/network/agent.py running inside a namespace."""

    def __init__(self, ns, flagfile, log_path):
        self.log = open(log_path, 'a')
        self.proc = subprocess.Popen(
            ['ip', 'netns', 'exec', ns, sys.executable, AGENT,
             '--flagfile=%s' % flagfile],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
            text=True, cwd=REPO)

    def call(self, obj, method, *args, context=True, **kwargs):
        """Call ``obj.method(*args, **kwargs)`` in the agent."""
        self.proc.stdin.write(json.dumps({
            'obj': obj, 'method': method, 'args': list(args),
            'kwargs': kwargs, 'context': context}) + '\n')
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError('agent died (see %s)' % self.log.name)
        reply = json.loads(line)
        if 'error' in reply:
            raise RuntimeError(reply['error'])
        return reply['result']

    def stop(self):
        """Close stdin and wait (kill after 5 s)."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Lab(object):
    """Namespaces, links and processes of one test."""

    def __init__(self):
        self.tag = uuid.uuid4().hex[:6]
        self.namespaces = []
        self.agents = []
        self.procs = []
        # A world-readable state directory: dnsmasq re-reads its hosts file
        # as "nobody".
        self.dir = tempfile.mkdtemp(prefix='n10-%s-' % self.tag)
        os.chmod(self.dir, 0o755)

    def ns(self, role):
        """Create namespace ``n10-<tag>-<role>`` (lo up); returns its name."""
        name = 'n10-%s-%s' % (self.tag, role)
        run('ip', 'netns', 'add', name)
        self.namespaces.append(name)
        self.exec(name, 'ip', 'link', 'set', 'lo', 'up')
        return name

    def exec(self, ns, *cmd, **kwargs):
        """Run a command inside a namespace."""
        return run('ip', 'netns', 'exec', ns, *cmd, **kwargs)

    def veth(self, ns_a, name_a, ns_b, name_b, mac_a=None):
        """A veth pair between two namespaces (created inside ``ns_a``)."""
        self.exec(ns_a, 'ip', 'link', 'add', name_a, 'type', 'veth',
                  'peer', 'name', name_b, 'netns', ns_b)
        if mac_a:
            self.exec(ns_a, 'ip', 'link', 'set', name_a, 'address', mac_a)
        self.exec(ns_a, 'ip', 'link', 'set', name_a, 'up')
        self.exec(ns_b, 'ip', 'link', 'set', name_b, 'up')

    def spawn(self, ns, *cmd):
        """A long-running process inside a namespace."""
        proc = subprocess.Popen(['ip', 'netns', 'exec', ns] +
                                [str(c) for c in cmd],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc

    def agent(self, ns, flagfile):
        """Start the driver agent inside ``ns``."""
        agent = Agent(ns, flagfile, os.path.join(self.dir, 'agent-%s.log'
                                                 % ns))
        self.agents.append(agent)
        return agent

    def write(self, name, text, mode=0o644):
        """A file in the lab directory; returns its path."""
        path = os.path.join(self.dir, name)
        with open(path, 'w') as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def flagfile(self, name, **values):
        """A flagfile of ``--key=value`` lines; returns its path."""
        return self.write(name, ''.join('--%s=%s\n' % item
                                        for item in values.items()))

    def cleanup(self):
        """Stop everything and delete the namespaces."""
        for agent in self.agents:
            agent.stop()
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for name in self.namespaces:
            pids = run('ip', 'netns', 'pids', name, check=False).split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
            time.sleep(0.05 if pids else 0)
            run('ip', 'netns', 'del', name, check=False)
        if not os.environ.get("N10_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


def wait_for(predicate, timeout=15.0, interval=0.2, what='condition'):
    """Poll until ``predicate()`` is truthy; returns its value."""
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError('timed out waiting for %s' % what)
        time.sleep(interval)
