"""Terminating an instance tells the hosts whose rules name one of its
groups, and nobody when no rule does (known from the instance's read)."""

from nova import db


def _launch(user, compute_api, compute):
    [inst] = compute_api.create(user, 'm1.tiny', 1)
    compute.run_instance(user, inst['id'])
    return db.instance_get_for_host(user, inst['id'])


def _members_refreshes(casts):
    return [(topic, args) for topic, method, args in casts.sent
            if method == 'refresh_security_group_members']


def test_hosts_whose_rules_name_its_group_are_told(
        user, admin, compute_api, compute, casts):
    inst = _launch(user, compute_api, compute)
    [default] = [g['id'] for g in inst['security_groups']]
    granting = db.security_group_create(admin, {
        'name': 'db', 'description': 'db', 'user_id': 'alice',
        'project_id': 'proj1'})
    db.security_group_rule_create(admin, {
        'parent_group_id': granting.id, 'protocol': 'tcp', 'from_port': 5432,
        'to_port': 5432, 'group_id': default})
    db.instance_create(admin, {
        'user_id': 'alice', 'project_id': 'proj1', 'vm_state': 'active',
        'instance_type_id': 1, 'host': 'host-b',
        'security_groups': [granting.id]})
    del casts.sent[:]
    compute.terminate_instance(user, inst['id'])
    assert _members_refreshes(casts) == [
        ('compute.host-b', {'security_group_id': default})]


def test_nobody_is_told_when_no_rule_names_its_groups(
        user, compute_api, compute, casts, monkeypatch):
    inst = _launch(user, compute_api, compute)
    assert inst.groups_granted is False
    asked = []
    monkeypatch.setattr(db, 'security_group_granting',
                        lambda *args: asked.append(args) or {})
    del casts.sent[:]
    compute.terminate_instance(user, inst['id'])
    assert asked == [] and _members_refreshes(casts) == []
