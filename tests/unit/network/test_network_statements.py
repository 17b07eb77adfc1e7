"""nova-network's database work per instance: how many statements an
allocation, a ``get_instance_nw_info`` and a deallocation run (every boot
and delete pays them), and the network info parts they read in one go."""

import contextlib

import pytest
from sqlalchemy import event

from nova import db
from nova.db.sqlalchemy import session
from nova.network import manager


@pytest.fixture
def flat(ctxt, set_flags):
    set_flags(flat_network_bridge=None, flat_interface=None,
              vlan_interface=None)
    return manager.FlatManager(host='nethost')


@contextlib.contextmanager
def _statements():
    """The SQL statements run inside the block."""
    seen = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        seen.append(statement)

    engine = session.get_engine()
    event.listen(engine, 'before_cursor_execute', record)
    try:
        yield seen
    finally:
        event.remove(engine, 'before_cursor_execute', record)


def _flavor(ctxt, rxtx_cap):
    return db.instance_type_create(ctxt, {
        'name': 'm1.capped', 'memory_mb': 256, 'vcpus': 1, 'local_gb': 1,
        'flavorid': 77, 'rxtx_cap': rxtx_cap})['id']


def test_statements_per_instance(ctxt, flat, instance_factory):
    [net] = flat.create_networks(ctxt, 'n', '10.0.0.0/28')
    db.network_set_host(ctxt, net['id'], 'nethost')
    capped = _flavor(ctxt, 30)
    inst = instance_factory()
    args = dict(host='c1', project_id='p', instance_type_id=capped)
    with _statements() as allocate:
        info = flat.allocate_for_instance(ctxt, inst, **args)
    # networks, what the instance has, its VIF, the address claimed
    # (a candidate, then one UPDATE that also allocates it), network info
    assert len(allocate) == 6, allocate
    with _statements() as nw_info:
        assert flat.get_instance_nw_info(ctxt, inst, capped, 'c1') == info
    assert len(nw_info) == 1, nw_info
    with _statements() as again:
        assert flat.allocate_for_instance(ctxt, inst, **args) == info
    assert len(again) == 3, again
    with _statements() as deallocate:
        flat.deallocate_for_instance(ctxt, inst)
    # its addresses, one UPDATE each, its VIFs unlinked and deleted
    assert len(deallocate) == 4, deallocate
    assert info[0][1]['rxtx_cap'] == 30


def test_rxtx_cap_of_the_flavor(ctxt, flat, instance_factory):
    flat.create_networks(ctxt, 'n', '10.0.0.0/28')
    capped = _flavor(ctxt, 30)
    inst = instance_factory()
    info = flat.allocate_for_instance(ctxt, inst, host='c1',
                                      project_id='p',
                                      instance_type_id=capped)
    assert info[0][1]['rxtx_cap'] == 30
    for flavor in (None, 4242):      # none given, or an unknown one
        [(_net, details)] = flat.get_instance_nw_info(ctxt, inst, flavor)
        assert details['rxtx_cap'] == 0


def test_multi_host_dhcp_server_is_the_hosts_address(ctxt, instance_factory,
                                                     set_flags):
    set_flags(flat_network_bridge=None)
    here = manager.FlatManager(host='c1')
    [net] = here.create_networks(ctxt, 'm', '10.0.0.0/28', multi_host=True)
    [single] = here.create_networks(ctxt, 's', '10.0.1.0/28')
    db.network_set_host(ctxt, single['id'], 'c1')
    c1 = db.fixed_ip_associate_pool(ctxt, net['id'], host='c1')
    db.fixed_ip_associate_pool(ctxt, single['id'], host='c1')
    inst = instance_factory(host='c1')
    info = here.allocate_for_instance(ctxt, inst, host='c1',
                                      project_id='p')
    assert [(n['multi_host'], i['dhcp_server']) for n, i in info] == [
        (True, c1), (False, '10.0.1.1')]
    # asked without the instance's host, or for a host without an address
    for host in (None, 'c9'):
        assert [i['dhcp_server'] for _n, i in here.get_instance_nw_info(
            ctxt, inst, None, host)] == ['10.0.0.1', '10.0.1.1']
