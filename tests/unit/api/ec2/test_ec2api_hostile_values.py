"""Findings 7-10 of issue 8: XML-invalid characters, argument shapes and the
last-resort handler, log forging, the declared action list."""

import io
import logging
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
import webob

from nova import log
from nova.api.ec2 import actions
from nova.api.ec2 import apirequest
from nova.api.ec2 import param_shapes
from nova.api.ec2 import validation
from nova.api.ec2.cloud import CloudController
from nova.api.ec2.admin import AdminController


# -- 7: XML-invalid characters ------------------------------------------------------
def test_control_characters_are_refused_on_input(ec2):
    for value in ('bob-key\x01', 'a\x00b', 'x\x1b[31m', '\ufffe'):
        result = ec2.call('CreateKeyPair', {'KeyName': value})
        assert result.status == 400
        assert result.error_code == 'InvalidParameterValue'
        assert value.encode() not in result.body
    assert ec2.call('DescribeKeyPairs').parsed['KeyPairs'] == []


def test_output_replaces_characters_xml_cannot_carry():
    body = apirequest.render_response(
        'DescribeImages', '2016-11-15', 'req-1',
        {'imagesSet': [{'name': 'bob-img\x01', 'description': 'a\x0bb\tc'}]})
    root = ET.fromstring(body)
    names = [e.text for e in root.iter()
             if e.tag.endswith('}name')]
    assert names == ['bob-img\ufffd']
    from tests.unit.api.ec2.conftest import parse_with_botocore
    parsed = parse_with_botocore('DescribeImages', body.encode())
    assert parsed['Images'][0]['Name'] == 'bob-img\ufffd'


def test_error_messages_do_not_echo_control_characters():
    body = apirequest.render_error('InvalidID', 'bad id "i-\n\x01FAKE"',
                                   'req-1')
    ET.fromstring(body)
    assert '\n\x01' not in body and 'FAKE' in body
    assert '\\x0a' in body


def test_version_cannot_inject_an_attribute(ec2):
    result = ec2.call('DescribeRegions',
                      api_version='2016-11-15/" foo="bar')
    assert result.status == 400
    assert result.error_code == 'InvalidParameterValue'
    body = apirequest.render_response('DescribeRegions', 'x" foo="bar',
                                      'req-1', True)
    assert ET.fromstring(body).attrib == {}


# -- 8: argument shapes, last-resort handler -------------------------------------------
@pytest.mark.parametrize('action,params', [
    ('DescribeInstanceAttribute', {'InstanceId': 'i-00000001',
                                   'Attribute.1': 'userData',
                                   'Attribute.2': 'kernel'}),
    ('RunInstances', {'ImageId': 'ami-00000001', 'MinCount': '1',
                      'MaxCount': '1', 'UserData.1': 'eA==',
                      'UserData.2': 'eA=='}),
    ('RunInstances', {'ImageId': 'ami-00000001', 'MinCount': '1',
                      'MaxCount': '1',
                      'Placement.AvailabilityZone.1': 'x',
                      'Placement.AvailabilityZone.2': 'y'}),
    ('RunInstances', {'ImageId': 'ami-00000001', 'MinCount': '1',
                      'MaxCount': '1', 'Placement.1': 'x'}),
    ('UpdateInstance', {'InstanceId': 'i-00000001', 'DisplayName.1': 'x',
                        'DisplayName.2': 'y'}),
    ('ImportPublicKey', {'KeyName': 'k', 'PublicKey': 'ssh-rsa AAAA',
                         'Fingerprint.x': 'y'}),
    ('DescribeImages', {'ImageId.1.Foo': 'x'}),
    ('DescribeRegions', {'Filter.1.Name.1': 'region-name',
                         'Filter.1.Name.2': 'endpoint'}),
    ('CreateKeyPair', {'KeyName.Nested': 'x'}),
])
def test_wrong_shapes_are_invalid_parameter_values(ec2, action, params):
    result = ec2.call(action, params)
    assert result.status == 400, result.body
    assert result.error_code == 'InvalidParameterValue'
    assert b'Traceback' not in result.body
    # The same with one numbered value is taken as that value: never a 500.
    single = {k: v for k, v in params.items() if not k.endswith('.2')}
    assert ec2.call(action, single).status < 500


@pytest.mark.parametrize('params', [{'User.1': 'alice', 'User.2': 'bob'},
                                    {'User.x': 'alice'}])
def test_admin_shapes(ec2, params):
    result = ec2.call('DescribeProjects', params, user='admin',
                      project='admin', path='/services/Admin/')
    assert result.status == 400, result.body
    assert result.error_code == 'InvalidParameterValue'


def test_one_element_list_for_one_value_is_taken(ec2):
    # boto 2 sends GetConsoleOutput's InstanceId as InstanceId.1.
    result = ec2.call('GetConsoleOutput', {'InstanceId.1': 'i-00000099'})
    assert result.error_code == 'InvalidInstanceID.NotFound'


def test_signature_rule_for_actions_ec2_lacks():
    class Controller(object):
        def update_instance(self, context, instance_id=None,
                            tags: list = None, meta: dict = None,
                            count: int = 1, **kwargs):
            return kwargs

    method = Controller().update_instance
    fitted = validation.validate('UpdateInstance', method, {
        'instance_id': 'i-1', 'tags': ['a', 'b'], 'meta': {'k': 'v'},
        'count': '2', 'extra': 'x'})
    assert fitted['tags'] == ['a', 'b']
    for bad in ({'instance_id': ['a', 'b']}, {'tags': {'k': 'v'}},
                {'meta': 'x'}, {'count': ['1', '2']},
                {'extra': {'a': 'b'}}):
        with pytest.raises(Exception) as excinfo:
            validation.validate('UpdateInstance', method, bad)
        assert type(excinfo.value).__name__ == 'InvalidParameterValue'


