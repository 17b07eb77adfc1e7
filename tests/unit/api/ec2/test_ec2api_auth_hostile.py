"""Findings 3-5 of issue 8: lockout semantics, default signature versions,
SigV4 credential scope (with boto 2.49's and botocore's own signers)."""

import urllib.parse

import pytest
import webob

from nova import context
from nova import db
from nova import exception
from nova.auth import lockout
from nova.auth import signer
from tests import boto2
from tests.unit.api.ec2.conftest import sign
from tests.unit.auth.test_signer_clients import _facts_from_boto

PARAMS = {'Action': 'DescribeRegions', 'Version': '2016-11-15'}


def _failure_rows():
    from nova.db.sqlalchemy import api_auth
    from nova.db.sqlalchemy.session import session_scope
    with session_scope() as session:
        return [(r.name, r.count)
                for r in session.query(api_auth.AuthFailure).all()]


def _hostile_requests(access):
    """What a third party can send knowing only a user name or key."""
    yield webob.Request.blank('/services/Cloud/?' + urllib.parse.urlencode(
        dict(PARAMS, AWSAccessKeyId=access)))
    yield webob.Request.blank('/services/Cloud/?' + urllib.parse.urlencode(
        dict(PARAMS, AWSAccessKeyId=access, SignatureVersion='2',
             SignatureMethod='HmacSHA256', Signature='garbage')))
    # Garbage SigV4 headers: no date, malformed scope, foreign service.
    for auth in ('AWS4-HMAC-SHA256 Credential=%s/20260101/nova/ec2/'
                 'aws4_request, SignedHeaders=host, Signature=00' % access,
                 'AWS4-HMAC-SHA256 Credential=%s/x, Signature=00' % access,
                 'AWS4-HMAC-SHA256 Credential=%s/20260101/nova/s3/'
                 'aws4_request, SignedHeaders=host, Signature=00' % access):
        yield webob.Request.blank('/services/Cloud/?Action=DescribeRegions',
                                  headers={'Authorization': auth,
                                           'X-Amz-Date': '20260101T000000Z'
                                           if 's3' in auth else ''})
    # A correctly signed request that is an hour old (a replay).
    stale = dict(PARAMS, AWSAccessKeyId=access, SignatureVersion='2',
                 SignatureMethod='HmacSHA256',
                 Timestamp='2020-01-01T00:00:00Z')
    stale['Signature'] = signer.Signer('not-the-secret').generate(
        stale, 'GET', '127.0.0.1:8773', '/services/Cloud/')
    yield webob.Request.blank('/services/Cloud/?' +
                              urllib.parse.urlencode(stale))


def test_third_party_cannot_lock_out_a_user(ec2, set_flags):
    set_flags(lockout_attempts=3)
    for alias in ('alice-access:proj', 'alice:proj', 'alice'):
        for _round in range(3):
            for req in _hostile_requests(alias):
                result = ec2.request(req)
                assert result.status in (400, 401, 403), result.body
    assert _failure_rows() == []
    result = ec2.call('DescribeRegions')
    assert result.status == 200, result.body


def test_unknown_keys_create_no_rows(ec2):
    for index in range(20):
        req = sign('POST', '/services/Cloud/', PARAMS, 'ghost%d:proj' % index,
                   'secret')
        assert ec2.request(req).status == 403
    assert _failure_rows() == []


def test_one_counter_per_user_whichever_alias(ec2, set_flags):
    set_flags(lockout_attempts=4)
    for access in ('alice-access:proj', 'alice:proj', 'alice-access',
                   'alice:proj'):
        req = sign('POST', '/services/Cloud/', PARAMS, access, 'wrong')
        assert ec2.request(req).status == 403
    assert _failure_rows() == [('authfailures-alice', 4)]
    result = ec2.call('DescribeRegions')
    assert result.status == 403
    assert b'Too many failed authentications' in result.body
    # The user name alias is locked too, and bob is not.
    req = sign('POST', '/services/Cloud/', PARAMS, 'alice:proj',
               'alice-secret')
    assert ec2.request(req).status == 403
    assert ec2.call('DescribeRegions', user='bob').status == 200


def test_success_resets_the_counter(ec2, set_flags):
    set_flags(lockout_attempts=3)
    for _round in range(3):
        for _attempt in range(2):
            assert ec2.call('DescribeRegions', secret='wrong').status == 403
        assert ec2.call('DescribeRegions').status == 200
    assert _failure_rows() == []


