"""Tags and MaxResults/NextToken paging on volumes and snapshots through
boto3: tagSet in DescribeVolumes/DescribeSnapshots, the tag filters there,
keyset pages with AWS's rules, TagSpecifications at CreateVolume and
CreateSnapshot, and tags going away with their volume or snapshot."""

import uuid

import botocore.exceptions
import pytest

from tests.functional.conftest import InProcessCloud

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]


@pytest.fixture(scope='module')
def vcloud(tmp_path_factory):
    import nova.quota  # noqa: F401 - defines the quota flags set below
    cloud = InProcessCloud(
        tmp_path_factory.mktemp('vtags'), volume_hosts=1,
        extra_flags={'volume_driver': 'nova.volume.driver.FakeISCSIDriver',
                     'iscsi_num_targets': 30, 'quota_volumes': 30,
                     'quota_gigabytes': 100})
    cloud.start()
    yield cloud
    cloud.stop()


def _client(cloud):
    project = 'vt-%s' % uuid.uuid4().hex[:6]
    return cloud.boto3_client(*cloud.create_user('u' + project, project))


@pytest.fixture(scope='module')
def client(vcloud):
    return _client(vcloud)


def _code(excinfo):
    return excinfo.value.response['Error']['Code']


def _wait(cloud, fetch, state):
    assert cloud.wait_for(lambda: fetch()['State'] == state,
                          timeout=30), fetch()


def _volume(client, volume_id):
    return client.describe_volumes(VolumeIds=[volume_id])['Volumes'][0]


def _snapshot(client, snapshot_id):
    return client.describe_snapshots(
        SnapshotIds=[snapshot_id])['Snapshots'][0]


def _new_volume(cloud, client, **kwargs):
    volume_id = client.create_volume(Size=1, AvailabilityZone='nova',
                                     **kwargs)['VolumeId']
    _wait(cloud, lambda: _volume(client, volume_id), 'available')
    return volume_id


def _new_snapshot(cloud, client, volume_id, **kwargs):
    snapshot_id = client.create_snapshot(VolumeId=volume_id,
                                         **kwargs)['SnapshotId']
    _wait(cloud, lambda: _snapshot(client, snapshot_id), 'completed')
    return snapshot_id


@pytest.fixture(scope='module')
def volumes(vcloud, client):
    """Seven volumes of one project, the odd ones tagged color=red."""
    ids = [_new_volume(vcloud, client) for _ in range(7)]
    client.create_tags(Resources=ids[1::2],
                       Tags=[{'Key': 'color', 'Value': 'red'}])
    client.create_tags(Resources=ids[0::2],
                       Tags=[{'Key': 'color', 'Value': 'blue'}])
    return ids


@pytest.fixture(scope='module')
def snapshots(vcloud, client, volumes):
    """Six completed snapshots of the first volume, the first two tagged."""
    ids = [_new_snapshot(vcloud, client, volumes[0]) for _ in range(6)]
    client.create_tags(Resources=ids[:2], Tags=[{'Key': 'keep',
                                                'Value': 'yes'}])
    return ids


def _tags(item):
    return dict((t['Key'], t['Value']) for t in item.get('Tags', []))


def test_volume_tag_set_and_tag_filters(client, volumes):
    assert _tags(_volume(client, volumes[1])) == {'color': 'red'}
    found = client.describe_volumes(Filters=[
        {'Name': 'tag:color', 'Values': ['red']}])['Volumes']
    assert sorted(v['VolumeId'] for v in found) == sorted(volumes[1::2])
    assert all(_tags(v) == {'color': 'red'} for v in found)
    found = client.describe_volumes(Filters=[
        {'Name': 'tag-value', 'Values': ['bl*']}])['Volumes']
    assert sorted(v['VolumeId'] for v in found) == sorted(volumes[0::2])
    found = client.describe_volumes(Filters=[
        {'Name': 'tag-key', 'Values': ['color']},
        {'Name': 'status', 'Values': ['available']}])['Volumes']
    assert set(volumes) <= set(v['VolumeId'] for v in found)
    assert client.describe_volumes(Filters=[
        {'Name': 'tag:color', 'Values': ['green']}])['Volumes'] == []
    found = client.describe_volumes(VolumeIds=volumes[:2], Filters=[
        {'Name': 'tag:color', 'Values': ['red']}])['Volumes']
    assert [v['VolumeId'] for v in found] == [volumes[1]]


def test_describe_tags_by_volume_type(client, volumes):
    found = client.describe_tags(Filters=[
        {'Name': 'resource-type', 'Values': ['volume']},
        {'Name': 'value', 'Values': ['red']}])['Tags']
    assert sorted(t['ResourceId'] for t in found) == sorted(volumes[1::2])
    assert all(t['ResourceType'] == 'volume' for t in found)


