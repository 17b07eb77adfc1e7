"""Provider-wide firewall admin actions of the EC2 admin API (Diablo's).

``BlockExternalAddresses`` records DROP rules (tcp 1-65535, udp 1-65535,
any icmp) for a source CIDR in ``provider_fw_rules``;
``RemoveExternalAddressBlock`` removes a CIDR's rules;
``DescribeExternalAddressBlocks`` lists the blocked CIDRs.  After a change
the compute API casts ``refresh_provider_fw_rules`` to every compute host,
whose firewall rebuilds its ``<bin>-provider`` chain from the table.
"""

import ipaddress

from nova import db
from nova import exception
from nova.api.ec2 import ec2utils


def _rules_for(cidr):
    """Diablo's three rules that block ``cidr`` entirely."""
    return [
        {'protocol': 'tcp', 'from_port': 1, 'to_port': 65535, 'cidr': cidr},
        {'protocol': 'udp', 'from_port': 1, 'to_port': 65535, 'cidr': cidr},
        {'protocol': 'icmp', 'from_port': -1, 'to_port': None, 'cidr': cidr},
    ]


def normalize_cidr(value):
    """``value`` as a network in canonical form, or InvalidParameterValue.

    A bare address is its own /32 (or /128); host bits are cleared, so
    ``10.1.2.3/8`` and ``10.0.0.0/8`` name the same block.
    """
    if value is None or str(value).strip() == '':
        raise ec2utils.missing('Cidr')
    text = str(value).strip()
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise ec2utils.invalid_value(
            'Cidr', text, 'Cidr must be an IPv4 or IPv6 network in CIDR '
            'notation, such as 192.0.2.0/24') from None


class ProviderFirewallMixin(object):
    """The AdminController's provider firewall actions."""

    _compute_api = None

    @property
    def compute_api(self):
        """The client side of nova-compute (casts the refreshes)."""
        if self._compute_api is None:
            from nova.compute import api as compute
            self._compute_api = compute.API()
        return self._compute_api

    def block_external_addresses(self, context, cidr=None, **_kwargs):
        """BlockExternalAddresses: drop all tcp/udp/icmp from ``cidr``."""
        cidr = normalize_cidr(cidr)
        ctxt = context.elevated()
        added = 0
        for rule in _rules_for(cidr):
            try:
                db.provider_fw_rule_create(ctxt, rule)
            except exception.ProviderFirewallRuleExists:
                continue
            added += 1
        if not added:
            raise exception.ApiError('Duplicate rule')
        self.compute_api.trigger_provider_fw_rules_refresh(ctxt)
        return {'status': 'OK', 'message': 'Added %d rules' % added}

    def describe_external_address_blocks(self, context, **_kwargs):
        """DescribeExternalAddressBlocks: the blocked CIDRs, sorted."""
        cidrs = set(rule['cidr'] for rule in
                    db.provider_fw_rule_get_all(context.elevated()))
        return {'externalIpBlockInfo': [{'cidr': cidr}
                                        for cidr in sorted(cidrs)]}

    def remove_external_address_block(self, context, cidr=None, **_kwargs):
        """RemoveExternalAddressBlock: remove every rule of ``cidr``."""
        cidr = normalize_cidr(cidr)
        ctxt = context.elevated()
        deleted = 0
        for rule in db.provider_fw_rule_get_all_by_cidr(ctxt, cidr):
            try:
                db.provider_fw_rule_destroy(ctxt, rule['id'])
            except exception.ProviderFirewallRuleNotFound:
                continue
            deleted += 1
        if deleted:
            self.compute_api.trigger_provider_fw_rules_refresh(ctxt)
        return {'status': 'OK', 'message': 'Deleted %d rules' % deleted}
