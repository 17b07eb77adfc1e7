"""NetworkManager: creating networks, allocation, DHCP callbacks."""

import datetime

import pytest

from nova import context
from nova import db
from nova import exception
from nova import utils
from nova.network import leases
from nova.network import manager


@pytest.fixture
def flat(ctxt, set_flags):
    set_flags(flat_network_bridge=None, flat_interface=None,
              vlan_interface=None)
    return manager.FlatManager(host='nethost')


def _in_use(ctxt, network_id):
    return db.fixed_ip_count_in_use(ctxt, network_id)


def test_create_flat_network_reserves_network_gateway_broadcast(ctxt, flat):
    [net] = flat.create_networks(ctxt, 'novanet', '192.168.0.0/24',
                                 num_networks=1, network_size=256,
                                 dns1='8.8.4.4')
    assert (net['cidr'], net['netmask'], net['gateway'], net['broadcast'],
            net['dhcp_start'], net['bridge'], net['vlan'], net['dns1']) == (
        '192.168.0.0/24', '255.255.255.0', '192.168.0.1', '192.168.0.255',
        '192.168.0.2', 'br100', None, '8.8.4.4')
    ips = db.fixed_ip_get_all(ctxt)
    assert len(ips) == 256
    reserved = [ip['address'] for ip in ips if ip['reserved']]
    assert reserved == ['192.168.0.0', '192.168.0.1', '192.168.0.255']


def test_create_several_networks_labels_and_bridge_flag(ctxt, flat,
                                                        set_flags):
    set_flags(flat_network_bridge='br42', flat_injected=True)
    nets = flat.create_networks(ctxt, 'pvt', '10.0.0.0/8', num_networks=3,
                                network_size=64)
    assert [(n['label'], n['cidr'], n['bridge'], n['injected'])
            for n in nets] == [('pvt_0', '10.0.0.0/26', 'br42', True),
                               ('pvt_1', '10.0.0.64/26', 'br42', True),
                               ('pvt_2', '10.0.0.128/26', 'br42', True)]
    assert len(set(n['uuid'] for n in nets)) == 3


@pytest.mark.parametrize('cidr,num,size,error', [
    ('10.0.0.0/24', 1, 512, exception.InvalidInput),
    ('10.0.0.0/24', 3, 128, exception.InvalidInput),
    ('10.0.0.0/24', 1, 2, exception.InvalidInput),
    ('10.0.0/24', 1, 256, exception.InvalidCidr),
    ('garbage', 1, 256, exception.InvalidCidr),
    ('fd00::/48', 1, 256, exception.InvalidCidr),
])
def test_bad_create_writes_nothing(ctxt, flat, cidr, num, size, error):
    with pytest.raises(error):
        flat.create_networks(ctxt, 'x', cidr, num_networks=num,
                             network_size=size)
    assert db.network_get_all(ctxt) == []


def test_overlap_is_refused(ctxt, flat):
    flat.create_networks(ctxt, 'a', '10.0.0.0/16', network_size=65536)
    with pytest.raises(exception.NetworkExists):
        flat.create_networks(ctxt, 'b', '10.0.5.0/24')
    assert len(db.network_get_all(ctxt)) == 1


def test_ipv6_network(ctxt, flat):
    [net] = flat.create_networks(ctxt, 'v6', '10.0.1.0/24',
                                 cidr_v6='fd00:1::/48')
    assert (net['cidr_v6'], net['gateway_v6'], net['netmask_v6']) == (
        'fd00:1::/64', 'fd00:1::1', '64')


