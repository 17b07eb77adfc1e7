"""nova-network refuses a state directory dnsmasq's user cannot enter.

dnsmasq drops to ``nobody`` and re-reads its hosts file as that user on
every SIGHUP.  The real ``bin/nova-network`` (FlatDHCP) is started in the
host namespace with ``--networks_path`` under a 0700 directory: it exits 1
with one line naming the directory and the fix.  After ``chmod o+x`` it
starts, and a guest allocated afterwards (a hosts-file re-read by the
unprivileged dnsmasq) gets its DHCP answer.
"""

import os
import subprocess
import sys

import pytest

import netns
from test_flatdhcp_namespace import attach_guest, create_network, dhcp, \
    make_instance

pytestmark = [pytest.mark.netns, pytest.mark.integration,
              pytest.mark.timeout(150)]


def _dnsmasq_running(networks):
    try:
        pid = int(open(os.path.join(networks, 'nova-br100.pid')).read())
        return b'dnsmasq' in open('/proc/%d/cmdline' % pid, 'rb').read()
    except (OSError, ValueError):
        return False


def test_unreachable_state_dir_is_refused_then_fixed(lab, cloud_host):
    private = os.path.join(lab.dir, 'private')
    networks = os.path.join(private, 'networks')
    os.mkdir(private)
    os.chmod(private, 0o755)
    host = cloud_host('FlatDHCPManager', networks_path=networks)
    agent = host.start_agent()
    create_network(agent)
    agent.call('manager', 'allocate_for_instance', make_instance('vm-1'),
               host='nethost', project_id='proj')
    agent.stop()

    os.chmod(private, 0o700)       # as any "mktemp -d" state directory
    daemon = [sys.executable, os.path.join(netns.REPO, 'bin', 'nova-network'),
              '--flagfile=%s' % host.flagfile]
    refused = subprocess.run(['ip', 'netns', 'exec', host.ns] + daemon,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, refused.stderr
    assert 'Traceback' not in refused.stderr
    line = lines[0]
    assert line.startswith('nova-network: dnsmasq runs as user nobody, who '
                           'cannot enter %s (mode 0700' % private)
    assert 'chmod o+x %s' % private in line
    assert '--networks_path' in line

    os.chmod(private, 0o711)       # the fix the line names
    proc = lab.spawn(host.ns, *daemon)
    netns.wait_for(lambda: _dnsmasq_running(networks) and
                   'nova-network-snat' in host.iptables('nat'),
                   timeout=40, what='nova-network to start')
    assert proc.poll() is None
    # a new instance: its line reaches dnsmasq by a re-read as nobody
    agent = lab.agent(host.ns, host.flagfile)
    info = agent.call('manager', 'allocate_for_instance',
                      make_instance('vm-2'), host='nethost',
                      project_id='proj')[0][1]
    guest = attach_guest(lab, host.ns, 'g2', info['mac'])
    lease = dhcp(lab, guest, 'g2')
    assert lease['ip'] == info['ips'][0]['ip']
    assert lease['hostname'] == 'vm-2'
