"""The compute owner's database functions: instances, key pairs, security
groups and instance faults."""

import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from nova import context
from nova import db
from nova import exception
from nova.db.sqlalchemy import session as db_session


def _instance(ctxt, **values):
    base = {'user_id': 'alice', 'project_id': 'proj1', 'vcpus': 1,
            'memory_mb': 512, 'vm_state': 'building',
            'task_state': 'scheduling', 'instance_type_id': 1,
            'reservation_id': 'r-aaaaaaaa', 'launch_index': 0}
    base.update(values)
    return db.instance_create(ctxt, base)


def test_create_get_with_relations(user, admin):
    group = db.security_group_ensure_default(user)
    inst = _instance(user, security_groups=[group.id],
                     metadata={'a': '1', 'b': None})
    assert inst.id and inst.uuid
    got = db.instance_get(user, inst.id)
    assert got['instance_type']['name'] == 'm1.tiny'
    assert [g['name'] for g in got['security_groups']] == ['default']
    assert dict((m.key, m.value) for m in got['metadata']) == \
        {'a': '1', 'b': ''}
    assert got['fixed_ips'] == []
    assert got['name'] == 'instance-%08x' % inst.id
    assert db.instance_metadata_get(user, inst.id) == {'a': '1', 'b': ''}


def test_project_scoping(user, admin):
    inst = _instance(admin, project_id='proj2', user_id='bob')
    with pytest.raises(exception.InstanceNotFound):
        db.instance_get(user, inst.id)
    assert db.instance_get_all(user) == []
    assert len(db.instance_get_all(admin)) == 1
    assert db.instance_get_all_by_filters(
        user, {'project_id': 'proj2'}) == []
    with pytest.raises(exception.NotAuthorized):
        db.instance_data_get_for_project(user, 'proj2')
    with pytest.raises(exception.InstanceNotFound):
        db.instance_get(user, 'garbage')


def test_filters(admin):
    a = _instance(admin, host='h1', vm_state='active', key_name='k1')
    b = _instance(admin, host=None, reservation_id='r-bbbbbbbb')
    c = _instance(admin, host='h2', vm_state='error',
                  availability_zone='nova')
    ids = lambda rows: sorted(r.id for r in rows)  # noqa: E731
    assert ids(db.instance_get_all_by_host(admin, 'h1')) == [a.id]
    assert ids(db.instance_get_all_by_filters(
        admin, {'vm_state': ['active', 'error']})) == [a.id, c.id]
    assert ids(db.instance_get_all_by_filters(
        admin, {'host': None})) == [b.id]
    assert ids(db.instance_get_all_by_filters(
        admin, {'instance_id': [a.id, b.id], 'key_name': 'k1'})) == [a.id]
    assert ids(db.instance_get_all_by_reservation(
        admin, 'r-bbbbbbbb')) == [b.id]
    assert ids(db.instance_get_all_by_filters(
        admin, {'availability_zone': 'nova'})) == [c.id]
    future = datetime.datetime.utcnow() + datetime.timedelta(minutes=1)
    assert len(db.instance_get_all_by_filters(
        admin, {'changes-before': future})) == 3
    with pytest.raises(exception.InvalidParameterValue):
        db.instance_get_all_by_filters(admin, {'bogus': 1})
    with pytest.raises(exception.InvalidParameterValue):
        db.instance_get_all_by_filters(admin, {'id': ['x']})
    # newest first
    assert [r.id for r in db.instance_get_all(admin)][0] == c.id


def test_update_destroy_and_quota_usage(user, admin):
    a = _instance(user, vcpus=2, memory_mb=1024)
    _instance(user)
    assert db.instance_data_get_for_project(user, 'proj1') == (2, 3, 1536)
    updated = db.instance_update(user, a.id, {'vm_state': 'active',
                                              'metadata': {'x': 'y'}})
    assert updated.vm_state == 'active'
    assert db.instance_metadata_get(user, a.id) == {'x': 'y'}
    db.instance_destroy(user, a.id)
    assert db.instance_data_get_for_project(user, 'proj1') == (1, 1, 512)
    with pytest.raises(exception.InstanceNotFound):
        db.instance_get(user, a.id)
    gone = db.instance_get(context.get_admin_context(read_deleted='yes'),
                           a.id)
    assert gone.deleted and gone.deleted_at
    assert len(db.instance_get_all_by_filters(
        admin, {'deleted': True})) == 2
    assert len(db.instance_get_all_by_filters(
        admin, {'deleted': 'only'})) == 1