def test_vlan_networks(ctxt, set_flags):
    set_flags(vlan_interface='eth1', cnt_vpn_clients=2)
    vlan = manager.VlanManager(host='nethost')
    nets = vlan.create_networks(ctxt, 'public', '10.0.1.0/24',
                                num_networks=3, network_size=32,
                                vlan_start=100, vpn_start=1000,
                                cidr_v6='fd00:1::/48')
    assert [(n['vlan'], n['bridge'], n['vpn_public_port'],
             n['vpn_private_address'], n['dhcp_start'], n['cidr_v6'],
             n['bridge_interface']) for n in nets] == [
        (100, 'br100', 1000, '10.0.1.2', '10.0.1.3', 'fd00:1::/64', 'eth1'),
        (101, 'br101', 1001, '10.0.1.34', '10.0.1.35', 'fd00:1:0:1::/64',
         'eth1'),
        (102, 'br102', 1002, '10.0.1.66', '10.0.1.67', 'fd00:1:0:2::/64',
         'eth1')]
    first = [ip for ip in db.fixed_ip_get_all(ctxt)
             if ip['network_id'] == nets[0]['id']]
    assert [ip['address'] for ip in first if ip['reserved']] == [
        '10.0.1.0', '10.0.1.1', '10.0.1.2', '10.0.1.29', '10.0.1.30',
        '10.0.1.31']
    # more networks later skip the VLANs and ports already taken
    [more] = vlan.create_networks(ctxt, 'more', '10.0.2.0/24')
    assert (more['vlan'], more['vpn_public_port']) == (103, 1003)
    with pytest.raises(exception.InvalidInput):
        vlan.create_networks(ctxt, 'big', '10.1.0.0/16', num_networks=10,
                             network_size=256, vlan_start=4090)


def test_allocate_and_deallocate_flat(ctxt, flat, instance_factory):
    [net] = flat.create_networks(ctxt, 'novanet', '10.0.0.0/28',
                                 dns1='8.8.4.4', dns2='8.8.8.8')
    inst = instance_factory()
    info = flat.allocate_for_instance(ctxt, inst, host='c1',
                                      project_id='proj',
                                      instance_type_id=None)
    [(network, details)] = info
    assert network['id'] == net['id'] and network['bridge'] == 'br100'
    assert details['ips'] == [{'ip': '10.0.0.2', 'netmask': '255.255.255.240',
                               'enabled': '1'}]
    assert details['gateway'] == '10.0.0.1'
    assert details['broadcast'] == '10.0.0.15'
    assert details['dns'] == ['8.8.4.4', '8.8.8.8']
    assert details['mac'].startswith('02:16:3e:')
    assert int(details['mac'].split(':')[3], 16) <= 0x7f
    assert flat.get_instance_nw_info(ctxt, inst, None, 'c1') == info
    fixed = db.fixed_ip_get_by_address(ctxt, '10.0.0.2')
    assert fixed['allocated'] and fixed['virtual_interface_id']
    assert db.network_get(ctxt, net['id'])['host'] == 'nethost'
    flat.deallocate_for_instance(ctxt, inst)
    assert _in_use(ctxt, net['id']) == 0
    assert db.virtual_interface_get_by_instance(ctxt, inst) == []
    assert flat.get_instance_nw_info(ctxt, inst) == []


def test_flat_joins_every_non_vlan_network(ctxt, flat, instance_factory):
    flat.create_networks(ctxt, 'a', '10.0.0.0/28')
    flat.create_networks(ctxt, 'b', '10.0.1.0/28')
    info = flat.allocate_for_instance(ctxt, instance_factory(), host='c1',
                                      project_id='p', instance_type_id=None)
    assert [i['ips'][0]['ip'] for _n, i in info] == ['10.0.0.2',
                                                     '10.0.1.2']
    assert len(set(i['mac'] for _n, i in info)) == 2


def test_no_networks(ctxt, flat, instance_factory):
    with pytest.raises(exception.NoNetworksFound):
        flat.allocate_for_instance(ctxt, instance_factory(), host='c1',
                                   project_id='p', instance_type_id=None)


def test_pool_exhausted_leaves_nothing_behind(ctxt, flat, instance_factory):
    [net] = flat.create_networks(ctxt, 'tiny', '10.0.0.0/29',
                                 network_size=8)
    for _i in range(5):
        flat.allocate_for_instance(ctxt, instance_factory(), host='c1',
                                   project_id='p', instance_type_id=None)
    last = instance_factory()
    with pytest.raises(exception.NoMoreFixedIps):
        flat.allocate_for_instance(ctxt, last, host='c1', project_id='p',
                                   instance_type_id=None)
    assert db.virtual_interface_get_by_instance(ctxt, last) == []
    assert _in_use(ctxt, net['id']) == 5


