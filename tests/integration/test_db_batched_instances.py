"""The batched instance reads and writes of nova-compute
(:mod:`nova.db.sqlalchemy.api_instance_host`) on real PostgreSQL and
MariaDB/MySQL servers: executemany row counts, autocommit single
statements, per-instance answers within one batch."""

import datetime

import pytest

from nova import context
from nova import db
from nova import exception
from nova.db import migration
from nova.db.sqlalchemy import api_instance_host as host_api
from nova.db.sqlalchemy import session

from tests.integration import test_db_backends as _backends

BACKENDS = _backends.BACKENDS
backend = _backends.backend     # a fresh database on each real server


def _instances(ctxt, count):
    return [db.instance_create(ctxt, {
        'user_id': 'u', 'project_id': 'p', 'vm_state': 'building',
        'task_state': 'scheduling', 'instance_type_id': 1})['id']
        for _ in range(count)]


@pytest.mark.parametrize('backend', BACKENDS, indirect=True)
def test_a_batch_answers_each_instance(backend):
    migration.db_sync()
    admin = context.get_admin_context()
    a, b, c, gone = _instances(admin, 4)
    db.instance_destroy(admin, gone)
    then = datetime.datetime(2026, 1, 2, 3, 4, 5)
    outcomes = host_api._update_many(admin, [
        (a, {'task_state': 'networking', 'updated_at': then}),
        (b, {'task_state': 'networking', 'updated_at': then}),
        (gone, {'task_state': 'networking', 'updated_at': then}),
        (c, {'vm_state': 'active', 'task_state': None, 'launched_at': then,
             'updated_at': then})])
    assert [ok for ok, _ in outcomes] == [True, True, False, True]
    assert isinstance(outcomes[2][1], exception.InstanceNotFound)
    states = host_api._get_states_many(admin, [a, b, c, gone])
    assert states[:3] == [(True, ('building', 'networking')),
                          (True, ('building', 'networking')),
                          (True, ('active', None))]
    assert states[3][0] is False
    got = host_api._get_for_host_many(admin, [c, a])
    assert [row.id for _, row in got] == [c, a]
    assert got[0][1].launched_at == then
    assert got[0][1].instance_type['name'] == 'm1.tiny'

    db.tag_set(admin, 'p', [('instance', 'i-%08x' % a)], [('k', 'v')])
    db.instance_metadata_update(admin, a, {'m': '1'})
    outcomes = host_api._destroy_many(admin, [
        (a, {'vm_state': 'deleted', 'terminated_at': then}),
        (gone, None), (b, {'vm_state': 'deleted'})])
    assert [ok for ok, _ in outcomes] == [True, False, True]
    with pytest.raises(exception.InstanceNotFound):
        db.instance_get_states(admin, a)
    dead = db.instance_get(context.get_admin_context(read_deleted='yes'),
                           a)
    assert dead.deleted and dead.vm_state == 'deleted'
    assert dead.terminated_at == then
    assert db.instance_get_states(admin, c) == ('active', None)
    assert db.tag_get_by_resources(admin, ['i-%08x' % a]).get(
        'i-%08x' % a, []) == []
    assert db.instance_metadata_get(
        context.get_admin_context(read_deleted='yes'), a) == {}


@pytest.mark.parametrize('backend', BACKENDS, indirect=True)
def test_a_single_statement_inside_a_transaction_joins_it(backend):
    migration.db_sync()
    admin = context.get_admin_context()
    [a] = _instances(admin, 1)
    with pytest.raises(RuntimeError):
        with session.session_scope():
            db.instance_update_columns(admin, a, {'task_state': 'spawning'})
            raise RuntimeError('roll it back')
    assert db.instance_get_states(admin, a) == ('building', 'scheduling')
    db.instance_update_columns(admin, a, {'task_state': 'spawning'})
    assert db.instance_get_states(admin, a) == ('building', 'spawning')


@pytest.mark.parametrize('backend', BACKENDS, indirect=True)
def test_rules_and_groups_of_instances_read_together(backend):
    from nova.db.sqlalchemy import api_security_group
    migration.db_sync()
    admin = context.get_admin_context()
    groups = [db.security_group_create(admin, {
        'name': name, 'description': name, 'user_id': 'u',
        'project_id': 'p'}) for name in ('ssh', 'web')]
    for group, cidr in zip(groups, ('10.0.0.0/8', '0.0.0.0/0')):
        db.security_group_rule_create(admin, {
            'parent_group_id': group.id, 'protocol': 'tcp',
            'from_port': 22, 'to_port': 22, 'cidr': cidr})
    both, lone = (db.instance_create(admin, {
        'user_id': 'u', 'project_id': 'p', 'vm_state': 'building',
        'instance_type_id': 1, 'security_groups': ids})['id']
        for ids in ([g.id for g in groups], []))
    outcomes = api_security_group._rules_of_instances(admin,
                                                      [lone, both, lone])
    assert [[rule['cidr'] for rule in rules] for _, rules in outcomes] == [
        [], ['10.0.0.0/8', '0.0.0.0/0'], []]
    # the groups come in the instance's own statement, each once
    [(ok, row)] = host_api._get_for_host_many(admin, [both])
    assert ok and sorted(g.name for g in row.security_groups) == \
        ['ssh', 'web']


@pytest.mark.parametrize('backend', BACKENDS, indirect=True)
def test_network_reads_of_instances_read_together(backend):
    from nova.db.sqlalchemy import api_network
    from nova.db.sqlalchemy import api_virtual_interface as vif_api
    migration.db_sync()
    admin = context.get_admin_context()
    [net] = db.network_create_with_fixed_ips(admin, [(
        {'label': 'flat', 'cidr': '10.0.0.0/29', 'netmask': '255.255.255.248',
         'gateway': '10.0.0.1', 'broadcast': '10.0.0.7'},
        [('10.0.0.%d' % n, n < 2 or n == 7) for n in range(8)])])
    a, b = _instances(admin, 2)
    db.virtual_interface_create(admin, {
        'address': '02:16:3e:00:00:01', 'instance_id': a,
        'network_id': net['id'], 'uuid': 'vif-a'})
    address = db.fixed_ip_associate_pool(admin, net['id'], a, allocate=True)
    [(ok, nets)] = api_network._networks_without_vlan(admin, [None])
    assert ok and [n['id'] for n in nets] == [net['id']]
    assert vif_api._allocated_networks_many(admin, [b, a]) == [
        (True, (set(), set())), (True, ({net['id']}, {net['id']}))]
    outcomes = vif_api._network_info_many(admin, [(a, None, 1),
                                                  (b, None, 1)])
    assert [[(vif['uuid'], vif['addresses']) for vif in rows]
            for _, rows in outcomes] == [[('vif-a', [address])], []]
