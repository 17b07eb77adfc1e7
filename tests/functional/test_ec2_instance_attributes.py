"""ClientToken idempotency and instance attributes over boto3 (issue 14).

RunInstances with a repeated ClientToken answers the same reservation;
different parameters are IdempotentParameterMismatch.  DisableApiTermination
protects from TerminateInstances; Describe/Modify/ResetInstanceAttribute read
and write the instance's row; EC2-classic refuses the VPC-only attributes.
"""

import base64

import botocore.exceptions
import pytest

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]


def _code(excinfo):
    return excinfo.value.response['Error']['Code']


@pytest.fixture(scope='module')
def user(cloud):
    return cloud.boto3_client(*cloud.create_user('attr', 'attrproj'))


@pytest.fixture(scope='module')
def ami(cloud):
    return cloud.register_image('attrs', project='attrproj')


def _state(user, instance_id):
    return user.describe_instances(InstanceIds=[instance_id])[
        'Reservations'][0]['Instances'][0]['State']['Name']


def _attr(user, instance_id, name):
    data = user.describe_instance_attribute(InstanceId=instance_id,
                                            Attribute=name)
    key = name[:1].upper() + name[1:]
    key = {'Kernel': 'KernelId', 'Ramdisk': 'RamdiskId'}.get(key, key)
    return data[key].get('Value')


def test_client_token(cloud, user, ami):
    first = user.run_instances(ImageId=ami, MinCount=2, MaxCount=2,
                               InstanceType='m1.tiny', ClientToken='tok-1')
    again = user.run_instances(ImageId=ami, MinCount=2, MaxCount=2,
                               InstanceType='m1.tiny', ClientToken='tok-1')
    assert again['ReservationId'] == first['ReservationId']
    assert [i['InstanceId'] for i in again['Instances']] == \
        [i['InstanceId'] for i in first['Instances']]
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        user.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                           InstanceType='m1.small', ClientToken='tok-1')
    assert _code(exc) == 'IdempotentParameterMismatch'
    # another project may use the same token for a launch of its own
    other = cloud.boto3_client(*cloud.create_user('attr2', 'attrproj2'))
    mine = other.run_instances(ImageId=cloud.register_image(
        'o', project='attrproj2'), MinCount=1, MaxCount=1,
        ClientToken='tok-1')
    assert mine['ReservationId'] != first['ReservationId']
    total = [i for r in user.describe_instances()['Reservations']
             for i in r['Instances']]
    assert len(total) == 2
    user.terminate_instances(InstanceIds=[i['InstanceId']
                                          for i in first['Instances']])
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        user.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                           ClientToken='t' * 65)
    assert _code(exc) == 'InvalidParameterValue'


def test_disable_api_termination(cloud, user, ami):
    res = user.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                             DisableApiTermination=True)
    iid = res['Instances'][0]['InstanceId']
    assert _attr(user, iid, 'disableApiTermination') is True
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        user.terminate_instances(InstanceIds=[iid])
    assert _code(exc) == 'OperationNotPermitted'
    assert _state(user, iid) in ('pending', 'running')
    user.modify_instance_attribute(InstanceId=iid,
                                   Attribute='disableApiTermination',
                                   Value='False')
    assert _attr(user, iid, 'disableApiTermination') is False
    user.modify_instance_attribute(InstanceId=iid,
                                   DisableApiTermination={'Value': True})
    assert _attr(user, iid, 'disableApiTermination') is True
    user.modify_instance_attribute(InstanceId=iid,
                                   DisableApiTermination={'Value': False})
    user.terminate_instances(InstanceIds=[iid])


