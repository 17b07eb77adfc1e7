"""EC2 admin actions on provider firewall rules (BlockExternalAddresses)."""

import pytest

from nova import context
from nova import db
from nova import rpc

ADMIN = {'user': 'admin', 'project': 'admin', 'path': '/services/Admin/'}


@pytest.fixture
def casts(monkeypatch):
    """rpc.cast recorded as (topic, method, args)."""
    sent = []
    monkeypatch.setattr(rpc, 'cast', lambda c, topic, msg: sent.append(
        (topic, msg['method'], msg['args'])))
    return sent


@pytest.fixture
def hosts(ec2):
    ctxt = context.get_admin_context()
    for host in ('cpu-1', 'cpu-2'):
        db.service_create(ctxt, {'host': host, 'binary': 'nova-compute',
                                 'topic': 'compute', 'report_count': 0})
    return ['cpu-1', 'cpu-2']


def _text(result, tag):
    return [node.text for node in result.xml.iter()
            if node.tag.split('}')[-1] == tag]


def _rules():
    return sorted((r['protocol'], r['from_port'], r['to_port'], r['cidr'])
                  for r in db.provider_fw_rule_get_all(
                      context.get_admin_context()))


def test_block_adds_three_rules_and_refreshes_every_host(ec2, hosts, casts):
    result = ec2.call('BlockExternalAddresses', {'Cidr': '203.0.113.0/24'},
                      **ADMIN)
    assert result.status == 200, result.body
    assert _text(result, 'status') == ['OK']
    assert _text(result, 'message') == ['Added 3 rules']
    assert _rules() == [('icmp', -1, None, '203.0.113.0/24'),
                        ('tcp', 1, 65535, '203.0.113.0/24'),
                        ('udp', 1, 65535, '203.0.113.0/24')]
    assert casts == [('compute.cpu-1', 'refresh_provider_fw_rules', {}),
                     ('compute.cpu-2', 'refresh_provider_fw_rules', {})]


def test_a_duplicate_block_is_refused_and_not_doubled(ec2, hosts, casts):
    ec2.call('BlockExternalAddresses', {'Cidr': '203.0.113.0/24'}, **ADMIN)
    del casts[:]
    # the same network written with host bits is the same block
    result = ec2.call('BlockExternalAddresses', {'Cidr': '203.0.113.9/24'},
                      **ADMIN)
    assert result.status == 400
    assert result.error_code == 'ApiError'
    assert _text(result, 'Message') == ['Duplicate rule']
    assert len(_rules()) == 3
    assert casts == []


@pytest.mark.parametrize('cidr', ['banana', '10.0.0.0/33', '300.1.2.3/8',
                                  '10.0.0.0/8; rm -rf /', '-s 0/0'])
def test_a_bad_cidr_is_invalid_parameter_value(ec2, hosts, casts, cidr):
    result = ec2.call('BlockExternalAddresses', {'Cidr': cidr}, **ADMIN)
    assert result.status == 400, result.body
    assert result.error_code == 'InvalidParameterValue'
    assert 'Cidr' in _text(result, 'Message')[0]
    assert b'Traceback' not in result.body
    assert _rules() == [] and casts == []


def test_a_missing_cidr_is_missing_parameter(ec2, hosts, casts):
    result = ec2.call('BlockExternalAddresses', {}, **ADMIN)
    assert result.status == 400
    assert result.error_code == 'MissingParameter'
    assert _rules() == []


def test_not_for_non_admins(ec2, hosts, casts):
    result = ec2.call('BlockExternalAddresses', {'Cidr': '203.0.113.0/24'},
                      user='alice', project='proj', path='/services/Admin/')
    assert result.status in (401, 403)
    assert _rules() == [] and casts == []


def test_describe_and_remove(ec2, hosts, casts):
    for cidr in ('198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32'):
        ec2.call('BlockExternalAddresses', {'Cidr': cidr}, **ADMIN)
    result = ec2.call('DescribeExternalAddressBlocks', {}, **ADMIN)
    assert result.status == 200, result.body
    assert _text(result, 'cidr') == ['198.51.100.0/24', '2001:db8::/32',
                                     '203.0.113.0/24']
    del casts[:]
    result = ec2.call('RemoveExternalAddressBlock',
                      {'Cidr': '203.0.113.0/24'}, **ADMIN)
    assert _text(result, 'message') == ['Deleted 3 rules']
    assert [r[3] for r in _rules()].count('203.0.113.0/24') == 0
    assert len(casts) == 2
    result = ec2.call('RemoveExternalAddressBlock', {'Cidr': 'nope'}, **ADMIN)
    assert result.error_code == 'InvalidParameterValue'
