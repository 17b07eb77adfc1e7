"""EC2 tags over real HTTP with boto3 and the AWS CLI (issue 14).

CreateTags/DeleteTags/DescribeTags on instances, images and security
groups; tagSet in the Describe answers; the tag filters; AWS's limits and
error codes; tags at RunInstances; tags gone with their resource.
"""

import json

import botocore.exceptions
import pytest

from tests.functional.conftest import aws_cli_available

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]


def _code(excinfo):
    return excinfo.value.response['Error']['Code']


@pytest.fixture(scope='module')
def creds(cloud):
    return cloud.create_user('tagger', 'tagproj')


@pytest.fixture(scope='module')
def user(cloud, creds):
    return cloud.boto3_client(*creds)


@pytest.fixture(scope='module')
def ami(cloud):
    return cloud.register_image('tagged', project='tagproj')


@pytest.fixture(scope='module')
def instance_id(user, ami):
    res = user.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                             InstanceType='m1.tiny')
    return res['Instances'][0]['InstanceId']


def _tags(user, **filters):
    return user.describe_tags(Filters=[{'Name': k, 'Values': v}
                                       for k, v in filters.items()])['Tags']


def test_instance_tags_roundtrip(user, instance_id):
    user.create_tags(Resources=[instance_id],
                     Tags=[{'Key': 'Name', 'Value': 'web'},
                           {'Key': 'env', 'Value': 'prod'}])
    got = _tags(user, **{'resource-id': [instance_id]})
    assert sorted((t['Key'], t['Value'], t['ResourceType'],
                   t['ResourceId']) for t in got) == [
        ('Name', 'web', 'instance', instance_id),
        ('env', 'prod', 'instance', instance_id)]
    inst = user.describe_instances(InstanceIds=[instance_id])[
        'Reservations'][0]['Instances'][0]
    assert {t['Key']: t['Value'] for t in inst['Tags']} == {
        'Name': 'web', 'env': 'prod'}
    # overwrite
    user.create_tags(Resources=[instance_id],
                     Tags=[{'Key': 'env', 'Value': 'dev'}])
    assert [t['Value'] for t in _tags(user, key=['env'],
                                      **{'resource-id': [instance_id]})] \
        == ['dev']
    # the tag filters of DescribeInstances
    for flt in ({'Name': 'tag:env', 'Values': ['dev']},
                {'Name': 'tag:env', 'Values': ['d*']},
                {'Name': 'tag-key', 'Values': ['Name']},
                {'Name': 'tag-value', 'Values': ['web']}):
        res = user.describe_instances(Filters=[flt])['Reservations']
        assert [i['InstanceId'] for r in res for i in r['Instances']] == \
            [instance_id], flt
    assert user.describe_instances(Filters=[
        {'Name': 'tag:env', 'Values': ['prod']}])['Reservations'] == []
    # delete by key and value: a wrong value keeps the tag
    user.delete_tags(Resources=[instance_id],
                     Tags=[{'Key': 'env', 'Value': 'prod'}])
    assert len(_tags(user, **{'resource-id': [instance_id]})) == 2
    user.delete_tags(Resources=[instance_id],
                     Tags=[{'Key': 'env', 'Value': 'dev'}])
    user.delete_tags(Resources=[instance_id], Tags=[{'Key': 'Name'}])
    assert _tags(user, **{'resource-id': [instance_id]}) == []


def test_image_and_group_tags(user, ami):
    group = user.create_security_group(GroupName='tagged-sg',
                                       Description='d')['GroupId']
    user.create_tags(Resources=[ami, group],
                     Tags=[{'Key': 'team', 'Value': 'blue'}])
    images = user.describe_images(Filters=[
        {'Name': 'tag:team', 'Values': ['blue']}])['Images']
    assert [i['ImageId'] for i in images] == [ami]
    assert images[0]['Tags'] == [{'Key': 'team', 'Value': 'blue'}]
    groups = user.describe_security_groups(Filters=[
        {'Name': 'tag-key', 'Values': ['team']}])['SecurityGroups']
    assert [g['GroupId'] for g in groups] == [group]
    types = sorted(t['ResourceType'] for t in _tags(user, key=['team']))
    assert types == ['image', 'security-group']
    assert [t['ResourceId'] for t in _tags(
        user, **{'resource-type': ['security-group']})] == [group]
    # tags go with their resource
    user.delete_security_group(GroupId=group)
    assert [t['ResourceId'] for t in _tags(user, key=['team'])] == [ami]
    user.delete_tags(Resources=[ami])
    assert _tags(user, key=['team']) == []


