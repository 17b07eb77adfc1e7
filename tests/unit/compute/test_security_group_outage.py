"""Security-group refreshes while nova-network does not answer."""

import json
import os

from nova import context
from nova import db
from nova import exception
from nova.compute import network_cache
from nova.compute import security_groups
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.session import session_scope
from nova.network.linux_net import iptables
from nova.virt import firewall

NETWORK_INFO = [[{'id': 1, 'cidr': '10.0.0.0/24', 'cidr_v6': None},
                 {'ips': [{'ip': '10.0.0.3'}], 'dhcp_server': '10.0.0.1'}]]


class Kernel(object):
    """iptables-save/-restore in memory."""

    def __init__(self):
        self.tables = {}

    def __call__(self, *cmd, **kwargs):
        if cmd[0].endswith('-save'):
            return self.tables.get(cmd[2], '*%s\nCOMMIT\n' % cmd[2]), ''
        text = kwargs['process_input']
        self.tables[text.splitlines()[0][1:]] = text
        return '', ''

    def chain(self, name):
        return [line for line in self.tables['filter'].splitlines()
                if line.startswith('-A %s ' % name)]


class NetworkAPI(object):
    """nova-network as compute sees it: up, or down (RpcTimeout)."""

    def __init__(self):
        self.up = True

    def get_instance_nw_info(self, ctxt, instance):
        if not self.up:
            raise exception.RpcTimeout(topic='network', timeout=3)
        return NETWORK_INFO


class Driver(object):
    def __init__(self, firewall_driver):
        self.firewall_driver = firewall_driver

    def refresh_instance_security_rules(self, instance, network_info, rules):
        self.firewall_driver.refresh_instance_filter(instance, network_info,
                                                     rules)


class Compute(security_groups.SecurityGroupsMixin):
    def __init__(self, cache_dir, lock_dir, kernel):
        self.host = 'host-a'
        manager = iptables.IptablesManager('nova-compute', kernel, lock_dir)
        self.driver = Driver(firewall.IptablesFirewallDriver(manager))
        self.network_api = NetworkAPI()
        self._network_info_cache = network_cache.NetworkInfoCache(cache_dir)


def _web_instance(ctxt):
    with session_scope() as session:
        ref = models.Instance(project_id='p', user_id='u', host='host-a',
                              vm_state='active')
        session.add(ref)
        session.flush()
        instance_id = ref.id
    group = db.security_group_create(ctxt, {
        'name': 'web', 'description': 'web', 'project_id': 'p',
        'user_id': 'u'})['id']
    db.instance_add_security_group(ctxt, instance_id, group)
    return instance_id, group


def _allow(ctxt, group, port):
    db.security_group_rule_create(ctxt, {
        'parent_group_id': group, 'protocol': 'tcp', 'from_port': port,
        'to_port': port, 'cidr': '0.0.0.0/0'})


def _setup(tmp_path, set_flags):
    set_flags(allow_same_net_traffic=False, use_ipv6=False)
    ctxt = context.get_admin_context()
    kernel = Kernel()
    compute = Compute(str(tmp_path / 'cache'), str(tmp_path), kernel)
    instance_id, group = _web_instance(ctxt)
    _allow(ctxt, group, 22)
    compute.refresh_security_group_rules(ctxt, group)
    return ctxt, kernel, compute, instance_id, group


def test_outage_refresh_uses_last_known_network_info(sqlite_db, tmp_path,
                                                      set_flags):
    ctxt, kernel, compute, instance_id, group = _setup(tmp_path, set_flags)
    jump = '-A nova-compute-local -d 10.0.0.3 -j nova-compute-inst-%d' \
        % instance_id
    assert kernel.chain('nova-compute-local') == [jump]
    compute.network_api.up = False
    _allow(ctxt, group, 80)
    compute.refresh_security_group_rules(ctxt, group)
    chain = kernel.chain('nova-compute-inst-%d' % instance_id)
    assert kernel.chain('nova-compute-local') == [jump]
    assert any('-j ACCEPT -p tcp --dport 80' in line for line in chain)
    assert any('-j ACCEPT -p tcp --dport 22' in line for line in chain)


def test_cache_survives_a_compute_restart(sqlite_db, tmp_path, set_flags):
    ctxt, kernel, compute, instance_id, group = _setup(tmp_path, set_flags)
    stored = os.path.join(str(tmp_path / 'cache'), '%d.json' % instance_id)
    assert json.load(open(stored)) == NETWORK_INFO
    restarted = Compute(str(tmp_path / 'cache'), str(tmp_path), kernel)
    restarted.network_api.up = False
    _allow(ctxt, group, 80)
    restarted.refresh_security_group_rules(ctxt, group)
    assert kernel.chain('nova-compute-local') == [
        '-A nova-compute-local -d 10.0.0.3 -j nova-compute-inst-%d'
        % instance_id]
    # the manager's own network-info helper falls back the same way
    assert restarted._last_known_network_info(instance_id) == NETWORK_INFO
    restarted._forget_network_info(instance_id)
    assert not os.path.exists(stored)
    assert restarted._last_known_network_info(instance_id) == []


def test_outage_without_known_network_info_is_refused(sqlite_db, tmp_path,
                                                      set_flags):
    ctxt, kernel, compute, instance_id, group = _setup(tmp_path, set_flags)
    before = kernel.tables['filter']
    fresh = Compute(str(tmp_path / 'empty'), str(tmp_path), kernel)
    fresh.network_api.up = False
    _allow(ctxt, group, 80)
    fresh.refresh_security_group_rules(ctxt, group)
    # nothing was applied: the old chain and its jump are intact
    assert kernel.tables['filter'] == before
    # nova-network is back: the new rule is applied
    fresh.network_api.up = True
    fresh.refresh_security_group_rules(ctxt, group)
    chain = kernel.chain('nova-compute-inst-%d' % instance_id)
    assert any('-j ACCEPT -p tcp --dport 80' in line for line in chain)


def test_firewall_keeps_its_addresses_when_given_none(tmp_path, set_flags):
    set_flags(allow_same_net_traffic=False, use_ipv6=False)
    kernel = Kernel()
    manager = iptables.IptablesManager('nova-compute', kernel, str(tmp_path))
    driver = firewall.IptablesFirewallDriver(manager)
    rules = [{'protocol': 'tcp', 'from_port': 22, 'to_port': 22,
              'cidr': '0.0.0.0/0'}]
    driver.prepare_instance_filter({'id': 7}, NETWORK_INFO, rules)
    driver.refresh_instance_filter({'id': 7}, [], rules + [
        {'protocol': 'tcp', 'from_port': 80, 'to_port': 80,
         'cidr': '0.0.0.0/0'}])
    assert kernel.chain('nova-compute-local') == [
        '-A nova-compute-local -d 10.0.0.3 -j nova-compute-inst-7']
    assert any('--dport 80' in line
               for line in kernel.chain('nova-compute-inst-7'))
    # a new instance without network info gets no jump (nothing known)
    driver.prepare_instance_filter({'id': 8}, [], rules)
    assert len(kernel.chain('nova-compute-local')) == 1