def test_shapes_cover_ec2_actions_of_the_list():
    for action in ('RunInstances', 'DescribeInstances', 'CreateVolume',
                   'DescribeInstanceAttribute', 'CreateTags'):
        assert action in param_shapes.SHAPES
    assert param_shapes.SHAPES['RunInstances']['user_data'] == 's'
    assert param_shapes.SHAPES['DescribeInstances']['instance_id'] == \
        ['l', 's']


def test_last_resort_handler_outside_the_executor(ec2, monkeypatch):
    from nova.api import ec2 as ec2_api

    def boom(self, req):
        raise RuntimeError('secret internals')

    monkeypatch.setattr(ec2_api.Authorizer, '_allowed',
                        lambda *a: boom(None, None))
    result = ec2.call('DescribeRegions')
    assert result.status == 500
    assert result.error_code == 'InternalError'
    assert result.xml.find('./RequestID').text.startswith('req-')
    assert b'secret internals' not in result.body
    assert b'Traceback' not in result.body


# -- 9: log forging ---------------------------------------------------------------
@pytest.fixture
def nova_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(log.NovaFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_request_values_cannot_forge_log_lines(ec2, nova_log):
    forged = 'x\n2026-01-01 00:00:00,000 CRITICAL nova [-] FORGED'
    query = urllib.parse.urlencode({'Action': 'DescribeRegions',
                                    'AWSAccessKeyId': forged,
                                    'SignatureVersion': '2',
                                    'Signature': 'x'})
    ec2.request(webob.Request.blank('/services/Cloud/?' + query))
    ec2.request(webob.Request.blank(
        '/services/Cloud/%0a2026-01-01 FORGED2?Action=DescribeRegions'))
    text = nova_log.getvalue()
    assert 'FORGED' in text and 'FORGED2' in text
    for line in text.splitlines():
        assert not line.startswith('2026-01-01'), line
    assert '\\x0a' in text


def test_formatter_keeps_tracebacks_multiline(nova_log):
    try:
        raise ValueError('boom')
    except ValueError:
        logging.getLogger('nova.test').exception('failed: %s', 'a\nb')
    text = nova_log.getvalue()
    assert 'failed: a\\x0ab' in text
    assert 'Traceback (most recent call last):\n' in text


# -- 10: declared actions ------------------------------------------------------------
def test_helpers_are_not_actions(ec2):
    for action in ('FormatImage', 'GetImage', 'ComputeApi', 'ImageService',
                   'Format', 'State'):
        result = ec2.call(action, {'Ec2Id': 'ami-00000001'})
        assert result.status == 400
        assert result.error_code == 'InvalidAction'


def test_listed_but_unimplemented_is_unsupported(ec2):
    # Every listed action is implemented (GetVncConsole and GetAjaxConsole
    # were the last); a listed one a controller lacked would be answered
    # UnsupportedOperation, an unlisted one InvalidAction.
    missing = [a for a in sorted(actions.CLOUD_ACTIONS)
               if apirequest.find_method(CloudController(), a) is None]
    assert missing == []

    class Lacking(object):
        """A controller without the console actions."""
    error = apirequest.unavailable(Lacking(), 'GetVncConsole')
    assert error.ec2_code == 'UnsupportedOperation'
    assert 'GetVncConsole is not supported' in str(error)
    result = ec2.call('GetAjaxConsole', {'InstanceId': 'i-00000001'})
    assert result.status in (400, 403)


def test_action_lists():
    for name in ('AllocateAddress', 'ReleaseAddress', 'AssociateAddress',
                 'DisassociateAddress', 'DescribeAddresses', 'CreateVolume',
                 'DeleteVolume', 'DescribeVolumes', 'AttachVolume',
                 'DetachVolume', 'CreateSnapshot', 'DeleteSnapshot',
                 'DescribeSnapshots', 'CreateTags', 'DeleteTags',
                 'DescribeTags', 'ModifyInstanceAttribute',
                 'ResetInstanceAttribute', 'DescribeInstanceAttribute',
                 'DescribeInstanceStatus', 'GetPasswordData', 'CreateImage',
                 'AuthorizeSecurityGroupEgress',
                 'RevokeSecurityGroupEgress', 'DescribeInstanceTypes',
                 'ModifyImageAttribute', 'ResetImageAttribute',
                 'DescribeImageAttribute', 'RegisterImage',
                 'DeregisterImage', 'ImportKeyPair', 'DescribeKeyPairs'):
        assert name in actions.CLOUD_ACTIONS, name
    assert 'BlockExternalAddresses' in actions.ADMIN_ACTIONS
    assert isinstance(actions.ACTIONS, frozenset)
    # Every public method of today's controllers that is an action is
    # listed; the rest are helpers.
    for controller, listed in ((CloudController, actions.CLOUD_ACTIONS),
                               (AdminController, actions.ADMIN_ACTIONS)):
        for name in dir(controller):
            if name.startswith('_') or not callable(getattr(controller,
                                                            name)):
                continue
            action = ''.join(p.capitalize() for p in name.split('_'))
            if name in ('format_image', 'get_image'):
                assert action not in listed
            else:
                assert action in listed, action