def test_expired_rows_are_purged(ec2, set_flags):
    ctxt = context.get_admin_context()
    db.auth_failure_set(ctxt, 'authfailures-old', 3, -60)
    db.auth_failure_set(ctxt, 'authfailures-live', 1, 600)
    guard = lockout.Lockout()
    guard.record_failure('bob')
    names = sorted(name for name, _count in _failure_rows())
    assert names == ['authfailures-bob', 'authfailures-live']


def test_default_signature_versions_refuse_0_and_1(ec2):
    from nova import flags
    assert flags.FLAGS.ec2_signature_versions == ['2', '4']
    values = dict(PARAMS, AWSAccessKeyId='alice-access:proj',
                  SignatureVersion='0',
                  Timestamp=signer._utcnow().strftime('%Y-%m-%dT%H:%M:%SZ'))
    values['Signature'] = signer.Signer('alice-secret').generate(
        values, 'GET', '127.0.0.1:8773', '/services/Cloud/')
    req = webob.Request.blank('/services/Cloud/?' +
                              urllib.parse.urlencode(values))
    result = ec2.request(req)
    assert result.status == 403 and result.error_code == 'AuthFailure'
    assert ec2.call('DescribeRegions', version='v2').status == 200


# -- SigV4 scope ------------------------------------------------------------------
def _botocore_facts(service, region, host='127.0.0.1:8773'):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method='POST', url='http://%s/services/Cloud/' % host,
                     data='Action=DescribeRegions&Version=2016-11-15',
                     headers={'Content-Type':
                              'application/x-www-form-urlencoded'})
    SigV4Auth(Credentials('ak', 'sk'), service, region).add_auth(req)
    prepared = req.prepare()
    return signer.SignedRequest(
        'POST', host, '/services/Cloud/', headers=dict(prepared.headers),
        body=prepared.body, params=dict(urllib.parse.parse_qsl(
            prepared.body)), query='')


@pytest.mark.parametrize('service,region', [('s3', 'nova'), ('iam', 'nova'),
                                            ('ec2', 'us-east-1'),
                                            ('ec2', 'elsewhere')])
def test_foreign_scope_is_refused(service, region):
    facts = _botocore_facts(service, region)
    assert signer.Signer('sk').verify(facts)   # a genuine signature ...
    with pytest.raises(exception.InvalidSignature):
        signer.check_scope(facts, {'nova'})    # ... for another endpoint


def test_configured_regions_are_accepted(set_flags):
    from nova.auth import manager
    set_flags(region_name='nova', region_list=['nova=h1', 'east=h2'])
    regions = manager.AuthManager.regions()
    assert regions == {'nova', 'east'}
    for region in ('nova', 'east'):
        signer.check_scope(_botocore_facts('ec2', region), regions)


def test_boto2_host_derived_scope_is_accepted():
    boto2.require()
    import boto.ec2.connection
    import boto.ec2.regioninfo
    region = boto.ec2.regioninfo.RegionInfo(name='nova',
                                            endpoint='127.0.0.1')
    conn = boto.ec2.connection.EC2Connection(
        aws_access_key_id='ak', aws_secret_access_key='sk',
        is_secure=False, region=region, port=8773, path='/services/Cloud/')
    req = conn.build_base_http_request('POST', '/services/Cloud/', None,
                                       params=dict(PARAMS))
    req.authorize(connection=conn)
    facts = _facts_from_boto(req)
    assert facts._v4['scope'].endswith('/0/127/aws4_request')
    signer.check_scope(facts, {'nova'})
    assert signer.Signer('sk').verify(facts)
    # The same scope from another host is not boto 2's and is refused.
    facts.host = '10.1.2.3:8773'
    with pytest.raises(exception.InvalidSignature):
        signer.check_scope(facts, {'nova'})


def test_foreign_scope_through_the_api_is_auth_failure(ec2):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    aws = AWSRequest(method='POST', url='http://127.0.0.1:8773/services/'
                     'Cloud/', data=dict(PARAMS),
                     headers={'Content-Type':
                              'application/x-www-form-urlencoded'})
    SigV4Auth(Credentials('alice-access:proj', 'alice-secret'), 's3',
              'nova').add_auth(aws)
    prepared = aws.prepare()
    req = webob.Request.blank('/services/Cloud/', method='POST',
                              headers=dict(prepared.headers),
                              body=prepared.body.encode()
                              if isinstance(prepared.body, str)
                              else prepared.body)
    req.host = '127.0.0.1:8773'
    result = ec2.request(req)
    assert result.status == 403 and result.error_code == 'AuthFailure'
    # Not a guess of the secret: nothing counted.
    assert _failure_rows() == []
