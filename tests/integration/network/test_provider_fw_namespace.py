"""Provider-wide firewall rules, proven with TCP in namespaces.

The admin API's ``BlockExternalAddresses`` runs in the test process against
the database the host namespace shares; the ``refresh_provider_fw_rules``
casts it sends are delivered to the compute manager running in the host
namespace (agent ``nova-compute``, IptablesFirewallDriver), which reads the
table and rebuilds ``nova-compute-provider``.  Traffic from the blocked
CIDR (the "outside" namespace) no longer reaches a guest whose security
group admits it; traffic from elsewhere (another guest) still does; after
``RemoveExternalAddressBlock`` the outside reaches the guest again.
"""

import sys

import pytest

import netns
from nova import context
from nova import db
from nova import rpc
from test_security_groups_namespace import (PORT, boot_guest, compute_agent,
                                            create_network, group,
                                            outside_world, reachable)

pytestmark = [pytest.mark.netns, pytest.mark.integration,
              pytest.mark.timeout(150)]


def _deliver(casts, compute):
    """Hand the recorded casts for ``compute.nethost`` to the agent."""
    delivered = 0
    while casts:
        topic, msg = casts.pop(0)
        assert topic == 'compute.nethost', topic
        compute.call('compute', msg['method'], **msg['args'])
        delivered += 1
    return delivered


def _provider_chain(host):
    return [line for line in host.iptables('filter').splitlines()
            if line.startswith('-A nova-compute-provider ')]


def test_blocked_cidr_is_dropped_other_sources_are_not(lab, cloud_host,
                                                       monkeypatch):
    from nova.api.ec2 import admin
    host = cloud_host('FlatDHCPManager')
    net = host.start_agent()
    create_network(net)
    outside = outside_world(lab, host)
    compute = compute_agent(lab, host)
    ctxt = context.get_admin_context()
    db.service_create(ctxt, {'host': 'nethost', 'binary': 'nova-compute',
                             'topic': 'compute', 'report_count': 0})
    web, peer = (boot_guest(lab, host, net, role, role)
                 for role in ('web', 'peer'))
    web_group = group(ctxt, 'web')
    db.instance_add_security_group(ctxt, web['id'], web_group)
    db.security_group_rule_create(ctxt, {
        'parent_group_id': web_group, 'protocol': 'tcp', 'from_port': PORT,
        'to_port': PORT, 'cidr': '0.0.0.0/0'})
    lab.spawn(web['ns'], sys.executable, '-m', 'http.server', PORT,
              '--bind', '0.0.0.0')
    netns.wait_for(lambda: 'LISTEN' in lab.exec(web['ns'], 'ss', '-ltn'),
                   what='the guest server')
    for guest in (web, peer):
        compute.call('compute', 'apply_security_groups',
                     {'id': guest['id'], 'host': 'nethost'},
                     guest['nw_info'])
    assert reachable(lab, outside, web['address'])
    assert reachable(lab, peer['ns'], web['address'])
    assert _provider_chain(host) == []

    casts = []
    monkeypatch.setattr(rpc, 'cast', lambda c, topic, msg: casts.append(
        (topic, msg)))
    controller = admin.AdminController()
    answer = controller.block_external_addresses(ctxt, cidr='192.0.2.0/24')
    assert answer == {'status': 'OK', 'message': 'Added 3 rules'}
    assert _deliver(casts, compute) == 1
    chain = _provider_chain(host)
    assert len(chain) == 3, chain
    assert all('-s 192.0.2.0/24' in line and line.endswith('-j DROP')
               for line in chain), chain
    assert not reachable(lab, outside, web['address'])
    assert reachable(lab, peer['ns'], web['address'])

    # a second block of the same CIDR changes nothing on the host
    with pytest.raises(Exception, match='Duplicate rule'):
        controller.block_external_addresses(ctxt, cidr='192.0.2.0/24')
    assert casts == []
    assert len(_provider_chain(host)) == 3

    # another CIDR: the outside is still blocked (its own rules remain)
    controller.block_external_addresses(ctxt, cidr='198.51.100.0/24')
    _deliver(casts, compute)
    assert len(_provider_chain(host)) == 6
    assert not reachable(lab, outside, web['address'])

    answer = controller.remove_external_address_block(ctxt,
                                                      cidr='192.0.2.0/24')
    assert answer == {'status': 'OK', 'message': 'Deleted 3 rules'}
    _deliver(casts, compute)
    assert all('198.51.100.0/24' in line for line in _provider_chain(host))
    assert reachable(lab, outside, web['address'])
    assert reachable(lab, peer['ns'], web['address'])
