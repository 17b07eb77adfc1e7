"""What an instance holds on the networks, read the narrow way nova-network
reads it at every boot and delete (api_virtual_interface.py), and the
one-UPDATE claims and releases of its addresses (api_network.py)."""

import ipaddress

import pytest
from sqlalchemy import update

from nova import context
from nova import db
from nova import exception
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.session import session_scope


def _network(ctxt, cidr, **values):
    net = ipaddress.ip_network(cidr)
    row = dict({'label': 'net-' + cidr, 'cidr': cidr,
                'netmask': str(net.netmask),
                'gateway': str(net.network_address + 1),
                'broadcast': str(net.broadcast_address)}, **values)
    addresses = [(str(a), i < 2 or i == net.num_addresses - 1)
                 for i, a in enumerate(net)]
    return db.network_create_with_fixed_ips(ctxt, [(row, addresses)])[0]


def _vif(ctxt, inst, network_id, mac):
    return db.virtual_interface_create(ctxt, {
        'address': mac, 'instance_id': inst, 'network_id': network_id,
        'uuid': 'uuid-' + mac})


def _soft_delete(model, row_id):
    with session_scope() as session:
        session.execute(update(model).where(model.id == row_id)
                        .values(deleted=True))


def _flavor(ctxt, rxtx_cap):
    return db.instance_type_create(ctxt, {
        'name': 'm1.capped', 'memory_mb': 256, 'vcpus': 1, 'local_gb': 1,
        'flavorid': 77, 'rxtx_cap': rxtx_cap})['id']


def test_virtual_interface_create_returns_its_columns(ctxt, instance_factory):
    net = _network(ctxt, '10.0.0.0/29')
    inst = instance_factory()
    vif = _vif(ctxt, inst, net['id'], '02:16:3e:00:00:01')
    assert vif['id'] and not vif['deleted'] and vif['created_at']
    assert (vif['address'], vif['instance_id'], vif['network_id'],
            vif['uuid']) == ('02:16:3e:00:00:01', inst, net['id'],
                             'uuid-02:16:3e:00:00:01')
    stored = db.virtual_interface_get(ctxt, vif['id'])
    assert (stored['address'], stored['uuid']) == (vif['address'],
                                                   vif['uuid'])


