"""Real libvirtd + QEMU for the libvirt driver's integration tests.

* ``test_guest``: the test guest from ``tools/build_test_guest.py`` (cached).
* ``libvirt_host``: a test-created network namespace ``n11-<random>`` (the
  "host") with a bridge ``br100`` (10.0.0.1/16) and, when libvirtd is not
  already running, libvirtd + virtlogd started inside it (so every guest NIC
  lives in that namespace; nothing touches the root namespace).  Its UNIX
  socket is on the shared file system, so nova-compute in this process
  reaches it.  Everything it started is stopped and removed at the end, and
  domains whose names carry the run's prefix are destroyed.
* ``virt_cloud``: the functional in-process cloud with
  ``--connection_type=libvirt --libvirt_type=qemu``, FlatManager with
  ``--flat_injected`` (the guest gets its address on its disk) and a
  metadata relay in the namespace (``nsproxy.py``, standing in for
  nova-network's metadata DNAT).
"""

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
#: runs a daemon under a subreaper (see tools/reaper.py)
REAPER = os.path.join(REPO, 'tools', 'reaper.py')
SOCKET = '/var/run/libvirt/libvirt-sock'
MARKER = 'NOVA-TEST-GUEST ip='


def _load_cloud_module():
    path = os.path.join(REPO, 'tests', 'functional', 'conftest.py')
    spec = importlib.util.spec_from_file_location('n11_functional_cloud',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(*cmd, check=True):
    return subprocess.run(cmd, capture_output=True, text=True, check=check,
                          timeout=60)


def libvirtd_alive():
    """Whether a libvirtd answers on the system socket."""
    if not os.path.exists(SOCKET):
        return False
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(SOCKET)
        return True
    except OSError:
        return False
    finally:
        sock.close()


def _missing_parts():
    try:
        import libvirt  # noqa: F401
    except ImportError:
        return 'libvirt-python is not installed'
    for tool in ('qemu-system-x86_64', 'qemu-img', 'libvirtd', 'virtlogd',
                 'ip', 'debugfs'):
        if shutil.which(tool) is None:
            return '%s is not installed (tools/debian-packages.txt)' % tool
    if os.geteuid() != 0:
        return 'network namespaces and libvirtd need root'
    return None


#: owner files: one per host namespace, holding the pid of the test run
OWNERS = os.path.join(tempfile.gettempdir(), 'nova-test-n11-owners')


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_of(netns):
    try:
        with open(os.path.join(OWNERS, netns)) as source:
            return int(source.read().strip())
    except (OSError, ValueError):
        return None


def _forget_owner(netns):
    try:
        os.unlink(os.path.join(OWNERS, netns))
    except OSError:
        pass


def reap_stale_hosts():
    """Remove host namespaces left by a test run that was killed.

    A run stopped by SIGKILL or SIGTERM never tears its session host down,
    and its libvirtd then holds the system socket: the next run would take
    it for a libvirtd outside any test namespace and skip every guest test.
    Only ``n11-*`` namespaces whose recorded owner is dead (or never
    recorded) are touched: the processes in them are stopped, then the
    namespace is deleted.  Namespaces of a run still going are left alone.
    """
    listing = _run('ip', 'netns', 'list', check=False).stdout
    for netns in (line.split()[0] for line in listing.splitlines()
                  if line.strip()):
        if not netns.startswith('n11-'):
            continue
        owner = _owner_of(netns)
        if owner is not None and _pid_alive(owner):
            continue
        pids = [int(pid) for pid in _run(
            'ip', 'netns', 'pids', netns, check=False).stdout.split()]
        for pid in pids:
            LibvirtHost._kill(pid)
        _run('ip', 'netns', 'del', netns, check=False)
        _forget_owner(netns)


def cloud_netns_tool():
    """tools/cloud_netns.py as a module (loaded once)."""
    module = sys.modules.get('n11_cloud_netns')
    if module is None:
        spec = importlib.util.spec_from_file_location(
            'n11_cloud_netns', os.path.join(REPO, 'tools', 'cloud_netns.py'))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules['n11_cloud_netns'] = module
    return module


class LibvirtHost(object):
    """A host namespace with a bridge, and libvirtd in it if we start it."""

    def __init__(self):
        self.prefix = 'n11%s' % uuid.uuid4().hex[:5]
        self.netns = 'n11-%s' % uuid.uuid4().hex[:6]
        self.bridge = 'br100'
        self.pids = []
        self.started_libvirtd = False
        self.dir = tempfile.mkdtemp(prefix='n11-host-')
        os.chmod(self.dir, 0o755)

    def ns(self, *cmd, check=True):
        """Run a command in the namespace."""
        return _run('ip', 'netns', 'exec', self.netns, *cmd, check=check)

    def start(self):
        """Namespace, bridge, libvirtd."""
        reap_stale_hosts()
        os.makedirs(OWNERS, exist_ok=True)
        with open(os.path.join(OWNERS, self.netns), 'w') as out:
            out.write('%d\n' % os.getpid())
        _run('ip', 'netns', 'add', self.netns)
        self.ns('ip', 'link', 'set', 'lo', 'up')
        self.ns('ip', 'link', 'add', self.bridge, 'type', 'bridge')
        self.ns('ip', 'addr', 'add', '10.0.0.1/16', 'dev', self.bridge)
        self.ns('ip', 'link', 'set', self.bridge, 'up')
        self.ns('ip', 'addr', 'add', '169.254.169.254/32', 'dev', 'lo')
        if not libvirtd_alive():
            self._start_libvirtd()
        return self

    def _start_libvirtd(self):
        self._start_one('virtlogd', 'virtlogd.pid')
        self._start_one('libvirtd', 'libvirtd.pid')
        self.started_libvirtd = True

    def _start_one(self, binary, pidfile):
        path = os.path.join(self.dir, pidfile)
        if os.path.exists(path):
            os.unlink(path)
        start = '%s %s %s -d -p %s' % (sys.executable, REAPER, binary, path)
        # As tools/cloud_netns.py does for the clouds' libvirtd: where
        # /dev/kvm is root's alone, libvirtd (in a mount namespace of its
        # own) gets a node of it the QEMU user may open; else it takes its
        # QEMU capabilities for outdated at every look-up and probes QEMU
        # again before each guest.  Guests stay TCG (domain type qemu).
        kvm = cloud_netns_tool().private_kvm(self.dir) \
            if binary == 'libvirtd' else ''
        if kvm:
            self.ns('unshare', '-m', '--propagation', 'private', 'sh', '-c',
                    '%s && %s' % (kvm, start))
        else:
            self.ns(sys.executable, REAPER, binary, '-d', '-p', path)
        deadline = time.time() + 20
        while not os.path.exists(path) and time.time() < deadline:
            time.sleep(0.1)
        with open(path) as source:
            self.pids.append(int(source.read().strip()))
        if binary == 'libvirtd':
            deadline = time.time() + 30
            while not libvirtd_alive():
                if time.time() > deadline:
                    raise RuntimeError('libvirtd did not start')
                time.sleep(0.2)

    def destroy_domains(self, prefix=None):
        """Destroy and undefine the domains named with our prefix."""
        import libvirt
        try:
            conn = libvirt.open('qemu:///system')
        except libvirt.libvirtError:
            return
        try:
            for dom in conn.listAllDomains(0):
                if not dom.name().startswith(prefix or
                                             'instance-' + self.prefix):
                    continue
                try:
                    if dom.isActive():
                        dom.destroy()
                    dom.undefineFlags(
                        libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                        libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)
                except libvirt.libvirtError:
                    pass
        finally:
            conn.close()

    def restart_libvirtd(self, stopped_seconds=0):
        """Stop the libvirtd we started, wait, start it again."""
        assert self.started_libvirtd
        libvirtd_pid = self.pids.pop()
        self._kill(libvirtd_pid)
        time.sleep(stopped_seconds)
        self._start_one('libvirtd', 'libvirtd.pid')

    def kill_libvirtd(self):
        """Stop the libvirtd we started (virtlogd stays)."""
        assert self.started_libvirtd
        self._kill(self.pids.pop())

    def start_libvirtd_again(self):
        """Start libvirtd after :meth:`kill_libvirtd`."""
        self._start_one('libvirtd', 'libvirtd.pid')

    @staticmethod
    def _kill(pid):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)

    def stop_libvirtd(self):
        """Stop the daemons we started (by pid)."""
        for pid in reversed(self.pids):
            self._kill(pid)
        self.pids = []

    def stop(self):
        """Remove everything this host made."""
        self.destroy_domains()
        if self.started_libvirtd:
            self.stop_libvirtd()
        _run('ip', 'netns', 'del', self.netns, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
        _forget_owner(self.netns)


@pytest.fixture(scope='session')
def test_guest():
    """Paths of the built test guest (kernel, ramdisk, disk)."""
    missing = _missing_parts()
    if missing:
        pytest.skip(missing)
    proc = subprocess.run([sys.executable,
                           os.path.join(REPO, 'tools', 'build_test_guest.py')],
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail('cannot build the test guest: %s' % proc.stderr)
    return json.loads(proc.stdout)


@pytest.fixture(scope='session')
def libvirt_host(test_guest):
    """A started :class:`LibvirtHost` (removed at the end)."""
    host = LibvirtHost()
    try:
        host.start()
    except BaseException:
        host.stop()
        raise
    yield host
    host.stop()


class UnixToTcpRelay(object):
    """Relay connections on a UNIX socket to 127.0.0.1:port (root side)."""

    def __init__(self, path, port):
        self.path = path
        self.port = port
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        os.chmod(path, 0o777)
        self.server.listen(64)
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self._stop:
            try:
                client, _addr = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,),
                             daemon=True).start()

    def _relay(self, client):
        upstream = socket.create_connection(('127.0.0.1', self.port))

        def pipe(src, dst):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
        thread = threading.Thread(target=pipe, args=(client, upstream),
                                  daemon=True)
        thread.start()
        pipe(upstream, client)
        thread.join(10)
        client.close()
        upstream.close()

    def stop(self):
        """Stop accepting."""
        self._stop = True
        self.server.close()