def test_unique_mac_retries(ctxt, flat, instance_factory, monkeypatch,
                            set_flags):
    flat.create_networks(ctxt, 'n', '10.0.0.0/28')
    macs = iter(['02:16:3e:00:00:01', '02:16:3e:00:00:01',
                 '02:16:3e:00:00:02'])
    monkeypatch.setattr(manager, 'generate_mac_address', lambda: next(macs))
    flat.allocate_for_instance(ctxt, instance_factory(), host='c1',
                               project_id='p', instance_type_id=None)
    info = flat.allocate_for_instance(ctxt, instance_factory(), host='c1',
                                      project_id='p', instance_type_id=None)
    assert info[0][1]['mac'] == '02:16:3e:00:00:02'
    set_flags(create_unique_mac_address_attempts=3)
    monkeypatch.setattr(manager, 'generate_mac_address',
                        lambda: '02:16:3e:00:00:01')
    inst = instance_factory()
    with pytest.raises(exception.VirtualInterfaceMacAddressException):
        flat.allocate_for_instance(ctxt, inst, host='c1', project_id='p',
                                   instance_type_id=None)
    assert db.virtual_interface_get_by_instance(ctxt, inst) == []


def test_vlan_allocation_by_project_and_vpn(ctxt, set_flags,
                                            instance_factory):
    set_flags(vlan_interface='eth0')
    vlan = manager.VlanManager(host='nethost')
    nets = vlan.create_networks(ctxt, 'pvt', '10.0.0.0/24', num_networks=2,
                                network_size=16)
    one = vlan.allocate_for_instance(ctxt, instance_factory(), host='c1',
                                     project_id='p1', instance_type_id=None)
    two = vlan.allocate_for_instance(ctxt, instance_factory(), host='c1',
                                     project_id='p2', instance_type_id=None)
    again = vlan.allocate_for_instance(ctxt, instance_factory(), host='c1',
                                       project_id='p1',
                                       instance_type_id=None)
    assert one[0][0]['id'] == again[0][0]['id'] == nets[0]['id']
    assert two[0][0]['id'] == nets[1]['id']
    assert one[0][1]['ips'][0]['ip'] == '10.0.0.3'
    assert one[0][1]['should_create_vlan'] and one[0][0]['vlan'] == 100
    vpn = vlan.allocate_for_instance(ctxt, instance_factory(), host='c1',
                                     project_id='p1', instance_type_id=None,
                                     vpn=True)
    assert vpn[0][1]['ips'][0]['ip'] == '10.0.0.2'
    with pytest.raises(exception.NoMoreNetworks):
        vlan.allocate_for_instance(ctxt, instance_factory(), host='c1',
                                   project_id='p3', instance_type_id=None)


def test_dhcp_manager_keeps_leased_address_until_release(
        ctxt, set_flags, instance_factory):
    set_flags(flat_network_bridge='br100')
    dhcp = manager.FlatDHCPManager(host='nethost')
    [net] = dhcp.create_networks(ctxt, 'n', '10.0.0.0/28')
    inst = instance_factory(hostname='web1')
    info = dhcp.allocate_for_instance(ctxt, inst, host='c1', project_id='p',
                                      instance_type_id=None)
    address, mac = info[0][1]['ips'][0]['ip'], info[0][1]['mac']
    text = leases.lease_lines(ctxt, net['id'])
    expiry, lease_mac, lease_ip, name, star = text.split()
    assert (lease_mac, lease_ip, name, star) == (mac, address, 'web1', '*')
    assert int(expiry) > 0
    dhcp.lease_fixed_ip(ctxt, address)
    assert db.fixed_ip_get_by_address(ctxt, address)['leased']
    dhcp.deallocate_for_instance(ctxt, inst)
    fixed = db.fixed_ip_get_by_address(ctxt, address)
    assert fixed['instance_id'] == inst and not fixed['allocated']
    dhcp.release_fixed_ip(ctxt, address)
    assert db.fixed_ip_get_by_address(ctxt, address)['instance_id'] is None
    # an address nobody leased is free at once
    other = instance_factory()
    info = dhcp.allocate_for_instance(ctxt, other, host='c1', project_id='p',
                                      instance_type_id=None)
    dhcp.deallocate_for_instance(ctxt, other)
    assert _in_use(ctxt, net['id']) == 0
    # callbacks about unknown associations only log
    dhcp.lease_fixed_ip(ctxt, '10.0.0.9')
    dhcp.release_fixed_ip(ctxt, '10.0.0.9')
    assert leases.lease_lines(ctxt, 999) == ''


