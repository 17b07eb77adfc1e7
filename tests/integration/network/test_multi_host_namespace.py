"""multi_host: each host's nova-network serves DHCP and NAT for its own
instances.

Two host namespaces share the database; each runs the FlatDHCP manager
(agent) as host ``h1`` / ``h2``.  The network is created with
``multi_host``; each host takes its own DHCP/gateway address from the pool,
its dnsmasq lists only its own instances, and a guest on each host gets its
address with its own host as router.
"""

import os

import pytest

from test_flatdhcp_namespace import attach_guest, dhcp, make_instance

pytestmark = [pytest.mark.netns, pytest.mark.integration,
              pytest.mark.timeout(150)]


def test_each_host_serves_its_instances(lab, cloud_host):
    first = cloud_host('FlatDHCPManager', host='h1')
    second_ns = lab.ns('h2')
    flagfile = lab.write('nova-h2.conf', open(first.flagfile).read()
                         .replace('--host=h1', '--host=h2')
                         .replace('--networks_path=%s' % os.path.join(
                             lab.dir, 'networks'),
                             '--networks_path=%s' % os.path.join(
                                 lab.dir, 'networks-h2')))
    lab.exec(second_ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1')
    agents = {'h1': first.start_agent(), 'h2': lab.agent(second_ns,
                                                          flagfile)}
    namespaces = {'h1': first.ns, 'h2': second_ns}
    agents['h1'].call('manager', 'create_networks', 'private',
                      '10.0.0.0/24', multi_host=True, num_networks=1,
                      network_size=256)
    guests = {}
    for name in ('h1', 'h2'):
        instance_id = make_instance('vm-%s' % name, host=name)
        info = agents[name].call('manager', 'allocate_for_instance',
                                 instance_id, host=name,
                                 project_id='proj')[0][1]
        guests[name] = (instance_id, info)
    for name in ('h1', 'h2'):
        instance_id, info = guests[name]
        # the DHCP server of the instance is its own host's address
        dhcp_server = info['dhcp_server']
        assert dhcp_server != info['gateway']
        addrs = lab.exec(namespaces[name], 'ip', '-o', '-4', 'addr', 'show',
                         'br100')
        assert '%s/24' % dhcp_server in addrs
        directory = 'networks' if name == 'h1' else 'networks-h2'
        hosts_file = open(os.path.join(lab.dir, directory,
                                       'nova-br100.conf')).read()
        other = 'h2' if name == 'h1' else 'h1'
        assert 'vm-%s.novalocal' % name in hosts_file
        assert 'vm-%s.novalocal' % other not in hosts_file
        guest = attach_guest(lab, namespaces[name], 'g%s' % name,
                             info['mac'])
        lease = dhcp(lab, guest, 'g%s' % name)
        assert lease['ip'] == info['ips'][0]['ip']
        assert lease['router'] == dhcp_server
        assert lease['hostname'] == 'vm-%s' % name
    assert guests['h1'][1]['dhcp_server'] != guests['h2'][1]['dhcp_server']
