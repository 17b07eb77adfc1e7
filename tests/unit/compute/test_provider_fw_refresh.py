"""Provider firewall rules on the compute side: casts, refresh, init."""

from nova import db
from nova.compute import security_groups


class RecordingFirewall(object):
    """A firewall driver that records the provider rules it is given."""

    def __init__(self):
        self.provider = []

    def refresh_provider_fw_rules(self, rules):
        self.provider.append(list(rules))

    def restore_filters(self, filters, provider_rules, keep=()):
        self.provider.append(list(provider_rules))


def _service(admin, host, topic, disabled=False):
    db.service_create(admin, {'host': host, 'binary': 'nova-%s' % topic,
                              'topic': topic, 'report_count': 0,
                              'disabled': disabled})


def test_trigger_casts_to_every_compute_host(admin, compute_api, casts):
    _service(admin, 'host-b', 'compute')
    _service(admin, 'host-a', 'compute', disabled=True)
    _service(admin, 'host-a', 'volume')
    _service(admin, 'net-1', 'network')
    assert compute_api.trigger_provider_fw_rules_refresh(admin) == [
        'host-a', 'host-b']
    assert casts.sent == [
        ('compute.host-a', 'refresh_provider_fw_rules', {}),
        ('compute.host-b', 'refresh_provider_fw_rules', {})]


def test_manager_refresh_reads_the_table(admin, compute):
    firewall = RecordingFirewall()
    compute.driver.firewall_driver = firewall
    db.provider_fw_rule_create(admin, {'protocol': 'tcp', 'from_port': 1,
                                       'to_port': 65535,
                                       'cidr': '203.0.113.0/24'})
    db.provider_fw_rule_create(admin, {'protocol': 'icmp', 'from_port': -1,
                                       'to_port': None,
                                       'cidr': '203.0.113.0/24'})
    assert compute.refresh_provider_fw_rules(admin) == 2
    assert firewall.provider == [[
        {'protocol': 'tcp', 'from_port': 1, 'to_port': 65535,
         'cidr': '203.0.113.0/24'},
        {'protocol': 'icmp', 'from_port': -1, 'to_port': None,
         'cidr': '203.0.113.0/24'}]]
    assert security_groups.provider_rules(admin) == firewall.provider[0]


def test_init_host_applies_the_provider_rules(admin, compute):
    firewall = RecordingFirewall()
    compute.driver.firewall_driver = firewall
    db.provider_fw_rule_create(admin, {'protocol': 'udp', 'from_port': 1,
                                       'to_port': 65535,
                                       'cidr': '198.51.100.0/24'})
    compute.init_host()
    assert firewall.provider == [[
        {'protocol': 'udp', 'from_port': 1, 'to_port': 65535,
         'cidr': '198.51.100.0/24'}]]