def test_listing_is_a_fixed_number_of_queries(admin):
    group = db.security_group_ensure_default(
        context.RequestContext('alice', 'proj1'))
    for i in range(30):
        _instance(admin, security_groups=[group.id], metadata={'i': str(i)},
                  launch_index=i)
    statements = []

    def count(*_args):
        statements.append(1)

    engine = db_session.get_engine()
    event.listen(engine, 'before_cursor_execute', count)
    try:
        rows = db.instance_get_all_by_filters(admin, {'project_id': 'proj1'})
    finally:
        event.remove(engine, 'before_cursor_execute', count)
    assert len(rows) == 30
    assert len(statements) <= 6
    # relations usable after the session closed
    assert all(r.security_groups[0].name == 'default' for r in rows)
    assert all(r.instance_type.name == 'm1.tiny' for r in rows)


def test_key_pairs(user):
    db.key_pair_create(user, {'user_id': 'alice', 'name': 'k',
                              'public_key': 'ssh-rsa AAA', 'fingerprint': 'f'})
    with pytest.raises(exception.KeyPairExists):
        db.key_pair_create(user, {'user_id': 'alice', 'name': 'k'})
    assert db.key_pair_get(user, 'alice', 'k').public_key == 'ssh-rsa AAA'
    assert [k.name for k in db.key_pair_get_all_by_user(user, 'alice')] == \
        ['k']
    with pytest.raises(exception.NotAuthorized):
        db.key_pair_get(user, 'bob', 'k')
    db.key_pair_destroy(user, 'alice', 'k')
    with pytest.raises(exception.KeypairNotFound):
        db.key_pair_get(user, 'alice', 'k')
    with pytest.raises(exception.KeypairNotFound):
        db.key_pair_destroy(user, 'alice', 'k')
    db.key_pair_create(user, {'user_id': 'alice', 'name': 'k'})
    db.key_pair_destroy_all_by_user(user, 'alice')
    assert db.key_pair_count_by_user(user, 'alice') == 0


def test_security_groups(user, admin):
    default = db.security_group_ensure_default(user)
    assert db.security_group_ensure_default(user).id == default.id
    web = db.security_group_create(user, {'name': 'web', 'project_id': 'proj1',
                                          'user_id': 'alice',
                                          'description': 'w'})
    with pytest.raises(exception.SecurityGroupExists):
        db.security_group_create(user, {'name': 'web',
                                        'project_id': 'proj1'})
    rule = db.security_group_rule_create(user, {
        'parent_group_id': web.id, 'protocol': 'tcp', 'from_port': 80,
        'to_port': 80, 'cidr': '0.0.0.0/0'})
    db.security_group_rule_create(user, {'parent_group_id': web.id,
                                         'group_id': default.id})
    got = db.security_group_get_by_name(user, 'proj1', 'web')
    assert len(got.rules) == 2
    assert db.security_group_exists(user, 'proj1', 'web')
    assert [g.name for g in db.security_group_get_by_project(
        user, 'proj1')] == ['default', 'web']
    inst = _instance(user)
    db.instance_add_security_group(user, inst.id, web.id)
    assert db.security_group_in_use(user, web.id)
    assert [g.name for g in db.security_group_get_by_instance(
        user, inst.id)] == ['web']
    assert [r.id for r in
            db.security_group_rule_get_by_security_group_grantee(
                user, default.id)] != []
    db.security_group_rule_destroy(user, rule.id)
    with pytest.raises(exception.SecurityGroupRuleNotFound):
        db.security_group_rule_get(user, rule.id)
    db.security_group_destroy(user, web.id)
    with pytest.raises(exception.SecurityGroupNotFound):
        db.security_group_get(user, web.id)
    with pytest.raises(exception.SecurityGroupNotFoundForProject):
        db.security_group_get_by_name(user, 'proj1', 'web')
    other = context.RequestContext('bob', 'proj2')
    with pytest.raises(exception.SecurityGroupNotFound):
        db.security_group_get(other, default.id)
    assert len(db.security_group_get_all(admin)) == 1


