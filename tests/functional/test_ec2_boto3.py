"""The EC2 API driven by boto3 over real HTTP against an in-process cloud.

The admin manual's flow (key pair, run -n 3 m1.tiny, wait for running,
describe with filters, console output, reboot, terminate, gone), project
isolation, and bad input answered with EC2's error codes leaving nothing
behind.
"""

import base64

import botocore.exceptions
import pytest

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]


def _code(excinfo):
    return excinfo.value.response['Error']['Code']


def _instances(client, **kwargs):
    """The instances not yet terminated (terminated ones stay visible for
    --terminated_instance_visibility seconds)."""
    return [i for r in client.describe_instances(**kwargs)['Reservations']
            for i in r['Instances'] if i['State']['Name'] != 'terminated']


def _try(func, **kwargs):
    try:
        func(**kwargs)
    except botocore.exceptions.ClientError as exc:
        if exc.response['Error']['Code'] != 'IncorrectInstanceState':
            raise
        return False
    return True


def _states(client, ids):
    return {i['InstanceId']: i['State']['Name']
            for r in client.describe_instances(
                InstanceIds=ids)['Reservations'] for i in r['Instances']}


@pytest.fixture(scope='module')
def user(cloud):
    access, secret = cloud.create_user('alice', 'alpha')
    return cloud.boto3_client(access, secret)


@pytest.fixture(scope='module')
def ami(cloud):
    return cloud.register_image('cirros')


def test_manual_flow(cloud, user, ami):
    key = user.create_key_pair(KeyName='mykey')
    assert key['KeyMaterial'].startswith('-----BEGIN')
    zones = user.describe_availability_zones()['AvailabilityZones']
    assert zones[0]['ZoneName'] == 'nova'
    assert ami in [i['ImageId'] for i in user.describe_images()['Images']]

    user_data = b'#!/bin/sh\necho hello\n'
    res = user.run_instances(ImageId=ami, MinCount=3, MaxCount=3,
                             InstanceType='m1.tiny', KeyName='mykey',
                             UserData=user_data.decode())
    assert res['ReservationId'].startswith('r-')
    assert res['OwnerId'] == 'alpha'
    ids = [i['InstanceId'] for i in res['Instances']]
    assert len(ids) == 3 and all(i.startswith('i-') for i in ids)
    assert sorted(i['AmiLaunchIndex'] for i in res['Instances']) == [0, 1, 2]
    assert all(i['State']['Name'] == 'pending' for i in res['Instances'])

    assert cloud.wait_for(lambda: set(_states(user, ids).values()) ==
                          {'running'})
    found = _instances(user, InstanceIds=ids)
    for inst in found:
        assert inst['State'] == {'Code': 16, 'Name': 'running'}
        assert inst['InstanceType'] == 'm1.tiny'
        assert inst['KeyName'] == 'mykey'
        assert inst['ImageId'] == ami
        assert inst['KernelId'].startswith('aki-')
        assert inst['RamdiskId'].startswith('ari-')
        assert inst['Placement']['AvailabilityZone'] == 'nova'
        assert inst['PrivateIpAddress'].startswith('10.0.')
        assert inst['LaunchTime'].year > 2000
    assert len(set(i['PrivateIpAddress'] for i in found)) == 3
    reservations = user.describe_instances()['Reservations']
    assert [len(r['Instances']) for r in reservations] == [3]

    # Filters.
    assert len(_instances(user, Filters=[
        {'Name': 'instance-state-name', 'Values': ['running']}])) == 3
    assert _instances(user, Filters=[
        {'Name': 'instance-state-name', 'Values': ['stopped']}]) == []
    assert [i['InstanceId'] for i in _instances(user, Filters=[
        {'Name': 'instance-id', 'Values': [ids[1]]}])] == [ids[1]]
    assert len(_instances(user, Filters=[
        {'Name': 'key-name', 'Values': ['mykey']},
        {'Name': 'availability-zone', 'Values': ['nova']},
        {'Name': 'reservation-id', 'Values': [res['ReservationId']]}])) == 3
    # Tag filters work (issue 14): nothing is tagged red.
    assert _instances(user, Filters=[{'Name': 'tag:color',
                                      'Values': ['red']}]) == []
    with pytest.raises(botocore.exceptions.ClientError) as info:
        user.describe_instances(Filters=[{'Name': 'no-such-filter',
                                          'Values': ['red']}])
    assert _code(info) == 'InvalidParameterValue'

    attr = user.describe_instance_attribute(InstanceId=ids[0],
                                            Attribute='userData')
    assert base64.b64decode(attr['UserData']['Value']) == user_data
    attr = user.describe_instance_attribute(InstanceId=ids[0],
                                            Attribute='instanceType')
    assert attr['InstanceType']['Value'] == 'm1.tiny'

    console = user.get_console_output(InstanceId=ids[0])
    assert console['InstanceId'] == ids[0]
    assert console['Output']
    assert console['Timestamp'].year > 2000

    user.reboot_instances(InstanceIds=ids)
    assert cloud.wait_for(lambda: set(_states(user, ids).values()) ==
                          {'running'})

    # The reboot may still be in progress (task_state): retry the stop.
    assert cloud.wait_for(lambda: _try(user.stop_instances,
                                       InstanceIds=[ids[0]]))
    assert cloud.wait_for(lambda: _states(user, [ids[0]])[ids[0]] ==
                          'stopped')
    started = user.start_instances(InstanceIds=[ids[0]])
    assert started['StartingInstances'][0]['PreviousState']['Name'] == \
        'stopped'
    assert cloud.wait_for(lambda: _states(user, [ids[0]])[ids[0]] ==
                          'running')

    out = user.terminate_instances(InstanceIds=ids)['TerminatingInstances']
    assert sorted(i['InstanceId'] for i in out) == sorted(ids)
    assert all(i['CurrentState']['Name'] == 'shutting-down' for i in out)
    assert cloud.wait_for(lambda: _instances(user) == [])
    assert _states(user, ids) == dict((i, 'terminated') for i in ids)