def register_guest(test_guest, owner='admin', name='nova-test-guest',
                   kernel=None, ami_props=None):
    """Register the guest with the local image service: (ami, aki, ari)."""
    from nova.image import local
    service = local.LocalImageService()
    ids = {}
    for kind, path in (('aki', kernel or test_guest['kernel']),
                       ('ari', test_guest['ramdisk']),
                       ('ami', test_guest['disk'])):
        props = {'image_state': 'available', 'architecture': 'x86_64',
                 'owner_id': owner}
        if kind == 'ami':
            props.update(kernel_id=ids['aki'], ramdisk_id=ids['ari'])
            props.update(ami_props or {})
        with open(path, 'rb') as data:
            ids[kind] = service.create(None, {
                'name': '%s-%s' % (name, kind), 'is_public': True,
                'status': 'active', 'container_format': kind,
                'disk_format': kind, 'properties': props}, data)['id']
    return ids


class VirtCloud(object):
    """The in-process cloud on libvirt, with helpers for guests."""

    def __init__(self, host, test_guest, extra_flags=None, compute_hosts=1,
                 volume_hosts=0):
        import nova.api.ec2.metadatarequesthandler  # noqa: F401 - flags
        import nova.legacy_flags  # noqa: F401 - flags
        import nova.network.manager  # noqa: F401 - flags
        import nova.virt.libvirt.connection  # noqa: F401 - flags
        module = _load_cloud_module()
        self.host = host
        self.state_path = tempfile.mkdtemp(prefix='n11-cloud-')
        os.chmod(self.state_path, 0o755)
        flags_ = {
            'connection_type': 'libvirt', 'libvirt_type': 'qemu',
            'firewall_driver': 'nova.virt.firewall.NoopFirewallDriver',
            'instance_name_template': 'instance-%s-%%08x' % host.prefix,
            'instances_path': os.path.join(self.state_path, 'instances'),
            'libvirt_use_virtio_for_bridges': True,
            'flat_injected': True, 'flat_network_dns': '10.0.0.1',
            'use_forwarded_for': True, 'vncserver_host': '127.0.0.1',
            'libvirt_wait_soft_reboot_seconds': 20,
            'periodic_interval': 2,
        }
        flags_.update(extra_flags or {})
        self.cloud = module.InProcessCloud(self.state_path,
                                           compute_hosts=compute_hosts,
                                           volume_hosts=volume_hosts,
                                           extra_flags=flags_)
        self.test_guest = test_guest
        self.relay = None
        self.proxy = None

    def start(self, admin=False):
        """Start the cloud, the relay and register the guest."""
        self.cloud.start()
        self.ids = register_guest(self.test_guest)
        from nova.api.ec2 import ec2utils
        self.ami = ec2utils.image_ec2_id(self.ids['ami'], 'ami')
        self.access, self.secret = self.cloud.create_user(
            'n11user', 'n11proj', admin=admin,
            roles=('sysadmin', 'netadmin'))
        self.client = self.cloud.boto3_client(self.access, self.secret)
        sock = os.path.join(self.state_path, 'metadata.sock')
        self.relay = UnixToTcpRelay(sock, self.cloud.port)
        self.proxy = subprocess.Popen(
            ['ip', 'netns', 'exec', self.host.netns, sys.executable,
             os.path.join(HERE, 'nsproxy.py'), '--unix', sock],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def stop(self):
        """Stop everything; remove the guests and the state."""
        if self.proxy is not None:
            self.proxy.terminate()
            self.proxy.wait(10)
        if self.relay is not None:
            self.relay.stop()
        try:
            self.cloud.stop()
        finally:
            self.host.destroy_domains()
            shutil.rmtree(self.state_path, ignore_errors=True)

    # -- helpers -----------------------------------------------------------
    def instance_dir(self, ec2_id):
        """The instance directory of ``i-...``."""
        return os.path.join(self.state_path, 'instances',
                            'instance-%s-%08x' % (self.host.prefix,
                                                  int(ec2_id[2:], 16)))

    def describe(self, ec2_id):
        """DescribeInstances of one instance (its dict)."""
        result = self.client.describe_instances(InstanceIds=[ec2_id])
        return result['Reservations'][0]['Instances'][0]

    def wait_state(self, ec2_id, states, timeout=90):
        """Wait until the instance is in one of ``states``; returns it."""
        deadline = time.time() + timeout
        while True:
            item = self.describe(ec2_id)
            if item['State']['Name'] in states:
                return item
            if time.time() > deadline:
                raise AssertionError('%s stays %s (want %s): %s' % (
                    ec2_id, item['State']['Name'], states,
                    item.get('StateReason')))
            time.sleep(0.5)

    def wait_gone(self, ec2_id, timeout=60):
        """Wait until the instance is terminated (or no longer listed)."""
        import botocore.exceptions
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.describe(ec2_id)['State']['Name'] == 'terminated':
                    return
            except botocore.exceptions.ClientError as exc:
                if 'NotFound' in exc.response['Error']['Code']:
                    return
                raise
            time.sleep(0.5)
        raise AssertionError('%s was not terminated in %ss' % (ec2_id,
                                                              timeout))

    def console(self, ec2_id):
        """GetConsoleOutput as text (botocore decodes the base64)."""
        out = self.client.get_console_output(InstanceId=ec2_id)
        return out.get('Output') or ''

    def markers(self, ec2_id):
        """The marker lines on the console."""
        return [line.strip() for line in self.console(ec2_id).splitlines()
                if MARKER in line]

    def wait_markers(self, ec2_id, count=1, timeout=120):
        """Wait for ``count`` marker lines; returns them."""
        deadline = time.time() + timeout
        while True:
            found = self.markers(ec2_id)
            if len(found) >= count:
                return found
            if time.time() > deadline:
                raise AssertionError('%s: %d marker(s) after %ss; console '
                                     'tail: %s' % (
                                         ec2_id, len(found), timeout,
                                         self.console(ec2_id)[-2000:]))
            time.sleep(0.5)


@pytest.fixture(scope='module')
def virt_cloud(libvirt_host, test_guest):
    """A started :class:`VirtCloud`."""
    if not libvirt_host.started_libvirtd:
        pytest.skip('libvirtd already runs outside a test namespace, so '
                    'guest NICs cannot reach the test bridge; stop it to '
                    'run these tests')
    cloud = VirtCloud(libvirt_host, test_guest)
    try:
        cloud.start()
    except BaseException:
        cloud.stop()
        raise
    yield cloud
    cloud.stop()
