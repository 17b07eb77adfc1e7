#!/usr/bin/env python3
"""The network namespace ``./run_cloud.sh --libvirt`` runs the cloud in.

Real guests need a bridge, tap devices and (with the default firewall
driver) iptables/ebtables rules.  None of that may touch the machine's own
network, so everything lives in a namespace this tool creates::

    cloud_netns.py up   --state DIR [--netns nova-cloud] --ports 8773,8774
                        [--tgtd]
    cloud_netns.py down --state DIR [--netns nova-cloud]
    cloud_netns.py tgt-socket --state DIR

``up`` creates the namespace with ``lo`` up, 169.254.169.254 on ``lo`` and
the bridge ``br100`` (10.0.0.1/24, the cloud's first network's gateway);
starts a private ``virtlogd`` and ``libvirtd`` (each under
``tools/reaper.py``) in that namespace and in their own mount namespace,
where directories under ``DIR/lv`` are bound over ``/run/libvirt``,
``/var/lib/libvirt``, ``/var/cache/libvirt``, ``/etc/libvirt/qemu`` and
``/etc/libvirt/nwfilter`` (seeded with the stock filters) (so a
libvirtd the machine may already run is not disturbed; the cloud reaches
this one at ``qemu+unix:///system?socket=DIR/lv/run/libvirt-sock``) and,
where the machine's ``/dev/kvm`` is not open to the ``kvm`` group (as the
packages' udev rule makes it), a node of the same device, ``root:kvm``
0660, over it (libvirtd otherwise finds KVM in its probe of QEMU, made as
root, but not usable by the QEMU user, takes its cached capabilities as
outdated and probes QEMU again at every look-up: about once a second, and
before each guest it starts); starts
the loopback relay (each port listens on 127.0.0.1 of the root namespace and
is relayed to 127.0.0.1 of the cloud's namespace, where nova-all listens)
and the metadata relay (169.254.169.254:80 in the namespace, adding
``X-Forwarded-For: <guest>``, to the EC2 port), standing in for
nova-network's metadata DNAT.

With ``--tgtd`` it also starts a private ``tgtd`` (the iSCSI target
nova-volume exports volumes through) in the namespace, its portal on the
namespace's 127.0.0.1:3260 (where QEMU's iSCSI client, also in the
namespace, reaches it) and its control socket at ``DIR/tgt/socket.0``:
tgtd and tgtadm find it through ``TGT_IPC_SOCKET`` (``tgt-socket`` prints
the value), so a tgtd the machine may already run is not disturbed.

``down`` destroys every domain of the private libvirtd, stops every process
``up`` started (tgtd is asked to shut down, its socket files removed) and
every process left in the namespace, and deletes the namespace (its bridge,
taps and rules go with it).  It is idempotent.
"""

import argparse
import ctypes
import grp
import os
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REAPER = os.path.join(HERE, 'reaper.py')
BIND_DIRS = ('/run/libvirt', '/var/lib/libvirt', '/var/cache/libvirt',
             '/etc/libvirt/qemu')
CLONE_NEWNET = 0x40000000
BRIDGE = 'br100'
GATEWAY = '10.0.0.1/24'
METADATA = '169.254.169.254'
NWFILTER_DIR = '/etc/libvirt/nwfilter'


def _run(*cmd, check=True):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise SystemExit('cloud_netns: %s failed: %s' % (
            ' '.join(cmd), proc.stderr.strip()))
    return proc


def libvirt_dir(state):
    """The private libvirt directories of the cloud in ``state``."""
    return os.path.join(state, 'lv')


def libvirt_socket(state):
    """The private libvirtd's socket."""
    return os.path.join(libvirt_dir(state), 'run', 'libvirt-sock')


def libvirt_uri(state):
    """The URI nova-compute uses for the private libvirtd."""
    return 'qemu+unix:///system?socket=%s' % libvirt_socket(state)


def tgt_socket(state):
    """``TGT_IPC_SOCKET`` of the private tgtd (tgtd adds ``.0``)."""
    return os.path.join(state, 'tgt', 'socket')


def _tgt_env(state):
    return dict(os.environ, TGT_IPC_SOCKET=tgt_socket(state))


def _pidfile(state):
    return os.path.join(libvirt_dir(state), 'pids')


def _record(state, name, pid):
    with open(_pidfile(state), 'a') as out:
        out.write('%s %d\n' % (name, pid))


