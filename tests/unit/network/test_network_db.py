"""The network owner's database functions (api_network.py) on SQLite."""

import datetime
import multiprocessing
import os
import threading

import pytest

from nova import context
from nova import db
from nova import exception
from nova import utils


def _network(ctxt, cidr='10.0.0.0/29', **values):
    import ipaddress
    net = ipaddress.ip_network(cidr)
    row = dict({'label': 'net', 'cidr': cidr, 'netmask': str(net.netmask),
                'gateway': str(net.network_address + 1),
                'broadcast': str(net.broadcast_address)}, **values)
    addresses = [(str(a), i < 2 or i == net.num_addresses - 1)
                 for i, a in enumerate(net)]
    return db.network_create_with_fixed_ips(ctxt, [(row, addresses)])[0]


def test_create_network_and_fixed_ips(ctxt):
    net = _network(ctxt)
    assert db.network_get(ctxt, net['id'])['cidr'] == '10.0.0.0/29'
    assert db.network_get_by_cidr(ctxt, '10.0.0.0/29')['id'] == net['id']
    ips = db.fixed_ip_get_all(ctxt)
    assert [ip['address'] for ip in ips][:2] == ['10.0.0.0', '10.0.0.1']
    assert [ip['reserved'] for ip in ips] == [True, True] + [False] * 5 + \
        [True]
    assert ips[0]['network']['id'] == net['id']


def test_create_safe_duplicate_returns_none(ctxt):
    assert db.network_create_safe(ctxt, {'cidr': '10.1.0.0/24'})
    assert db.network_create_safe(ctxt, {'cidr': '10.1.0.0/24'}) is None


def test_overlap_refused_and_nothing_written(ctxt):
    _network(ctxt, '10.0.0.0/24')
    with pytest.raises(exception.NetworkExists):
        db.network_create_with_fixed_ips(ctxt, [
            ({'cidr': '10.9.0.0/24'}, [('10.9.0.5', False)]),
            ({'cidr': '10.0.0.128/25'}, [('10.0.0.130', False)])])
    assert [n['cidr'] for n in db.network_get_all(ctxt)] == ['10.0.0.0/24']
    with pytest.raises(exception.FixedIpNotFoundForAddress):
        db.fixed_ip_get_by_address(ctxt, '10.9.0.5')


def test_not_found_errors(ctxt):
    with pytest.raises(exception.NetworkNotFound):
        db.network_get(ctxt, 99)
    with pytest.raises(exception.NetworkNotFoundForCidr):
        db.network_get_by_cidr(ctxt, '1.2.3.0/24')
    with pytest.raises(exception.NetworkNotFoundForBridge):
        db.network_get_by_bridge(ctxt, 'br9')
    with pytest.raises(exception.NoFixedIpsDefined):
        db.fixed_ip_get_all(ctxt)
    with pytest.raises(exception.FixedIpNotFoundForInstance):
        db.fixed_ip_get_by_instance(ctxt, 5)
    assert db.network_get_all(ctxt) == []


def test_associate_pool_skips_reserved_and_runs_out(ctxt, instance_factory):
    net = _network(ctxt)
    got = [db.fixed_ip_associate_pool(ctxt, net['id'], instance_factory())
           for _i in range(5)]
    assert got == ['10.0.0.%d' % i for i in range(2, 7)]
    with pytest.raises(exception.NoMoreFixedIps):
        db.fixed_ip_associate_pool(ctxt, net['id'], instance_factory())


def test_associate_and_disassociate(ctxt, instance_factory):
    net = _network(ctxt)
    first, second = instance_factory(), instance_factory()
    assert db.fixed_ip_associate(ctxt, '10.0.0.4', first, net['id']) == \
        '10.0.0.4'
    with pytest.raises(exception.FixedIpAlreadyInUse):
        db.fixed_ip_associate(ctxt, '10.0.0.4', second, net['id'])
    with pytest.raises(exception.FixedIpNotFoundForAddress):
        db.fixed_ip_associate(ctxt, '10.0.0.1', second, net['id'])
    assert db.fixed_ip_associate(ctxt, '10.0.0.1', second, net['id'],
                                 reserved=True) == '10.0.0.1'
    assert [ip['address'] for ip in db.fixed_ip_get_by_instance(
        ctxt, first)] == ['10.0.0.4']
    db.fixed_ip_disassociate(ctxt, '10.0.0.4')
    assert db.fixed_ip_get_by_address(ctxt, '10.0.0.4')['instance_id'] is None


def test_fixed_ip_by_instance_host(ctxt, instance_factory):
    net = _network(ctxt)
    db.fixed_ip_associate_pool(ctxt, net['id'], instance_factory(host='a'))
    assert len(db.fixed_ip_get_all_by_instance_host(ctxt, 'a')) == 1
    with pytest.raises(exception.FixedIpNotFoundForHost):
        db.fixed_ip_get_all_by_instance_host(ctxt, 'b')


