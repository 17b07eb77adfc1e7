"""IptablesFirewallDriver: the chains it builds from resolved rules."""

from nova.network.linux_net import iptables
from nova.virt import firewall


class Recorder(object):
    """iptables-save/-restore in memory."""

    def __init__(self):
        self.tables = {}

    def __call__(self, *cmd, **kwargs):
        if cmd[0].endswith('-save'):
            return self.tables.get(cmd[2], '*%s\nCOMMIT\n' % cmd[2]), ''
        text = kwargs['process_input']
        self.tables[text.splitlines()[0][1:]] = text
        return '', ''


NETWORK_INFO = [({'id': 1, 'cidr': '10.0.0.0/24', 'cidr_v6': None},
                 {'ips': [{'ip': '10.0.0.3'}], 'dhcp_server': '10.0.0.1'})]


def _driver(tmp_path):
    kernel = Recorder()
    manager = iptables.IptablesManager('nova-compute', kernel, str(tmp_path))
    return firewall.IptablesFirewallDriver(manager), kernel


def _chain(kernel, name):
    return [line for line in kernel.tables['filter'].splitlines()
            if line.startswith('-A %s ' % name)]


def test_instance_chain_in_diablo_order(tmp_path, set_flags):
    set_flags(allow_same_net_traffic=True, use_ipv6=False)
    driver, kernel = _driver(tmp_path)
    rules = [{'protocol': 'tcp', 'from_port': 22, 'to_port': 22,
              'cidr': '0.0.0.0/0'},
             {'protocol': 'udp', 'from_port': 1000, 'to_port': 2000,
              'cidr': '192.0.2.0/24'},
             {'protocol': 'icmp', 'from_port': 8, 'to_port': -1,
              'cidr': '10.1.0.0/16'},
             {'protocol': 'icmp', 'from_port': 3, 'to_port': 4,
              'cidr': '10.2.0.9/32'},
             {'protocol': 'icmp', 'from_port': -1, 'to_port': -1,
              'cidr': '10.3.0.0/16'},
             {'protocol': 'tcp', 'from_port': 80, 'to_port': 80,
              'cidr': 'fd00::/64'}]
    driver.prepare_instance_filter({'id': 7}, NETWORK_INFO, rules)
    assert _chain(kernel, 'nova-compute-local') == [
        '-A nova-compute-local -d 10.0.0.3 -j nova-compute-inst-7']
    assert _chain(kernel, 'nova-compute-inst-7') == [
        '-A nova-compute-inst-7 -m state --state INVALID -j DROP',
        '-A nova-compute-inst-7 -m state --state ESTABLISHED,RELATED '
        '-j ACCEPT',
        '-A nova-compute-inst-7 -j nova-compute-provider',
        '-A nova-compute-inst-7 -s 10.0.0.1 -p udp --sport 67 --dport 68 '
        '-j ACCEPT',
        '-A nova-compute-inst-7 -s 10.0.0.0/24 -j ACCEPT',
        '-A nova-compute-inst-7 -j ACCEPT -p tcp --dport 22 -s 0.0.0.0/0',
        '-A nova-compute-inst-7 -j ACCEPT -p udp -m multiport --dports '
        '1000:2000 -s 192.0.2.0/24',
        '-A nova-compute-inst-7 -j ACCEPT -p icmp -m icmp --icmp-type 8 '
        '-s 10.1.0.0/16',
        '-A nova-compute-inst-7 -j ACCEPT -p icmp -m icmp --icmp-type 3/4 '
        '-s 10.2.0.9/32',
        '-A nova-compute-inst-7 -j ACCEPT -p icmp -s 10.3.0.0/16',
        '-A nova-compute-inst-7 -j nova-compute-sg-fallback']
    assert _chain(kernel, 'nova-compute-sg-fallback') == [
        '-A nova-compute-sg-fallback -j DROP']
    assert driver.instance_filter_exists({'id': 7}, NETWORK_INFO)


def test_refresh_replaces_and_unfilter_removes(tmp_path, set_flags):
    set_flags(allow_same_net_traffic=False, use_ipv6=False)
    driver, kernel = _driver(tmp_path)
    driver.prepare_instance_filter({'id': 7}, NETWORK_INFO, [
        {'protocol': 'tcp', 'from_port': 22, 'to_port': 22,
         'cidr': '0.0.0.0/0'}])
    driver.refresh_instance_filter({'id': 7}, NETWORK_INFO, [])
    chain = _chain(kernel, 'nova-compute-inst-7')
    assert not any('--dport 22' in line for line in chain)
    assert not any('10.0.0.0/24' in line for line in chain)
    assert len(_chain(kernel, 'nova-compute-local')) == 1
    driver.unfilter_instance({'id': 7}, NETWORK_INFO)
    assert 'inst-7' not in kernel.tables['filter']
    assert not driver.instance_filter_exists({'id': 7}, NETWORK_INFO)


def test_provider_rules_drop(tmp_path, set_flags):
    set_flags(use_ipv6=False)
    driver, kernel = _driver(tmp_path)
    driver.refresh_provider_fw_rules([
        {'protocol': 'tcp', 'from_port': 25, 'to_port': 25,
         'cidr': '203.0.113.0/24'}])
    assert _chain(kernel, 'nova-compute-provider') == [
        '-A nova-compute-provider -p tcp --dport 25 -s 203.0.113.0/24 '
        '-j DROP']
    driver.refresh_provider_fw_rules([])
    assert _chain(kernel, 'nova-compute-provider') == []
