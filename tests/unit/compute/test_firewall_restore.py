"""A restarted nova-compute rebuilds its guests' firewalls in its first
iptables apply (nova.compute.firewall_restore)."""

import pytest

from nova import context
from nova import db
from nova import exception
from nova.compute import firewall_restore
from nova.compute import manager as compute_manager
from nova.compute import network_cache
from nova.compute import power_state
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.session import session_scope
from nova.network.linux_net import iptables
from nova.virt import fake
from nova.virt import firewall


def _network_info(address):
    return [[{'id': 1, 'cidr': '10.0.0.0/24', 'cidr_v6': None},
             {'ips': [{'ip': address}], 'dhcp_server': '10.0.0.1'}]]


class Kernel(object):
    """iptables-save/-restore in memory; records every filter write."""

    def __init__(self):
        self.tables = {}
        self.writes = []

    def __call__(self, *cmd, **kwargs):
        if cmd[0].endswith('-save'):
            return self.tables.get(cmd[2], '*%s\nCOMMIT\n' % cmd[2]), ''
        text = kwargs['process_input']
        table = text.splitlines()[0][1:]
        self.tables[table] = text
        if table == 'filter':
            self.writes.append(text.splitlines())
        return '', ''

    def rules(self):
        """The ``-A`` lines of the filter table now."""
        return [line for line in self.tables['filter'].splitlines()
                if line.startswith('-A ')]

    def chain(self, name):
        return [line for line in self.rules()
                if line.startswith('-A %s ' % name)]


class NetworkAPI(object):
    """nova-network: answers, or times out; counts the calls."""

    def __init__(self, addresses):
        self.addresses = addresses
        self.up = True
        self.calls = 0

    def get_instance_nw_info(self, ctxt, instance):
        self.calls += 1
        if not self.up:
            raise exception.RpcTimeout(topic='network', method='nw_info')
        return _network_info(self.addresses[instance['id']])


class Host(object):
    """What outlives a nova-compute process: kernel, guests, cache dir."""

    def __init__(self, tmp_path):
        self.kernel = Kernel()
        self.lock_dir = str(tmp_path)
        self.cache_dir = str(tmp_path / 'cache')
        self.guests = []
        self.addresses = {}

    def process(self, cache_dir=None):
        """A new nova-compute (fresh iptables manager, same kernel)."""
        driver = fake.FakeConnection()
        manager = iptables.IptablesManager('nova-compute', self.kernel,
                                           self.lock_dir)
        driver.firewall_driver = firewall.IptablesFirewallDriver(manager)
        for instance in self.guests:
            driver.spawn(None, instance, [])
        compute = compute_manager.ComputeManager(
            compute_driver=driver, host='host-a',
            network_api=NetworkAPI(self.addresses))
        compute._network_info_cache = network_cache.NetworkInfoCache(
            cache_dir or self.cache_dir)
        return compute


@pytest.fixture
def host(sqlite_db, set_flags, tmp_path):
    set_flags(allow_same_net_traffic=False, use_ipv6=False,
              fake_hypervisor_state=False, stub_network=False)
    return Host(tmp_path)


def _instance(ctxt, host, group, address, on_hypervisor=True):
    with session_scope() as session:
        ref = models.Instance(project_id='p', user_id='u', host='host-a',
                              vm_state='active',
                              power_state=power_state.RUNNING)
        session.add(ref)
        session.flush()
        instance_id = ref.id
    db.instance_add_security_group(ctxt, instance_id, group)
    host.addresses[instance_id] = address
    if on_hypervisor:
        host.guests.append(db.instance_get(ctxt, instance_id))
    return instance_id


def _allow(ctxt, group, port):
    db.security_group_rule_create(ctxt, {
        'parent_group_id': group, 'protocol': 'tcp', 'from_port': port,
        'to_port': port, 'cidr': '0.0.0.0/0'})


def _group(ctxt):
    group = db.security_group_create(ctxt, {
        'name': 'web', 'description': 'web', 'project_id': 'p',
        'user_id': 'u'})['id']
    _allow(ctxt, group, 22)
    return group


def _jump(address, instance_id):
    return '-A nova-compute-local -d %s -j nova-compute-inst-%d' % (
        address, instance_id)


