#!/usr/bin/env python3
"""A multi-node cloud on one machine, every host a network namespace.

::

    multinode.py up     [--nodes N] [--state DIR] [--prefix mn]
                        [--database machine|private] [--iscsi]
                        [--private-instances]
    multinode.py down   [--state DIR] [--keep-logs]
    multinode.py status [--state DIR]
    multinode.py manage [--state DIR] -- WORDS...   (nova-manage on the
                                                     controller)
    multinode.py kill    [--state DIR] NODE   (SIGKILL its nova-compute and
                                               libvirtd; guests keep running)
    multinode.py restart [--state DIR] NODE   (start them again)
    multinode.py poweroff [--state DIR] NODE  (a pulled plug: SIGKILL every
                                               process of the node, its
                                               guests too; its namespace
                                               and links go)
    multinode.py poweron  [--state DIR] NODE  (the node boots: namespace,
                                               links, libvirtd, nova-network,
                                               nova-compute again)

``up`` builds, as the manual's multi-node deployment (a cloud controller
and compute nodes, ``--multi_host``)::

    <prefix>-ctl   the controller: nova-api (EC2 + OpenStack API),
                   nova-scheduler, nova-volume, nova-objectstore;
                   eth0 192.168.100.1.  The machine's PostgreSQL and
                   RabbitMQ are reached at 192.168.100.1:5432/5672, a
                   relay (tools/cloud_netns.py relay-pairs) passing each
                   connection to 127.0.0.1 of the root namespace.
    <prefix>-c<i>  compute node i: its own virtlogd + libvirtd (their own
                   mount namespace and runtime/config dirs), nova-compute
                   (libvirt, QEMU, IptablesFirewallDriver) and nova-network
                   (FlatDHCPManager, multi_host: br100 over eth1, dnsmasq,
                   SNAT, floating IPs on eth2); eth0 192.168.100.<10+i>
                   (management), eth1 (flat, no address), eth2
                   203.0.113.<10+i> (public); a metadata relay on
                   eth0:8773 (the target of the node's 169.254.169.254
                   DNAT) adds X-Forwarded-For (dropping the client's)
                   and passes the request on to the controller's nova-api
                   -- only for the guests of this node (those its dnsmasq
                   hosts file lists); any other source gets 404.
    <prefix>-sw    the "switch": bridges mgmt, flat and pub joining each
                   host's eth0, eth1 and eth2.
    <prefix>-out   "outside": eth0 203.0.113.254 on pub, where floating
                   IPs (203.0.113.64/28) are reached from.

With ``--iscsi`` volumes are real disks: a tgtd of the cloud's own in
``<prefix>-ctl`` (portal 192.168.100.1:3260, control socket
``DIR/ctl/tgt/socket.0``) exports nova-volume's sparse files
(``nova.volume.driver.ISCSIDriver``, ``--volume_storage=file``) and the
nodes' QEMU attaches them with its own iSCSI client; without it nova-volume
keeps records only (``FakeISCSIDriver``).  With ``--private-instances`` the
nodes share no instance directory: each node's libvirtd and nova-compute
see a directory of the node's own (``DIR/c<i>/lv/...instances``) bound over
``DIR/instances`` in their mount namespaces (same paths, other files), so
guests move between nodes by block migration (``nova-manage vm
block_migration``) only.

``poweroff`` is a power loss of a compute node: every process in its
namespace (nova-compute, nova-network, dnsmasq, libvirtd, virtlogd, the
guests' QEMU) is SIGKILLed and the namespace with its links is deleted;
what is on disk stays (the guests' disks, libvirt's definitions), libvirt's
runtime directory does not (a tmpfs).  ``poweron`` creates the namespace
and its links again and starts the node's daemons, as its boot would.

It uses a database of its own on the machine's PostgreSQL (or, with
``--database private``, a PostgreSQL cluster of its own on a free port,
for a machine whose server has no connections to spare) and a virtual
host of its own on the machine's RabbitMQ (all removed by ``down``);
nothing of the machine's services is reconfigured.  Each host reads its
own ``DIR/<host>/nova.conf``, the manual's multi-node nova.conf with only
the addresses changed.  The APIs are relayed to loopback of the root
namespace: ``DIR/state.json`` names the ports.

``down`` destroys every guest, stops every process ``up`` started and every
process left in the namespaces, deletes the namespaces, the database, the
virtual host and (unless ``--keep-logs``) DIR.  It is idempotent and is run
by ``up`` itself when ``up`` fails.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.path.join(ROOT, 'bin')
sys.path.insert(0, HERE)
import cloud_netns  # noqa: E402

CLOUD_NETNS = os.path.join(HERE, 'cloud_netns.py')
PG_ADMIN = 'host=127.0.0.1 user=postgres'
CONTROLLER_IP = '192.168.100.1'
OUTSIDE_IP = '203.0.113.254'
FIXED_RANGE = '10.0.0.0/24'
FLOATING_RANGE = '203.0.113.64/28'
EC2_PORT = 8773
OSAPI_PORT = 8774
S3_PORT = 3333
CONTROLLER_DAEMONS = ('nova-api', 'nova-scheduler', 'nova-volume',
                      'nova-objectstore')
NODE_DAEMONS = ('nova-network', 'nova-compute')
ISCSI_PORT = 3260
BLOCK_MIGRATION_FLAG = ('VIR_MIGRATE_UNDEFINE_SOURCE, VIR_MIGRATE_PEER2PEER, '
                        'VIR_MIGRATE_LIVE, VIR_MIGRATE_NON_SHARED_INC, '
                        'VIR_MIGRATE_UNSAFE')
DEFAULT_STATE = '/tmp/nova-multinode'


def mgmt_ip(index):
    """The management address of compute node ``index`` (1-based)."""
    return '192.168.100.%d' % (10 + index)


def public_ip(index):
    """The public (floating side) address of compute node ``index``."""
    return '203.0.113.%d' % (10 + index)


def _run(*cmd, check=True, timeout=120):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise SystemExit('multinode: %s failed: %s %s' % (
            ' '.join(map(str, cmd)), proc.stdout.strip(),
            proc.stderr.strip()))
    return proc.stdout


class Cloud(object):
    """The namespaces, daemons and state of one multi-node cloud."""

    def __init__(self, state_dir):
        self.dir = os.path.abspath(state_dir)
        self.path = os.path.join(self.dir, 'state.json')
        self.state = {}
        if os.path.exists(self.path):
            with open(self.path) as source:
                self.state = json.load(source)

    def save(self):
        """Write the state (after every step, so ``down`` finds it all)."""
        tmp = self.path + '.tmp'
        with open(tmp, 'w') as out:
            json.dump(self.state, out, indent=1, sort_keys=True)
        os.rename(tmp, self.path)

    # -- names -------------------------------------------------------------
    def netns(self, host):
        """The namespace of ``host`` (ctl, sw, out, c1, c2, ...)."""
        return '%s-%s' % (self.state['prefix'], host)

    def nodes(self):
        """The compute nodes' host names."""
        return ['c%d' % i for i in range(1, self.state['nodes'] + 1)]

    def host_dir(self, host):
        """A host's directory (its nova.conf, logs, libvirt dirs)."""
        return os.path.join(self.dir, host)

    def flagfile(self, host):
        """A host's nova.conf."""
        return os.path.join(self.host_dir(host), 'nova.conf')

    def ns(self, host, *cmd, **kwargs):
        """Run a command in a host's namespace; returns its stdout."""
        return _run('ip', 'netns', 'exec', self.netns(host), *cmd, **kwargs)

    # -- up ----------------------------------------------------------------
    def up(self, nodes, prefix, database='machine', iscsi=False,
           private_instances=False):
        """Build everything (see the module docstring)."""
        tag = uuid.uuid4().hex[:8]
        self.state = {'prefix': prefix, 'nodes': nodes, 'tag': tag,
                      'namespaces': [], 'pids': [],
                      'database': 'nova_mn_%s' % tag, 'pg_port': 5432,
                      'vhost': 'nova_mn_%s' % tag, 'iscsi': iscsi,
                      'private_instances': private_instances}
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        for host in ['ctl'] + self.nodes():
            os.makedirs(os.path.join(self.host_dir(host), 'locks'),
                        exist_ok=True)
            os.chmod(self.host_dir(host), 0o755)
        for path in ('instances', 'images'):
            os.makedirs(os.path.join(self.dir, path), exist_ok=True)
            os.chmod(os.path.join(self.dir, path), 0o755)
        self.save()
        for host in ['ctl', 'sw', 'out'] + self.nodes():
            if os.path.exists('/run/netns/' + self.netns(host)):
                raise SystemExit('multinode: the namespace %s exists (a '
                                 'cloud runs, or was not taken down)'
                                 % self.netns(host))
        if database == 'private':
            self._start_private_postgres()
        self._create_database()
        self._create_vhost()
        self._make_network()
        self._start_relays()
        for host in ['ctl'] + self.nodes():
            self._write_flagfile(host)
        self.manage('db', 'sync')
        self.manage('network', 'create', '--label=private',
                    '--fixed_range_v4=%s' % FIXED_RANGE, '--num_networks=1',
                    '--network_size=256', '--bridge=br100',
                    '--multi_host=T')
        self.manage('floating', 'create', '--ip_range=%s' % FLOATING_RANGE)
        if iscsi:
            self._start_tgtd()
        for binary in CONTROLLER_DAEMONS:
            self.start_daemon('ctl', binary)
        for index, host in enumerate(self.nodes(), 1):
            self.start_node(host, index)
        self._wait_services()

    def _pg(self, sql, dbname='postgres'):
        import psycopg
        with psycopg.connect('%s port=%d dbname=%s' % (
                PG_ADMIN, self.state['pg_port'], dbname),
                autocommit=True) as conn:
            return conn.execute(sql).fetchall() if sql.lstrip().upper(
            ).startswith('SELECT') else conn.execute(sql)

    def _start_private_postgres(self):
        """A PostgreSQL cluster of this cloud's own (on a free port), for
        a machine whose server has no connections to spare."""
        sys.path.insert(0, ROOT)
        from tests.integration import private_services
        server = private_services.PrivatePostgres()
        self.state['pg_dir'] = server.dir
        self.save()
        server.start()
        self.state['pg_port'] = server.port
        self.save()

    def _stop_private_postgres(self):
        sys.path.insert(0, ROOT)
        from tests.integration import private_services
        data = os.path.join(self.state['pg_dir'], 'data')
        if os.path.exists(os.path.join(data, 'postmaster.pid')):
            try:
                private_services.PrivatePostgres._as_postgres([
                    os.path.join(private_services.PG_BIN, 'pg_ctl'), '-D',
                    data, '-m', 'immediate', '-w', 'stop'])
            except subprocess.CalledProcessError as exc:
                sys.stderr.write('multinode: pg_ctl stop: %s\n'
                                 % exc.stderr)
        shutil.rmtree(self.state['pg_dir'], ignore_errors=True)

    def _create_database(self):
        self.state['database_made'] = False
        self._pg('CREATE DATABASE %s' % self.state['database'])
        self.state['database_made'] = True
        self.save()

    def _create_vhost(self):
        vhost = self.state['vhost']
        _run('rabbitmqctl', '-q', 'add_vhost', vhost)
        self.state['vhost_made'] = True
        self.save()
        _run('rabbitmqctl', '-q', 'set_permissions', '-p', vhost, 'guest',
             '.*', '.*', '.*')

    def _add_netns(self, host):
        _run('ip', 'netns', 'add', self.netns(host))
        self.state['namespaces'].append(self.netns(host))
        self.save()
        self.ns(host, 'ip', 'link', 'set', 'lo', 'up')

    def _plug(self, host, bridge, inside, address=None):
        """A veth from the switch's ``bridge`` to ``inside`` of ``host``."""
        outer = '%s-%s' % (host, bridge[0])
        self.ns('sw', 'ip', 'link', 'add', outer, 'type', 'veth', 'peer',
                'name', inside, 'netns', self.netns(host))
        self.ns('sw', 'ip', 'link', 'set', outer, 'master', bridge)
        self.ns('sw', 'ip', 'link', 'set', outer, 'up')
        if address:
            self.ns(host, 'ip', 'addr', 'add', address, 'dev', inside)
        self.ns(host, 'ip', 'link', 'set', inside, 'up')

    def _make_network(self):
        self._add_netns('sw')
        for bridge in ('mgmt', 'flat', 'pub'):
            self.ns('sw', 'ip', 'link', 'add', bridge, 'type', 'bridge')
            self.ns('sw', 'ip', 'link', 'set', bridge, 'up')
        self._add_netns('ctl')
        self._plug('ctl', 'mgmt', 'eth0', CONTROLLER_IP + '/24')
        self._add_netns('out')
        self._plug('out', 'pub', 'eth0', OUTSIDE_IP + '/24')
        for index, host in enumerate(self.nodes(), 1):
            self._add_netns(host)
            self.ns(host, 'sysctl', '-qw', 'net.ipv4.ip_forward=1')
            self._plug(host, 'mgmt', 'eth0', mgmt_ip(index) + '/24')
            self._plug(host, 'flat', 'eth1')
            self._plug(host, 'pub', 'eth2', public_ip(index) + '/24')

    def _spawn(self, name, cmd, env=None):
        """Start a process in its own session; its pid is recorded."""
        log = open(os.path.join(self.dir, '%s.log' % name), 'ab')
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
                env=dict(os.environ, PYTHONDONTWRITEBYTECODE='1',
                         **(env or {})))
        finally:
            log.close()
        self.state['pids'].append([name, proc.pid])
        self.save()
        return proc

    def _start_relays(self):
        """DB and broker into the controller; the APIs out to loopback."""
        self._spawn('relay-services', [
            sys.executable, CLOUD_NETNS, 'relay-pairs',
            '--listen-netns', self.netns('ctl'),
            '--pair', '%s:5432=127.0.0.1:%d' % (CONTROLLER_IP,
                                                self.state['pg_port']),
            '--pair', '%s:5672=127.0.0.1:5672' % CONTROLLER_IP])
        ports = {}
        pairs = []
        for name, port in (('ec2', EC2_PORT), ('osapi', OSAPI_PORT),
                           ('s3', S3_PORT)):
            ports[name] = _free_port()
            pairs += ['--pair', '127.0.0.1:%d=127.0.0.1:%d' % (ports[name],
                                                              port)]
        self.state['ports'] = ports
        self.save()
        self._spawn('relay-apis', [sys.executable, CLOUD_NETNS,
                                   'relay-pairs', '--connect-netns',
                                   self.netns('ctl')] + pairs)
        probe = ('import socket, sys, time\n'
                 'for _ in range(100):\n'
                 '    try:\n'
                 '        socket.create_connection((sys.argv[1], 5432), 1)\n'
                 '        sys.exit(0)\n'
                 '    except OSError:\n'
                 '        time.sleep(0.1)\n'
                 'sys.exit(1)\n')
        self.ns('ctl', sys.executable, '-c', probe, CONTROLLER_IP)

    def _write_flagfile(self, host):
        """The manual's multi-node nova.conf, this cloud's addresses."""
        here = self.host_dir(host)
        index = 0 if host == 'ctl' else int(host[1:])
        my_ip = CONTROLLER_IP if host == 'ctl' else mgmt_ip(index)
        wrapper = os.path.join(here, 'nova-dhcpbridge')
        with open(wrapper, 'w') as out:
            out.write('#!/bin/sh\nexec %s %s "$@" >>%s/dhcpbridge.log '
                      '2>&1\n' % (sys.executable,
                                  os.path.join(BIN, 'nova-dhcpbridge'),
                                  here))
        os.chmod(wrapper, 0o755)
        lines = [
            '--dhcpbridge_flagfile=%s' % self.flagfile(host),
            '--dhcpbridge=%s' % wrapper,
            '--logdir=%s' % here,
            '--state_path=%s' % here,
            '--lock_path=%s' % os.path.join(here, 'locks'),
            '--force_dhcp_release=True',
            '--verbose',
            '--s3_host=%s' % CONTROLLER_IP,
            '--s3_port=%d' % S3_PORT,
            '--rabbit_host=%s' % CONTROLLER_IP,
            '--rabbit_virtual_host=%s' % self.state['vhost'],
            '--ec2_url=http://%s:%d/services/Cloud' % (CONTROLLER_IP,
                                                       EC2_PORT),
            '--ec2_host=%s' % CONTROLLER_IP,
            # the node's metadata relay (the 169.254.169.254 DNAT target)
            '--ec2_dmz_host=%s' % my_ip,
            '--ec2_port=%d' % EC2_PORT,
            '--fixed_range=%s' % FIXED_RANGE,
            '--routing_source_ip=%s' % (public_ip(index) if index else
                                        CONTROLLER_IP),
            '--sql_connection=postgresql://postgres@%s:5432/%s' % (
                CONTROLLER_IP, self.state['database']),
            # the machine's PostgreSQL is shared: few connections each
            '--sql_min_pool_size=1',
            '--sql_max_pool_size=4',
            '--image_service=nova.image.local.LocalImageService',
            '--images_path=%s' % os.path.join(self.dir, 'images'),
            '--network_manager=nova.network.manager.FlatDHCPManager',
            '--flat_network_bridge=br100',
            '--flat_interface=eth1',
            '--public_interface=eth2',
            '--multi_host=T',
            '--api_paste_config=%s' % os.path.join(ROOT, 'etc', 'nova',
                                                   'api-paste.ini'),
            # what the manual's file leaves to each host's defaults
            '--my_ip=%s' % my_ip,
            '--host=%s' % host,
            '--networks_path=%s' % os.path.join(here, 'networks'),
            '--enabled_apis=ec2,osapi',
            '--ec2_listen=0.0.0.0',
            '--ec2_listen_port=%d' % EC2_PORT,
            '--osapi_listen=0.0.0.0',
            '--osapi_listen_port=%d' % OSAPI_PORT,
            '--s3_listen=0.0.0.0',
            '--s3_listen_port=%d' % S3_PORT,
            '--use_forwarded_for=True',
            # the nodes' metadata relays, on the management network
            '--metadata_trusted_proxies=127.0.0.1,192.168.100.0/24',
            '--scheduler_driver=nova.scheduler.simple.SimpleScheduler',
        ] + self._volume_flags(here) + [
            '--connection_type=libvirt',
            '--libvirt_type=qemu',
            '--libvirt_uri=%s' % cloud_netns.libvirt_uri(here),
            '--libvirt_use_virtio_for_bridges=True',
            '--firewall_driver='
            'nova.virt.libvirt.firewall.IptablesFirewallDriver',
            '--allow_same_net_traffic=False',
            '--instance_name_template=instance-%s-%%08x'
            % self.state['prefix'],
            '--instances_path=%s' % os.path.join(self.dir, 'instances'),
            '--vncserver_host=127.0.0.1',
            '--vncserver_listen=127.0.0.1',
            '--report_interval=2',
            '--periodic_interval=5',
            '--rpc_response_timeout=60',
            '--live_migration_uri=qemu+unix:///system?socket=%s/%%s/lv/'
            'run/libvirt-sock' % self.dir,
            '--live_migration_flag=VIR_MIGRATE_UNDEFINE_SOURCE, '
            'VIR_MIGRATE_PEER2PEER, VIR_MIGRATE_LIVE, VIR_MIGRATE_UNSAFE',
            '--live_migration_inbound_addr=%s' % my_ip,
            '--block_migration_flag=%s' % BLOCK_MIGRATION_FLAG,
        ]
        with open(self.flagfile(host), 'w') as out:
            out.write('\n'.join(lines) + '\n')

    def _volume_flags(self, here):
        """nova-volume's flags: tgtd's sparse files, or records only."""
        if not self.state.get('iscsi'):
            return ['--volume_driver=nova.volume.driver.FakeISCSIDriver']
        return ['--volume_driver=nova.volume.driver.ISCSIDriver',
                '--volume_storage=file',
                '--volumes_path=%s' % os.path.join(here, 'volumes'),
                '--iscsi_helper=tgtadm',
                '--iscsi_ip_address=%s' % CONTROLLER_IP,
                '--iscsi_port=%d' % ISCSI_PORT]

    # -- tgtd (--iscsi) ----------------------------------------------------
    def tgt_env(self):
        """``TGT_IPC_SOCKET`` of the cloud's tgtd (tgtd adds ``.0``)."""
        return {'TGT_IPC_SOCKET': os.path.join(self.host_dir('ctl'), 'tgt',
                                               'socket')}

    def tgtadm(self, *words, check=True):
        """``tgtadm --lld iscsi WORDS`` at the cloud's tgtd."""
        proc = subprocess.run(['tgtadm', '--lld', 'iscsi'] + list(words),
                              env=dict(os.environ, **self.tgt_env()),
                              capture_output=True, text=True, timeout=20)
        if check and proc.returncode != 0:
            raise SystemExit('multinode: tgtadm %s: %s' % (
                ' '.join(words), proc.stderr.strip()))
        return proc

    def _start_tgtd(self):
        """tgtd in the controller, its portal on the management network."""
        os.makedirs(os.path.join(self.host_dir('ctl'), 'tgt'), mode=0o700,
                    exist_ok=True)
        os.makedirs(os.path.join(self.host_dir('ctl'), 'volumes'),
                    exist_ok=True)
        proc = self._spawn('ctl/tgtd', [
            'ip', 'netns', 'exec', self.netns('ctl'), 'tgtd', '-f',
            '--iscsi', 'portal=%s:%d' % (CONTROLLER_IP, ISCSI_PORT)],
            env=self.tgt_env())
        deadline = time.time() + 30
        while self.tgtadm('--op', 'show', '--mode', 'target',
                          check=False).returncode != 0:
            if proc.poll() is not None or time.time() > deadline:
                raise SystemExit('multinode: tgtd did not start (see %s)'
                                 % os.path.join(self.dir, 'ctl',
                                                'tgtd.log'))
            time.sleep(0.2)

    def _stop_tgtd(self):
        """tgtd ignores SIGTERM: ask it to shut down, then make sure."""
        for name, pid in self.state.get('pids', []):
            if name == 'ctl/tgtd' and cloud_netns._alive(pid):
                try:
                    self.tgtadm('--op', 'delete', '--mode', 'system',
                                check=False)
                except (OSError, subprocess.SubprocessError):
                    pass
                deadline = time.time() + 5
                while cloud_netns._alive(pid) and time.time() < deadline:
                    time.sleep(0.1)
                _kill9(pid)
        for suffix in ('.0', '.0.lock'):
            path = self.tgt_env()['TGT_IPC_SOCKET'] + suffix
            if os.path.exists(path):
                os.unlink(path)

    # -- private instance directories (--private-instances) ----------------
    def private_instances(self, host):
        """The node's own instance directory (bound over DIR/instances in
        the mount namespaces of its libvirtd and nova-compute)."""
        target = os.path.join(self.dir, 'instances')
        return os.path.join(cloud_netns.libvirt_dir(self.host_dir(host)),
                            target.strip('/').replace('/', '_'))

    def _start_libvirt_daemons(self, host, daemons):
        binds = cloud_netns.BIND_DIRS
        if self.state.get('private_instances'):
            cloud_netns.BIND_DIRS = binds + (os.path.join(self.dir,
                                                          'instances'),)
        try:
            cloud_netns.start_libvirtd(self.host_dir(host), self.netns(host),
                                       daemons=daemons)
        finally:
            cloud_netns.BIND_DIRS = binds

    def manage(self, *words):
        """nova-manage on the controller; returns its output."""
        return self.ns('ctl', sys.executable, os.path.join(BIN, 'nova-manage'),
                       '--flagfile=%s' % self.flagfile('ctl'), *words)

    def start_daemon(self, host, binary):
        """bin/<binary> in ``host``'s namespace with its nova.conf."""
        cmd = [sys.executable, os.path.join(BIN, binary),
               '--flagfile=%s' % self.flagfile(host)]
        env = None
        if binary == 'nova-volume' and self.state.get('iscsi'):
            env = self.tgt_env()
        if binary == 'nova-compute' and self.state.get('private_instances'):
            private = self.private_instances(host)
            os.makedirs(private, mode=0o755, exist_ok=True)
            # the node's own instance directory, as its libvirtd sees it
            cmd = ['unshare', '-m', '--propagation', 'private', 'sh', '-c',
                   'mount --bind "$0" "$1" && shift && exec "$@"',
                   private, os.path.join(self.dir, 'instances')] + cmd
        return self._spawn('%s/%s' % (host, binary), [
            'ip', 'netns', 'exec', self.netns(host)] + cmd, env=env)

    def start_node(self, host, index):
        """libvirtd, the metadata relay, nova-network, nova-compute."""
        self.start_libvirtd(host)
        self._spawn('%s/metadata' % host, [
            'ip', 'netns', 'exec', self.netns(host), sys.executable,
            CLOUD_NETNS, 'metadata', '--listen', '%s:%d' % (mgmt_ip(index),
                                                           EC2_PORT),
            '--port', str(EC2_PORT), '--upstream-host', CONTROLLER_IP,
            # only the guests of this node (its dnsmasq's hosts file)
            '--hosts-file', os.path.join(self.host_dir(host), 'networks',
                                         'nova-br100.conf')])
        for binary in NODE_DAEMONS:
            self.start_daemon(host, binary)

    def start_libvirtd(self, host):
        """The node's own virtlogd + libvirtd (see cloud_netns)."""
        lv_pids = os.path.join(cloud_netns.libvirt_dir(self.host_dir(host)),
                               'pids')
        if os.path.exists(lv_pids):
            os.unlink(lv_pids)
        self._start_libvirt_daemons(host, ('virtlogd', 'libvirtd'))

    def _wait_services(self, timeout=120):
        want = {('ctl', topic) for topic in ('scheduler', 'volume')}
        for host in self.nodes():
            want |= {(host, 'compute'), (host, 'network')}
        deadline = time.time() + timeout
        while True:
            rows = self._pg('SELECT host, topic FROM services WHERE '
                            'report_count > 0', self.state['database'])
            missing = want - {tuple(row) for row in rows}
            if not missing:
                return
            dead = [name for name, pid in self.state['pids']
                    if not cloud_netns._alive(pid)]
            if dead or time.time() > deadline:
                raise SystemExit('multinode: services did not report: %s; '
                                 'exited: %s (logs in %s)' % (
                                     sorted(missing), dead, self.dir))
            time.sleep(1)

    # -- status ------------------------------------------------------------
    def status(self):
        """Lines describing the cloud."""
        if not self.state:
            return ['no cloud in %s' % self.dir]
        lines = ['nodes: %d, database %s, vhost %s, APIs %s' % (
            self.state['nodes'], self.state['database'], self.state['vhost'],
            self.state.get('ports'))]
        for name, pid in self.state['pids']:
            lines.append('%-22s pid %-7d %s' % (
                name, pid, 'running' if cloud_netns._alive(pid) else 'gone'))
        for netns in self.state['namespaces']:
            lines.append('namespace %s %s' % (netns, 'present' if
                         os.path.exists('/run/netns/' + netns) else 'gone'))
        return lines

    # -- down --------------------------------------------------------------
    def kill_node(self, host):
        """SIGKILL the node's nova-compute and libvirtd (a crash; QEMU and
        virtlogd go on)."""
        for name, pid in self.state['pids']:
            if name == '%s/nova-compute' % host:
                _kill9(pid)
        path = os.path.join(cloud_netns.libvirt_dir(self.host_dir(host)),
                            'libvirtd.pid')
        with open(path) as source:
            _kill9(int(source.read().strip()))

    def restart_node(self, host):
        """libvirtd and nova-compute of the node again."""
        self._start_libvirt_daemons(host, ('libvirtd',))
        self.start_daemon(host, 'nova-compute')

    def poweroff(self, host):
        """A power loss of node ``host`` (see the module docstring)."""
        netns = self.netns(host)
        for _ in range(20):
            pids = [int(pid) for pid in _run('ip', 'netns', 'pids', netns,
                                             check=False).split()]
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        for name, pid in self.state['pids']:
            if name.startswith(host + '/'):
                _kill9(pid)
        self.state['pids'] = [entry for entry in self.state['pids']
                              if not entry[0].startswith(host + '/')]
        self.save()
        for bridge in ('mgmt', 'flat', 'pub'):
            self.ns('sw', 'ip', 'link', 'del', '%s-%s' % (host, bridge[0]),
                    check=False)
        _run('ip', 'netns', 'del', netns)
        self.state['namespaces'].remove(netns)
        self.save()
        top = cloud_netns.libvirt_dir(self.host_dir(host))
        lv_pids = os.path.join(top, 'pids')
        if os.path.exists(lv_pids):
            os.unlink(lv_pids)

    def poweron(self, host):
        """Node ``host`` boots again after :meth:`poweroff`."""
        index = int(host[1:])
        # what was in its tmpfs is gone: libvirt's runtime state
        shutil.rmtree(os.path.join(cloud_netns.libvirt_dir(
            self.host_dir(host)), 'run'), ignore_errors=True)
        self._add_netns(host)
        self.ns(host, 'sysctl', '-qw', 'net.ipv4.ip_forward=1')
        self._plug(host, 'mgmt', 'eth0', mgmt_ip(index) + '/24')
        self._plug(host, 'flat', 'eth1')
        self._plug(host, 'pub', 'eth2', public_ip(index) + '/24')
        self.start_node(host, index)

    def down(self, keep_logs=False):
        """Remove everything (see the module docstring)."""
        if not self.state:
            return
        prefix = self.state['prefix']
        nodes = ['c%d' % i for i in range(1, self.state['nodes'] + 1)]
        for host in nodes:
            for name in cloud_netns.destroy_domains(self.host_dir(host)):
                print('destroyed the domain %s on %s' % (name, host))
        self._stop_tgtd()
        for _name, pid in reversed(self.state.get('pids', [])):
            cloud_netns._stop(pid, seconds=10)
        for host in nodes:
            # libvirtd/virtlogd (their pid file), what is left, the netns
            cloud_netns.down(self.host_dir(host), '%s-%s' % (prefix, host))
        for netns in reversed(self.state.get('namespaces', [])):
            if os.path.exists('/run/netns/' + netns):
                for pid in _run('ip', 'netns', 'pids', netns,
                                check=False).split():
                    cloud_netns._stop(int(pid), seconds=5)
                _run('ip', 'netns', 'del', netns, check=False)
        if self.state.get('pg_dir'):
            self._stop_private_postgres()
        elif self.state.get('database_made'):
            try:
                self._pg('DROP DATABASE IF EXISTS %s WITH (FORCE)'
                         % self.state['database'])
            except Exception as exc:  # noqa: BLE001 - go on cleaning
                sys.stderr.write('multinode: dropping %s: %s\n' % (
                    self.state['database'], exc))
        if self.state.get('vhost_made'):
            _run('rabbitmqctl', '-q', 'delete_vhost', self.state['vhost'],
                 check=False)
        if keep_logs:
            os.unlink(self.path)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.state = {}


