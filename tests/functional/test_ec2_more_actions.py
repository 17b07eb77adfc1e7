"""EC2 actions beyond Diablo and AWS's error codes, with boto3 (issue 14)."""

import botocore.exceptions
import pytest

from nova import crypto

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]


def _code(excinfo):
    return excinfo.value.response['Error']['Code']


def _fails(code, func, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        func(**kwargs)
    assert _code(exc) == code, (func, kwargs, exc.value.response)
    return exc.value.response['Error']['Message']


@pytest.fixture(scope='module')
def user(cloud):
    return cloud.boto3_client(*cloud.create_user('more', 'moreproj'))


@pytest.fixture(scope='module')
def instance_id(cloud, user):
    ami = cloud.register_image('more', project='moreproj')
    iid = user.run_instances(ImageId=ami, MinCount=1, MaxCount=1)[
        'Instances'][0]['InstanceId']
    yield iid
    user.terminate_instances(InstanceIds=[iid])


def test_get_password_data(user, instance_id):
    data = user.get_password_data(InstanceId=instance_id)
    assert data['InstanceId'] == instance_id
    assert data['PasswordData'] == '' and data['Timestamp']
    _fails('InvalidInstanceID.NotFound', user.get_password_data,
           InstanceId='i-7ffffff0')


def test_create_image_of_instance_store(user, instance_id):
    message = _fails('InvalidParameterValue', user.create_image,
                     InstanceId=instance_id, Name='snap-1')
    assert instance_id in message
    _fails('InvalidInstanceID.NotFound', user.create_image,
           InstanceId='i-7ffffff0', Name='snap-1')


def test_egress_is_vpc_only_and_revoke_missing_succeeds(user):
    gid = user.create_security_group(GroupName='eg', Description='d')[
        'GroupId']
    perm = [{'IpProtocol': 'tcp', 'FromPort': 22, 'ToPort': 22,
             'IpRanges': [{'CidrIp': '10.0.0.0/8'}]}]
    _fails('InvalidParameterValue', user.authorize_security_group_egress,
           GroupId=gid, IpPermissions=perm)
    _fails('InvalidParameterValue', user.revoke_security_group_egress,
           GroupId=gid, IpPermissions=perm)
    user.authorize_security_group_ingress(GroupId=gid, IpPermissions=perm)
    user.revoke_security_group_ingress(GroupId=gid, IpPermissions=perm)
    user.revoke_security_group_ingress(GroupId=gid, IpPermissions=perm)
    group = user.describe_security_groups(GroupIds=[gid])[
        'SecurityGroups'][0]
    assert group['IpPermissions'] == []
    user.delete_security_group(GroupId=gid)


def test_describe_instance_types(user):
    types = user.describe_instance_types()['InstanceTypes']
    by_name = {t['InstanceType']: t for t in types}
    assert by_name['m1.tiny']['MemoryInfo']['SizeInMiB'] == 512
    assert by_name['m1.large']['VCpuInfo']['DefaultVCpus'] == 4
    one = user.describe_instance_types(InstanceTypes=['m1.small'])[
        'InstanceTypes']
    assert [t['InstanceType'] for t in one] == ['m1.small']
    pages = list(user.get_paginator('describe_instance_types').paginate(
        PaginationConfig={'PageSize': 5}))
    assert sum(len(p['InstanceTypes']) for p in pages) == len(types)
    _fails('InvalidInstanceType', user.describe_instance_types,
           InstanceTypes=['m9.huge'])


def test_key_pair_ids_and_invalid_material(user):
    created = user.create_key_pair(KeyName='byid')
    key_id = created['KeyPairId']
    assert key_id.startswith('key-')
    found = user.describe_key_pairs(KeyPairIds=[key_id])['KeyPairs']
    assert [k['KeyName'] for k in found] == ['byid']
    _fails('InvalidKeyPair.NotFound', user.describe_key_pairs,
           KeyPairIds=['key-7ffffff0'])
    user.create_tags(Resources=[key_id], Tags=[{'Key': 'k', 'Value': 'v'}])
    tagged = user.describe_key_pairs(Filters=[
        {'Name': 'tag:k', 'Values': ['v']}])['KeyPairs']
    assert [k['KeyPairId'] for k in tagged] == [key_id]
    _fails('InvalidKey.Format', user.import_key_pair, KeyName='bad',
           PublicKeyMaterial=b'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQ== x')
    _fails('InvalidKey.Format', user.import_key_pair, KeyName='bad',
           PublicKeyMaterial=b'not a key')
    _priv, public, fingerprint = crypto.generate_key_pair(1024)
    imported = user.import_key_pair(KeyName='good',
                                    PublicKeyMaterial=public.encode())
    assert imported['KeyFingerprint'] == fingerprint
    user.delete_key_pair(KeyName='byid')
    assert user.describe_tags(Filters=[
        {'Name': 'resource-id', 'Values': [key_id]}])['Tags'] == []


def test_well_formed_unknown_ids_are_not_found(user):
    message = _fails('InvalidAMIID.NotFound', user.describe_images,
                     ImageIds=['ami-99999999'])
    assert message == "The image id 'ami-99999999' does not exist"
    _fails('InvalidAMIID.NotFound', user.describe_images,
           ImageIds=['ami-0123456789abcdef0'])
    _fails('InvalidAMIID.Malformed', user.describe_images,
           ImageIds=['ami-zzz'])
    message = _fails('InvalidInstanceID.NotFound', user.describe_instances,
                     InstanceIds=['i-99999999'])
    assert '[' not in message and 'i-99999999' in message
    _fails('InvalidInstanceID.NotFound', user.describe_instances,
           InstanceIds=['i-7ffffff0'])
    _fails('InvalidGroup.NotFound', user.describe_security_groups,
           GroupIds=['sg-99999999'])
