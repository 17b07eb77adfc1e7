"""The narrow reads nova-compute builds firewalls and member refreshes
from: an instance's rules, and the groups that grant access to others."""


from nova import context
from nova import db


def _group(ctxt, name, project='proj1'):
    return db.security_group_create(ctxt, {
        'name': name, 'description': name, 'user_id': 'alice',
        'project_id': project})


def _rule(ctxt, parent, **values):
    values.setdefault('protocol', 'tcp')
    values.setdefault('from_port', 22)
    values.setdefault('to_port', 22)
    return db.security_group_rule_create(ctxt, dict(
        values, parent_group_id=parent.id))


def _instance(ctxt, groups, project='proj1'):
    return db.instance_create(ctxt, {
        'user_id': 'alice', 'project_id': project, 'vm_state': 'building',
        'instance_type_id': 1, 'security_groups': [g.id for g in groups]})


def test_the_rules_of_an_instance_s_live_groups_in_order(admin):
    web, ssh, other = (_group(admin, n) for n in ('web', 'ssh', 'other'))
    _rule(admin, web, from_port=80, to_port=80, cidr='0.0.0.0/0')
    _rule(admin, web, protocol='udp', from_port=53, to_port=53,
          group_id=ssh.id)
    gone = _rule(admin, ssh, cidr='10.0.0.0/8')
    _rule(admin, ssh, cidr='192.168.0.0/16')
    _rule(admin, other, cidr='1.2.3.4/32')          # not the instance's
    db.security_group_rule_destroy(admin, gone.id)
    inst = _instance(admin, [web, ssh])
    rules = db.security_group_rules_of_instance(admin, inst.id)
    assert rules == [
        {'protocol': 'tcp', 'from_port': 22, 'to_port': 22,
         'cidr': '192.168.0.0/16', 'group_id': None},
        {'protocol': 'tcp', 'from_port': 80, 'to_port': 80,
         'cidr': '0.0.0.0/0', 'group_id': None},
        {'protocol': 'udp', 'from_port': 53, 'to_port': 53, 'cidr': None,
         'group_id': ssh.id},
    ]
    # leaving a group drops its rules; a deleted group has none
    db.instance_remove_security_group(admin, inst.id, web.id)
    assert [r['cidr'] for r in
            db.security_group_rules_of_instance(admin, inst.id)] == [
        '192.168.0.0/16']
    db.security_group_destroy(admin, ssh.id)
    assert db.security_group_rules_of_instance(admin, inst.id) == []


def test_instances_read_together_each_get_their_own_rules(admin):
    from nova.db.sqlalchemy import api_security_group
    web, ssh = _group(admin, 'web'), _group(admin, 'ssh')
    _rule(admin, web, from_port=80, to_port=80, cidr='0.0.0.0/0')
    _rule(admin, ssh, cidr='10.0.0.0/8')
    both, only_ssh, none = (_instance(admin, groups) for groups in
                            ([web, ssh], [ssh], []))
    ids = [none.id, both.id, only_ssh.id, both.id]
    # what a batch of calls made together runs: one query for them all
    outcomes = api_security_group._rules_of_instances(admin, ids)
    assert outcomes == [
        (True, db.security_group_rules_of_instance(admin, i)) for i in ids]
    assert [[r['cidr'] for r in rules] for _ok, rules in outcomes] == [
        [], ['10.0.0.0/8', '0.0.0.0/0'], ['10.0.0.0/8'],
        ['10.0.0.0/8', '0.0.0.0/0']]


def test_a_user_sees_only_its_project_s_groups(admin):
    mine = _group(admin, 'mine')
    _rule(admin, mine, cidr='10.0.0.0/8')
    inst = _instance(admin, [mine])
    owner = context.RequestContext('alice', 'proj1')
    stranger = context.RequestContext('bob', 'proj2')
    assert len(db.security_group_rules_of_instance(owner, inst.id)) == 1
    assert db.security_group_rules_of_instance(stranger, inst.id) == []


def test_the_groups_granting_access_to_members_of_others(admin):
    web, db_group, lone = (_group(admin, n) for n in ('web', 'db', 'lone'))
    _rule(admin, db_group, group_id=web.id)
    _rule(admin, db_group, from_port=5432, to_port=5432, group_id=web.id)
    _rule(admin, web, group_id=web.id)
    gone = _rule(admin, lone, group_id=db_group.id)
    db.security_group_rule_destroy(admin, gone.id)
    assert db.security_group_granting(
        admin, [web.id, db_group.id, lone.id]) == {
        web.id: [db_group.id, web.id]}
    assert db.security_group_granting(admin, []) == {}


def test_the_instance_read_for_its_host_says_whether_rules_name_its_groups(
        admin):
    web, other = _group(admin, 'web'), _group(admin, 'other')
    inst = _instance(admin, [web])
    assert db.instance_get_for_host(admin, inst.id).groups_granted is False
    _rule(admin, other, group_id=other.id)          # names another group
    assert db.instance_get_for_host(admin, inst.id).groups_granted is False
    rule = _rule(admin, other, group_id=web.id)
    assert db.instance_get_for_host(admin, inst.id).groups_granted is True
    db.security_group_rule_destroy(admin, rule.id)
    assert db.instance_get_for_host(admin, inst.id).groups_granted is False