def _kill9(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    deadline = time.time() + 10
    while cloud_netns._alive(pid) and time.time() < deadline:
        time.sleep(0.05)


def _free_port():
    import socket
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def main(argv=None):
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    for name in ('up', 'down', 'status', 'manage', 'kill', 'restart',
                 'poweroff', 'poweron'):
        cmd = sub.add_parser(name)
        cmd.add_argument('--state', default=DEFAULT_STATE)
        if name in ('kill', 'restart', 'poweroff', 'poweron'):
            cmd.add_argument('node')
        if name == 'up':
            cmd.add_argument('--nodes', type=int, default=2)
            cmd.add_argument('--prefix', default='mn')
            cmd.add_argument('--database', choices=('machine', 'private'),
                             default='machine',
                             help='a database of its own on the machine\'s '
                                  'PostgreSQL (127.0.0.1:5432), or a private '
                                  'PostgreSQL cluster on a free port')
            cmd.add_argument('--iscsi', action='store_true',
                             help='volumes exported by a tgtd of the '
                                  'cloud\'s own (ISCSIDriver, sparse files)')
            cmd.add_argument('--private-instances', action='store_true',
                             help='no shared instance directory: each node '
                                  'has its own')
        if name == 'down':
            cmd.add_argument('--keep-logs', action='store_true')
        if name == 'manage':
            cmd.add_argument('words', nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit('multinode: network namespaces need root')
    cloud = Cloud(args.state)
    if args.command == 'up':
        if cloud.state:
            cloud.down(keep_logs=True)
        try:
            cloud.up(args.nodes, args.prefix, args.database, args.iscsi,
                     args.private_instances)
        except BaseException:
            cloud.down(keep_logs=True)
            raise
        print('\n'.join(cloud.status()))
    elif args.command == 'down':
        cloud.down(keep_logs=args.keep_logs)
    elif args.command == 'status':
        print('\n'.join(cloud.status()))
    elif args.command == 'kill':
        cloud.kill_node(args.node)
    elif args.command == 'restart':
        cloud.restart_node(args.node)
    elif args.command == 'poweroff':
        cloud.poweroff(args.node)
    elif args.command == 'poweron':
        cloud.poweron(args.node)
    else:
        words = args.words[1:] if args.words[:1] == ['--'] else args.words
        sys.stdout.write(cloud.manage(*words))
    return 0


if __name__ == '__main__':
    sys.exit(main())