def test_volume_pages_walk_everything_once(client, volumes):
    pages = list(client.get_paginator('describe_volumes').paginate(
        PaginationConfig={'PageSize': 5}))
    seen = [v['VolumeId'] for p in pages for v in p['Volumes']]
    assert len(pages) == 2 and len(pages[0]['Volumes']) == 5
    assert 'NextToken' in pages[0] and 'NextToken' not in pages[-1]
    assert seen == sorted(volumes)
    assert all('Tags' in v for v in pages[0]['Volumes'])


def test_volume_pages_with_a_filter_are_full(client, volumes):
    first = client.describe_volumes(MaxResults=5, Filters=[
        {'Name': 'tag:color', 'Values': ['blue', 'red']},
        {'Name': 'size', 'Values': ['1']}])
    assert len(first['Volumes']) == 5
    rest = client.describe_volumes(MaxResults=5, Filters=[
        {'Name': 'tag:color', 'Values': ['blue', 'red']},
        {'Name': 'size', 'Values': ['1']}], NextToken=first['NextToken'])
    assert 'NextToken' not in rest
    assert [v['VolumeId'] for v in first['Volumes'] + rest['Volumes']] == \
        sorted(volumes)


def test_volume_pages_stay_stable_while_rows_change(vcloud, client,
                                                    volumes):
    first = client.describe_volumes(MaxResults=5)
    extra = _new_volume(vcloud, client)
    try:
        rest = client.describe_volumes(MaxResults=5,
                                       NextToken=first['NextToken'])
        ids = [v['VolumeId'] for v in first['Volumes'] + rest['Volumes']]
        assert ids == sorted(volumes + [extra])
        assert len(set(ids)) == len(ids)
    finally:
        client.delete_volume(VolumeId=extra)


@pytest.mark.parametrize('kwargs,code', [
    ({'MaxResults': 4}, 'InvalidParameterValue'),
    ({'NextToken': 'not-a-token'}, 'InvalidParameterValue'),
])
def test_volume_paging_errors(client, volumes, kwargs, code):
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.describe_volumes(**kwargs)
    assert _code(err) == code


def test_paging_with_ids_is_a_bad_combination(client, volumes, snapshots):
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.describe_volumes(VolumeIds=volumes[:1], MaxResults=5)
    assert _code(err) == 'InvalidParameterCombination'
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.describe_snapshots(SnapshotIds=snapshots[:1], MaxResults=5)
    assert _code(err) == 'InvalidParameterCombination'


def test_tokens_are_bound_to_their_action(client, volumes, snapshots):
    token = client.describe_volumes(MaxResults=5)['NextToken']
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.describe_snapshots(MaxResults=5, NextToken=token)
    assert _code(err) == 'InvalidParameterValue'


def test_snapshot_tags_filters_and_pages(client, snapshots):
    assert _tags(_snapshot(client, snapshots[0])) == {'keep': 'yes'}
    found = client.describe_snapshots(Filters=[
        {'Name': 'tag:keep', 'Values': ['yes']}])['Snapshots']
    assert sorted(s['SnapshotId'] for s in found) == sorted(snapshots[:2])
    found = client.describe_snapshots(OwnerIds=['self'], Filters=[
        {'Name': 'tag-key', 'Values': ['keep']}])['Snapshots']
    assert len(found) == 2
    pages = list(client.get_paginator('describe_snapshots').paginate(
        OwnerIds=['self'], PaginationConfig={'PageSize': 5}))
    assert [len(p['Snapshots']) for p in pages] == [5, 1]
    assert [s['SnapshotId'] for p in pages for s in p['Snapshots']] == \
        sorted(snapshots)
    # DescribeSnapshots clamps a MaxResults above 1000, as AWS does.
    assert len(client.describe_snapshots(
        MaxResults=5000)['Snapshots']) == len(snapshots)


