"""EC2 elastic IPs through boto3 and the AWS CLI (FlatDHCP, fake network).

The cloud runs the FlatDHCPManager with ``--fake_network`` (the host side
of association is proven in tests/integration/network/): allocation,
describe with filters, association with a running instance, the errors of
bad requests, the floating_ips quota, and 100 concurrent AllocateAddress
calls that never hand out one address twice.  Also: security-group
changes made through EC2 reach the compute host's firewall driver.
"""

import concurrent.futures
import json

import botocore.exceptions
import pytest

from tests.functional.conftest import InProcessCloud, aws_cli_available

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]

POOL = ['203.0.113.%d' % n for n in range(1, 121)]


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    """A cloud on FlatDHCP with a pool of 120 floating IPs, quota 101."""
    import nova.quota  # noqa: F401 - defines quota_floating_ips
    instance = InProcessCloud(tmp_path_factory.mktemp('addr'), extra_flags={
        'network_manager': 'nova.network.manager.FlatDHCPManager',
        'fake_network': True, 'quota_floating_ips': 101})
    instance.start()

    def make_pool():
        from nova import context
        from nova import db
        db.floating_ip_bulk_create(context.get_admin_context(),
                                   [{'address': a} for a in POOL])
    instance.call_in_cloud(make_pool)
    yield instance
    instance.stop()


def _code(excinfo):
    return excinfo.value.response['Error']['Code']


def test_concurrent_allocations_quota_and_release(cloud):
    access, secret = cloud.create_user('alloc', 'allocproj')
    client = cloud.boto3_client(access, secret)

    def allocate(_n):
        # botocore clients are thread-safe: one client, 20 threads
        return client.allocate_address()['PublicIp']

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        got = list(pool.map(allocate, range(100)))
    assert len(got) == 100 and len(set(got)) == 100
    assert set(got) <= set(POOL)
    listed = client.describe_addresses()['Addresses']
    assert sorted(a['PublicIp'] for a in listed) == sorted(got)
    # one more fits the quota (101), the next does not
    client.allocate_address()
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.allocate_address()
    assert _code(err) == 'AddressLimitExceeded'
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        list(pool.map(lambda a: client.release_address(PublicIp=a), got))
    assert len(client.describe_addresses()['Addresses']) == 1


def test_associate_describe_and_bad_requests(cloud):
    access, secret = cloud.create_user('eip', 'eipproj')
    other_access, other_secret = cloud.create_user('eve', 'eveproj')
    client = cloud.boto3_client(access, secret)
    other = cloud.boto3_client(other_access, other_secret)
    ami = cloud.register_image('eip-image')
    instance_id = client.run_instances(
        ImageId=ami, MinCount=1, MaxCount=1,
        InstanceType='m1.tiny')['Instances'][0]['InstanceId']
    assert cloud.wait_for(lambda: client.describe_instances(
        InstanceIds=[instance_id])['Reservations'][0]['Instances'][0][
        'State']['Name'] == 'running', timeout=60)
    address = client.allocate_address()['PublicIp']
    spare = client.allocate_address()['PublicIp']
    client.associate_address(InstanceId=instance_id, PublicIp=address)
    found = client.describe_addresses(Filters=[
        {'Name': 'instance-id', 'Values': [instance_id]}])['Addresses']
    assert [(a['PublicIp'], a['InstanceId']) for a in found] == \
        [(address, instance_id)]
    found = client.describe_addresses(PublicIps=[spare])['Addresses']
    assert found[0].get('InstanceId', '') == ''

    cases = [
        (lambda: client.release_address(PublicIp=address),
         'InvalidIPAddress.InUse'),
        (lambda: client.associate_address(InstanceId=instance_id,
                                          PublicIp=address),
         'Resource.AlreadyAssociated'),
        (lambda: other.associate_address(InstanceId=instance_id,
                                         PublicIp=spare),
         'InvalidAddress.NotFound'),
        (lambda: other.release_address(PublicIp=spare),
         'InvalidAddress.NotFound'),
        (lambda: client.release_address(PublicIp='198.51.100.77'),
         'InvalidAddress.NotFound'),
        (lambda: client.release_address(PublicIp='not-an-ip'),
         'InvalidParameterValue'),
        (lambda: client.describe_addresses(Filters=[
            {'Name': 'bogus', 'Values': ['x']}]), 'InvalidParameterValue'),
    ]
    for call, code in cases:
        with pytest.raises(botocore.exceptions.ClientError) as err:
            call()
        assert _code(err) == code, code
    # An address mapped to nothing is already disassociated (AWS's answer
    # in EC2-classic); another project's stays not found.
    assert client.disassociate_address(PublicIp=spare)[
        'ResponseMetadata']['HTTPStatusCode'] == 200
    with pytest.raises(botocore.exceptions.ClientError) as err:
        other.disassociate_address(PublicIp=spare)
    assert _code(err) == 'InvalidAddress.NotFound'
    # nothing changed by the failures
    assert {a['PublicIp']: a.get('InstanceId', '') for a in
            client.describe_addresses()['Addresses']} == \
        {address: instance_id, spare: ''}

    client.disassociate_address(PublicIp=address)
    assert client.describe_addresses(PublicIps=[address])['Addresses'][0]\
        .get('InstanceId', '') == ''
    # terminating an instance disassociates its address
    client.associate_address(InstanceId=instance_id, PublicIp=spare)
    client.terminate_instances(InstanceIds=[instance_id])
    assert cloud.wait_for(lambda: client.describe_addresses(
        PublicIps=[spare])['Addresses'][0].get('InstanceId', '') == '',
        timeout=60)
    for ip in (address, spare):
        client.release_address(PublicIp=ip)
    assert client.describe_addresses()['Addresses'] == []