def _wait_file(path, seconds, what):
    deadline = time.time() + seconds
    while not os.path.exists(path):
        if time.time() > deadline:
            raise SystemExit('cloud_netns: %s did not start (no %s)'
                             % (what, path))
        time.sleep(0.1)


def _netns_exists(netns):
    return os.path.exists(os.path.join('/run/netns', netns))


def up(state, netns, ports, tgtd=False):
    """Create the namespace, start libvirtd, tgtd (if asked), the relays."""
    top = libvirt_dir(state)
    os.makedirs(top, exist_ok=True)
    os.chmod(top, 0o755)
    if os.path.exists(_pidfile(state)):
        os.unlink(_pidfile(state))
    _run('ip', 'netns', 'add', netns)
    ns = ('ip', 'netns', 'exec', netns)
    _run(*ns, 'ip', 'link', 'set', 'lo', 'up')
    _run(*ns, 'ip', 'addr', 'add', METADATA + '/32', 'dev', 'lo')
    _run(*ns, 'ip', 'link', 'add', BRIDGE, 'type', 'bridge')
    _run(*ns, 'ip', 'addr', 'add', GATEWAY, 'dev', BRIDGE)
    _run(*ns, 'ip', 'link', 'set', BRIDGE, 'up')
    start_libvirtd(state, netns)
    if tgtd:
        _start_tgtd(state, netns)
    relay = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), 'relay', '--netns',
         netns, '--ports', ','.join(str(p) for p in ports)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        start_new_session=True)
    _record(state, 'relay', relay.pid)
    _wait_listening(relay, ports)
    meta = subprocess.Popen(
        list(ns) + [sys.executable, os.path.abspath(__file__), 'metadata',
                    '--port', str(ports[0])],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        start_new_session=True)
    _record(state, 'metadata', meta.pid)


def _wait_listening(relay, ports, seconds=30):
    """Return once the relay accepts on each of ``ports`` (127.0.0.1 of
    this namespace): the cloud's banner must not come before them.  Exits
    naming the ports when the relay died (a port taken) or is too slow."""
    deadline = time.time() + seconds
    waiting = list(ports)
    while waiting:
        if relay.poll() is not None:
            raise SystemExit('cloud_netns: the relay of 127.0.0.1 ports %s '
                             'exited (status %s): is one of them taken?'
                             % (','.join(map(str, ports)), relay.returncode))
        try:
            socket.create_connection(('127.0.0.1', waiting[0]), 1).close()
            waiting.pop(0)
            continue
        except OSError:
            pass
        if time.time() > deadline:
            raise SystemExit('cloud_netns: nothing listens on 127.0.0.1:%d '
                             'after %ds' % (waiting[0], seconds))
        time.sleep(0.1)


def _private_nwfilters(top):
    """The bind of a private ``/etc/libvirt/nwfilter``, seeded with the
    package's stock filters: nova's filters (defined per instance) must be
    this libvirtd's own, not files in the machine's directory that another
    "host" removes (a libvirtd that finds a guest's filter missing does
    not start) or that outlive the cloud."""
    private = os.path.join(top, 'etc_libvirt_nwfilter')
    if not os.path.isdir(private):
        os.makedirs(private, mode=0o700)
        if os.path.isdir(NWFILTER_DIR):
            for name in os.listdir(NWFILTER_DIR):
                if name.endswith('.xml') and not name.startswith('nova-'):
                    shutil.copy2(os.path.join(NWFILTER_DIR, name), private)
    return 'mkdir -p %s && mount --bind %s %s' % (NWFILTER_DIR, private,
                                                 NWFILTER_DIR)


def private_kvm(top, device='/dev/kvm'):
    """The shell commands that put, in the mount namespace, a node of
    ``device`` the ``kvm`` group may open over it (a tmpfs of the
    namespace's own under ``top/dev_kvm`` holds it); '' when the device
    or the group is missing or the device is already open to the group."""
    try:
        info = os.stat(device)
        group = grp.getgrnam('kvm')
    except (OSError, KeyError):
        return ''
    if not stat.S_ISCHR(info.st_mode) or (
            info.st_gid == group.gr_gid and
            stat.S_IMODE(info.st_mode) & 0o060 == 0o060):
        return ''
    private = os.path.join(top, 'dev_kvm')
    os.makedirs(private, mode=0o755, exist_ok=True)
    node = os.path.join(private, 'kvm')
    return ('mount -t tmpfs -o mode=0755 tmpfs %s && mknod -m 0660 %s c %d '
            '%d && chgrp kvm %s && mount --bind %s %s'
            % (private, node, os.major(info.st_rdev),
               os.minor(info.st_rdev), node, node, device))


