"""linux_net on a real kernel, inside a namespace (driver in agent.py).

ensure_bridge moves an interface's addresses and default route onto the
bridge and is idempotent; ensure_vlan answers a clear error on this kernel
(no 802.1Q support); dnsmasq reloads (SIGHUP) on a new hosts file and is
restarted when its pid file is stale.
"""

import os

import pytest

import netns

pytestmark = [pytest.mark.netns, pytest.mark.integration,
              pytest.mark.timeout(90)]


def test_bridge_vlan_and_dnsmasq(lab, cloud_host):
    host = cloud_host('FlatDHCPManager')
    peer = lab.ns('p')
    lab.veth(host.ns, 'eth1', peer, 'eth0')
    lab.exec(host.ns, 'ip', 'addr', 'add', '198.51.100.5/24', 'dev', 'eth1')
    lab.exec(host.ns, 'ip', 'route', 'add', 'default', 'via',
             '198.51.100.1')
    agent = host.start_agent()
    for _ in range(2):
        agent.call('driver', 'ensure_bridge', 'brx', 'eth1', context=False)
    addrs = lab.exec(host.ns, 'ip', '-o', '-4', 'addr', 'show')
    assert '198.51.100.5/24' in [line.split()[3] for line in
                                 addrs.splitlines() if ' brx ' in line]
    assert 'eth1' not in [line.split()[1] for line in addrs.splitlines()]
    routes = lab.exec(host.ns, 'ip', 'route', 'show', 'default')
    assert routes.split() == ['default', 'via', '198.51.100.1', 'dev', 'brx']
    assert 'master brx' in lab.exec(host.ns, 'ip', '-o', 'link', 'show',
                                    'eth1')

    with pytest.raises(RuntimeError) as err:
        agent.call('driver', 'ensure_vlan', 100, 'eth1', context=False)
    assert 'VlanUnsupported' in str(err.value)
    assert '802.1Q' in str(err.value)

    # dnsmasq: started, reloaded in place, restarted over a stale pid file
    ref = {'id': 7, 'cidr': '10.9.0.0/24', 'dhcp_server': '10.9.0.1',
           'dhcp_start': '10.9.0.2', 'broadcast': '10.9.0.255'}
    agent.call('driver', 'initialize_gateway_device', 'brx', ref,
               context=False)
    assert lab.exec(host.ns, 'ip', '-o', '-4', 'addr', 'show', 'brx') \
        .splitlines()[0].split()[3] == '10.9.0.1/24'
    hosts = [{'mac': '02:16:3e:00:00:01', 'hostname': 'a',
              'address': '10.9.0.3'}]
    assert agent.call('driver', 'start_dhcp', 'brx', ref, hosts,
                      context=False) == 'started'
    pidfile = os.path.join(lab.dir, 'networks', 'nova-brx.pid')
    pid = netns.wait_for(lambda: os.path.exists(pidfile) and
                         open(pidfile).read().strip(), what='dnsmasq')
    hosts.append({'mac': '02:16:3e:00:00:02', 'hostname': 'b',
                  'address': '10.9.0.4'})
    assert agent.call('driver', 'start_dhcp', 'brx', ref, hosts,
                      context=False) == 'reloaded'
    assert open(pidfile).read().strip() == pid
    assert '02:16:3e:00:00:02,b.novalocal,10.9.0.4' in open(os.path.join(
        lab.dir, 'networks', 'nova-brx.conf')).read()
    # INPUT accept rules for DHCP/DNS exist exactly once
    rules = host.iptables('filter')
    assert rules.count('-i brx -p udp -m udp --dport 67 -j ACCEPT') == 1
    lab.exec(host.ns, 'kill', pid)
    netns.wait_for(lambda: not os.path.exists('/proc/%s' % pid),
                   what='dnsmasq to exit')
    assert agent.call('driver', 'start_dhcp', 'brx', ref, hosts,
                      context=False) == 'started'