def test_isolation_between_projects(cloud, user, ami):
    access, secret = cloud.create_user('mallory', 'other')
    other = cloud.boto3_client(access, secret)
    res = user.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                             InstanceType='m1.tiny')
    victim = res['Instances'][0]['InstanceId']
    try:
        assert _instances(other) == []
        for call in (lambda: other.describe_instances(InstanceIds=[victim]),
                     lambda: other.reboot_instances(InstanceIds=[victim]),
                     lambda: other.terminate_instances(InstanceIds=[victim]),
                     lambda: other.get_console_output(InstanceId=victim)):
            with pytest.raises(botocore.exceptions.ClientError) as info:
                call()
            assert _code(info) == 'InvalidInstanceID.NotFound'
        assert [i['InstanceId'] for i in _instances(user)] == [victim]
        assert _states(user, [victim])[victim] in ('pending', 'running')
    finally:
        user.terminate_instances(InstanceIds=[victim])
        assert cloud.wait_for(lambda: _instances(user) == [])


def _expect(code, func, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as info:
        func(**kwargs)
    assert _code(info) == code, info.value.response
    return info.value.response


def test_bad_input(cloud, user, ami):
    from nova import context
    from nova import db
    _expect('InvalidInstanceID.NotFound', user.terminate_instances,
            InstanceIds=['i-0000ffff'])
    _expect('InvalidInstanceID.Malformed', user.reboot_instances,
            InstanceIds=['i-zzz'])
    _expect('InvalidInstanceID.Malformed', user.describe_instances,
            InstanceIds=['garbage'])
    _expect('InvalidAMIID.NotFound', user.run_instances,
            ImageId='ami-0000ffff', MinCount=1, MaxCount=1)
    _expect('InvalidAMIID.Malformed', user.run_instances,
            ImageId='bogus', MinCount=1, MaxCount=1)
    _expect('InvalidParameterValue', user.run_instances, ImageId=ami,
            MinCount=1, MaxCount=1, InstanceType='m9.huge')
    _expect('InvalidParameterValue', user.run_instances, ImageId=ami,
            MinCount=3, MaxCount=2)
    _expect('InvalidKeyPair.NotFound', user.run_instances, ImageId=ami,
            MinCount=1, MaxCount=1, KeyName='nokey')
    _expect('InvalidGroup.NotFound', user.run_instances, ImageId=ami,
            MinCount=1, MaxCount=1, SecurityGroups=['nogroup'])
    # botocore base64-encodes UserData itself; send garbage raw.
    resp = _raw_call(cloud, user, {'Action': 'RunInstances',
                                   'ImageId': ami, 'MinCount': '1',
                                   'MaxCount': '1',
                                   'UserData': '%%% not base64 %%%'})
    assert resp == (400, 'InvalidParameterValue')
    resp = _raw_call(cloud, user, {'Action': 'RunInstances',
                                   'MinCount': '1', 'MaxCount': '1'})
    assert resp == (400, 'MissingParameter')
    _expect('MissingParameter', user.get_console_output, InstanceId='')
    user.create_key_pair(KeyName='dup')
    _expect('InvalidKeyPair.Duplicate', user.create_key_pair, KeyName='dup')

    ctxt = context.get_admin_context()
    db.quota_create(ctxt, 'alpha', 'instances', 2)
    try:
        response = _expect('InstanceLimitExceeded', user.run_instances,
                           ImageId=ami, MinCount=3, MaxCount=3,
                           InstanceType='m1.tiny')
        assert 'quota' in response['Error']['Message'].lower()
    finally:
        db.quota_destroy(ctxt, 'alpha', 'instances')
    # Nothing was left behind by any of these.
    assert _instances(user) == []
    assert db.instance_data_get_for_project(ctxt, 'alpha')[0] == 0
    fixed = [ip for ip in db.fixed_ip_get_all(ctxt) if ip['instance_id']]
    assert fixed == []


def _raw_call(cloud, client, params):
    """Send params botocore would refuse to build; (status, code)."""
    import xml.etree.ElementTree as ET

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    import urllib.request
    values = dict(params, Version='2016-11-15')
    creds = client._request_signer._credentials
    req = AWSRequest(method='POST', url=cloud.endpoint, data=values,
                     headers={'Content-Type':
                              'application/x-www-form-urlencoded'})
    SigV4Auth(creds, 'ec2', 'nova').add_auth(req)
    prepared = req.prepare()
    body = prepared.body
    if isinstance(body, str):
        body = body.encode()
    http = urllib.request.Request(prepared.url, data=body,
                                  headers=dict(prepared.headers),
                                  method='POST')
    try:
        with urllib.request.urlopen(http, timeout=60) as resp:
            return resp.status, None
    except urllib.error.HTTPError as err:
        root = ET.fromstring(err.read())
        return err.code, root.find('./Errors/Error/Code').text


def test_security_groups_and_keypairs(user):
    group = user.create_security_group(GroupName='web', Description='Web')
    user.authorize_security_group_ingress(
        GroupName='web', IpPermissions=[
            {'IpProtocol': 'tcp', 'FromPort': 80, 'ToPort': 80,
             'IpRanges': [{'CidrIp': '0.0.0.0/0'}]},
            {'IpProtocol': 'icmp', 'FromPort': -1, 'ToPort': -1,
             'UserIdGroupPairs': [{'GroupName': 'default'}]}])
    _expect('InvalidPermission.Duplicate',
            user.authorize_security_group_ingress, GroupName='web',
            IpProtocol='tcp', FromPort=80, ToPort=80, CidrIp='0.0.0.0/0')
    found = user.describe_security_groups(GroupIds=[group['GroupId']])
    perms = found['SecurityGroups'][0]['IpPermissions']
    assert sorted(p['IpProtocol'] for p in perms) == ['icmp', 'tcp']
    user.revoke_security_group_ingress(GroupName='web', IpProtocol='tcp',
                                       FromPort=80, ToPort=80,
                                       CidrIp='0.0.0.0/0')
    _expect('InvalidGroup.Duplicate', user.create_security_group,
            GroupName='web', Description='again')
    user.delete_security_group(GroupId=group['GroupId'])
    _expect('InvalidGroup.NotFound', user.describe_security_groups,
            GroupNames=['web'])

    import nova.crypto
    _private, public, fingerprint = nova.crypto.generate_key_pair(1024)
    imported = user.import_key_pair(KeyName='imported',
                                    PublicKeyMaterial=public.encode())
    assert imported['KeyFingerprint'] == fingerprint
    names = [k['KeyName'] for k in user.describe_key_pairs()['KeyPairs']]
    assert 'imported' in names
    user.delete_key_pair(KeyName='imported')
    _expect('InvalidKeyPair.NotFound', user.describe_key_pairs,
            KeyNames=['imported'])


def test_regions_account_and_images(cloud, user):
    regions = user.describe_regions()['Regions']
    assert regions[0]['RegionName'] == 'nova'
    attrs = user.describe_account_attributes()['AccountAttributes']
    platforms = [a for a in attrs
                 if a['AttributeName'] == 'supported-platforms'][0]
    assert platforms['AttributeValues'] == [{'AttributeValue': 'EC2'}]

    # RegisterImage needs a bundle (tests/functional/test_bundle_flow.py);
    # without ImageLocation nothing is recorded.
    _expect('MissingParameter', user.register_image, Name='mine',
            Architecture='x86_64')
    image_id = cloud.register_image('mine', project='alpha', public=False,
                                    kernel=False)
    mine = user.describe_images(Owners=['self'])['Images']
    assert [i['ImageId'] for i in mine] == [image_id]
    assert mine[0]['Public'] is False
    user.modify_image_attribute(ImageId=image_id,
                                LaunchPermission={'Add': [{'Group':
                                                           'all'}]})
    perm = user.describe_image_attribute(ImageId=image_id,
                                         Attribute='launchPermission')
    assert perm['LaunchPermissions'] == [{'Group': 'all'}]
    user.deregister_image(ImageId=image_id)
    _expect('InvalidAMIID.NotFound', user.describe_images,
            ImageIds=[image_id])


def test_image_attribute_errors_in_aws_order(cloud, user, ami):
    """The request is judged before the owner: the codes of the EC2
    conformance suite's test_check_image_operations_negative, on a public
    image of another project (``ami``), then the owner's own changes."""
    refusals = [
        ('InvalidRequest', user.describe_image_attribute,
         {'Attribute': 'unsupported'}),
        ('AuthFailure', user.describe_image_attribute,
         {'Attribute': 'description'}),
        ('InvalidParameterCombination', user.modify_image_attribute,
         {'Attribute': 'unsupported'}),
        ('InvalidParameter', user.modify_image_attribute,
         {'Attribute': 'blockDeviceMapping'}),
        ('InvalidParameterCombination', user.modify_image_attribute, {}),
        ('AuthFailure', user.modify_image_attribute,
         {'Description': {'Value': 'fake'}}),
        ('AuthFailure', user.modify_image_attribute,
         {'LaunchPermission': {'Add': [{'Group': 'all'}]}}),
        ('MissingParameter', user.modify_image_attribute,
         {'Attribute': 'description'}),
        ('InvalidParameterCombination', user.modify_image_attribute,
         {'Attribute': 'launchPermission'}),
        ('InvalidRequest', user.reset_image_attribute, {'Attribute': 'fake'}),
        ('AuthFailure', user.deregister_image, {}),
    ]
    for code, action, params in refusals:
        _expect(code, action, ImageId=ami, **params)
    # Nothing of it changed the image.
    image = user.describe_images(ImageIds=[ami])['Images'][0]
    assert image['Public'] is True and not image.get('Description')

    own = cloud.register_image('own', project='alpha', public=False,
                               kernel=False)
    user.modify_image_attribute(ImageId=own, Description={'Value': 'v2'})
    assert user.describe_image_attribute(
        ImageId=own, Attribute='description')['Description'] == {
            'Value': 'v2'}
    user.modify_image_attribute(ImageId=own, Attribute='launchPermission',
                                OperationType='add', UserGroups=['all'])
    assert user.describe_image_attribute(
        ImageId=own, Attribute='launchPermission')['LaunchPermissions'] == \
        [{'Group': 'all'}]
    user.reset_image_attribute(ImageId=own, Attribute='launchPermission')
    assert user.describe_images(ImageIds=[own])['Images'][0]['Public'] is \
        False
    user.deregister_image(ImageId=own)


def test_unschedulable_instance_shows_its_reason(cloud, user, ami):
    res = user.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                             InstanceType='m1.tiny',
                             Placement={'AvailabilityZone': 'nowhere'})
    iid = res['Instances'][0]['InstanceId']
    assert cloud.wait_for(lambda: _states(user, [iid])[iid] == 'error')
    inst = _instances(user, InstanceIds=[iid])[0]
    assert inst['StateReason'] == {
        'Code': 'Server.InsufficientInstanceCapacity',
        'Message': 'Server.InsufficientInstanceCapacity: no valid host was '
                   'found'}
    user.terminate_instances(InstanceIds=[iid])
    assert cloud.wait_for(lambda: _instances(user) == [])


