"""The EC2 pipeline: signatures, lockout, roles, envelope and error format."""

import webob

from tests.unit.api.ec2.conftest import sign


def test_versions(ec2):
    resp = webob.Request.blank('/').get_response(ec2.app)
    assert resp.status_int == 200
    assert resp.text.splitlines()[0] == '1.0'
    assert '2009-04-04' in resp.text


def test_sigv4_post_ok(ec2):
    result = ec2.call('DescribeRegions')
    assert result.status == 200, result.body
    assert result.xml.tag == \
        '{http://ec2.amazonaws.com/doc/2016-11-15/}DescribeRegionsResponse'
    assert result.parsed['Regions'][0]['RegionName'] == 'nova'
    assert result.parsed['ResponseMetadata']['RequestId'].startswith('req-')


def test_sigv4_without_trailing_slash_and_get(ec2):
    assert ec2.call('DescribeRegions', path='/services/Cloud').status == 200
    assert ec2.call('DescribeRegions', method='GET').status == 200


def test_sigv2(ec2):
    result = ec2.call('DescribeRegions', version='v2')
    assert result.status == 200, result.body


def test_namespace_follows_client_version(ec2):
    result = ec2.call('DescribeRegions', api_version='2009-04-04')
    assert result.xml.tag.startswith('{http://ec2.amazonaws.com/doc/'
                                     '2009-04-04/}')


def test_bad_signature_is_auth_failure(ec2):
    result = ec2.call('DescribeRegions', secret='wrong')
    assert result.status == 403
    assert result.error_code == 'AuthFailure'
    assert result.xml.tag == 'Response'
    assert result.xml.find('./RequestID').text
    assert b'Traceback' not in result.body


def test_unknown_access_key_and_unsigned(ec2):
    req = sign('POST', '/services/Cloud/', {'Action': 'DescribeRegions',
                                            'Version': '2016-11-15'},
               'nobody', 'secret')
    assert ec2.request(req).error_code == 'AuthFailure'
    req = webob.Request.blank('/services/Cloud/?Action=DescribeRegions')
    result = ec2.request(req)
    assert result.status == 403 and result.error_code == 'AuthFailure'


def test_non_member_project_is_auth_failure(ec2):
    result = ec2.call('DescribeRegions', user='bob', project='admin')
    assert result.error_code == 'AuthFailure'


def test_lockout_after_repeated_failures(ec2, set_flags):
    set_flags(lockout_attempts=3)
    for _attempt in range(3):
        assert ec2.call('DescribeRegions', secret='bad').status == 403
    result = ec2.call('DescribeRegions')
    assert result.status == 403 and result.error_code == 'AuthFailure'
    assert b'Too many failed authentications' in result.body
    # Another access key is not affected.
    assert ec2.call('DescribeRegions', user='bob').status == 200


def test_unknown_and_missing_action(ec2):
    result = ec2.call('FrobnicateInstances')
    assert result.status == 400 and result.error_code == 'InvalidAction'
    result = ec2.call('_private')
    assert result.error_code == 'InvalidAction'
    result = ec2.call('')
    assert result.status == 400
    assert result.error_code in ('MissingAction', 'InvalidAction')


def test_role_table(ec2):
    # bob has no role in proj: describing is open to all, running is not.
    assert ec2.call('DescribeInstances', user='bob').status == 200
    result = ec2.call('RunInstances', {'ImageId': 'ami-00000001',
                                       'MinCount': '1', 'MaxCount': '1'},
                      user='bob')
    assert result.status == 403
    assert result.error_code == 'UnauthorizedOperation'
    result = ec2.call('CreateSecurityGroup', {'GroupName': 'web',
                                              'GroupDescription': 'w'},
                      user='bob')
    assert result.error_code == 'UnauthorizedOperation'
    # Actions Diablo forgot get their siblings' roles: alice manages proj.
    result = ec2.call('DescribeInstanceAttribute',
                      {'InstanceId': 'i-00000001', 'Attribute': 'kernel'})
    assert result.error_code == 'InvalidInstanceID.NotFound'


def test_netadmin_role_in_project(ec2):
    from nova.auth import manager
    auth = manager.AuthManager()
    auth.add_role('bob', 'netadmin')
    auth.add_role('bob', 'netadmin', 'proj')
    result = ec2.call('CreateSecurityGroup', {'GroupName': 'web',
                                              'GroupDescription': 'w'},
                      user='bob')
    assert result.status == 200, result.body


def test_admin_controller_needs_admin(ec2):
    result = ec2.call('DescribeUsers', path='/services/Admin/')
    assert result.error_code == 'UnauthorizedOperation'
    result = ec2.call('DescribeInstanceTypes', user='admin', project='admin',
                      path='/services/Admin/')
    assert result.status == 200, result.body
    assert b'm1.tiny' in result.body


def test_missing_and_unknown_parameters(ec2):
    result = ec2.call('CreateKeyPair')
    assert result.status == 400 and result.error_code == 'MissingParameter'
    result = ec2.call('ImportPublicKey', {'KeyName': 'k', 'PublicKey': 'x',
                                          'Bogus': '1'})
    assert result.error_code == 'UnknownParameter'


def test_unexpected_error_is_generic_500(ec2, monkeypatch):
    from nova.api.ec2.cloud import zones

    def boom(self, context, **kwargs):
        raise RuntimeError('secret internals')

    monkeypatch.setattr(zones.ZoneActions, 'describe_regions', boom)
    result = ec2.call('DescribeRegions')
    assert result.status == 500
    assert result.error_code == 'InternalError'
    assert b'secret internals' not in result.body
    assert b'Traceback' not in result.body