def test_disassociate_by_timeout(ctxt, instance_factory):
    net = _network(ctxt, host='nethost')
    inst = instance_factory()
    address = db.fixed_ip_associate_pool(ctxt, net['id'], inst)
    later = utils.utcnow() + datetime.timedelta(seconds=5)
    db.fixed_ip_update(ctxt, address, {'allocated': True})
    assert db.fixed_ip_disassociate_all_by_timeout(ctxt, 'nethost',
                                                   later) == 0
    db.fixed_ip_update(ctxt, address, {'allocated': False})
    assert db.fixed_ip_disassociate_all_by_timeout(ctxt, 'other',
                                                   later) == 0
    assert db.fixed_ip_disassociate_all_by_timeout(ctxt, 'nethost',
                                                   later) == 1
    assert db.fixed_ip_get_by_address(ctxt, address)['instance_id'] is None


def test_network_delete_safe(ctxt, instance_factory):
    net = _network(ctxt)
    address = db.fixed_ip_associate_pool(ctxt, net['id'], instance_factory())
    with pytest.raises(exception.NetworkInUse) as info:
        db.network_delete_safe(ctxt, net['id'])
    assert address in str(info.value)
    db.fixed_ip_disassociate(ctxt, address)
    db.network_delete_safe(ctxt, net['id'])
    assert db.network_get_all(ctxt) == []
    with pytest.raises(exception.NoFixedIpsDefined):
        db.fixed_ip_get_all(ctxt)
    _network(ctxt)  # the range can be created again


def test_network_associate_and_set_host(ctxt):
    first = _network(ctxt, '10.0.0.0/29')
    second = _network(ctxt, '10.0.1.0/29')
    assert db.network_associate(ctxt, 'p1')['id'] == first['id']
    assert db.network_associate(ctxt, 'p1')['id'] == first['id']
    assert db.project_get_networks(ctxt, 'p2')[0]['id'] == second['id']
    with pytest.raises(exception.NoMoreNetworks):
        db.network_associate(ctxt, 'p3')
    assert db.project_get_networks(ctxt, 'p3', associate=False) == []
    assert db.network_set_host(ctxt, first['id'], 'h1') == 'h1'
    assert db.network_set_host(ctxt, first['id'], 'h2') == 'h1'
    assert [n['id'] for n in db.network_get_all_by_host(ctxt, 'h1')] == \
        [first['id']]
    db.network_disassociate(ctxt, first['id'])
    assert db.network_get(ctxt, first['id'])['project_id'] is None


def test_non_admin_sees_only_its_networks(ctxt):
    net = _network(ctxt, project_id='p1')
    user = context.RequestContext('u', 'p2')
    with pytest.raises(exception.NetworkNotFound):
        db.network_get(user, net['id'])
    assert db.network_get(context.RequestContext('u', 'p1'),
                          net['id'])['id'] == net['id']
    with pytest.raises(exception.AdminRequired):
        db.fixed_ip_associate_pool(user, net['id'], 1)


def test_virtual_interfaces(ctxt, instance_factory):
    net = _network(ctxt)
    inst = instance_factory()
    vif = db.virtual_interface_create(ctxt, {
        'address': '02:16:3e:00:00:01', 'instance_id': inst,
        'network_id': net['id'], 'uuid': 'u1'})
    with pytest.raises(exception.VirtualInterfaceCreateException):
        db.virtual_interface_create(ctxt, {
            'address': '02:16:3e:00:00:01', 'instance_id': inst,
            'network_id': net['id']})
    address = db.fixed_ip_associate_pool(ctxt, net['id'], inst)
    db.fixed_ip_update(ctxt, address, {'virtual_interface_id': vif['id']})
    vifs = db.virtual_interface_get_by_instance(ctxt, inst)
    assert [v['address'] for v in vifs] == ['02:16:3e:00:00:01']
    assert vifs[0]['network']['cidr'] == net['cidr']
    assert [ip['address'] for ip in vifs[0]['fixed_ips']] == [address]
    assert db.virtual_interface_get_by_instance_and_network(
        ctxt, inst, net['id'])['id'] == vif['id']
    assert db.virtual_interface_get_by_address(
        ctxt, '02:16:3e:00:00:01')['id'] == vif['id']
    leases = db.network_get_associated_fixed_ips(ctxt, net['id'])
    assert [ip['address'] for ip in leases] == [address]
    db.virtual_interface_delete_by_instance(ctxt, inst)
    assert db.virtual_interface_get_by_instance(ctxt, inst) == []
    assert db.fixed_ip_get_by_address(
        ctxt, address)['virtual_interface_id'] is None
    # the MAC may be used again
    db.virtual_interface_create(ctxt, {
        'address': '02:16:3e:00:00:01', 'instance_id': inst,
        'network_id': net['id']})