def test_network_info_rows(ctxt, instance_factory):
    one = _network(ctxt, '10.0.0.0/29', dns1='8.8.4.4', bridge='br1',
                   cidr_v6='fd00::/64', gateway_v6='fd00::1',
                   netmask_v6='64', injected=True)
    two = _network(ctxt, '10.0.1.0/29', multi_host=True, host='nethost')
    inst = instance_factory()
    vif_one = _vif(ctxt, inst, one['id'], '02:16:3e:00:00:01')
    vif_two = _vif(ctxt, inst, two['id'], '02:16:3e:00:00:02')
    gone = _vif(ctxt, inst, two['id'], '02:16:3e:00:00:03')
    _soft_delete(models.VirtualInterface, gone['id'])
    _vif(ctxt, inst, 999, '02:16:3e:00:00:04')    # its network is gone
    first = db.fixed_ip_associate_pool(ctxt, one['id'], inst, allocate=True)
    second = db.fixed_ip_associate_pool(ctxt, one['id'], inst, allocate=True)
    third = db.fixed_ip_associate_pool(ctxt, two['id'], inst, allocate=True)
    _soft_delete(models.FixedIp, db.fixed_ip_get_by_address(
        ctxt, second)['id'])
    # the addresses two hosts hold on the multi_host network
    c1 = db.fixed_ip_associate_pool(ctxt, two['id'], host='c1')
    db.fixed_ip_associate_pool(ctxt, two['id'], host='c2')
    other = instance_factory()
    _vif(ctxt, other, one['id'], '02:16:3e:00:00:05')

    rows = db.virtual_interface_get_network_info(ctxt, inst)
    assert [(r['id'], r['address'], r['uuid'], r['addresses'])
            for r in rows] == [
        (vif_one['id'], '02:16:3e:00:00:01', 'uuid-02:16:3e:00:00:01',
         [first]),
        (vif_two['id'], '02:16:3e:00:00:02', 'uuid-02:16:3e:00:00:02',
         [third])]
    assert rows[0]['network'] == {
        'id': one['id'], 'label': 'net-10.0.0.0/29', 'bridge': 'br1',
        'bridge_interface': None, 'cidr': '10.0.0.0/29',
        'cidr_v6': 'fd00::/64', 'injected': True, 'vlan': None,
        'multi_host': False, 'gateway': '10.0.0.1', 'gateway_v6': 'fd00::1',
        'broadcast': '10.0.0.7', 'netmask': '255.255.255.248',
        'netmask_v6': '64', 'dns1': '8.8.4.4', 'dns2': None}
    assert rows[1]['network']['multi_host'] is True
    assert [(r['dhcp_address'], r['rxtx_cap']) for r in rows] == [
        (None, None), (None, None)]

    capped = _flavor(ctxt, 30)
    rows = db.virtual_interface_get_network_info(
        ctxt, inst, host='c1', instance_type_id=capped)
    # only a multi_host network has a per-host DHCP address
    assert [(r['dhcp_address'], r['rxtx_cap']) for r in rows] == [
        (None, 30), (c1, 30)]
    rows = db.virtual_interface_get_network_info(
        ctxt, inst, host='c9', instance_type_id=12345)
    assert [(r['dhcp_address'], r['rxtx_cap']) for r in rows] == [
        (None, None), (None, None)]
    assert db.virtual_interface_get_network_info(ctxt, 4242) == []


def test_network_info_of_instances_read_together(ctxt, instance_factory):
    from nova.db.sqlalchemy import api_virtual_interface as vif_api
    flat = _network(ctxt, '10.0.0.0/29')
    multi = _network(ctxt, '10.0.1.0/29', multi_host=True, host='nethost')
    a, b, none = instance_factory(), instance_factory(), instance_factory()
    _vif(ctxt, a, flat['id'], '02:16:3e:00:00:01')
    _vif(ctxt, b, multi['id'], '02:16:3e:00:00:02')
    db.fixed_ip_associate_pool(ctxt, flat['id'], a, allocate=True)
    db.fixed_ip_associate_pool(ctxt, multi['id'], b, allocate=True)
    c1 = db.fixed_ip_associate_pool(ctxt, multi['id'], host='c1')
    capped = _flavor(ctxt, 30)
    items = [(a, None, None), (b, 'c1', capped), (none, None, None),
             (b, 'c1', capped), (b, None, None)]
    outcomes = vif_api._network_info_many(ctxt, items)
    # each item gets what it would have got alone, in lists of its own
    assert outcomes == [
        (True, db.virtual_interface_get_network_info(
            ctxt, i, host=host, instance_type_id=type_id))
        for i, host, type_id in items]
    assert [[(r['dhcp_address'], r['rxtx_cap']) for r in rows]
            for _ok, rows in outcomes] == [
        [(None, None)], [(c1, 30)], [], [(c1, 30)], [(None, None)]]
    outcomes[1][1][0]['addresses'].append('changed by one caller')
    assert 'changed by one caller' not in outcomes[3][1][0]['addresses']


def test_allocated_networks_of_instances_read_together(ctxt,
                                                       instance_factory):
    from nova.db.sqlalchemy import api_virtual_interface as vif_api
    one = _network(ctxt, '10.0.0.0/29')
    two = _network(ctxt, '10.0.1.0/29')
    a, b, none = instance_factory(), instance_factory(), instance_factory()
    _vif(ctxt, a, one['id'], '02:16:3e:00:00:01')
    db.fixed_ip_associate_pool(ctxt, two['id'], a)
    _vif(ctxt, b, two['id'], '02:16:3e:00:00:02')
    assert vif_api._allocated_networks_many(ctxt, [b, none, a]) == [
        (True, ({two['id']}, set())), (True, (set(), set())),
        (True, ({one['id']}, {two['id']}))]