def test_metadata_service(cloud, user, ami):
    import webob

    from nova.api.ec2 import metadatarequesthandler
    res = user.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                             InstanceType='m1.tiny', KeyName='mykey',
                             UserData='meta!')
    iid = res['Instances'][0]['InstanceId']
    try:
        assert cloud.wait_for(lambda: _states(user, [iid])[iid] ==
                              'running')
        address = _instances(user, InstanceIds=[iid])[0]['PrivateIpAddress']
        app = metadatarequesthandler.MetadataRequestHandler()

        def get(path, remote=address):
            req = webob.Request.blank(path)
            req.remote_addr = remote
            return req.get_response(app)

        assert get('/meta-data/instance-id').text == iid
        assert get('/meta-data/local-ipv4').text == address
        assert get('/meta-data/ami-id').text == ami
        assert get('/user-data').body == b'meta!'
        assert 'instance-id' in get('/meta-data/').text.splitlines()
        assert get('/meta-data/public-keys/').text == '0=mykey'
        assert get('/meta-data/public-keys/0/openssh-key').text.startswith(
            'ssh-rsa')
        assert get('/meta-data/nothing-here').status_int == 404
        assert get('/meta-data/instance-id', '192.0.2.1').status_int == 404
    finally:
        user.terminate_instances(InstanceIds=[iid])
        assert cloud.wait_for(lambda: _instances(user) == [])