def start_libvirtd(state, netns, daemons=('virtlogd', 'libvirtd')):
    """virtlogd + libvirtd in ``netns``, private dirs under ``state/lv``
    (``daemons=('libvirtd',)`` starts libvirtd again after it was killed,
    its virtlogd and guests still running)."""
    top = libvirt_dir(state)
    binds = []
    for target in BIND_DIRS:
        private = os.path.join(top, 'run' if target == '/run/libvirt' else
                               target.strip('/').replace('/', '_'))
        os.makedirs(private, mode=0o755, exist_ok=True)
        binds.append('mount --bind %s %s' % (private, target))
    binds.append(_private_nwfilters(top))
    kvm = private_kvm(top)
    if kvm:
        binds.append(kvm)
    stale = [os.path.join(top, name + '.pid') for name in daemons]
    if 'libvirtd' in daemons:
        stale.append(libvirt_socket(state))
    for path in stale:
        if os.path.exists(path):
            os.unlink(path)
    script = ' && '.join(
        ['mkdir -p %s' % ' '.join(BIND_DIRS)] + binds +
        ['%s %s %s -d -p %s/%s.pid' % (sys.executable, REAPER, name, top,
                                       name) for name in daemons])
    _run('ip', 'netns', 'exec', netns, 'unshare', '-m', '--propagation',
         'private', 'sh', '-c', script)
    for name in daemons:
        path = os.path.join(top, name + '.pid')
        _wait_file(path, 30, name)
        with open(path) as source:
            _record(state, name, int(source.read().strip()))
    if 'libvirtd' in daemons:
        _wait_file(libvirt_socket(state), 60, 'libvirtd')