def test_allocated_networks(ctxt, instance_factory):
    one = _network(ctxt, '10.0.0.0/29')
    two = _network(ctxt, '10.0.1.0/29')
    three = _network(ctxt, '10.0.2.0/29')
    inst = instance_factory()
    assert db.virtual_interface_get_allocated_networks(ctxt, inst) == (
        set(), set())
    _vif(ctxt, inst, one['id'], '02:16:3e:00:00:01')
    gone = _vif(ctxt, inst, three['id'], '02:16:3e:00:00:03')
    _soft_delete(models.VirtualInterface, gone['id'])
    db.fixed_ip_associate_pool(ctxt, two['id'], inst)
    old = db.fixed_ip_associate_pool(ctxt, three['id'], inst)
    _soft_delete(models.FixedIp, db.fixed_ip_get_by_address(ctxt, old)['id'])
    db.fixed_ip_associate_pool(ctxt, one['id'], instance_factory())
    assert db.virtual_interface_get_allocated_networks(ctxt, inst) == (
        {one['id']}, {two['id']})
    everything = context.get_admin_context(read_deleted='yes')
    assert db.virtual_interface_get_allocated_networks(everything, inst) == (
        {one['id']}, {two['id'], three['id']})


def test_addresses_by_instance(ctxt, instance_factory):
    net = _network(ctxt, '10.0.0.0/29')
    inst = instance_factory()
    assert db.fixed_ip_get_addresses_by_instance(ctxt, inst) == []
    got = [db.fixed_ip_associate_pool(ctxt, net['id'], inst)
           for _i in range(3)]
    _soft_delete(models.FixedIp, db.fixed_ip_get_by_address(
        ctxt, got[1])['id'])
    db.fixed_ip_associate_pool(ctxt, net['id'], instance_factory())
    assert db.fixed_ip_get_addresses_by_instance(ctxt, inst) == [got[0],
                                                                 got[2]]
    everything = context.get_admin_context(read_deleted='yes')
    assert db.fixed_ip_get_addresses_by_instance(everything, inst) == got
    user = context.RequestContext('u', 'p')
    assert db.fixed_ip_get_addresses_by_instance(user, inst) == [got[0],
                                                                 got[2]]


def test_networks_without_vlan_as_dicts(ctxt):
    flat_b = _network(ctxt, '10.0.1.0/29')
    flat_a = _network(ctxt, '10.0.0.0/29', vlan=0)
    _network(ctxt, '10.0.2.0/29', vlan=100)
    gone = _network(ctxt, '10.0.3.0/29')
    _soft_delete(models.Network, gone['id'])
    nets = db.network_get_all_without_vlan(ctxt)
    assert [n['id'] for n in nets] == [flat_b['id'], flat_a['id']]
    assert all(type(n) is dict for n in nets)
    assert nets[0]['cidr'] == '10.0.1.0/29' and \
        nets[0]['multi_host'] is False and nets[0]['uuid'] is None
    assert set(nets[0]) == set(models.Network.__table__.c.keys())
    with pytest.raises(exception.AdminRequired):
        db.network_get_all_without_vlan(context.RequestContext('u', 'p'))
    assert db.network_get_by_instance(ctxt, 5) == []


def test_networks_without_vlan_read_together_each_own_lists(ctxt):
    from nova.db.sqlalchemy import api_network
    _network(ctxt, '10.0.1.0/29')
    _network(ctxt, '10.0.0.0/29', vlan=0)
    # what calls made together get: one read, a list of dicts each
    outcomes = api_network._networks_without_vlan(ctxt, [None] * 3)
    assert [ok for ok, _nets in outcomes] == [True] * 3
    lists = [nets for _ok, nets in outcomes]
    assert lists[0] == lists[1] == lists[2] == \
        db.network_get_all_without_vlan(ctxt)
    lists[0][0]['host'] = 'changed by one caller'
    assert lists[1][0]['host'] != 'changed by one caller'