def test_attributes_of_a_stopped_instance(cloud, user, ami):
    res = user.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                             InstanceType='m1.tiny',
                             InstanceInitiatedShutdownBehavior='stop')
    iid = res['Instances'][0]['InstanceId']
    assert cloud.wait_for(lambda: _state(user, iid) == 'running', 60)
    assert _attr(user, iid, 'instanceInitiatedShutdownBehavior') == 'stop'
    assert _attr(user, iid, 'instanceType') == 'm1.tiny'
    kernel = _attr(user, iid, 'kernel')
    assert kernel.startswith('aki-')
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        user.modify_instance_attribute(InstanceId=iid,
                                       InstanceType={'Value': 'm1.small'})
    assert _code(exc) == 'IncorrectInstanceState'
    user.stop_instances(InstanceIds=[iid])
    assert cloud.wait_for(lambda: _state(user, iid) == 'stopped', 60)
    user.modify_instance_attribute(InstanceId=iid,
                                   InstanceType={'Value': 'm1.small'})
    # boto3 base64-encodes the blob itself
    user.modify_instance_attribute(InstanceId=iid, UserData={
        'Value': b'#!/bin/sh\necho new\n'})
    user.modify_instance_attribute(
        InstanceId=iid, InstanceInitiatedShutdownBehavior={
            'Value': 'terminate'})
    assert _attr(user, iid, 'instanceType') == 'm1.small'
    assert _attr(user, iid, 'instanceInitiatedShutdownBehavior') == \
        'terminate'
    assert base64.b64decode(_attr(user, iid, 'userData')) == \
        b'#!/bin/sh\necho new\n'
    inst = user.describe_instances(InstanceIds=[iid])['Reservations'][0][
        'Instances'][0]
    assert inst['InstanceType'] == 'm1.small'
    other_kernel = cloud.register_image('k2', project='attrproj')
    new_kernel = user.describe_images(ImageIds=[other_kernel])['Images'][0][
        'KernelId']
    user.modify_instance_attribute(InstanceId=iid,
                                   Kernel={'Value': new_kernel})
    assert _attr(user, iid, 'kernel') == new_kernel
    user.reset_instance_attribute(InstanceId=iid, Attribute='kernel')
    assert _attr(user, iid, 'kernel') == kernel
    user.terminate_instances(InstanceIds=[iid])


def test_attribute_errors(user, ami):
    iid = user.run_instances(ImageId=ami, MinCount=1, MaxCount=1)[
        'Instances'][0]['InstanceId']
    cases = [
        (user.describe_instance_attribute,
         {'InstanceId': iid, 'Attribute': 'fake'}, 'InvalidParameterValue'),
        (user.describe_instance_attribute,
         {'InstanceId': 'i-0', 'Attribute': 'disableApiTermination'},
         'InvalidInstanceID.NotFound'),
        (user.describe_instance_attribute,
         {'InstanceId': iid, 'Attribute': 'sourceDestCheck'},
         'InvalidParameterCombination'),
        (user.modify_instance_attribute,
         {'InstanceId': iid, 'Attribute': 'fake'}, 'InvalidParameterValue'),
        (user.modify_instance_attribute,
         {'InstanceId': iid, 'Attribute': 'disableApiTermination'},
         'MissingParameter'),
        (user.modify_instance_attribute, {'InstanceId': iid},
         'InvalidParameterCombination'),
        (user.modify_instance_attribute,
         {'InstanceId': iid, 'Attribute': 'disableApiTermination',
          'Value': 'True', 'DisableApiTermination': {'Value': False}},
         'InvalidParameterCombination'),
        (user.modify_instance_attribute,
         {'InstanceId': iid, 'Groups': ['sg-0']},
         'InvalidParameterCombination'),
        (user.modify_instance_attribute,
         {'InstanceId': iid, 'SourceDestCheck': {'Value': False}},
         'InvalidParameterCombination'),
        (user.reset_instance_attribute,
         {'InstanceId': iid, 'Attribute': 'disableApiTermination'},
         'InvalidParameterValue'),
        (user.reset_instance_attribute,
         {'InstanceId': iid, 'Attribute': 'instanceType'},
         'InvalidParameterValue'),
        (user.reset_instance_attribute,
         {'InstanceId': iid, 'Attribute': 'sourceDestCheck'},
         'InvalidParameterCombination'),
    ]
    for func, kwargs, code in cases:
        with pytest.raises(botocore.exceptions.ClientError) as exc:
            func(**kwargs)
        assert _code(exc) == code, kwargs
    user.terminate_instances(InstanceIds=[iid])
