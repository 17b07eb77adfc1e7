"""Security groups survive a nova-network outage.

The real ``bin/nova-network`` (FlatDHCP) runs in the host namespace; a
compute manager (agent ``rpc_compute``: fake hypervisor, iptables firewall,
its own ``nova-compute`` chains) asks it for network info over RPC, as a
real nova-compute does.  A guest namespace serves TCP on three ports; its
group allows only the first.  nova-network is killed, a rule for the third
port is added and the group refreshed: the compute manager rebuilds the
chain from the instance's last known network info.  A sampler in the test
reads ``iptables-save`` and probes the ports all through the refresh: the
allowed port stays open, the denied port stays closed, the jump to the
instance's chain never disappears, and the new rule takes effect.

A compute manager that has never seen the instance (nothing cached) refuses
the refresh during the outage and leaves the rules exactly as they were;
once nova-network is back the refresh applies.
"""

import os
import shutil
import subprocess
import sys
import threading

import pytest

import netns
from nova import context
from nova import db
from test_flatdhcp_namespace import create_network
from test_security_groups_namespace import boot_guest, group, outside_world

pytestmark = [pytest.mark.netns, pytest.mark.integration,
              pytest.mark.timeout(150)]

ALLOWED, DENIED, ADDED = 8022, 8023, 8024
PROBE = ('import socket,sys\n'
         'for port in sys.argv[2:]:\n'
         '    try:\n'
         '        socket.create_connection((sys.argv[1], int(port)),\n'
         '                                 timeout=0.8).close()\n'
         '        print(port, 1)\n'
         '    except OSError:\n'
         '        print(port, 0)\n')


def open_ports(lab, ns, address, *ports):
    """``{port: connected}`` for new TCP connections from ``ns``."""
    out = subprocess.run(['ip', 'netns', 'exec', ns, sys.executable, '-c',
                          PROBE, address] + [str(p) for p in ports],
                         capture_output=True, text=True, timeout=20).stdout
    return {int(p): v == '1' for p, v in
            (line.split() for line in out.splitlines())}


def start_network_daemon(lab, host):
    proc = lab.spawn(host.ns, sys.executable,
                     os.path.join(netns.REPO, 'bin', 'nova-network'),
                     '--flagfile=%s' % host.flagfile)
    netns.wait_for(lambda: 'nova-network-snat' in host.iptables('nat'),
                   timeout=40, what='nova-network to start')
    return proc


def compute_agent(lab, host, cache):
    flagfile = lab.write('compute-%s.conf' % os.path.basename(cache),
                         open(host.flagfile).read() +
                         '--iptables_binary_name=nova-compute\n'
                         '--allow_same_net_traffic=False\n'
                         '--rpc_response_timeout=3\n'
                         '--network_info_cache_path=%s\n' % cache)
    return lab.agent(host.ns, flagfile)


def refresh_once_network_answers(compute, host, web, group_id,
                                 gone_port=None):
    """Refresh until nova-network (just started) answers and the rules
    are applied: the jump is there and ``gone_port`` is not allowed."""
    jump = '-d %s/32 -j nova-compute-inst-%d' % (web['address'], web['id'])
    gone = '--dport %s -j ACCEPT' % gone_port

    def applied():
        compute.call('rpc_compute', 'refresh_security_group_rules', group_id)
        rules = host.iptables('filter')
        return jump in rules and (gone_port is None or gone not in rules)
    netns.wait_for(applied, timeout=60, interval=0.5,
                   what='a refresh with nova-network answering')


def logs(lab):
    """The text of every log of the lab (agents and daemons)."""
    return ''.join(open(os.path.join(lab.dir, name)).read()
                   for name in os.listdir(lab.dir) if name.endswith('.log'))


def allow(ctxt, group_id, port):
    db.security_group_rule_create(ctxt, {
        'parent_group_id': group_id, 'protocol': 'tcp', 'from_port': port,
        'to_port': port, 'cidr': '0.0.0.0/0'})


