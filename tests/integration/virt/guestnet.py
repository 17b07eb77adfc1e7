"""A whole cloud whose guests are networked by nova-network (``nx-...``).

:class:`NetCloud` makes a "host" network namespace ``nx-<tag>`` and, in it,
a private libvirtd (its own mount namespace binds private directories over
libvirt's run/state/config directories, so its socket, its domains and its
QEMU taps are its own, whatever other libvirtd runs on this machine),
nova-network (FlatDHCPManager: bridge ``br100``, gateway, dnsmasq calling
nova-dhcpbridge, SNAT and the metadata DNAT of 169.254.169.254:80) and
nova-compute (libvirt driver, ``--libvirt_type=qemu``,
IptablesFirewallDriver).  nova-api and nova-scheduler run in the root
namespace on loopback; all daemons share one flagfile, a SQLite database
and the embedded file-system message transport.

The metadata DNAT sends a guest's request to ``--ec2_dmz_host:--ec2_port``
(10.0.0.1:8773, the gateway on the bridge).  nova-api listens on loopback
of the root namespace, which no namespace address reaches, so ``nsproxy.py``
listens on port 8773 in the namespace and hands each connection, with
``X-Forwarded-For: <guest's address as seen after DNAT>``, over a UNIX
socket to the test process, which relays it to nova-api (a trusted proxy on
loopback).  Everything is removed at :meth:`NetCloud.stop`, also after a
failure.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

from tests.ports import free_port

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
BIN = os.path.join(REPO, 'bin')
BIND_DIRS = ('/run/libvirt', '/var/lib/libvirt', '/var/cache/libvirt',
             '/etc/libvirt/qemu')

#: runs a daemon under a subreaper (see tools/reaper.py)
REAPER = os.path.join(REPO, 'tools', 'reaper.py')


def run(*cmd, check=True, timeout=60):
    """Run a command; returns stdout (raises with stderr on failure)."""
    proc = subprocess.run([str(c) for c in cmd], capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError('%s failed (%s): %s %s' % (
            ' '.join(map(str, cmd)), proc.returncode, proc.stdout,
            proc.stderr))
    return proc.stdout


def missing_parts():
    """Why this cloud cannot run here (None when it can)."""
    if os.geteuid() != 0:
        return 'network namespaces and libvirtd need root'
    for tool in ('ip', 'iptables-save', 'iptables-restore', 'dnsmasq',
                 'libvirtd', 'virtlogd', 'qemu-system-x86_64', 'unshare'):
        if shutil.which(tool) is None:
            return '%s is not installed (tools/debian-packages.txt)' % tool
    return None


def wait_for(predicate, timeout, what, interval=0.3):
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


class NetCloud(object):
    """The namespace, its private libvirtd and the nova daemons."""

    def __init__(self):
        self.tag = uuid.uuid4().hex[:6]
        self.netns = 'nx-%s' % self.tag
        self.prefix = 'nx%s' % self.tag
        self.dir = tempfile.mkdtemp(prefix='nx-%s-' % self.tag)
        # dnsmasq re-reads its hosts file as "nobody"; QEMU reads images
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.flagfile = os.path.join(self.dir, 'nova.conf')
        self.daemons = {}
        self.libvirt_pids = []
        self.relay = None
        self.netns_made = False

    # -- paths ---------------------------------------------------------------
    @property
    def libvirt_uri(self):
        """The private libvirtd's URI (its socket on the shared fs)."""
        return 'qemu+unix:///system?socket=%s' % os.path.join(
            self.dir, 'run_libvirt', 'libvirt-sock')

    @property
    def db_path(self):
        """The SQLite database every daemon shares."""
        return os.path.join(self.dir, 'nova.sqlite')

    def ns(self, *cmd, **kwargs):
        """Run a command in the host namespace."""
        return run('ip', 'netns', 'exec', self.netns, *cmd, **kwargs)

    # -- start ---------------------------------------------------------------
    def write_flags(self, extra=None):
        """The flagfile every daemon (and nova-dhcpbridge) reads."""
        wrapper = os.path.join(self.dir, 'nova-dhcpbridge')
        with open(wrapper, 'w') as out:
            out.write('#!/bin/sh\nexec %s %s "$@" >>%s/dhcpbridge.log 2>&1\n'
                      % (sys.executable, os.path.join(BIN, 'nova-dhcpbridge'),
                         self.dir))
        os.chmod(wrapper, 0o755)
        values = {
            'state_path': self.dir,
            'sql_connection': 'sqlite:///%s' % self.db_path,
            'fake_rabbit': 'True',
            'lock_path': os.path.join(self.dir, 'locks'),
            'logdir': self.dir,
            'report_interval': '1',
            'periodic_interval': '2',
            'rpc_response_timeout': '60',
            'enabled_apis': 'ec2',
            'ec2_listen': '127.0.0.1',
            'ec2_listen_port': str(self.port),
            'ec2_host': '127.0.0.1',
            'ec2_port': '8773',
            'ec2_dmz_host': '10.0.0.1',
            'use_forwarded_for': 'True',
            'api_paste_config': os.path.join(REPO, 'etc', 'nova',
                                             'api-paste.ini'),
            'scheduler_driver': 'nova.scheduler.simple.SimpleScheduler',
            'image_service': 'nova.image.local.LocalImageService',
            'images_path': os.path.join(self.dir, 'images'),
            'network_manager': 'nova.network.manager.FlatDHCPManager',
            'flat_network_bridge': 'br100',
            'flat_network_dhcp_start': '10.0.0.2',
            'fixed_range': '10.0.0.0/24',
            'routing_source_ip': '192.0.2.1',
            'public_interface': 'pub0',
            'dhcpbridge': wrapper,
            'dhcpbridge_flagfile': self.flagfile,
            'networks_path': os.path.join(self.dir, 'networks'),
            'force_dhcp_release': 'True',
            'connection_type': 'libvirt',
            'libvirt_type': 'qemu',
            'libvirt_uri': self.libvirt_uri,
            'libvirt_use_virtio_for_bridges': 'True',
            # the default: iptables security groups + nwfilter anti-spoofing
            'firewall_driver':
                'nova.virt.libvirt.firewall.IptablesFirewallDriver',
            # only the group rules admit traffic between guests
            'allow_same_net_traffic': 'False',
            'instance_name_template': 'instance-%s-%%08x' % self.prefix,
            'instances_path': os.path.join(self.dir, 'instances'),
            'vncserver_host': '127.0.0.1',
            'vncserver_listen': '127.0.0.1',
        }
        values.update(extra or {})
        self.flags = values
        with open(self.flagfile, 'w') as out:
            out.write(''.join('--%s=%s\n' % item for item in values.items()))

    def start_namespace(self):
        """``nx-<tag>`` with loopback up and forwarding on."""
        run('ip', 'netns', 'add', self.netns)
        self.netns_made = True
        self.ns('ip', 'link', 'set', 'lo', 'up')
        self.ns('sysctl', '-qw', 'net.ipv4.ip_forward=1')

    def start_libvirtd(self):
        """virtlogd + libvirtd, private to the namespace and this test."""
        binds = ['mkdir -p %s' % ' '.join(BIND_DIRS)]
        for target in BIND_DIRS:
            private = os.path.join(self.dir, target.strip('/').replace(
                '/', '_'))
            os.makedirs(private, mode=0o755)
            binds.append('mount --bind %s %s' % (private, target))
        script = ' && '.join(binds + [
            '%s %s virtlogd -d -p %s/virtlogd.pid' % (
                sys.executable, REAPER, self.dir),
            '%s %s libvirtd -d -p %s/libvirtd.pid' % (
                sys.executable, REAPER, self.dir)])
        self.ns('unshare', '-m', '--propagation', 'private', 'sh', '-c',
                script)
        for name in ('virtlogd.pid', 'libvirtd.pid'):
            path = os.path.join(self.dir, name)
            wait_for(lambda path=path: os.path.exists(path), 20, name)
            with open(path) as source:
                self.libvirt_pids.append(int(source.read().strip()))
        sock = os.path.join(self.dir, 'run_libvirt', 'libvirt-sock')
        wait_for(lambda: os.path.exists(sock), 30, 'the private libvirtd')

    def manage(self, *words):
        """nova-manage in the host namespace; returns its stdout."""
        return self.ns(sys.executable, os.path.join(BIN, 'nova-manage'),
                       '--flagfile=%s' % self.flagfile, *words, timeout=120)

    def start_daemon(self, binary, in_namespace):
        """bin/<binary> with the flagfile, logging to <dir>/<binary>.out."""
        cmd = [sys.executable, os.path.join(BIN, binary),
               '--flagfile=%s' % self.flagfile]
        if in_namespace:
            cmd = ['ip', 'netns', 'exec', self.netns] + cmd
        log = open(os.path.join(self.dir, '%s.out' % binary), 'ab')
        self.daemons[binary] = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
        log.close()

    def start_metadata_path(self):
        """nsproxy on :8773 in the namespace -> UNIX socket -> nova-api."""
        from tests.integration.virt.conftest import UnixToTcpRelay
        sock = os.path.join(self.dir, 'metadata.sock')
        self.relay = UnixToTcpRelay(sock, self.port)
        log = open(os.path.join(self.dir, 'nsproxy.out'), 'ab')
        self.daemons['nsproxy'] = subprocess.Popen(
            ['ip', 'netns', 'exec', self.netns, sys.executable,
             os.path.join(HERE, 'nsproxy.py'), '--listen', '0.0.0.0:8773',
             '--unix', sock], stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def api_up(self):
        """Whether nova-api answers on its port."""
        try:
            socket.create_connection(('127.0.0.1', self.port), 1).close()
            return True
        except OSError:
            return False

    def log_tail(self, binary, size=3000):
        """The end of a daemon's output (for assertion messages)."""
        path = os.path.join(self.dir, '%s.out' % binary)
        try:
            with open(path, errors='replace') as source:
                return source.read()[-size:]
        except OSError:
            return ''

    # -- stop ----------------------------------------------------------------
    def destroy_domains(self):
        """Destroy and undefine every domain of the private libvirtd."""
        try:
            import libvirt
            conn = libvirt.open(self.libvirt_uri)
        except Exception:  # noqa: BLE001 - libvirtd gone already
            return
        try:
            for dom in conn.listAllDomains(0):
                try:
                    if dom.isActive():
                        dom.destroy()
                    if dom.isPersistent():
                        dom.undefine()
                except Exception:  # noqa: BLE001 - clean the others
                    pass
        finally:
            conn.close()

    @staticmethod
    def _kill(pid, grace=10):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.time() + grace
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def stop(self):
        """Stop everything this cloud started; remove namespace and files."""
        for proc in self.daemons.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.daemons.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        if self.relay is not None:
            self.relay.stop()
        self.destroy_domains()
        for pid in reversed(self.libvirt_pids):
            self._kill(pid)
        if self.netns_made:
            # dnsmasq, QEMU and whatever else was left inside
            for pid in run('ip', 'netns', 'pids', self.netns,
                           check=False).split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
            time.sleep(0.2)
            run('ip', 'netns', 'del', self.netns, check=False)
        if not os.environ.get('NX_KEEP'):
            shutil.rmtree(self.dir, ignore_errors=True)