def test_floating_ips(ctxt):
    db.floating_ip_bulk_create(ctxt, [{'address': '4.4.4.1', 'host': 'h'},
                                      {'address': '4.4.4.2'}])
    with pytest.raises(exception.FloatingIpExists):
        db.floating_ip_bulk_create(ctxt, [{'address': '4.4.4.3'},
                                          {'address': '4.4.4.2'}])
    assert [f['address'] for f in db.floating_ip_get_all(ctxt)] == \
        ['4.4.4.1', '4.4.4.2']
    assert [f['address'] for f in db.floating_ip_get_all_by_host(
        ctxt, 'h')] == ['4.4.4.1']
    db.floating_ip_create(ctxt, {'address': '4.4.4.9', 'project_id': 'p'})
    db.floating_ip_create(ctxt, {'address': '4.4.4.8', 'project_id': 'p',
                                 'auto_assigned': True})
    assert db.floating_ip_count_by_project(ctxt, 'p') == 1
    assert [f['address'] for f in db.floating_ip_get_all_by_project(
        ctxt, 'p')] == ['4.4.4.9']
    with pytest.raises(exception.FloatingIpNotFoundForAddress):
        db.floating_ip_bulk_destroy(ctxt, ['4.4.4.1', '4.4.4.77'])
    db.floating_ip_bulk_destroy(ctxt, ['4.4.4.1', '4.4.4.2'])
    db.floating_ip_destroy(ctxt, '4.4.4.9')
    with pytest.raises(exception.FloatingIpNotFoundForAddress):
        db.floating_ip_get_by_address(ctxt, '4.4.4.9')
    # deleted addresses may be created again
    db.floating_ip_create(ctxt, {'address': '4.4.4.1'})


# -- concurrency ---------------------------------------------------------------
def test_fifty_threads_never_share_an_address(ctxt, instance_factory):
    net = _network(ctxt, '10.2.0.0/26')
    instances = [instance_factory() for _i in range(50)]
    results, errors = {}, []
    start = threading.Barrier(50)

    def launch(instance_id):
        try:
            start.wait()
            results[instance_id] = db.fixed_ip_associate_pool(
                context.get_admin_context(), net['id'], instance_id)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=launch, args=(i,))
               for i in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results.values())) == 50
    for instance_id, address in results.items():
        assert db.fixed_ip_get_by_address(
            ctxt, address)['instance_id'] == instance_id


def test_fifty_green_threads_never_share_an_address(ctxt, instance_factory):
    from nova.utils import concurrency
    net = _network(ctxt, '10.3.0.0/26')
    instances = [instance_factory() for _i in range(50)]
    threads = [concurrency.spawn(db.fixed_ip_associate_pool,
                                 context.get_admin_context(), net['id'], i)
               for i in instances]
    addresses = [thread.wait() for thread in threads]
    assert len(set(addresses)) == 50


def _allocate_in_child(sql_connection, network_id, instance_ids, queue):
    from nova import flags
    from nova.db.sqlalchemy import session
    flags.FLAGS.set('sql_connection', sql_connection)
    session.reset()
    got = []
    for instance_id in instance_ids:
        got.append((instance_id, db.fixed_ip_associate_pool(
            context.get_admin_context(), network_id, instance_id)))
    queue.put(got)


def test_processes_never_share_an_address(ctxt, instance_factory, sqlite_db):
    """Four processes on one SQLite file: separate connections race."""
    net = _network(ctxt, '10.4.0.0/25')
    instances = [instance_factory() for _i in range(60)]
    mp = multiprocessing.get_context('fork')
    queue = mp.Queue()
    children = [mp.Process(target=_allocate_in_child,
                           args=('sqlite:///' + sqlite_db, net['id'],
                                 instances[i::4], queue))
                for i in range(4)]
    for child in children:
        child.start()
    got = []
    for _child in children:
        got.extend(queue.get(timeout=120))
    for child in children:
        child.join(30)
        assert child.exitcode == 0
    assert len(got) == 60
    assert len(set(address for _i, address in got)) == 60
    for instance_id, address in got:
        assert db.fixed_ip_get_by_address(
            ctxt, address)['instance_id'] == instance_id
    assert os.path.exists(sqlite_db)


def test_update_and_disassociate_are_one_update(ctxt, instance_factory):
    net = _network(ctxt)
    address = db.fixed_ip_associate_pool(ctxt, net['id'], instance_factory())
    before = db.fixed_ip_get_by_address(ctxt, address)['updated_at']
    db.fixed_ip_update(ctxt, address, {'allocated': True, 'leased': True})
    row = db.fixed_ip_get_by_address(ctxt, address)
    assert row['allocated'] and row['leased']
    assert row['updated_at'] is not None and row['updated_at'] != before
    db.fixed_ip_disassociate(ctxt, address)
    row = db.fixed_ip_get_by_address(ctxt, address)
    assert (row['instance_id'], row['allocated'], row['leased'],
            row['virtual_interface_id']) == (None, False, False, None)
    for call in (lambda: db.fixed_ip_update(ctxt, '10.99.0.1',
                                            {'allocated': True}),
                 lambda: db.fixed_ip_disassociate(ctxt, '10.99.0.1')):
        with pytest.raises(exception.FixedIpNotFoundForAddress):
            call()
