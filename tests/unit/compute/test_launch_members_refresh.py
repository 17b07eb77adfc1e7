"""A launched instance tells the hosts whose rules name one of its groups,
and nobody (no query either) when no rule does, as read with it."""

from nova import db


def _members_refreshes(casts):
    return [(topic, args) for topic, method, args in casts.sent
            if method == 'refresh_security_group_members']


def test_hosts_whose_rules_name_its_group_are_told_at_launch(
        user, admin, compute_api, compute, casts):
    [default] = [g for g in db.security_group_get_by_project(admin, 'proj1')
                 if g['name'] == 'default'] or [db.security_group_create(
                     admin, {'name': 'default', 'description': 'default',
                             'user_id': 'alice', 'project_id': 'proj1'})]
    granting = db.security_group_create(admin, {
        'name': 'db', 'description': 'db', 'user_id': 'alice',
        'project_id': 'proj1'})
    db.security_group_rule_create(admin, {
        'parent_group_id': granting.id, 'protocol': 'tcp', 'from_port': 5432,
        'to_port': 5432, 'group_id': default['id']})
    db.instance_create(admin, {
        'user_id': 'alice', 'project_id': 'proj1', 'vm_state': 'active',
        'instance_type_id': 1, 'host': 'host-b',
        'security_groups': [granting.id]})
    [inst] = compute_api.create(user, 'm1.tiny', 1)
    assert [g['id'] for g in db.instance_get_for_host(
        admin, inst['id'])['security_groups']] == [default['id']]
    del casts.sent[:]
    compute.run_instance(user, inst['id'])
    assert db.instance_get(admin, inst['id'])['vm_state'] == 'active'
    assert _members_refreshes(casts) == [
        ('compute.host-b', {'security_group_id': default['id']})]


def test_nobody_is_asked_at_launch_when_no_rule_names_its_groups(
        user, admin, compute_api, compute, casts, monkeypatch):
    [inst] = compute_api.create(user, 'm1.tiny', 1)
    asked = []
    monkeypatch.setattr(db, 'security_group_granting',
                        lambda *args: asked.append(args) or {})
    del casts.sent[:]
    compute.run_instance(user, inst['id'])
    assert db.instance_get(admin, inst['id'])['vm_state'] == 'active'
    assert asked == [] and _members_refreshes(casts) == []
