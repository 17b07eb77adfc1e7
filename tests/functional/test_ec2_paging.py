"""MaxResults/NextToken paging with boto3 paginators and the AWS CLI
(issue 14): DescribeInstances, DescribeTags, DescribeImages and
DescribeSecurityGroups; AWS's range and combination errors; opaque, signed
tokens that stay valid while rows come and go.
"""

import json

import botocore.exceptions
import pytest

from tests.functional.conftest import InProcessCloud, aws_cli_available

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    """A cloud whose quotas let a project run a few dozen instances."""
    import nova.quota  # noqa: F401 - defines the quota flags set below
    instance = InProcessCloud(tmp_path_factory.mktemp('cloud'), extra_flags={
        'quota_instances': 100, 'quota_cores': 100,
        'quota_ram': 100 * 1024})
    instance.start()
    yield instance
    instance.stop()


def _code(excinfo):
    return excinfo.value.response['Error']['Code']


@pytest.fixture(scope='module')
def creds(cloud):
    return cloud.create_user('pager', 'pageproj')


@pytest.fixture(scope='module')
def user(cloud, creds):
    return cloud.boto3_client(*creds)


@pytest.fixture(scope='module')
def instance_ids(cloud, user):
    ami = cloud.register_image('paged', project='pageproj')
    ids = []
    for _ in range(3):
        res = user.run_instances(ImageId=ami, MinCount=4, MaxCount=4,
                                 InstanceType='m1.tiny')
        ids.extend(i['InstanceId'] for i in res['Instances'])
    return ids


def _ids(page):
    return [i['InstanceId'] for r in page['Reservations']
            for i in r['Instances']]


def test_instances_paginator_walks_all(user, instance_ids):
    pages = list(user.get_paginator('describe_instances').paginate(
        PaginationConfig={'PageSize': 5}))
    seen = [i for p in pages for i in _ids(p)]
    assert [len(_ids(p)) for p in pages] == [5, 5, 2]
    assert sorted(seen) == sorted(instance_ids)
    assert 'NextToken' not in pages[-1]
    # unpaged: everything, no token
    page = user.describe_instances(MaxResults=1000)
    assert sorted(_ids(page)) == sorted(instance_ids)
    assert 'NextToken' not in page


def test_instance_paging_errors(user, instance_ids):
    for kwargs, code in (({'MaxResults': 4}, 'InvalidParameterValue'),
                         ({'MaxResults': 1001}, 'InvalidParameterValue'),
                         ({'MaxResults': 5, 'InstanceIds': instance_ids[:1]},
                          'InvalidParameterCombination'),
                         ({'NextToken': 'garbage'}, 'InvalidParameterValue')):
        with pytest.raises(botocore.exceptions.ClientError) as exc:
            user.describe_instances(**kwargs)
        assert _code(exc) == code, kwargs
    token = user.describe_instances(MaxResults=5)['NextToken']
    body, _dot, sig = token.partition('.')
    forged = body + '.' + ('A' if sig[0] != 'A' else 'B') + sig[1:]
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        user.describe_instances(MaxResults=5, NextToken=forged)
    assert _code(exc) == 'InvalidParameterValue'
    # a token of one action is refused by another
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        user.describe_tags(MaxResults=5, NextToken=token)
    assert _code(exc) == 'InvalidParameterValue'


def test_token_stable_while_rows_change(cloud, user, instance_ids):
    first = user.describe_instances(MaxResults=5)
    ami = cloud.register_image('more', project='pageproj')
    new = user.run_instances(ImageId=ami, MinCount=1, MaxCount=1)
    new_id = new['Instances'][0]['InstanceId']
    rest = []
    token = first['NextToken']
    while token:
        page = user.describe_instances(MaxResults=5, NextToken=token)
        rest.extend(_ids(page))
        token = page.get('NextToken')
    # no row of page one repeats, and the new instance does not shift pages
    assert not set(rest) & set(_ids(first))
    assert new_id not in rest
    assert sorted(_ids(first) + rest) == sorted(instance_ids)
    user.terminate_instances(InstanceIds=[new_id])


def test_tags_paging(user, instance_ids):
    target = instance_ids[0]
    user.create_tags(Resources=[target],
                     Tags=[{'Key': 'k%02d' % n,
                            'Value': 'aaa' if n < 6 else 'bbb'}
                           for n in range(10)])
    flt = [{'Name': 'resource-id', 'Values': [target]}]
    first = user.describe_tags(MaxResults=5, Filters=flt)
    assert len(first['Tags']) == 5 and 'NextToken' in first
    second = user.describe_tags(MaxResults=5, Filters=flt,
                                NextToken=first['NextToken'])
    assert len(second['Tags']) == 5
    keys = [t['Key'] for t in first['Tags'] + second['Tags']]
    assert sorted(keys) == ['k%02d' % n for n in range(10)]
    # deleting everything between pages: the next page is just empty
    user.delete_tags(Resources=[target])
    third = user.describe_tags(MaxResults=5, Filters=flt,
                               NextToken=first['NextToken'])
    assert third['Tags'] == [] and 'NextToken' not in third
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        user.describe_tags(MaxResults=4)
    assert _code(exc) == 'InvalidParameterValue'
    assert 'Tags' in user.describe_tags(MaxResults=1100)


def test_groups_and_images_paging(cloud, user):
    for n in range(6):
        user.create_security_group(GroupName='pg%d' % n, Description='d')
    pages = list(user.get_paginator('describe_security_groups').paginate(
        PaginationConfig={'PageSize': 5}))
    names = [g['GroupName'] for p in pages for g in p['SecurityGroups']]
    assert len(pages) == 2
    assert sorted(names) == sorted(['default'] +
                                   ['pg%d' % n for n in range(6)])
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        user.describe_security_groups(MaxResults=5, GroupNames=['pg0'])
    assert _code(exc) == 'InvalidParameterCombination'
    for n in range(6):
        cloud.register_image('img%d' % n, project='pageproj', kernel=False)
    everything = sorted(i['ImageId']
                        for i in user.describe_images()['Images'])
    paged = []
    kwargs = {'MaxResults': 5}
    while True:
        page = user.describe_images(**kwargs)
        assert len(page['Images']) <= 5
        paged.extend(i['ImageId'] for i in page['Images'])
        if 'NextToken' not in page:
            break
        kwargs['NextToken'] = page['NextToken']
    assert sorted(paged) == everything and len(everything) >= 6


@pytest.mark.skipif(not aws_cli_available(), reason='the aws CLI is absent')
def test_aws_cli_pages(cloud, creds, instance_ids):
    out = cloud.aws_cli(*creds, 'describe-instances', '--page-size', '5',
                        '--query', 'Reservations[].Instances[].InstanceId')
    ids = json.loads(out.stdout)
    assert set(instance_ids) <= set(ids) and len(ids) == len(set(ids))
