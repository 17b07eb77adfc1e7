"""nova-network's multinic methods: a second NIC and fixed IP on another
network, and giving one address back."""

import pytest

from nova import db
from nova import exception
from nova.network import manager


@pytest.fixture
def flat(ctxt, set_flags):
    set_flags(flat_network_bridge=None, flat_interface=None,
              vlan_interface=None)
    return manager.FlatManager(host='nethost')


def test_add_then_remove_a_fixed_ip(ctxt, flat, instance_factory):
    first, second = flat.create_networks(ctxt, 'pvt', '10.0.0.0/24',
                                         num_networks=2, network_size=16)
    inst = instance_factory()
    info = flat.allocate_for_instance(ctxt, inst, host='host1',
                                      project_id='proj')
    assert len(info) == 2  # a flat instance is on every flat network
    [old_second] = [ip['address'] for ip in
                    db.fixed_ip_get_by_instance(ctxt, inst)
                    if ip['network_id'] == second['id']]
    address = flat.add_fixed_ip_to_instance(ctxt, inst, host='host1',
                                            network_id=second['id'])
    assert address != old_second
    ips = [ip['address'] for ip in db.fixed_ip_get_by_instance(ctxt, inst)]
    assert address in ips and len(ips) == 3
    # the new address is on the instance's NIC of that network
    vif = db.virtual_interface_get_by_instance_and_network(ctxt, inst,
                                                           second['id'])
    assert db.fixed_ip_get_by_address(ctxt, address)[
        'virtual_interface_id'] == vif['id']
    assert len(db.virtual_interface_get_by_instance(ctxt, inst)) == 2
    nw_info = flat.get_instance_nw_info(ctxt, inst)
    assert address in [ip['ip'] for _net, data in nw_info
                       for ip in data['ips']]
    flat.remove_fixed_ip_from_instance(ctxt, inst, address=address)
    ips = [ip['address'] for ip in db.fixed_ip_get_by_instance(ctxt, inst)]
    assert address not in ips and len(ips) == 2
    with pytest.raises(exception.FixedIpNotFoundForSpecificInstance):
        flat.remove_fixed_ip_from_instance(ctxt, inst, address=address)


def test_a_new_network_gets_its_nic(ctxt, flat, instance_factory):
    [net] = flat.create_networks(ctxt, 'pvt', '10.0.0.0/28')
    inst = instance_factory()
    address = flat.add_fixed_ip_to_instance(ctxt, inst, host='host1',
                                            network_id=net['id'])
    [vif] = db.virtual_interface_get_by_instance(ctxt, inst)
    assert db.fixed_ip_get_by_address(ctxt, address)[
        'virtual_interface_id'] == vif['id']
    with pytest.raises(exception.NetworkNotFound):
        flat.add_fixed_ip_to_instance(ctxt, inst, host='host1',
                                      network_id=999)
