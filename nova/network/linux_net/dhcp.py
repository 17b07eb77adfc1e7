"""dnsmasq (DHCP) and radvd (IPv6 router advertisements) per network.

Files live in ``--networks_path``: ``nova-<dev>.conf`` (the hosts file,
``MAC,hostname.domain,IP`` per line), ``nova-<dev>.pid``, and for radvd
``nova-ra-<dev>.conf`` / ``nova-ra-<dev>.pid``.  A running dnsmasq started
with exactly today's arguments is told to re-read its hosts file (SIGHUP);
one started with other arguments is stopped and started again; a pid file
naming a process that is not our dnsmasq is stale and a new one starts.
"""

import ipaddress
import logging
import os

from nova import flags
from nova.utils import concurrency

LOG = logging.getLogger('nova.network.linux_net.dhcp')
FLAGS = flags.FLAGS

flags.DEFINE_string('dhcpbridge_flagfile', '/etc/nova/nova-dhcpbridge.conf',
                    'flagfile nova-dhcpbridge reads')
flags.DEFINE_string('networks_path', '$state_path/networks',
                    'directory of dnsmasq and radvd state files')
flags.DEFINE_string('dhcpbridge', os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))), 'bin', 'nova-dhcpbridge'),
    'location of nova-dhcpbridge')
flags.DEFINE_string('dhcp_domain', 'novalocal', 'domain DHCP gives instances')
flags.DEFINE_integer('dhcp_lease_time', 120, 'seconds a DHCP lease lasts')
flags.DEFINE_string('dns_server', None,
                    'DNS server dnsmasq forwards to (default: resolv.conf)')
flags.DEFINE_string('dnsmasq_config_file', '',
                    'extra dnsmasq configuration file')
flags.DEFINE_bool('use_single_default_gateway', False,
                  'give the default gateway only to the first NIC of '
                  'a multi-NIC instance',
                  unsupported='multi-NIC instances')


def _path(dev, kind):
    directory = FLAGS.networks_path
    if not os.path.isdir(directory):
        os.makedirs(directory, exist_ok=True)
    return os.path.abspath(os.path.join(directory, 'nova-%s.%s' % (dev,
                                                                    kind)))


def get_dhcp_hosts_text(hosts):
    """The hosts file of ``hosts`` (dicts with mac, hostname, address)."""
    return '\n'.join('%s,%s.%s,%s' % (h['mac'], h['hostname'],
                                      FLAGS.dhcp_domain, h['address'])
                     for h in hosts)


def _write(path, text):
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, 0o644)


def _pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return [w.decode('utf-8', 'replace')
                    for w in f.read().split(b'\0') if w]
    except OSError:
        return []


def dnsmasq_cmd(dev, network_ref):
    """The dnsmasq argument vector of a network (without environment)."""
    size = ipaddress.ip_network(network_ref['cidr'],
                                strict=False).num_addresses
    cmd = ['dnsmasq', '--strict-order', '--bind-interfaces',
           '--conf-file=%s' % FLAGS.dnsmasq_config_file,
           '--domain=%s' % FLAGS.dhcp_domain,
           '--pid-file=%s' % _path(dev, 'pid'),
           '--listen-address=%s' % network_ref['dhcp_server'],
           '--except-interface=lo',
           '--dhcp-range=%s,static,%ss' % (network_ref['dhcp_start'],
                                           FLAGS.dhcp_lease_time),
           '--dhcp-lease-max=%s' % size,
           '--dhcp-hostsfile=%s' % _path(dev, 'conf'),
           '--dhcp-script=%s' % FLAGS.dhcpbridge,
           '--leasefile-ro']
    if FLAGS.dns_server:
        cmd += ['-h', '-R', '--server=%s' % FLAGS.dns_server]
    return cmd


#: one dnsmasq start at a time (Diablo's ``synchronized('dnsmasq_start')``):
#: two allocations for instances of one multi_host host arrive together,
#: and the second must find the first's dnsmasq, not start another
_DHCP_LOCK = concurrency.Semaphore(1)


def update_dhcp(dev, network_ref, hosts, execute):
    """Write the hosts file and reload or start dnsmasq on ``dev``.

    Returns ``'reloaded'`` or ``'started'``.
    """
    with _DHCP_LOCK:
        return _update_dhcp(dev, network_ref, hosts, execute)


def _update_dhcp(dev, network_ref, hosts, execute):
    conf = _path(dev, 'conf')
    _write(conf, get_dhcp_hosts_text(hosts))
    cmd = dnsmasq_cmd(dev, network_ref)
    pid = _pid(_path(dev, 'pid'))
    if pid:
        running = _cmdline(pid)
        if running and running[0].endswith('dnsmasq') and \
                '--dhcp-hostsfile=%s' % conf in running:
            if running[1:] == cmd[1:]:
                try:
                    execute('kill', '-HUP', pid)
                    return 'reloaded'
                except Exception as exc:
                    LOG.warning('could not HUP dnsmasq %s: %s', pid, exc)
            else:
                LOG.info('dnsmasq %s runs with old arguments; restarting',
                         pid)
                execute('kill', '-TERM', pid, check_exit_code=False)
                _wait_gone(pid)
        else:
            LOG.debug('stale dnsmasq pid %s for %s', pid, dev)
    env = ['env', 'FLAGFILE=%s' % FLAGS.dhcpbridge_flagfile,
           'NETWORK_ID=%s' % network_ref['id']]
    execute(*(env + cmd))
    return 'started'


def _wait_gone(pid, timeout=5.0):
    import time
    deadline = time.time() + timeout
    while time.time() < deadline and _cmdline(pid):
        time.sleep(0.05)


def kill_dhcp(dev, execute):
    """Stop the dnsmasq of ``dev`` (if it runs)."""
    pid = _pid(_path(dev, 'pid'))
    if pid and '--dhcp-hostsfile=%s' % _path(dev, 'conf') in _cmdline(pid):
        execute('kill', '-TERM', pid, check_exit_code=False)
        _wait_gone(pid)


def release_dhcp(dev, address, mac_address, execute):
    """Make dnsmasq drop a lease now (``dhcp_release``)."""
    execute('dhcp_release', dev, address, mac_address)


def radvd_config(dev, cidr_v6):
    """The radvd configuration of a network."""
    return ('interface %s\n{\n   AdvSendAdvert on;\n   MinRtrAdvInterval 3;\n'
            '   MaxRtrAdvInterval 10;\n   prefix %s\n   {\n'
            '        AdvOnLink on;\n        AdvAutonomous on;\n   };\n};\n'
            % (dev, cidr_v6))


def update_ra(dev, network_ref, execute):
    """(Re)start radvd advertising the network's IPv6 prefix on ``dev``."""
    conf = _path('ra-%s' % dev, 'conf')
    _write(conf, radvd_config(dev, network_ref['cidr_v6']))
    pidfile = _path('ra-%s' % dev, 'pid')
    pid = _pid(pidfile)
    if pid and conf in ' '.join(_cmdline(pid)):
        execute('kill', pid, check_exit_code=False)
        _wait_gone(pid)
    execute('radvd', '-C', conf, '-p', pidfile)