class Sampler(threading.Thread):
    """Reads the rules and probes the guest until stopped."""

    def __init__(self, lab, host, outside, web):
        super(Sampler, self).__init__(daemon=True)
        self.args = (lab, host, outside, web)
        self.jump = '-A nova-compute-local -d %s/32 -j nova-compute-inst-%d' \
            % (web['address'], web['id'])
        self.allowed = '-A nova-compute-inst-%d -p tcp -m tcp --dport %d ' \
            '-j ACCEPT' % (web['id'], ALLOWED)
        self.samples = []
        self.stopping = threading.Event()

    def run(self):
        lab, host, outside, web = self.args
        while not self.stopping.is_set():
            rules = host.iptables('filter')
            ports = open_ports(lab, outside, web['address'], ALLOWED, DENIED)
            self.samples.append((self.jump in rules, self.allowed in rules,
                                 ports[ALLOWED], ports[DENIED]))

    def stop(self):
        self.stopping.set()
        self.join(timeout=30)
        return self.samples


def guarded_web_guest(lab, host):
    """A guest ``web`` in security group ``web`` (ALLOWED open), serving
    ALLOWED, DENIED and ADDED, seen from ``outside``; nova-network's daemon
    runs: ``(outside, web, group id, daemon)``."""
    manager = host.start_agent()
    create_network(manager)
    outside = outside_world(lab, host)
    web = boot_guest(lab, host, manager, 'web', 'web')
    manager.stop()
    ctxt = context.get_admin_context()
    web_group = group(ctxt, 'web')
    db.instance_add_security_group(ctxt, web['id'], web_group)
    allow(ctxt, web_group, ALLOWED)
    for port in (ALLOWED, DENIED, ADDED):
        lab.spawn(web['ns'], sys.executable, '-m', 'http.server', port,
                  '--bind', '0.0.0.0')
    netns.wait_for(lambda: all(':%d' % p in lab.exec(web['ns'], 'ss', '-ltn')
                               for p in (ALLOWED, DENIED, ADDED)),
                   what='the guest servers')
    daemon = start_network_daemon(lab, host)
    return outside, web, web_group, daemon


def test_refresh_during_outage_never_lapses(lab, cloud_host):
    host = cloud_host('FlatDHCPManager')
    outside, web, web_group, daemon = guarded_web_guest(lab, host)
    ctxt = context.get_admin_context()
    cache = os.path.join(lab.dir, 'compute-cache')
    compute = compute_agent(lab, host, cache)
    refresh_once_network_answers(compute, host, web, web_group)
    assert open_ports(lab, outside, web['address'], ALLOWED, DENIED,
                      ADDED) == {ALLOWED: True, DENIED: False, ADDED: False}

    # nova-network goes away; a rule is added and the group refreshed
    daemon.kill()
    daemon.wait()
    allow(ctxt, web_group, ADDED)
    sampler = Sampler(lab, host, outside, web)
    sampler.start()
    netns.wait_for(lambda: len(sampler.samples) >= 2, timeout=20,
                   what='samples before the refresh')
    compute.call('rpc_compute', 'refresh_security_group_rules', web_group)
    before = len(sampler.samples)
    netns.wait_for(lambda: len(sampler.samples) >= before + 2, timeout=20,
                   what='samples after the refresh')
    samples = sampler.stop()
    print('%d samples during the outage refresh' % len(samples))
    assert samples and all(s == (True, True, True, False) for s in samples), \
        samples
    # applied from the last known network info, while nova-network is down
    assert open_ports(lab, outside, web['address'], ALLOWED, DENIED,
                      ADDED) == {ALLOWED: True, DENIED: False, ADDED: True}
    assert 'last known network info' in logs(lab)
    compute.stop()

    # a compute with nothing cached refuses: the rules stay as they were
    shutil.rmtree(cache)
    compute = compute_agent(lab, host, os.path.join(lab.dir, 'fresh-cache'))
    db.security_group_rule_destroy(ctxt, [
        r for r in db.security_group_get(ctxt, web_group)['rules']
        if r['from_port'] == ADDED][0]['id'])
    rules_before = host.iptables('filter').splitlines()
    compute.call('rpc_compute', 'refresh_security_group_rules', web_group)
    assert 'keeps its current rules' in logs(lab)
    strip = [line for line in host.iptables('filter').splitlines()
             if not line.startswith(('#', ':'))]
    assert strip == [line for line in rules_before
                     if not line.startswith(('#', ':'))]
    assert open_ports(lab, outside, web['address'], ALLOWED, DENIED,
                      ADDED) == {ALLOWED: True, DENIED: False, ADDED: True}
    # nova-network is back: the refresh is computed and applied
    start_network_daemon(lab, host)
    refresh_once_network_answers(compute, host, web, web_group, ADDED)
    assert open_ports(lab, outside, web['address'], ALLOWED, DENIED,
                      ADDED) == {ALLOWED: True, DENIED: False, ADDED: False}
