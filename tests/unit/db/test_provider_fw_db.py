"""The provider_fw_rules table through nova.db."""

import pytest

from nova import context
from nova import db
from nova import exception


def _rule(protocol='tcp', cidr='203.0.113.0/24', from_port=1,
          to_port=65535):
    return {'protocol': protocol, 'from_port': from_port,
            'to_port': to_port, 'cidr': cidr}


def test_create_list_by_cidr_and_destroy(sqlite_db):
    ctxt = context.get_admin_context()
    tcp = db.provider_fw_rule_create(ctxt, _rule())
    icmp = db.provider_fw_rule_create(ctxt, _rule('icmp', from_port=-1,
                                                  to_port=None))
    other = db.provider_fw_rule_create(ctxt, _rule(cidr='198.51.100.7/32'))
    assert [r['id'] for r in db.provider_fw_rule_get_all(ctxt)] == [
        tcp['id'], icmp['id'], other['id']]
    assert [r['id'] for r in db.provider_fw_rule_get_all_by_cidr(
        ctxt, '203.0.113.0/24')] == [tcp['id'], icmp['id']]
    db.provider_fw_rule_destroy(ctxt, tcp['id'])
    assert [r['id'] for r in db.provider_fw_rule_get_all(ctxt)] == [
        icmp['id'], other['id']]
    with pytest.raises(exception.ProviderFirewallRuleNotFound):
        db.provider_fw_rule_destroy(ctxt, tcp['id'])


def test_a_live_twin_is_refused_a_deleted_one_is_not(sqlite_db):
    ctxt = context.get_admin_context()
    icmp = db.provider_fw_rule_create(ctxt, _rule('icmp', from_port=-1,
                                                  to_port=None))
    with pytest.raises(exception.ProviderFirewallRuleExists):
        db.provider_fw_rule_create(ctxt, _rule('icmp', from_port=-1,
                                               to_port=None))
    # a different port range is another rule
    db.provider_fw_rule_create(ctxt, _rule('icmp', from_port=8, to_port=None))
    db.provider_fw_rule_destroy(ctxt, icmp['id'])
    db.provider_fw_rule_create(ctxt, _rule('icmp', from_port=-1,
                                           to_port=None))
    assert len(db.provider_fw_rule_get_all(ctxt)) == 2


def test_only_admins(sqlite_db):
    user = context.RequestContext('alice', 'proj')
    with pytest.raises(exception.AdminRequired):
        db.provider_fw_rule_create(user, _rule())
    with pytest.raises(exception.AdminRequired):
        db.provider_fw_rule_get_all(user)