def _accepts(lines, instance_id, port):
    return any(line.startswith('-A nova-compute-inst-%d ' % instance_id) and
               '--dport %d' % port in line for line in lines)


def _restore(compute, ctxt):
    """``restore``'s (rebuilt, kept) ids, sorted."""
    rebuilt, kept = firewall_restore.restore(compute, ctxt)
    return sorted(rebuilt), sorted(kept)


def _first_run(host, ctxt, group):
    """The process before the restart builds the chains."""
    old = host.process()
    old.refresh_security_group_rules(ctxt, group)
    return old


def test_restart_rebuilds_every_chain_in_the_first_apply(host):
    ctxt = context.get_admin_context()
    group = _group(ctxt)
    web = _instance(ctxt, host, group, '10.0.0.3')
    _first_run(host, ctxt, group)
    _allow(ctxt, group, 80)            # changed while compute was away
    writes_before = len(host.kernel.writes)
    restarted = host.process()
    restarted.init_host()
    writes = host.kernel.writes[writes_before:]
    assert writes, 'the restart applied nothing'
    # every write of the new process, the first one included, already
    # holds the jump to the guest's chain and its rules
    for lines in writes:
        assert _jump('10.0.0.3', web) in lines
        assert _accepts(lines, web, 22)
    assert _accepts(host.kernel.rules(), web, 80)
    assert restarted.network_api.calls == 1
    assert db.instance_get(ctxt, web)['vm_state'] == 'active'


def test_restart_during_an_outage_uses_the_cache(host):
    ctxt = context.get_admin_context()
    group = _group(ctxt)
    web = _instance(ctxt, host, group, '10.0.0.3')
    db_ = _instance(ctxt, host, group, '10.0.0.4')
    _first_run(host, ctxt, group)
    _allow(ctxt, group, 80)
    restarted = host.process()
    restarted.network_api.up = False
    writes_before = len(host.kernel.writes)
    assert _restore(restarted, ctxt) == ([web, db_], [])
    # one timeout is enough: the other guest is not asked for again
    assert restarted.network_api.calls == 1
    first = host.kernel.writes[writes_before]
    for instance_id, address in ((web, '10.0.0.3'), (db_, '10.0.0.4')):
        assert _jump(address, instance_id) in first
        assert _accepts(first, instance_id, 80)


def test_restart_with_nothing_known_keeps_the_chain(host):
    ctxt = context.get_admin_context()
    group = _group(ctxt)
    web = _instance(ctxt, host, group, '10.0.0.3')
    _first_run(host, ctxt, group)
    before = host.kernel.rules()
    _allow(ctxt, group, 80)
    restarted = host.process(cache_dir=str(host.lock_dir) + '/empty')
    restarted.network_api.up = False
    writes_before = len(host.kernel.writes)
    assert _restore(restarted, ctxt) == ([], [web])
    # written back exactly as it was: no new rule, no lost jump
    assert host.kernel.writes[writes_before:]
    assert host.kernel.rules() == before
    assert not _accepts(host.kernel.rules(), web, 80)
    # nova-network is back: the refresh replaces the kept chain
    restarted.network_api.up = True
    restarted.refresh_security_group_rules(ctxt, group)
    assert host.kernel.chain('nova-compute-local') == [
        _jump('10.0.0.3', web)]
    assert _accepts(host.kernel.rules(), web, 80)
    # and unfiltering removes it all (the kept jump became ours again)
    restarted.driver.firewall_driver.unfilter_instance({'id': web}, [])
    assert host.kernel.chain('nova-compute-local') == []


def test_guest_the_hypervisor_lost_gets_no_chain(host):
    ctxt = context.get_admin_context()
    group = _group(ctxt)
    web = _instance(ctxt, host, group, '10.0.0.3')
    gone = _instance(ctxt, host, group, '10.0.0.4', on_hypervisor=False)
    restarted = host.process()
    assert _restore(restarted, ctxt) == ([web], [])
    assert host.kernel.chain('nova-compute-inst-%d' % gone) == []

    def broken():
        raise RuntimeError('libvirtd is down')
    # a hypervisor that cannot list its guests: every instance is filtered
    restarted.driver.list_instances = broken
    assert _restore(restarted, ctxt) == (sorted([web, gone]), [])