def test_periodic_task_frees_stale_addresses(ctxt, set_flags,
                                             instance_factory, monkeypatch):
    set_flags(fixed_ip_disassociate_timeout=600, flat_network_bridge='br1')
    dhcp = manager.FlatDHCPManager(host='nethost')
    [net] = dhcp.create_networks(ctxt, 'n', '10.0.0.0/28')
    inst = instance_factory()
    info = dhcp.allocate_for_instance(ctxt, inst, host='c1', project_id='p',
                                      instance_type_id=None)
    address = info[0][1]['ips'][0]['ip']
    dhcp.lease_fixed_ip(ctxt, address)
    dhcp.deallocate_for_instance(ctxt, inst)
    assert dhcp.disassociate_stale_fixed_ips(ctxt) == 0
    later = utils.utcnow() + datetime.timedelta(seconds=601)
    monkeypatch.setattr(utils, 'utcnow', lambda: later)
    dhcp.periodic_tasks(ctxt, raise_on_error=True)
    assert _in_use(ctxt, net['id']) == 0
    assert manager.FlatManager().disassociate_stale_fixed_ips(ctxt) == 0


def test_delete_network(ctxt, flat, instance_factory):
    [net] = flat.create_networks(ctxt, 'n', '10.0.0.0/28')
    inst = instance_factory()
    flat.allocate_for_instance(ctxt, inst, host='c1', project_id='p',
                               instance_type_id=None)
    with pytest.raises(exception.NetworkInUse):
        flat.delete_network(ctxt, '10.0.0.0/28')
    flat.deallocate_for_instance(ctxt, inst)
    flat.delete_network(ctxt, '10.0.0.0/28')
    assert db.network_get_all(ctxt) == []
    assert net['id']


def test_forwarding_to_the_network_host(ctxt, flat, instance_factory,
                                        monkeypatch):
    [net] = flat.create_networks(ctxt, 'n', '10.0.0.0/28')
    db.network_set_host(ctxt, net['id'], 'otherhost')
    calls = []
    other = manager.FlatManager(host='otherhost')

    def fake_call(context_, topic, msg, timeout=None):
        calls.append(topic)
        return getattr(other, msg['method'])(context_, **msg['args'])

    monkeypatch.setattr(manager.rpc, 'call', fake_call)
    info = flat.allocate_for_instance(ctxt, instance_factory(), host='c1',
                                      project_id='p', instance_type_id=None)
    assert calls == ['network.otherhost']
    assert info[0][1]['ips'][0]['ip'] == '10.0.0.2'


def test_multi_host_allocates_on_the_instance_host(ctxt, flat,
                                                  instance_factory,
                                                  monkeypatch):
    """Under multi_host the instance's own host claims the address (its
    dnsmasq must learn it), whichever nova-network took the request."""
    flat.create_networks(ctxt, 'n', '10.0.0.0/28', multi_host=True)
    calls = []
    other = manager.FlatManager(host='c2')

    def fake_call(context_, topic, msg, timeout=None):
        calls.append((topic, msg['method']))
        return getattr(other, msg['method'])(context_, **msg['args'])

    monkeypatch.setattr(manager.rpc, 'call', fake_call)
    info = flat.allocate_for_instance(ctxt, instance_factory(), host='c2',
                                      project_id='p', instance_type_id=None)
    assert calls == [('network.c2', 'allocate_fixed_ip_on_host')]
    assert info[0][1]['ips'][0]['ip'].startswith('10.0.0.')
    # on its own host it is claimed there, with no message
    calls[:] = []
    flat.allocate_for_instance(ctxt, instance_factory(), host='nethost',
                               project_id='p', instance_type_id=None)
    assert calls == []


def test_non_admin_context_is_elevated(ctxt, flat, instance_factory):
    flat.create_networks(ctxt, 'n', '10.0.0.0/28')
    user = context.RequestContext('u', 'p')
    info = flat.allocate_for_instance(user, instance_factory(), host='c1',
                                      project_id='p', instance_type_id=None)
    assert info[0][1]['ips'][0]['ip'] == '10.0.0.2'


def test_mac_to_ipv6():
    from nova.network import subnets
    assert subnets.mac_to_ipv6('fd00::/64', '02:16:3e:33:44:55') == \
        'fd00::16:3eff:fe33:4455'
