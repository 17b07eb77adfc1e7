"""ec2utils: names, ids, parameter unflattening, filters, states."""

import pytest

from nova import exception
from nova.api.ec2 import ec2utils


@pytest.mark.parametrize('camel,snake', [
    ('DescribeInstances', 'describe_instances'),
    ('DescribeInstancesV6', 'describe_instances_v6'),
    ('GetVncConsole', 'get_vnc_console'),
    ('CidrIp', 'cidr_ip'),
    ('SourceSecurityGroupOwnerId', 'source_security_group_owner_id'),
    ('InstanceId', 'instance_id'),
])
def test_camelcase_to_underscore(camel, snake):
    assert ec2utils.camelcase_to_underscore(camel) == snake


def test_underscore_to_camelcase():
    assert ec2utils.underscore_to_camelcase('public_ip') == 'publicIp'
    assert ec2utils.underscore_to_camelcase('InstanceId') == 'instanceId'
    assert ec2utils.underscore_to_camelcase('keyFingerprint') == \
        'keyFingerprint'


def test_unflatten_lists_sorted_numerically():
    args = ec2utils.unflatten({
        'InstanceId.10': 'i-a', 'InstanceId.2': 'i-2', 'InstanceId.1': 'i-1',
        'Filter.1.Name': 'instance-state-name', 'Filter.1.Value.1': 'running',
        'Filter.1.Value.2': 'pending', 'Filter.2.Name': 'key-name',
        'Filter.2.Value.1': 'k',
        'BlockDeviceMapping.1.Ebs.SnapshotId': 'snap-1',
        'IpPermissions.1.IpRanges.1.CidrIp': '10.0.0.0/8',
        'IpPermissions.1.Groups.1.GroupName': 'web',
        'Placement.AvailabilityZone': 'nova', 'MaxCount': '3'})
    assert args['instance_id'] == ['i-1', 'i-2', 'i-a']
    assert args['filter'] == [
        {'name': 'instance-state-name', 'value': ['running', 'pending']},
        {'name': 'key-name', 'value': ['k']}]
    assert args['block_device_mapping'] == [{'ebs': {'snapshot_id':
                                                     'snap-1'}}]
    assert args['ip_permissions'] == [{
        'ip_ranges': [{'cidr_ip': '10.0.0.0/8'}],
        'groups': [{'group_name': 'web'}]}]
    assert args['placement'] == {'availability_zone': 'nova'}
    assert args['max_count'] == '3'


def test_unflatten_conflict_is_invalid_parameter():
    with pytest.raises(exception.InvalidParameterValue):
        ec2utils.unflatten({'Filter': 'x', 'Filter.1.Name': 'y'})


def test_ids():
    assert ec2utils.instance_id_to_ec2(10) == 'i-0000000a'
    assert ec2utils.ec2_instance_id_to_id('i-0000000a') == 10
    for bad in ('i-xyz', 'garbage', 'ami-0000000a', 'i-', ''):
        with pytest.raises(ec2utils.InvalidInstanceIDMalformed) as info:
            ec2utils.ec2_instance_id_to_id(bad)
        assert info.value.ec2_code == 'InvalidInstanceID.Malformed'
    assert ec2utils.image_ec2_id(3, 'aki') == 'aki-00000003'
    assert ec2utils.image_ec2_id('x') == 'ami-00000000'
    assert ec2utils.ec2_image_id_to_id('ari-00000010') == ('ari', 16)
    with pytest.raises(ec2utils.InvalidAMIIDMalformed):
        ec2utils.ec2_image_id_to_id('i-00000001')
    assert ec2utils.group_ec2_id(5) == 'sg-00000005'
    assert ec2utils.ec2_group_id_to_id('sg-00000005') == 5
    assert ec2utils.ec2_group_id_to_id('5') == 5


def test_values():
    assert ec2utils.to_int('3', 'MaxCount', 1) == 3
    with pytest.raises(exception.InvalidParameterValue):
        ec2utils.to_int('three', 'MaxCount')
    with pytest.raises(exception.InvalidParameterValue):
        ec2utils.to_int('0', 'MaxCount', 1)
    assert ec2utils.to_bool('TRUE') is True
    assert ec2utils.decode_base64('aGVs\nbG8=') == b'hello'
    with pytest.raises(exception.InvalidParameterValue):
        ec2utils.decode_base64('!!! not base64 !!!')


def test_filters():
    filters = ec2utils.filters_from([{'name': 'key-name',
                                      'value': ['a*', 'zz']}])
    items = [{'k': 'abc'}, {'k': 'zz'}, {'k': 'b'}]
    got = ec2utils.apply_filters(items, filters,
                                 {'key-name': lambda i: i['k']})
    assert got == [{'k': 'abc'}, {'k': 'zz'}]
    with pytest.raises(exception.InvalidParameterValue):
        ec2utils.apply_filters(items, {'bogus': ['x']}, {})
    with pytest.raises(exception.MissingParameter):
        ec2utils.filters_from([{'value': ['x']}])


@pytest.mark.parametrize('vm,task,expected', [
    (None, 'scheduling', (0, 'pending')),
    ('building', 'spawning', (0, 'pending')),
    ('active', None, (16, 'running')),
    ('active', 'rebooting', (16, 'running')),
    ('active', 'deleting', (32, 'shutting-down')),
    ('deleted', None, (48, 'terminated')),
    ('active', 'stopping', (64, 'stopping')),
    ('stopped', None, (80, 'stopped')),
    ('error', None, (336, 'error')),
])
def test_instance_state(vm, task, expected):
    assert ec2utils.instance_state(vm, task) == expected


def test_bare_group_ids_beyond_the_database_are_malformed():
    """The fuzzer's GroupId=99999999999999999999 once reached SQLite (500)."""
    assert ec2utils.ec2_group_id_to_id('42') == 42
    for text in ('99999999999999999999', '2147483648', '\u00b2'):
        with pytest.raises(ec2utils.InvalidGroupIdMalformed):
            ec2utils.ec2_group_id_to_id(text)