def _tgtadm_works(state):
    try:
        return subprocess.run(
            ['tgtadm', '--lld', 'iscsi', '--op', 'show', '--mode', 'target'],
            env=_tgt_env(state), capture_output=True,
            timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _start_tgtd(state, netns):
    """tgtd in the namespace, in the foreground of its own session."""
    top = os.path.dirname(tgt_socket(state))
    os.makedirs(top, mode=0o700, exist_ok=True)
    _remove_tgt_files(state)
    with open(os.path.join(top, 'tgtd.log'), 'ab') as log:
        proc = subprocess.Popen(
            ['ip', 'netns', 'exec', netns, 'tgtd', '-f', '--iscsi',
             'portal=127.0.0.1:3260'], env=_tgt_env(state),
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True)
    _record(state, 'tgtd', proc.pid)
    deadline = time.time() + 30
    while not _tgtadm_works(state):
        if proc.poll() is not None or time.time() > deadline:
            raise SystemExit('cloud_netns: tgtd did not start (see %s)'
                             % os.path.join(top, 'tgtd.log'))
        time.sleep(0.2)


def _stop_tgtd(state, pid):
    """tgtd ignores SIGTERM: ask it to shut down, then make sure."""
    if _alive(pid):
        try:
            subprocess.run(['tgtadm', '--op', 'delete', '--mode', 'system'],
                           env=_tgt_env(state), capture_output=True,
                           timeout=10)
        except (OSError, subprocess.SubprocessError):
            pass
        deadline = time.time() + 5
        while _alive(pid) and time.time() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            _stop(pid, seconds=0)
    _remove_tgt_files(state)


def _remove_tgt_files(state):
    for suffix in ('.0', '.0.lock'):
        try:
            os.unlink(tgt_socket(state) + suffix)
        except FileNotFoundError:
            pass


def _alive(pid):
    """Whether ``pid`` runs (a zombie no one has reaped yet does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open('/proc/%d/stat' % pid) as source:
            return source.read().rpartition(')')[2].split()[0] != 'Z'
    except (OSError, IndexError):
        return False


def _stop(pid, seconds=15):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.time() + seconds
    while _alive(pid) and time.time() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def destroy_domains(state):
    """Destroy and undefine every domain of the private libvirtd."""
    if not os.path.exists(libvirt_socket(state)):
        return []
    try:
        import libvirt
    except ImportError:
        return []
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    try:
        conn = libvirt.open(libvirt_uri(state))
    except libvirt.libvirtError:
        return []
    gone = []
    try:
        for dom in conn.listAllDomains(0):
            try:
                if dom.isActive():
                    dom.destroy()
                if dom.isPersistent():
                    dom.undefine()
                gone.append(dom.name())
            except libvirt.libvirtError as exc:
                sys.stderr.write('cloud_netns: %s: %s\n' % (
                    dom.name(), exc.get_error_message()))
    finally:
        conn.close()
    return gone


def down(state, netns):
    """Remove everything :func:`up` made (see the module docstring)."""
    for name in destroy_domains(state):
        print('destroyed the domain %s' % name)
    pids = []
    if os.path.exists(_pidfile(state)):
        with open(_pidfile(state)) as source:
            pids = [line.split() for line in source if line.strip()]
    for name, pid in reversed(pids):
        if name == 'tgtd':
            _stop_tgtd(state, int(pid))
        else:
            _stop(int(pid))
    if _netns_exists(netns):
        left = _run('ip', 'netns', 'pids', netns, check=False).stdout
        for pid in left.split():
            _stop(int(pid), seconds=5)
        _run('ip', 'netns', 'del', netns, check=False)
    if os.path.exists(_pidfile(state)):
        os.unlink(_pidfile(state))


# -- the relays --------------------------------------------------------------
def _pipe(src, dst):
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


def _splice(client, upstream, first=b''):
    if first:
        upstream.sendall(first)
    thread = threading.Thread(target=_pipe, args=(client, upstream),
                              daemon=True)
    thread.start()
    _pipe(upstream, client)
    thread.join(30)
    client.close()
    upstream.close()


def _listen(address, port):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((address, port))
    server.listen(64)
    return server


def _setns(fd):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise SystemExit('cloud_netns: setns: %s'
                         % os.strerror(ctypes.get_errno()))


def _enter(netns):
    fd = os.open(os.path.join('/run/netns', netns), os.O_RDONLY)
    try:
        _setns(fd)
    finally:
        os.close(fd)


def relay_pairs(listen_netns, connect_netns, pairs):
    """Relay each ``((address, port), (address, port))`` pair: listen on
    the first in ``listen_netns``, connect to the second from
    ``connect_netns`` (``None``: the root namespace, where this process
    starts).  The listening sockets are made first, in their namespace;
    then the process enters the connecting side's namespace, so every
    connection it opens afterwards is made there.
    """
    root = os.open('/proc/self/ns/net', os.O_RDONLY)
    if listen_netns:
        _enter(listen_netns)
    servers = {_listen(*listen): upstream for listen, upstream in pairs}
    if connect_netns:
        _enter(connect_netns)
    elif listen_netns:
        _setns(root)
    os.close(root)

    def handle(client, upstream_address):
        try:
            upstream = socket.create_connection(upstream_address, 10)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        _splice(client, upstream)

    while True:
        ready, _w, _x = select.select(list(servers), [], [])
        for server in ready:
            client, _peer = server.accept()
            threading.Thread(target=handle, args=(client, servers[server]),
                             daemon=True).start()


def relay(netns, ports):
    """Root-namespace 127.0.0.1:port -> the namespace's 127.0.0.1:port."""
    relay_pairs(None, netns, [(('127.0.0.1', port), ('127.0.0.1', port))
                              for port in ports])


def _address(text):
    host, _sep, port = text.rpartition(':')
    return host, int(port)


def _local_guests(hosts_file):
    """The fixed addresses a node's dnsmasq hosts file lists (under
    multi_host: the instances of this node only); none without the
    file."""
    try:
        with open(hosts_file) as f:
            lines = f.read().splitlines()
    except OSError:
        return set()
    return {line.rsplit(',', 1)[-1].strip() for line in lines if ',' in line}


def relay_head(head, peer):
    """The request head ``head`` (bytes, up to and including the blank
    line) as passed upstream: the client's own ``X-Forwarded-For`` lines
    dropped (a guest must not name another's address) and ours, naming
    ``peer``, added after the request line; ``Connection: close``, so a
    second request on the connection (which would pass unrewritten) is
    never served."""
    text, _sep, body = head.partition(b'\r\n\r\n')
    line, *headers = text.split(b'\r\n')
    kept = []
    dropping = False
    for header in headers:
        if header[:1] in (b' ', b'\t'):
            # a continuation line belongs to the header before it
            if not dropping and kept:
                kept[-1] += b'\r\n' + header
            continue
        name = header.split(b':', 1)[0].strip().lower()
        dropping = name in (b'x-forwarded-for', b'connection')
        if not dropping:
            kept.append(header)
    return b'\r\n'.join([line, b'X-Forwarded-For: ' + peer.encode()] +
                          kept + [b'Connection: close']) + \
        b'\r\n\r\n' + body


NOT_LOCAL = (b'HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n'
             b'Content-Length: 14\r\nConnection: close\r\n\r\n'
             b'404 Not Found\n')


def metadata(port, listen=(METADATA, 80), upstream_host='127.0.0.1',
             hosts_file=None):
    """``listen`` (169.254.169.254:80) -> ``upstream_host``:port, adding
    ``X-Forwarded-For: <the client's address>`` to each request (and
    dropping the client's own).  With ``hosts_file`` (the node's dnsmasq
    hosts file) a client whose address it does not list -- not a guest of
    this node -- gets 404 and nothing is passed on: a node's metadata
    service answers only for the guests whose fixed IP it serves."""
    server = _listen(*listen)

    def handle(client, peer):
        head = b''
        while b'\r\n\r\n' not in head and len(head) < 65536:
            chunk = client.recv(4096)
            if not chunk:
                client.close()
                return
            head += chunk
        if hosts_file and peer not in _local_guests(hosts_file):
            try:
                client.sendall(NOT_LOCAL)
            except OSError:
                pass
            client.close()
            return
        head = relay_head(head, peer)
        try:
            upstream = socket.create_connection((upstream_host, port), 10)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        _splice(client, upstream, head)

    while True:
        client, (peer, _port) = server.accept()
        threading.Thread(target=handle, args=(client, peer),
                         daemon=True).start()


def main(argv=None):
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    for name in ('up', 'down'):
        cmd = sub.add_parser(name)
        cmd.add_argument('--state', required=True)
        cmd.add_argument('--netns', default='nova-cloud')
        if name == 'up':
            cmd.add_argument('--ports', required=True)
            cmd.add_argument('--tgtd', action='store_true',
                             help='also run tgtd (nova-volume\'s iSCSI '
                                  'target) in the namespace')
    cmd = sub.add_parser('tgt-socket')
    cmd.add_argument('--state', required=True)
    cmd = sub.add_parser('relay')
    cmd.add_argument('--netns', required=True)
    cmd.add_argument('--ports', required=True)
    cmd = sub.add_parser('relay-pairs')
    cmd.add_argument('--listen-netns', default='')
    cmd.add_argument('--connect-netns', default='')
    cmd.add_argument('--pair', action='append', required=True,
                     help='LISTEN_ADDR:PORT=CONNECT_ADDR:PORT')
    cmd = sub.add_parser('metadata')
    cmd.add_argument('--port', type=int, required=True)
    cmd.add_argument('--listen', default='%s:80' % METADATA)
    cmd.add_argument('--upstream-host', default='127.0.0.1')
    cmd.add_argument('--hosts-file', default=None,
                     help="the node's dnsmasq hosts file: answer only "
                          'the addresses it lists')
    args = parser.parse_args(argv)
    if args.command == 'up':
        ports = [int(p) for p in args.ports.split(',')]
        if _netns_exists(args.netns):
            raise SystemExit('cloud_netns: the namespace %s exists (a cloud '
                             'runs, or did not stop): ./run_cloud.sh --stop'
                             % args.netns)
        try:
            up(os.path.abspath(args.state), args.netns, ports, args.tgtd)
        except BaseException:
            down(os.path.abspath(args.state), args.netns)
            raise
    elif args.command == 'down':
        down(os.path.abspath(args.state), args.netns)
    elif args.command == 'tgt-socket':
        print(tgt_socket(os.path.abspath(args.state)))
    elif args.command == 'relay':
        relay(args.netns, [int(p) for p in args.ports.split(',')])
    elif args.command == 'relay-pairs':
        relay_pairs(args.listen_netns or None, args.connect_netns or None,
                    [tuple(_address(side) for side in pair.split('='))
                     for pair in args.pair])
    else:
        metadata(args.port, _address(args.listen), args.upstream_host,
                 args.hosts_file)
    return 0


if __name__ == '__main__':
    sys.exit(main())