def test_tag_specifications_at_create(vcloud, client):
    created = client.create_volume(
        Size=1, AvailabilityZone='nova', TagSpecifications=[{
            'ResourceType': 'volume',
            'Tags': [{'Key': 'Name', 'Value': 'data'}]}])
    assert _tags(created) == {'Name': 'data'}
    volume_id = created['VolumeId']
    _wait(vcloud, lambda: _volume(client, volume_id), 'available')
    assert _tags(_volume(client, volume_id)) == {'Name': 'data'}
    snap = client.create_snapshot(VolumeId=volume_id, TagSpecifications=[{
        'ResourceType': 'snapshot', 'Tags': [{'Key': 'when', 'Value': 'now'}]}])
    assert _tags(snap) == {'when': 'now'}
    _wait(vcloud, lambda: _snapshot(client, snap['SnapshotId']), 'completed')
    assert _tags(_snapshot(client, snap['SnapshotId'])) == {'when': 'now'}
    before = len(client.describe_volumes()['Volumes'])
    for bad, code in ((('instance', 'a', 'b'), 'InvalidParameterValue'),
                      (('volume', 'aws:x', 'b'), 'InvalidParameterValue')):
        with pytest.raises(botocore.exceptions.ClientError) as err:
            client.create_volume(Size=1, AvailabilityZone='nova',
                                 TagSpecifications=[{
                                     'ResourceType': bad[0],
                                     'Tags': [{'Key': bad[1],
                                               'Value': bad[2]}]}])
        assert _code(err) == code
    assert len(client.describe_volumes()['Volumes']) == before
    client.delete_snapshot(SnapshotId=snap['SnapshotId'])
    client.delete_volume(VolumeId=volume_id)


def test_tags_go_with_their_volume_and_snapshot(vcloud, client):
    volume_id = _new_volume(vcloud, client)
    snapshot_id = _new_snapshot(vcloud, client, volume_id)
    client.create_tags(Resources=[volume_id, snapshot_id],
                       Tags=[{'Key': 'doomed', 'Value': '1'}])

    def tagged():
        return sorted(t['ResourceId'] for t in client.describe_tags(
            Filters=[{'Name': 'key', 'Values': ['doomed']}])['Tags'])
    assert tagged() == sorted([volume_id, snapshot_id])
    client.delete_snapshot(SnapshotId=snapshot_id)
    assert vcloud.wait_for(lambda: tagged() == [volume_id], timeout=30), \
        tagged()
    client.delete_volume(VolumeId=volume_id)
    assert vcloud.wait_for(lambda: tagged() == [], timeout=30), tagged()


def test_other_projects_neither_see_nor_tag(vcloud, client, volumes,
                                            snapshots):
    other = _client(vcloud)
    assert other.describe_volumes(Filters=[
        {'Name': 'tag:color', 'Values': ['red']}])['Volumes'] == []
    assert other.describe_volumes(MaxResults=5)['Volumes'] == []
    for resource, code in ((volumes[0], 'InvalidVolume.NotFound'),
                           (snapshots[0], 'InvalidSnapshot.NotFound')):
        with pytest.raises(botocore.exceptions.ClientError) as err:
            other.create_tags(Resources=[resource],
                              Tags=[{'Key': 'x', 'Value': 'y'}])
        assert _code(err) == code


def test_describe_tags_takes_the_tag_filters_and_pages(vcloud, client):
    volume_id = _new_volume(vcloud, client)
    for n in range(10):
        client.create_tags(Resources=[volume_id], Tags=[{
            'Key': 'k%02d' % n, 'Value': 'aaa' if n < 6 else 'bbb'}])
    mine = {'Name': 'resource-id', 'Values': [volume_id]}
    first = client.describe_tags(MaxResults=5, Filters=[
        mine, {'Name': 'tag-value', 'Values': ['aaa']}])
    assert len(first['Tags']) == 5 and 'NextToken' in first
    rest = client.describe_tags(NextToken=first['NextToken'], Filters=[
        mine, {'Name': 'tag-value', 'Values': ['aaa']}])
    assert 'NextToken' not in rest
    assert sorted(t['Key'] for t in first['Tags'] + rest['Tags']) == \
        ['k%02d' % n for n in range(6)]
    found = client.describe_tags(Filters=[
        mine, {'Name': 'tag-key', 'Values': ['k0*']}])['Tags']
    assert len(found) == 10
    found = client.describe_tags(Filters=[
        mine, {'Name': 'tag:k07', 'Values': ['b*']}])['Tags']
    assert [(t['Key'], t['Value']) for t in found] == [('k07', 'bbb')]
    assert client.describe_tags(Filters=[
        mine, {'Name': 'tag:k07', 'Values': ['aaa']}])['Tags'] == []
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client.describe_tags(Filters=[{'Name': 'colour', 'Values': ['x']}])
    assert _code(err) == 'InvalidParameterValue'
    client.delete_volume(VolumeId=volume_id)


def test_volume_max_results_above_500_is_clamped(client, volumes):
    """AWS answers at most 500 volumes a page (the AWS CLI asks for 1000)."""
    answer = client.describe_volumes(MaxResults=1000)
    assert len(answer['Volumes']) >= len(volumes)
