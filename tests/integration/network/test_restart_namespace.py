"""nova-network restarts: init_host rebuilds the host from the database.

The real ``bin/nova-network`` daemon runs in the host namespace.  After a
simulated reboot (bridge, dnsmasq and rules gone) it re-creates them; killed
and started again it leaves exactly the same rules (no duplicates), keeps a
rule it does not own, and dnsmasq keeps serving.
"""

import os
import signal
import sys

import pytest

import netns
from test_flatdhcp_namespace import create_network, make_instance

pytestmark = [pytest.mark.netns, pytest.mark.integration,
              pytest.mark.timeout(150)]

FOREIGN = '-A FORWARD -s 198.51.100.9/32 -j DROP'


def _rules(text):
    return sorted(line for line in text.splitlines()
                  if line.startswith('-A '))


def _dnsmasq_pid(lab):
    path = os.path.join(lab.dir, 'networks', 'nova-br100.pid')
    try:
        pid = int(open(path).read().strip())
    except (OSError, ValueError):
        return None
    try:
        cmdline = open('/proc/%d/cmdline' % pid, 'rb').read()
    except OSError:
        return None
    return pid if b'dnsmasq' in cmdline else None


def _start_daemon(lab, host):
    return lab.spawn(host.ns, sys.executable,
                     os.path.join(netns.REPO, 'bin', 'nova-network'),
                     '--flagfile=%s' % host.flagfile)


def _ready(lab, host):
    nat = host.iptables('nat')
    return _dnsmasq_pid(lab) and 'nova-network-snat -s 10.0.0.0/24' in nat \
        and '169.254.169.254' in nat and \
        '10.0.0.1/24' in lab.exec(host.ns, 'ip', '-o', 'addr', 'show')


def test_restart_rebuilds_without_duplicates(lab, cloud_host):
    host = cloud_host('FlatDHCPManager')
    agent = host.start_agent()
    create_network(agent)
    agent.call('manager', 'allocate_for_instance', make_instance('vm-1'),
               host='nethost', project_id='proj')
    agent.stop()
    # "reboot": everything on the host is gone, the database remains
    pid = _dnsmasq_pid(lab)
    assert pid
    os.kill(pid, signal.SIGKILL)
    lab.exec(host.ns, 'ip', 'link', 'del', 'br100')
    for table in ('filter', 'nat'):
        lab.exec(host.ns, 'iptables', '-t', table, '-F')
        lab.exec(host.ns, 'iptables', '-t', table, '-X')
    lab.exec(host.ns, 'iptables', *FOREIGN.split())

    daemon = _start_daemon(lab, host)
    netns.wait_for(lambda: _ready(lab, host), timeout=40,
                   what='nova-network to rebuild the host')
    hosts_file = open(os.path.join(lab.dir, 'networks',
                                   'nova-br100.conf')).read()
    assert 'vm-1.novalocal' in hosts_file
    first = {t: _rules(host.iptables(t)) for t in ('filter', 'nat')}
    first_pid = _dnsmasq_pid(lab)

    daemon.send_signal(signal.SIGKILL)
    daemon.wait()
    _start_daemon(lab, host)
    # the restarted daemon reloads dnsmasq (same pid) and re-applies all
    # of its rules at once: no moment without them while it sets up
    log = os.path.join(lab.dir, 'nova-network.log')
    samples = []

    def set_up_again():
        samples.append({t: _rules(host.iptables(t))
                        for t in ('filter', 'nat')})
        return open(log).read().count('networking of host nethost set '
                                      'up') >= 2

    netns.wait_for(set_up_again, timeout=40, interval=0.01,
                   what='the restarted nova-network')
    assert len(samples) > 3
    for sample in samples:
        assert sample == first
    second = {t: _rules(host.iptables(t)) for t in ('filter', 'nat')}
    assert second == first
    for table in second.values():
        assert len(table) == len(set(table)), 'duplicate rules'
    assert FOREIGN in second['filter']
    assert _dnsmasq_pid(lab) == first_pid