def test_limits_and_errors(user, instance_id):
    cases = [
        ([{'Key': 'k' * 129, 'Value': 'v'}], 'InvalidParameterValue'),
        ([{'Key': 'k', 'Value': 'v' * 257}], 'InvalidParameterValue'),
        ([{'Key': 'aws:x', 'Value': 'v'}], 'InvalidParameterValue'),
        ([{'Key': '', 'Value': 'v'}], 'InvalidParameterValue'),
        ([{'Key': 'k%d' % n, 'Value': 'v'} for n in range(51)],
         'TagLimitExceeded'),
    ]
    for tags, code in cases:
        with pytest.raises(botocore.exceptions.ClientError) as exc:
            user.create_tags(Resources=[instance_id], Tags=tags)
        assert _code(exc) == code
    assert _tags(user, **{'resource-id': [instance_id]}) == []
    user.create_tags(Resources=[instance_id],
                     Tags=[{'Key': 'k%d' % n, 'Value': 'v'}
                           for n in range(50)])
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        user.create_tags(Resources=[instance_id],
                         Tags=[{'Key': 'one-more', 'Value': 'v'}])
    assert _code(exc) == 'TagLimitExceeded'
    user.delete_tags(Resources=[instance_id])
    for rid, code in (('i-7ffffff0', 'InvalidInstanceID.NotFound'),
                      ('ami-7ffffff0', 'InvalidAMIID.NotFound'),
                      ('sg-7ffffff0', 'InvalidGroup.NotFound'),
                      ('bogus-1', 'InvalidID'), ('i-xyz', 'InvalidID')):
        with pytest.raises(botocore.exceptions.ClientError) as exc:
            user.create_tags(Resources=[rid],
                             Tags=[{'Key': 'k', 'Value': 'v'}])
        assert _code(exc) == code, rid
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        user.describe_tags(Filters=[{'Name': 'nope', 'Values': ['x']}])
    assert _code(exc) == 'InvalidParameterValue'


def test_other_projects_cannot_see_or_tag(cloud, user, instance_id):
    other = cloud.boto3_client(*cloud.create_user('eve', 'evil'))
    user.create_tags(Resources=[instance_id],
                     Tags=[{'Key': 'secret', 'Value': 's'}])
    assert other.describe_tags()['Tags'] == []
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        other.create_tags(Resources=[instance_id],
                          Tags=[{'Key': 'k', 'Value': 'v'}])
    assert _code(exc) == 'InvalidInstanceID.NotFound'
    user.delete_tags(Resources=[instance_id])


def test_tag_specifications_and_terminate(cloud, user, ami):
    res = user.run_instances(
        ImageId=ami, MinCount=2, MaxCount=2, InstanceType='m1.tiny',
        TagSpecifications=[{'ResourceType': 'instance',
                            'Tags': [{'Key': 'role', 'Value': 'db'}]}])
    ids = [i['InstanceId'] for i in res['Instances']]
    assert all(i['Tags'] == [{'Key': 'role', 'Value': 'db'}]
               for i in res['Instances'])
    assert sorted(t['ResourceId'] for t in _tags(user, key=['role'])) == \
        sorted(ids)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        user.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                           TagSpecifications=[{
                               'ResourceType': 'instance',
                               'Tags': [{'Key': 'aws:x', 'Value': 'v'}]}])
    assert _code(exc) == 'InvalidParameterValue'
    user.terminate_instances(InstanceIds=ids)

    def gone():
        return _tags(user, key=['role']) == []
    assert cloud.wait_for(gone, timeout=60)


@pytest.mark.skipif(not aws_cli_available(), reason='the aws CLI is absent')
def test_aws_cli_tags(cloud, creds, instance_id):
    cloud.aws_cli(*creds, 'create-tags', '--resources', instance_id,
                  '--tags', 'Key=cli,Value=yes')
    out = cloud.aws_cli(*creds, 'describe-tags', '--filters',
                        'Name=key,Values=cli')
    tags = json.loads(out.stdout)['Tags']
    assert [(t['ResourceId'], t['Value']) for t in tags] == [
        (instance_id, 'yes')]
    cloud.aws_cli(*creds, 'delete-tags', '--resources', instance_id,
                  '--tags', 'Key=cli')
    out = cloud.aws_cli(*creds, 'describe-tags', '--filters',
                        'Name=key,Values=cli')
    assert json.loads(out.stdout)['Tags'] == []
