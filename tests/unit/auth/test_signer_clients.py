"""The signer against requests signed by real clients' own signers:
boto 2.49 (SigV4 with its host-derived scope; query v0/v1/v2) and botocore
(SigV4 header and presigned query forms, scope REGION/ec2)."""

import urllib.parse

import pytest

from nova import exception
from nova.auth import signer
from tests import boto2

ACCESS = 'c0ffee00-access:myproject'
SECRET = 'b16b00b5-secret'


def _boto_request(method, host, path, params):
    import boto.connection
    return boto.connection.HTTPRequest(
        method, 'http', host, 8773, path, path, dict(params), {}, '')


def _boto_provider():
    import boto.provider
    return boto.provider.Provider('aws', ACCESS, SECRET)


def _facts_from_boto(req):
    """What the server sees of a request boto is about to send."""
    split = urllib.parse.urlsplit(req.path)
    query = urllib.parse.parse_qsl(split.query, keep_blank_values=True)
    body = req.body or b''
    body = body.encode() if isinstance(body, str) else body
    params = dict(query)
    if req.method == 'POST':
        params.update(urllib.parse.parse_qsl(body.decode(),
                                             keep_blank_values=True))
    headers = dict(req.headers)
    headers.setdefault('Host', '%s:%d' % (req.host, req.port))
    return signer.SignedRequest(req.method, headers['Host'], split.path,
                                params=params, headers=headers, body=body,
                                query=query)


@pytest.mark.parametrize('method', ['POST', 'GET'])
def test_boto2_sigv4_host_scope(method):
    boto2.require()
    import boto.ec2.connection
    import boto.ec2.regioninfo
    region = boto.ec2.regioninfo.RegionInfo(name='nova',
                                            endpoint='127.0.0.1')
    conn = boto.ec2.connection.EC2Connection(
        aws_access_key_id=ACCESS, aws_secret_access_key=SECRET,
        is_secure=False, region=region, port=8773,
        path='/services/Cloud/')
    req = conn.build_base_http_request(
        method, '/services/Cloud/', None,
        params={'Action': 'DescribeInstances', 'Version': '2014-10-01',
                'InstanceId.1': 'i-00000001'})
    req.authorize(connection=conn)
    facts = _facts_from_boto(req)
    assert facts.version == 4
    assert facts.access_key == ACCESS
    # boto derives region and service from the dotted host: 0 and 127.
    assert facts._v4['scope'].endswith('/0/127/aws4_request')
    assert signer.Signer(SECRET).verify(facts)
    with pytest.raises(exception.InvalidSignature):
        signer.Signer('not-' + SECRET).verify(facts)
    facts.params['InstanceId.1'] = 'i-00000002'
    facts.query = [(k, 'i-00000002' if k == 'InstanceId.1' else v)
                   for k, v in facts.query]
    facts.body = facts.body.replace(b'i-00000001', b'i-00000002')
    with pytest.raises(exception.InvalidSignature):
        signer.Signer(SECRET).verify(facts)


# boto's own v0 handler is broken on Python 3 (it sorts dict keys in place);
# v0 is covered by the hand-computed vector in test_signer.py.
@pytest.mark.parametrize('handler_name,version', [
    ('QuerySignatureV1AuthHandler', '1'),
    ('QuerySignatureV2AuthHandler', '2'),
])
def test_boto2_query_signatures(handler_name, version):
    boto2.require()
    import boto.auth
    import boto.utils
    handler = getattr(boto.auth, handler_name)('localhost:8773', None,
                                               _boto_provider())
    params = {'Action': 'DescribeImages', 'Version': '2009-04-04',
              'Owner.1': 'self', 'Timestamp': boto.utils.get_ts()}
    req = _boto_request('POST', 'localhost', '/services/Cloud/', params)
    handler.add_auth(req)
    facts = _facts_from_boto(req)
    assert facts.version == int(version)
    assert facts.params['SignatureVersion'] == version
    assert signer.Signer(SECRET).verify(facts)
    facts.params['Owner.1'] = 'other'
    with pytest.raises(exception.InvalidSignature):
        signer.Signer(SECRET).verify(facts)


def _botocore_request(body):
    from botocore.awsrequest import AWSRequest
    return AWSRequest(
        method='POST', url='http://127.0.0.1:8773/services/Cloud/',
        data=body,
        headers={'Content-Type':
                 'application/x-www-form-urlencoded; charset=utf-8'})


def _facts_from_botocore(prepared_or_request):
    req = prepared_or_request
    split = urllib.parse.urlsplit(req.url)
    query = urllib.parse.parse_qsl(split.query, keep_blank_values=True)
    body = req.body or b''
    body = body.encode() if isinstance(body, str) else body
    params = dict(query)
    params.update(urllib.parse.parse_qsl(body.decode(),
                                         keep_blank_values=True))
    headers = dict(req.headers.items())
    headers.setdefault('Host', split.netloc)
    return signer.SignedRequest(req.method, split.netloc, split.path,
                                params=params, headers=headers, body=body,
                                query=query)


