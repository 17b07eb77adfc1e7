"""FlatDHCP for real: bridge, gateway, dnsmasq, leases, in namespaces.

A "network host" namespace runs the FlatDHCPManager (agent.py); a "guest"
namespace, attached to the network's bridge by a veth carrying the
instance's MAC, runs udhcpc and must receive exactly the instance's fixed
IP and hostname; nova-dhcpbridge (called by dnsmasq) marks the address
leased in the database; terminating the instance releases it.
"""

import os

import pytest

import netns
from nova import context
from nova import db
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.session import session_scope

pytestmark = [pytest.mark.netns, pytest.mark.integration,
              pytest.mark.timeout(120)]

UDHCPC_SCRIPT = '''#!/bin/sh
[ "$1" = bound ] || [ "$1" = renew ] || exit 0
echo "ip=$ip hostname=$hostname domain=$domain router=$router" > %s
ip addr add $ip/${mask:-24} dev $interface
[ -n "$router" ] && ip route replace default via $router dev $interface
exit 0
'''


def make_instance(hostname, project_id='proj', host='nethost'):
    """An instances row (compute is not part of these tests)."""
    with session_scope() as session:
        ref = models.Instance(project_id=project_id, user_id='user',
                              host=host, hostname=hostname,
                              vm_state='active')
        session.add(ref)
        session.flush()
        return ref.id


def create_network(manager_agent, cidr='10.0.0.0/24'):
    """``nova-manage network create`` equivalent, through the manager."""
    return manager_agent.call('manager', 'create_networks', 'private', cidr,
                              num_networks=1, network_size=256)


def attach_guest(lab, host_ns, role, mac, bridge='br100'):
    """A guest namespace with eth0 (MAC ``mac``) on the host's bridge."""
    guest = lab.ns(role)
    lab.veth(guest, 'eth0', host_ns, 'v%s' % role, mac_a=mac)
    lab.exec(host_ns, 'ip', 'link', 'set', 'v%s' % role, 'master', bridge)
    return guest


def dhcp(lab, guest, name, tries=8):
    """Run udhcpc in the guest; returns the variables its script saw."""
    out = os.path.join(lab.dir, '%s.lease' % name)
    script = lab.write('%s.udhcpc' % name, UDHCPC_SCRIPT % out, mode=0o755)
    lab.exec(guest, 'udhcpc', '-i', 'eth0', '-n', '-q', '-f', '-t', str(tries),
             '-T', '1', '-s', script, timeout=40)
    with open(out) as f:
        return dict(item.split('=', 1) for item in f.read().split())


def test_guest_gets_its_fixed_ip_and_hostname_and_release(lab, cloud_host):
    host = cloud_host('FlatDHCPManager')
    agent = host.start_agent()
    create_network(agent)
    instance_id = make_instance('server-1')
    other_id = make_instance('server-2')
    nw_info = agent.call('manager', 'allocate_for_instance', instance_id,
                         host='nethost', project_id='proj')
    agent.call('manager', 'allocate_for_instance', other_id,
               host='nethost', project_id='proj')
    info = nw_info[0][1]
    fixed = info['ips'][0]['ip']
    # the bridge carries the gateway, dnsmasq serves the hosts file
    addrs = lab.exec(host.ns, 'ip', '-o', 'addr', 'show', 'dev', 'br100')
    assert '10.0.0.1/24' in addrs
    hosts_file = open(os.path.join(lab.dir, 'networks',
                                   'nova-br100.conf')).read()
    assert '%s,server-1.novalocal,%s' % (info['mac'], fixed) in hosts_file
    assert 'server-2.novalocal' in hosts_file

    guest = attach_guest(lab, host.ns, 'g1', info['mac'])
    lease = dhcp(lab, guest, 'g1')
    assert lease['ip'] == fixed
    assert lease['hostname'] == 'server-1'
    assert lease['router'] == '10.0.0.1'
    ctxt = context.get_admin_context()
    netns.wait_for(lambda: db.fixed_ip_get_by_address(ctxt, fixed)['leased'],
                   what='nova-dhcpbridge to mark %s leased' % fixed)
    # the guest reaches its gateway
    lab.exec(guest, 'busybox', 'ping', '-c', '1', '-W', '2', '10.0.0.1')

    # a guest with an unknown MAC gets nothing (static ranges only)
    stranger = attach_guest(lab, host.ns, 'g2', '02:16:3e:7f:7f:7f')
    with pytest.raises(RuntimeError):
        dhcp(lab, stranger, 'g2', tries=3)

    # terminate: deallocation releases the lease through dhcp_release
    agent.call('manager', 'deallocate_for_instance', instance_id)
    netns.wait_for(
        lambda: db.fixed_ip_get_by_address(ctxt, fixed)['instance_id']
        is None, what='the release of %s' % fixed)
    assert not db.fixed_ip_get_by_address(ctxt, fixed)['leased']
    hosts_file = open(os.path.join(lab.dir, 'networks',
                                   'nova-br100.conf')).read()
    assert 'server-1' not in hosts_file and 'server-2' in hosts_file
