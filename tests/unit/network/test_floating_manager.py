"""Floating IPs in the FlatDHCP manager (host commands only logged)."""

import pytest

from nova import db
from nova import exception
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.session import session_scope
from nova.network import manager


def make_instance(project_id, host):
    """An instances row."""
    with session_scope() as session:
        ref = models.Instance(project_id=project_id, user_id='u', host=host,
                              hostname='vm')
        session.add(ref)
        session.flush()
        return ref.id


@pytest.fixture
def flatdhcp(ctxt, set_flags):
    set_flags(fake_network=True, flat_network_bridge='br100',
              flat_interface=None)
    net_manager = manager.FlatDHCPManager(host='nethost')
    net_manager.create_networks(ctxt, 'private', '10.0.0.0/28',
                                num_networks=1, network_size=16)
    db.floating_ip_bulk_create(ctxt, [{'address': '192.0.2.%d' % n}
                                      for n in (1, 2)])
    return net_manager


def test_allocate_associate_disassociate_release(ctxt, flatdhcp):
    instance_id = make_instance(project_id='proj', host='nethost')
    info = flatdhcp.allocate_for_instance(ctxt, instance_id,
                                          project_id='proj')[0][1]
    fixed = info['ips'][0]['ip']
    address = flatdhcp.allocate_floating_ip(ctxt, 'proj')
    flatdhcp.associate_floating_ip(ctxt, address, fixed)
    ref = db.floating_ip_get_by_address(ctxt, address)
    assert ref['host'] == 'nethost' and ref['fixed_ip']['address'] == fixed
    with pytest.raises(exception.FloatingIpAlreadyAssociated):
        flatdhcp.associate_floating_ip(ctxt, address, fixed)
    with pytest.raises(exception.FloatingIpInUse):
        flatdhcp.deallocate_floating_ip(ctxt, address)
    assert flatdhcp.disassociate_floating_ip(ctxt, address) == fixed
    with pytest.raises(exception.FloatingIpNotAssociated):
        flatdhcp.disassociate_floating_ip(ctxt, address)
    with pytest.raises(exception.FloatingIpNotFoundForAddress):
        flatdhcp.deallocate_floating_ip(ctxt, address, project_id='other')
    flatdhcp.deallocate_floating_ip(ctxt, address, project_id='proj')
    assert db.floating_ip_get_by_address(ctxt, address)['project_id'] is None


def test_auto_assign_and_release_on_terminate(ctxt, flatdhcp, set_flags):
    set_flags(auto_assign_floating_ip=True)
    instance_id = make_instance(project_id='proj', host='nethost')
    flatdhcp.allocate_for_instance(ctxt, instance_id, project_id='proj')
    [floating] = db.floating_ip_get_by_instance(ctxt, instance_id)
    assert floating['auto_assigned'] and floating['project_id'] == 'proj'
    flatdhcp.deallocate_for_instance(ctxt, instance_id)
    ref = db.floating_ip_get_by_address(ctxt, floating['address'])
    assert ref['fixed_ip_id'] is None and ref['project_id'] is None


def test_pool_exhaustion(ctxt, flatdhcp):
    flatdhcp.allocate_floating_ip(ctxt, 'proj')
    flatdhcp.allocate_floating_ip(ctxt, 'proj')
    with pytest.raises(exception.NoMoreFloatingIps):
        flatdhcp.allocate_floating_ip(ctxt, 'proj')