@pytest.mark.parametrize('region', ['nova', 'us-east-1'])
def test_botocore_sigv4_header(region):
    from botocore.auth import SigV4Auth
    from botocore.credentials import Credentials
    body = 'Action=DescribeInstances&Version=2016-11-15'
    req = _botocore_request(body)
    SigV4Auth(Credentials(ACCESS, SECRET), 'ec2', region).add_auth(req)
    facts = _facts_from_botocore(req.prepare())
    assert facts.access_key == ACCESS
    assert facts._v4['scope'].endswith('/%s/ec2/aws4_request' % region)
    assert signer.Signer(SECRET).verify(facts)
    facts.body = b'Action=TerminateInstances&Version=2016-11-15'
    with pytest.raises(exception.InvalidSignature):
        signer.Signer(SECRET).verify(facts)


def test_botocore_sigv4_presigned_query():
    from botocore.auth import SigV4QueryAuth
    from botocore.credentials import Credentials
    from botocore.awsrequest import AWSRequest
    req = AWSRequest(method='GET',
                     url='http://127.0.0.1:8773/services/Cloud/',
                     params={'Action': 'DescribeRegions',
                             'Version': '2016-11-15'})
    SigV4QueryAuth(Credentials(ACCESS, SECRET), 'ec2', 'nova',
                   expires=300).add_auth(req)
    facts = _facts_from_botocore(req.prepare())
    assert facts.version == 4 and facts._v4['in_query']
    assert facts.access_key == ACCESS
    assert signer.Signer(SECRET).verify(facts)
    facts.query = [(k, 'DescribeImages' if k == 'Action' else v)
                   for k, v in facts.query]
    with pytest.raises(exception.InvalidSignature):
        signer.Signer(SECRET).verify(facts)


def test_declared_payload_hash_must_match_the_body():
    """A captured POST cannot carry another body under its signature."""
    import hashlib
    from botocore.auth import SigV4Auth
    from botocore.credentials import Credentials
    body = 'Action=DescribeInstances&Version=2016-11-15'
    req = _botocore_request(body)
    req.headers['X-Amz-Content-SHA256'] = hashlib.sha256(
        body.encode()).hexdigest()
    SigV4Auth(Credentials(ACCESS, SECRET), 'ec2', 'nova').add_auth(req)
    facts = _facts_from_botocore(req.prepare())
    assert signer.Signer(SECRET).verify(facts)
    facts.body = b'Action=TerminateInstances&InstanceId.1=i-00000001'
    with pytest.raises(exception.InvalidSignature):
        signer.Signer(SECRET).verify(facts)


def test_unsigned_payload_is_refused_with_a_body():
    from botocore.auth import SigV4Auth
    from botocore.credentials import Credentials
    req = _botocore_request('Action=DescribeInstances&Version=2016-11-15')
    req.headers['X-Amz-Content-SHA256'] = signer.UNSIGNED_PAYLOAD
    SigV4Auth(Credentials(ACCESS, SECRET), 'ec2', 'nova').add_auth(req)
    facts = _facts_from_botocore(req.prepare())
    with pytest.raises(exception.InvalidSignature):
        signer.Signer(SECRET).verify(facts)


def test_presigned_fields_in_a_form_body_are_refused():
    from botocore.auth import SigV4QueryAuth
    from botocore.credentials import Credentials
    from botocore.awsrequest import AWSRequest
    req = AWSRequest(method='GET',
                     url='http://127.0.0.1:8773/services/Cloud/',
                     params={'Action': 'DescribeRegions',
                             'Version': '2016-11-15'})
    SigV4QueryAuth(Credentials(ACCESS, SECRET), 'ec2', 'nova',
                   expires=300).add_auth(req)
    prepared = req.prepare()
    query = urllib.parse.urlsplit(prepared.url).query
    with pytest.raises(exception.InvalidSignature):
        signer.SignedRequest('POST', '127.0.0.1:8773', '/services/Cloud/',
                             params=dict(urllib.parse.parse_qsl(query)),
                             headers={}, body=query.encode(), query='')


@pytest.mark.parametrize('expires', ['99999999999999', '0', '604801'])
def test_presigned_lifetime_is_bounded(expires):
    from botocore.auth import SigV4QueryAuth
    from botocore.credentials import Credentials
    from botocore.awsrequest import AWSRequest
    req = AWSRequest(method='GET',
                     url='http://127.0.0.1:8773/services/Cloud/',
                     params={'Action': 'DescribeRegions',
                             'Version': '2016-11-15'})
    SigV4QueryAuth(Credentials(ACCESS, SECRET), 'ec2', 'nova',
                   expires=300).add_auth(req)
    facts = _facts_from_botocore(req.prepare())
    facts.query = [(k, expires if k == 'X-Amz-Expires' else v)
                   for k, v in facts.query]
    facts._v4['expires'] = expires
    with pytest.raises(exception.InvalidSignature):
        signer.Signer(SECRET).verify(facts)


def test_lockout_counts_against_the_key_that_was_tried():
    """A v2 request with a decoy Credential= header is still attributed
    to its AWSAccessKeyId (the key whose signature is checked)."""
    import webob
    from nova.api import ec2
    req = webob.Request.blank(
        '/services/Cloud', method='POST',
        POST={'AWSAccessKeyId': 'victim:proj', 'Action': 'DescribeRegions',
              'SignatureVersion': '2', 'SignatureMethod': 'HmacSHA256',
              'Timestamp': '2026-11-25T00:00:00Z', 'Signature': 'x',
              'Version': '2009-04-04'},
        headers={'Authorization': 'x Credential=junk/1/2/3/aws4_request'})
    assert ec2.access_key_of(req) == 'victim:proj'
