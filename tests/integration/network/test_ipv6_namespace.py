"""--use_ipv6: radvd advertises the network's prefix and a guest on the
bridge configures the EUI-64 address Nova computed for it."""

import os

import pytest

import netns
from nova import context
from nova import db
from test_flatdhcp_namespace import attach_guest, make_instance

pytestmark = [pytest.mark.netns, pytest.mark.integration,
              pytest.mark.timeout(120)]


def test_radvd_prefix_and_guest_address(lab, cloud_host):
    if not os.path.exists('/usr/sbin/radvd'):
        pytest.skip('radvd is not installed')
    host = cloud_host('FlatDHCPManager', use_ipv6='True')
    lab.exec(host.ns, 'sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1')
    agent = host.start_agent()
    agent.call('manager', 'create_networks', 'private', '10.0.0.0/24',
               num_networks=1, network_size=256, cidr_v6='fd00:1::/64')
    instance_id = make_instance('v6-guest')
    info = agent.call('manager', 'allocate_for_instance', instance_id,
                      host='nethost', project_id='proj')[0][1]
    expected = info['ip6s'][0]['ip']
    assert expected.startswith('fd00:1::')
    conf = open(os.path.join(lab.dir, 'networks',
                             'nova-ra-br100.conf')).read()
    assert 'prefix fd00:1::/64' in conf and 'interface br100' in conf
    # the network's IPv6 gateway is the bridge's link-local address
    network = db.network_get_by_cidr(context.get_admin_context(),
                                     '10.0.0.0/24')
    assert network['gateway_v6'].startswith('fe80::')
    guest = attach_guest(lab, host.ns, 'g6', info['mac'])
    netns.wait_for(lambda: expected in lab.exec(
        guest, 'ip', '-6', 'addr', 'show', 'dev', 'eth0'), timeout=40,
        interval=1, what='the guest to configure %s' % expected)
