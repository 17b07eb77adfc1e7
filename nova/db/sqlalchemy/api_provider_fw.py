"""Provider-wide firewall rules (the ``provider_fw_rules`` table).

The cloud's operator blocks sources for every instance on every compute
host (EC2 admin ``BlockExternalAddresses``).  A rule is a protocol, a port
range (ICMP: type and code) and a source CIDR; two live rules are never
identical.  Only admins read or write them.
"""

from nova import exception
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (model_query, require_admin_context,
                                           retry_on_deadlock, session_scope,
                                           soft_delete_query)

__all__ = [
    'provider_fw_rule_create', 'provider_fw_rule_get_all',
    'provider_fw_rule_get_all_by_cidr', 'provider_fw_rule_destroy',
]

_Rule = models.ProviderFirewallRule


def _same(query, values):
    for column in ('protocol', 'from_port', 'to_port', 'cidr'):
        field = getattr(_Rule, column)
        value = values.get(column)
        query = query.filter(field.is_(None) if value is None
                             else field == value)
    return query


@require_admin_context
@retry_on_deadlock
def provider_fw_rule_create(context, values):
    """Record a rule; ProviderFirewallRuleExists if a live twin exists."""
    with session_scope() as session:
        twin = _same(model_query(context, _Rule, session), values).first()
        if twin is not None:
            raise exception.ProviderFirewallRuleExists(
                protocol=values.get('protocol'), cidr=values.get('cidr'))
        rule = _Rule()
        rule.update(values)
        rule.save(session)
        return rule


@require_admin_context
def provider_fw_rule_get_all(context):
    """Every live provider rule, oldest first."""
    with session_scope() as session:
        return model_query(context, _Rule, session).order_by(_Rule.id).all()


@require_admin_context
def provider_fw_rule_get_all_by_cidr(context, cidr):
    """The live provider rules of one source CIDR."""
    with session_scope() as session:
        return model_query(context, _Rule, session).filter(
            _Rule.cidr == cidr).order_by(_Rule.id).all()


@require_admin_context
@retry_on_deadlock
def provider_fw_rule_destroy(context, rule_id):
    """Soft-delete one rule; ProviderFirewallRuleNotFound if not live."""
    with session_scope() as session:
        count = soft_delete_query(model_query(context, _Rule, session).filter(
            _Rule.id == rule_id))
        if not count:
            raise exception.ProviderFirewallRuleNotFound(rule_id=rule_id)