@pytest.mark.skipif(not aws_cli_available(),
                    reason='the aws command (awscli) is not installed')
def test_addresses_with_the_aws_cli(cloud):
    access, secret = cloud.create_user('cli', 'cliproj')

    def aws(*args, check=True):
        proc = cloud.aws_cli(access, secret, *args, check=check)
        return json.loads(proc.stdout) if check and proc.stdout.strip() \
            else proc

    address = aws('allocate-address')['PublicIp']
    listed = aws('describe-addresses', '--public-ips', address)
    assert [a['PublicIp'] for a in listed['Addresses']] == [address]
    aws('release-address', '--public-ip', address)
    bad = aws('release-address', '--public-ip', address, check=False)
    assert bad.returncode != 0
    assert 'InvalidAddress.NotFound' in bad.stderr


def test_security_group_changes_reach_the_compute_firewall(cloud):
    """AuthorizeSecurityGroupIngress / Revoke cast a refresh to the host of
    every member; its compute manager hands the resolved rules (source
    groups expanded to member addresses) to the hypervisor's firewall."""
    access, secret = cloud.create_user('sg', 'sgproj')
    client = cloud.boto3_client(access, secret)
    ami = cloud.register_image('sg-image')
    compute = [s for s in cloud.services
               if getattr(s, 'binary', None) == 'nova-compute'][0]
    seen = []
    compute.manager.driver.refresh_instance_security_rules = \
        lambda instance, network_info, rules: seen.append(
            (instance['id'], sorted(r['cidr'] for r in rules)))
    client.create_security_group(GroupName='web', Description='web')
    client.create_security_group(GroupName='peers', Description='peers')
    ids = []
    for group in ('web', 'peers'):
        ids.append(client.run_instances(
            ImageId=ami, MinCount=1, MaxCount=1, InstanceType='m1.tiny',
            SecurityGroups=[group])['Instances'][0]['InstanceId'])
    assert cloud.wait_for(lambda: all(
        r['Instances'][0]['State']['Name'] == 'running' for r in
        client.describe_instances(InstanceIds=ids)['Reservations']),
        timeout=60)
    web_id = int(ids[0][2:], 16)
    peer_ip = client.describe_instances(InstanceIds=[ids[1]])[
        'Reservations'][0]['Instances'][0]['PrivateIpAddress']
    del seen[:]
    client.authorize_security_group_ingress(
        GroupName='web', IpProtocol='tcp', FromPort=80, ToPort=80,
        CidrIp='0.0.0.0/0')
    assert cloud.wait_for(lambda: (web_id, ['0.0.0.0/0']) in seen)
    client.authorize_security_group_ingress(
        GroupName='web', IpPermissions=[{
            'IpProtocol': 'tcp', 'FromPort': 22, 'ToPort': 22,
            'UserIdGroupPairs': [{'GroupName': 'peers'}]}])
    assert cloud.wait_for(
        lambda: (web_id, ['0.0.0.0/0', '%s/32' % peer_ip]) in seen)
    client.revoke_security_group_ingress(
        GroupName='web', IpProtocol='tcp', FromPort=80, ToPort=80,
        CidrIp='0.0.0.0/0')
    assert cloud.wait_for(lambda: seen[-1] == (web_id,
                                               ['%s/32' % peer_ip]))
    client.terminate_instances(InstanceIds=ids)