def test_instance_faults(user):
    inst = _instance(user)
    assert db.instance_fault_get_latest(user, inst.id) is None
    db.instance_fault_create(user, {'instance_id': inst.id, 'code': 500,
                                    'message': 'x' * 300, 'details': 'tb'})
    db.instance_fault_create(user, {'instance_id': inst.id,
                                    'message': 'No valid host'})
    latest = db.instance_fault_get_latest(user, inst.id)
    assert latest.message == 'No valid host' and latest.code == 500
    assert len(db.instance_fault_get_by_instance(user, inst.id)) == 2
    assert len(db.instance_fault_get_by_instance(user, inst.id)[1].message) \
        == 255
    by = db.instance_fault_get_latest_by_instances(user, [inst.id, 999])
    assert list(by) == [inst.id]


def test_instance_faults_table_migrated(sqlite_db):
    cols = {c['name'] for c in sa.inspect(
        db_session.get_engine()).get_columns('instance_faults')}
    assert {'instance_id', 'code', 'message', 'details'} <= cols


def _counting(engine, statements):
    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith('INSERT'):
            statements.append(statement.split()[0])
    event.listen(engine, 'before_cursor_execute', count)
    return lambda: event.remove(engine, 'before_cursor_execute', count)


def test_create_many_in_a_fixed_number_of_round_trips(user):
    group = db.security_group_ensure_default(user)
    base = {'user_id': 'alice', 'project_id': 'proj1', 'vcpus': 1,
            'memory_mb': 512, 'vm_state': 'building',
            'task_state': 'scheduling', 'instance_type_id': 1,
            'reservation_id': 'r-bbbbbbbb', 'security_groups': [group.id],
            'metadata': {'k': 'v'}}

    def launch(count):
        statements = []
        stop = _counting(db_session.get_engine(), statements)
        try:
            made = db.instance_create_many(user, [
                dict(base, launch_index=i) for i in range(count)],
                hostname=lambda inst: 'server-%d' % inst.id)
        finally:
            stop()
        return made, len(statements)

    # Reads and updates do not grow with the count (the INSERTs are
    # batched where the dialect can return the new ids of a batch in
    # order, as PostgreSQL does; SQLite's go one by one).
    few, few_statements = launch(2)
    many, many_statements = launch(30)
    assert many_statements == few_statements
    assert [i.launch_index for i in many] == list(range(30))
    for inst in many:
        got = db.instance_get(user, inst.id)
        assert got.hostname == 'server-%d' % inst.id
        assert [g['name'] for g in got['security_groups']] == ['default']
        assert db.instance_metadata_get(user, inst.id) == {'k': 'v'}
    assert many[0]['instance_type']['name'] == 'm1.tiny'   # eager-loaded


def test_update_columns_many_keeps_to_the_scope(user, admin):
    mine = [_instance(user, launch_index=i) for i in range(3)]
    theirs = _instance(admin, project_id='proj2', user_id='bob')
    changed = db.instance_update_columns_many(
        user, [i.id for i in mine] + [theirs.id], {'task_state': 'deleting'})
    assert changed == 3
    assert [db.instance_get(user, i.id).task_state for i in mine] == \
        ['deleting'] * 3
    assert db.instance_get(admin, theirs.id).task_state == 'scheduling'


def test_get_many_in_order_and_scoped(user, admin):
    mine = [_instance(user, launch_index=i) for i in range(3)]
    theirs = _instance(admin, project_id='proj2', user_id='bob')
    ids = [mine[2].id, mine[0].id, mine[2].id]
    assert [i.id for i in db.instance_get_many(user, ids)] == ids
    assert db.instance_get_many(user, ids)[0]['instance_type']['name'] == \
        'm1.tiny'
    with pytest.raises(exception.InstanceNotFound) as raised:
        db.instance_get_many(user, [mine[1].id, theirs.id, 999999])
    assert str(theirs.id) in str(raised.value)
    assert db.instance_get_many(user, []) == []


def test_instance_get_for_host_loads_flavor_and_groups_only(user, admin):
    """What nova-compute builds and deletes from: the flavor and the groups
    are there after the session closed; addresses and metadata are not
    read."""
    group = db.security_group_ensure_default(user)
    inst = _instance(user, security_groups=[group.id], metadata={'a': '1'})
    got = db.instance_get_for_host(admin, inst.id)
    assert got['instance_type']['name'] == 'm1.tiny'
    assert [g['name'] for g in got['security_groups']] == ['default']
    assert {'fixed_ips', 'instance_metadata'} <= sa.inspect(got).unloaded
    with pytest.raises(exception.InstanceNotFound):
        db.instance_get_for_host(admin, 99999)
