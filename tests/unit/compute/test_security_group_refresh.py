"""Compute side of security groups: rules resolved, refreshes cast."""

from nova import context
from nova import db
from nova import rpc
from nova.compute import security_groups
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.session import session_scope


def _instance(host, address):
    with session_scope() as session:
        ref = models.Instance(project_id='p', user_id='u', host=host,
                              vm_state='active')
        session.add(ref)
        session.flush()
        fixed = models.FixedIp(address=address, instance_id=ref.id,
                               allocated=True)
        session.add(fixed)
        return ref.id


def _group(ctxt, name):
    return db.security_group_create(ctxt, {
        'name': name, 'description': name, 'project_id': 'p',
        'user_id': 'u'})['id']


class RecordingDriver(object):
    def __init__(self):
        self.calls = []

    def refresh_instance_security_rules(self, instance, network_info, rules):
        self.calls.append((instance['id'], rules))


class NoNetworkAPI(object):
    def get_instance_nw_info(self, ctxt, instance):
        return []


class Compute(security_groups.SecurityGroupsMixin):
    def __init__(self, host):
        self.host = host
        self.driver = RecordingDriver()
        self.network_api = NoNetworkAPI()


def _setup(ctxt):
    web = _instance('host-a', '10.0.0.3')
    db_ = _instance('host-b', '10.0.0.4')
    other = _instance('host-c', '10.0.0.5')
    web_group, db_group = _group(ctxt, 'web'), _group(ctxt, 'db')
    db.instance_add_security_group(ctxt, web, web_group)
    db.instance_add_security_group(ctxt, db_, db_group)
    db.security_group_rule_create(ctxt, {
        'parent_group_id': db_group, 'protocol': 'tcp', 'from_port': 5432,
        'to_port': 5432, 'group_id': web_group})
    db.security_group_rule_create(ctxt, {
        'parent_group_id': web_group, 'protocol': 'icmp', 'from_port': -1,
        'to_port': -1, 'cidr': '0.0.0.0/0'})
    return web, db_, other, web_group, db_group


def test_source_groups_expand_to_member_addresses(sqlite_db):
    ctxt = context.get_admin_context()
    web, db_, other, web_group, db_group = _setup(ctxt)
    assert security_groups.resolve_rules(ctxt, db_) == [
        {'protocol': 'tcp', 'from_port': 5432, 'to_port': 5432,
         'cidr': '10.0.0.3/32'}]
    assert security_groups.resolve_rules(ctxt, web) == [
        {'protocol': 'icmp', 'from_port': -1, 'to_port': -1,
         'cidr': '0.0.0.0/0'}]
    assert security_groups.resolve_rules(ctxt, other) == []
    # host-b refreshes its db-group member when web's members change
    compute = Compute('host-b')
    compute.refresh_security_group_members(ctxt, web_group)
    assert compute.driver.calls == [(db_, [
        {'protocol': 'tcp', 'from_port': 5432, 'to_port': 5432,
         'cidr': '10.0.0.3/32'}])]
    compute = Compute('host-a')
    compute.refresh_security_group_rules(ctxt, web_group)
    assert [c[0] for c in compute.driver.calls] == [web]
    compute.refresh_security_group_rules(ctxt, db_group)
    assert len(compute.driver.calls) == 1


def test_triggers_cast_to_the_hosts_concerned(sqlite_db, monkeypatch):
    ctxt = context.get_admin_context()
    web, db_, other, web_group, db_group = _setup(ctxt)
    casts = []
    monkeypatch.setattr(rpc, 'cast', lambda c, topic, msg: casts.append(
        (topic, msg['method'], msg['args'])))
    trigger = security_groups.TriggerMixin()
    trigger.trigger_security_group_rules_refresh(ctxt, db_group)
    assert casts == [('compute.host-b', 'refresh_security_group_rules',
                      {'security_group_id': db_group})]
    del casts[:]
    trigger.trigger_security_group_members_refresh(ctxt, [web_group])
    assert casts == [('compute.host-b', 'refresh_security_group_members',
                      {'security_group_id': web_group})]