def test_claims_that_allocate(ctxt, instance_factory):
    net = _network(ctxt, '10.0.0.0/28')
    inst = instance_factory()
    vif = _vif(ctxt, inst, net['id'], '02:16:3e:00:00:01')
    # not asked: only associated, as before
    plain = db.fixed_ip_associate_pool(ctxt, net['id'], inst)
    row = db.fixed_ip_get_by_address(ctxt, plain)
    assert (row['instance_id'], row['allocated'],
            row['virtual_interface_id']) == (inst, False, None)
    pooled = db.fixed_ip_associate_pool(ctxt, net['id'], inst,
                                        allocate=True)
    row = db.fixed_ip_get_by_address(ctxt, pooled)
    assert (row['instance_id'], row['allocated'],
            row['virtual_interface_id']) == (inst, True, vif['id'])
    # a specific address, then again (already the instance's): allocated
    assert db.fixed_ip_associate(ctxt, '10.0.0.9', inst, net['id'],
                                 allocate=True) == '10.0.0.9'
    row = db.fixed_ip_get_by_address(ctxt, '10.0.0.9')
    assert (row['instance_id'], row['allocated'],
            row['virtual_interface_id']) == (inst, True, vif['id'])
    db.fixed_ip_update(ctxt, '10.0.0.9', {'allocated': False,
                                          'virtual_interface_id': None})
    db.fixed_ip_associate(ctxt, '10.0.0.9', inst, net['id'], allocate=True)
    row = db.fixed_ip_get_by_address(ctxt, '10.0.0.9')
    assert (row['allocated'], row['virtual_interface_id']) == (True,
                                                               vif['id'])
    # an instance without an interface there: allocated, on none
    lone = instance_factory()
    address = db.fixed_ip_associate_pool(ctxt, net['id'], lone,
                                         allocate=True)
    row = db.fixed_ip_get_by_address(ctxt, address)
    assert (row['instance_id'], row['allocated'],
            row['virtual_interface_id']) == (lone, True, None)
    with pytest.raises(exception.FixedIpAlreadyInUse):
        db.fixed_ip_associate(ctxt, address, inst, net['id'], allocate=True)


def test_deallocate_keeps_leased_addresses(ctxt, instance_factory):
    net = _network(ctxt, '10.0.0.0/29')
    inst = instance_factory()
    vif = _vif(ctxt, inst, net['id'], '02:16:3e:00:00:01')
    leased = db.fixed_ip_associate_pool(ctxt, net['id'], inst, allocate=True)
    free = db.fixed_ip_associate_pool(ctxt, net['id'], inst, allocate=True)
    db.fixed_ip_update(ctxt, leased, {'leased': True})
    before = db.fixed_ip_get_by_address(ctxt, leased)['updated_at']
    db.fixed_ip_deallocate(ctxt, leased)
    db.fixed_ip_deallocate(ctxt, free)
    row = db.fixed_ip_get_by_address(ctxt, leased)
    assert (row['instance_id'], row['leased'], row['allocated'],
            row['virtual_interface_id']) == (inst, True, False, None)
    assert row['updated_at'] >= before
    row = db.fixed_ip_get_by_address(ctxt, free)
    assert (row['instance_id'], row['leased'], row['allocated'],
            row['virtual_interface_id']) == (None, False, False, None)
    assert vif['id']
    with pytest.raises(exception.FixedIpNotFoundForAddress):
        db.fixed_ip_deallocate(ctxt, '10.9.9.9')
    with pytest.raises(exception.FixedIpNotFoundForAddress):
        db.fixed_ip_update(ctxt, '10.9.9.9', {'leased': False})
