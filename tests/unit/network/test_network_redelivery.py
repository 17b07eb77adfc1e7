"""Network handlers delivered twice (at-least-once messaging) do no harm."""

import pytest

from nova import db
from nova.network import manager


@pytest.fixture
def flat(ctxt, set_flags):
    set_flags(flat_network_bridge=None, flat_interface=None,
              vlan_interface=None)
    return manager.FlatManager(host='nethost')


def _allocate(flat, ctxt, inst):
    return flat.allocate_for_instance(ctxt, inst, host='c1',
                                      project_id='proj',
                                      instance_type_id=None)


def test_allocate_twice_gives_the_same_address_and_vif(ctxt, flat,
                                                       instance_factory):
    [net] = flat.create_networks(ctxt, 'novanet', '10.0.0.0/28')
    inst = instance_factory()
    first = _allocate(flat, ctxt, inst)
    second = _allocate(flat, ctxt, inst)
    assert first == second
    assert len(db.virtual_interface_get_by_instance(ctxt, inst)) == 1
    assert [ip['address'] for ip in
            db.fixed_ip_get_by_instance(ctxt, inst)] == ['10.0.0.2']
    assert db.fixed_ip_count_in_use(ctxt, net['id']) == 1


def test_allocate_resumes_after_a_vif_without_address(ctxt, flat,
                                                      instance_factory):
    """Interrupted between the VIF and the address: only the address is
    added the second time."""
    [net] = flat.create_networks(ctxt, 'novanet', '10.0.0.0/28')
    inst = instance_factory()
    flat._add_virtual_interface(ctxt, inst, net['id'])
    [(_network, info)] = _allocate(flat, ctxt, inst)
    vifs = db.virtual_interface_get_by_instance(ctxt, inst)
    assert len(vifs) == 1 and info['mac'] == vifs[0]['address']
    assert db.fixed_ip_count_in_use(ctxt, net['id']) == 1


def test_deallocate_twice_is_harmless(ctxt, flat, instance_factory):
    [net] = flat.create_networks(ctxt, 'novanet', '10.0.0.0/28')
    inst = instance_factory()
    _allocate(flat, ctxt, inst)
    flat.deallocate_for_instance(ctxt, inst)
    flat.deallocate_for_instance(ctxt, inst)
    assert db.fixed_ip_count_in_use(ctxt, net['id']) == 0
    assert db.virtual_interface_get_by_instance(ctxt, inst) == []
