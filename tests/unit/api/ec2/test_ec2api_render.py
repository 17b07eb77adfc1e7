"""XML rendering, checked with boto3's own parser (botocore service model)."""

import datetime
import xml.etree.ElementTree as ET

from nova import exception
from nova.api.ec2 import apirequest
from nova.api.ec2 import ec2utils
from nova.api.ec2 import faults
from tests.unit.api.ec2.conftest import parse_with_botocore

NS = '{http://ec2.amazonaws.com/doc/2016-11-15/}'


def _render(action, result):
    return apirequest.render_response(action, '2016-11-15', 'req-1',
                                      result).encode()


def test_root_request_id_and_return():
    body = _render('RebootInstances', True)
    root = ET.fromstring(body)
    assert root.tag == NS + 'RebootInstancesResponse'
    assert [c.tag for c in root] == [NS + 'requestId', NS + 'return']
    assert root.find(NS + 'return').text == 'true'
    parsed = parse_with_botocore('CreateKeyPair', body)
    assert parsed['ResponseMetadata']['RequestId'] == 'req-1'


def test_none_is_omitted_bool_lowercase_time_iso():
    launch = datetime.datetime(2011, 9, 22, 12, 30, 5)
    result = {'reservationSet': [{
        'reservationId': 'r-abc', 'ownerId': 'proj', 'groupSet': [],
        'instancesSet': [{
            'instanceId': 'i-00000001', 'imageId': 'ami-00000001',
            'instanceState': {'code': 16, 'name': 'running'},
            'kernelId': None, 'amiLaunchIndex': 0, 'launchTime': launch,
            'ebsOptimized': False, 'keyName': 'a<b&c',
            'placement': {'availabilityZone': 'nova'},
            'groupSet': [{'groupId': 'sg-00000001', 'groupName': 'default'}],
        }]}]}
    body = _render('DescribeInstances', result)
    assert b'kernelId' not in body
    assert b'<ebsOptimized>false</ebsOptimized>' in body
    assert b'2011-09-22T12:30:05.000Z' in body
    parsed = parse_with_botocore('DescribeInstances', body)
    inst = parsed['Reservations'][0]['Instances'][0]
    assert inst['InstanceId'] == 'i-00000001'
    assert inst['State'] == {'Code': 16, 'Name': 'running'}
    assert inst['AmiLaunchIndex'] == 0
    assert inst['LaunchTime'].year == 2011
    assert inst['KeyName'] == 'a<b&c'
    assert inst['EbsOptimized'] is False
    assert inst['SecurityGroups'] == [{'GroupId': 'sg-00000001',
                                       'GroupName': 'default'}]
    assert 'KernelId' not in inst


def test_snake_keys_are_camel_cased():
    body = _render('AllocateAddress', {'public_ip': '1.2.3.4'})
    assert b'<publicIp>1.2.3.4</publicIp>' in body
    assert parse_with_botocore('AllocateAddress', body)['PublicIp'] == \
        '1.2.3.4'


def test_error_format_parsed_by_botocore():
    status, code, message = faults.ec2_error(
        exception.InstanceNotFound(instance_id=10))
    assert (status, code) == (400, 'InvalidInstanceID.NotFound')
    assert 'i-0000000a' in message
    body = apirequest.render_error(code, message, 'req-9').encode()
    root = ET.fromstring(body)
    assert root.tag == 'Response'
    assert root.find('./Errors/Error/Code').text == code
    assert root.find('./RequestID').text == 'req-9'
    parsed = parse_with_botocore('DescribeInstances', body, 400)
    assert parsed['Error']['Code'] == 'InvalidInstanceID.NotFound'


def test_error_codes():
    cases = [
        (ec2utils.InvalidInstanceIDMalformed(ec2_id='x'), 400,
         'InvalidInstanceID.Malformed'),
        (exception.InvalidParameterValue(err='bad'), 400,
         'InvalidParameterValue'),
        (exception.MissingParameter(param='ImageId'), 400,
         'MissingParameter'),
        (exception.KeypairNotFound(keypair_name='k', user_id='u'), 400,
         'InvalidKeyPair.NotFound'),
        (exception.KeyPairExists(key_name='k'), 400,
         'InvalidKeyPair.Duplicate'),
        (exception.SecurityGroupNotFound(security_group_id='g'), 400,
         'InvalidGroup.NotFound'),
        (exception.SecurityGroupExists(security_group_name='g',
                                       project_id='p'), 400,
         'InvalidGroup.Duplicate'),
        (exception.InstanceTypeNotFoundByName(instance_type_name='m9'), 400,
         'InvalidParameterValue'),
        (exception.NotAuthorized(), 403, 'UnauthorizedOperation'),
        (exception.NovaException('internal detail'), 500, 'InternalError'),
        (ValueError('internal detail'), 500, 'InternalError'),
    ]
    for exc, status, code in cases:
        got = faults.ec2_error(exc)
        assert got[:2] == (status, code), (exc, got)
        if status == 500:
            assert 'internal detail' not in got[2]


def test_quota_error_code():
    from nova import quota
    exc = quota.QuotaError('Instance quota exceeded.',
                           'InstanceLimitExceeded')
    status, code, message = faults.ec2_error(exc)
    assert (status, code) == (400, 'InstanceLimitExceeded')
    assert message == 'Instance quota exceeded.'


def test_remote_error_keeps_the_remote_code():
    from nova.rpc import common
    exc = common.RemoteError('InstanceNotFound', 'Instance 3 not found', '')
    assert faults.ec2_error(exc)[:2] == (400, 'InvalidInstanceID.NotFound')
    exc = common.RemoteError('KeyError', 'boom', 'Traceback...')
    assert faults.ec2_error(exc) == (500, 'InternalError',
                                     faults.GENERIC_MESSAGE)


def test_find_method_and_arguments():
    class Controller(object):
        def describe_instances(self, context, thing_id, **kwargs):
            return True

        def import_public_key(self, context, name):
            return True

        def format_things(self, context):
            return True

        def _hidden(self, context):
            return True

    ctrl = Controller()
    assert apirequest.find_method(ctrl, 'DescribeInstances') is not None
    assert apirequest.find_method(ctrl, '_hidden') is None
    assert apirequest.find_method(ctrl, 'Hidden') is None
    # Public but not a declared action: never dispatched.
    assert apirequest.find_method(ctrl, 'FormatThings') is None

    class Ctx(object):
        request_id = 'req-2'

    req = apirequest.APIRequest(ctrl, 'DescribeInstances', None, {})
    try:
        req.invoke(Ctx())
    except exception.MissingParameter as exc:
        assert 'ThingId' in str(exc)
    else:
        raise AssertionError('missing parameter not detected')
    req = apirequest.APIRequest(ctrl, 'ImportPublicKey', None,
                                {'name': 'a', 'x': 1})
    try:
        req.invoke(Ctx())
    except ec2utils.UnknownParameter as exc:
        assert exc.ec2_code == 'UnknownParameter'
    else:
        raise AssertionError('unknown parameter not detected')
