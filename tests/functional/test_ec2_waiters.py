"""Clients' waiters work: terminated instances stay visible as
``terminated`` (48) and DescribeInstanceStatus reports running instances
``ok`` -- boto3's waiters and ``aws ec2 wait``."""

import json

import botocore.exceptions
import pytest

from tests.functional.conftest import aws_cli_available

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]

FAST = {'Delay': 1, 'MaxAttempts': 60}


@pytest.fixture(scope='module')
def account(cloud):
    access, secret = cloud.create_user('walter', 'waiting')
    return access, secret, cloud.register_image('waiter-image')


def _launch(client, ami, count=2):
    res = client.run_instances(ImageId=ami, MinCount=count, MaxCount=count,
                               InstanceType='m1.tiny')
    return [i['InstanceId'] for i in res['Instances']]


def test_boto3_waiters(cloud, account):
    access, secret, ami = account
    client = cloud.boto3_client(access, secret)
    ids = _launch(client, ami)
    client.get_waiter('instance_running').wait(InstanceIds=ids,
                                               WaiterConfig=FAST)
    client.get_waiter('instance_status_ok').wait(InstanceIds=ids,
                                                 WaiterConfig=FAST)
    statuses = client.describe_instance_status(
        InstanceIds=ids)['InstanceStatuses']
    assert sorted(s['InstanceId'] for s in statuses) == sorted(ids)
    for status in statuses:
        assert status['InstanceState'] == {'Code': 16, 'Name': 'running'}
        assert status['InstanceStatus']['Status'] == 'ok'
        assert status['SystemStatus']['Status'] == 'ok'
        assert status['AvailabilityZone'] == 'nova'

    client.stop_instances(InstanceIds=ids[:1])
    client.get_waiter('instance_stopped').wait(InstanceIds=ids[:1],
                                               WaiterConfig=FAST)
    listed = client.describe_instance_status()['InstanceStatuses']
    assert [s['InstanceId'] for s in listed] == [ids[1]]
    every = client.describe_instance_status(
        IncludeAllInstances=True, InstanceIds=ids)['InstanceStatuses']
    by_id = dict((s['InstanceId'], s) for s in every)
    assert by_id[ids[0]]['InstanceState']['Name'] == 'stopped'
    assert by_id[ids[0]]['InstanceStatus']['Status'] == 'not-applicable'
    filtered = client.describe_instance_status(
        IncludeAllInstances=True,
        Filters=[{'Name': 'instance-state-name', 'Values': ['stopped']}])
    assert [s['InstanceId'] for s in filtered['InstanceStatuses']] == \
        [ids[0]]

    client.terminate_instances(InstanceIds=ids)
    client.get_waiter('instance_terminated').wait(InstanceIds=ids,
                                                  WaiterConfig=FAST)
    found = client.describe_instances(InstanceIds=ids)
    states = [i['State'] for r in found['Reservations']
              for i in r['Instances']]
    assert states == [{'Code': 48, 'Name': 'terminated'}] * 2
    by_filter = client.describe_instances(Filters=[
        {'Name': 'instance-state-name', 'Values': ['terminated']}])
    assert set(ids) <= set(i['InstanceId'] for r in
                           by_filter['Reservations'] for i in r['Instances'])
    # Terminated instances are not status-checked, and a bad id fails.
    assert client.describe_instance_status(
        InstanceIds=ids)['InstanceStatuses'] == []
    with pytest.raises(botocore.exceptions.ClientError) as info:
        client.describe_instance_status(InstanceIds=['i-0000beef'])
    assert info.value.response['Error']['Code'] == \
        'InvalidInstanceID.NotFound'
    with pytest.raises(botocore.exceptions.ClientError) as info:
        client.describe_instance_status(
            Filters=[{'Name': 'no-such-filter', 'Values': ['x']}])
    assert info.value.response['Error']['Code'] == 'InvalidParameterValue'


def test_terminated_hidden_after_the_visibility_window(cloud, account):
    access, secret, ami = account
    client = cloud.boto3_client(access, secret)
    [iid] = _launch(client, ami, 1)
    client.get_waiter('instance_running').wait(InstanceIds=[iid],
                                               WaiterConfig=FAST)
    client.terminate_instances(InstanceIds=[iid])
    client.get_waiter('instance_terminated').wait(InstanceIds=[iid],
                                                  WaiterConfig=FAST)
    cloud._set_flag('terminated_instance_visibility', 0)
    try:
        with pytest.raises(botocore.exceptions.ClientError) as info:
            client.describe_instances(InstanceIds=[iid])
        assert info.value.response['Error']['Code'] == \
            'InvalidInstanceID.NotFound'
    finally:
        cloud._set_flag('terminated_instance_visibility', 3600)


@pytest.mark.skipif(not aws_cli_available(),
                    reason='the aws command (awscli) is not installed')
def test_aws_cli_waiters(cloud, account):
    access, secret, ami = account

    def aws(*args):
        proc = cloud.aws_cli(access, secret, *args)
        return json.loads(proc.stdout) if proc.stdout.strip() else {}

    res = aws('run-instances', '--image-id', ami, '--count', '2',
              '--instance-type', 'm1.tiny')
    ids = [i['InstanceId'] for i in res['Instances']]
    aws('wait', 'instance-running', '--instance-ids', *ids)
    aws('wait', 'instance-status-ok', '--instance-ids', *ids)
    out = aws('describe-instance-status', '--instance-ids', *ids)
    assert {s['InstanceStatus']['Status']
            for s in out['InstanceStatuses']} == {'ok'}
    aws('terminate-instances', '--instance-ids', *ids)
    aws('wait', 'instance-terminated', '--instance-ids', *ids)
    out = aws('describe-instances', '--filters',
              'Name=instance-state-name,Values=terminated',
              '--instance-ids', *ids)
    assert sorted(i['InstanceId'] for r in out['Reservations']
                  for i in r['Instances']) == sorted(ids)
