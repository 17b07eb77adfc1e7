"""Signature verification: hand-computed vectors, AWS's published SigV4
test-suite vectors, and requests signed by boto 2.49 and botocore."""

import base64
import datetime
import hashlib
import hmac
import urllib.parse

import pytest

from nova import exception
from nova.auth import signer

SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
V4_NOW = datetime.datetime(2015, 8, 30, 12, 40, 0)
V4_BASE = {'Host': 'example.amazonaws.com', 'X-Amz-Date': '20150830T123600Z'}
V4_CRED = 'AKIDEXAMPLE/20150830/us-east-1/service/aws4_request'


def _auth(signed_headers, signature):
    return ('AWS4-HMAC-SHA256 Credential=%s, SignedHeaders=%s, Signature=%s'
            % (V4_CRED, signed_headers, signature))


# -- SigV4: AWS's published test-suite vectors ----------------------------------
def test_v4_signing_key_matches_published_value():
    key = signer.Signer(SECRET).v4_signing_key(
        '20150830/us-east-1/service/aws4_request')
    assert key.hex() == ('938127b5336810ddb6a5d6af445fcac9'
                         'e371f9ed418ed386b022aed82901be75')


@pytest.mark.parametrize('method,path,query,sig', [
    ('GET', '/', [],
     '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'),
    ('GET', '/', [('Param2', 'value2'), ('Param1', 'value1')],
     'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'),
    ('GET', '/\u1234', [],
     '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85'),
    ('POST', '/', [],
     '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'),
])
def test_v4_published_vectors(method, path, query, sig):
    headers = dict(V4_BASE, Authorization=_auth('host;x-amz-date', sig))
    request = signer.SignedRequest(method, 'example.amazonaws.com', path,
                                   headers=headers, query=query)
    assert request.version == 4
    assert request.access_key == 'AKIDEXAMPLE'
    assert signer.Signer(SECRET).verify(request, now=V4_NOW)


def test_v4_published_canonical_request_get_vanilla():
    headers = dict(V4_BASE, Authorization=_auth('host;x-amz-date', 'x'))
    request = signer.SignedRequest('GET', 'example.amazonaws.com', '/',
                                   headers=headers)
    empty = hashlib.sha256(b'').hexdigest()
    canonical = signer.Signer(SECRET).v4_canonical_request(request, empty)
    assert canonical == ('GET\n/\n\nhost:example.amazonaws.com\n'
                         'x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n'
                         + empty)
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63')


def test_v4_post_form_body_independent_vector():
    """post-x-www-form-urlencoded, computed by hand from the spec steps."""
    body = b'Param1=value1'
    headers = dict(V4_BASE)
    headers['Content-Type'] = 'application/x-www-form-urlencoded'
    signed = 'content-type;host;x-amz-date'
    canonical = '\n'.join([
        'POST', '/', '',
        'content-type:application/x-www-form-urlencoded\n'
        'host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n',
        signed, hashlib.sha256(body).hexdigest()])
    to_sign = '\n'.join(['AWS4-HMAC-SHA256', '20150830T123600Z',
                         '20150830/us-east-1/service/aws4_request',
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ('AWS4' + SECRET).encode()
    for part in ('20150830', 'us-east-1', 'service', 'aws4_request'):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers['Authorization'] = _auth(signed, sig)
    request = signer.SignedRequest('POST', 'example.amazonaws.com', '/',
                                   params={'Param1': 'value1'},
                                   headers=headers, body=body)
    assert signer.Signer(SECRET).verify(request, now=V4_NOW)
    tampered = signer.SignedRequest('POST', 'example.amazonaws.com', '/',
                                    headers=headers, body=b'Param1=value2')
    with pytest.raises(exception.InvalidSignature):
        signer.Signer(SECRET).verify(tampered, now=V4_NOW)


def test_v4_wrong_secret_and_tampering_fail():
    sig = '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'
    headers = dict(V4_BASE, Authorization=_auth('host;x-amz-date', sig))
    good = signer.SignedRequest('GET', 'example.amazonaws.com', '/',
                                headers=headers)
    with pytest.raises(exception.InvalidSignature):
        signer.Signer('other').verify(good, now=V4_NOW)
    other_path = signer.SignedRequest('GET', 'example.amazonaws.com', '/x',
                                      headers=headers)
    with pytest.raises(exception.InvalidSignature):
        signer.Signer(SECRET).verify(other_path, now=V4_NOW)


def test_v4_replay_outside_window_is_refused():
    sig = '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'
    headers = dict(V4_BASE, Authorization=_auth('host;x-amz-date', sig))
    request = signer.SignedRequest('GET', 'example.amazonaws.com', '/',
                                   headers=headers)
    later = V4_NOW + datetime.timedelta(minutes=30)
    with pytest.raises(exception.RequestExpired):
        signer.Signer(SECRET).verify(request, now=later)
    earlier = V4_NOW - datetime.timedelta(hours=1)
    with pytest.raises(exception.RequestExpired):
        signer.Signer(SECRET).verify(request, now=earlier)


# -- v0, v1, v2: vectors computed by hand ---------------------------------------
def _now_iso(delta=0):
    when = datetime.datetime.utcnow() + datetime.timedelta(seconds=delta)
    return when.strftime('%Y-%m-%dT%H:%M:%SZ')


def _b64hmac(key, text, mod):
    return base64.b64encode(
        hmac.new(key.encode(), text.encode(), mod).digest()).decode()


def test_v0_by_hand():
    params = {'Action': 'DescribeInstances', 'AWSAccessKeyId': 'ak',
              'SignatureVersion': '0', 'Timestamp': _now_iso()}
    params['Signature'] = _b64hmac(
        'sekrit', params['Action'] + params['Timestamp'], hashlib.sha1)
    request = signer.SignedRequest('GET', 'h:8773', '/services/Cloud',
                                   params=params)
    assert signer.Signer('sekrit').verify(request)
    with pytest.raises(exception.InvalidSignature):
        signer.Signer('wrong').verify(request)


def test_v1_by_hand_sorts_case_insensitively():
    params = {'Action': 'DescribeImages', 'AWSAccessKeyId': 'ak',
              'SignatureVersion': '1', 'Timestamp': _now_iso(),
              'b': '2', 'Version': '2009-04-04', 'a': '1'}
    order = sorted(params, key=str.lower)
    text = ''.join(k + params[k] for k in order)
    params['Signature'] = _b64hmac('sekrit', text, hashlib.sha1)
    request = signer.SignedRequest('POST', 'h', '/services/Cloud',
                                   params=params)
    assert signer.Signer('sekrit').verify(request)


@pytest.mark.parametrize('method,mod', [('HmacSHA256', hashlib.sha256),
                                        ('HmacSHA1', hashlib.sha1)])
def test_v2_by_hand(method, mod):
    params = {'Action': 'DescribeInstances', 'AWSAccessKeyId': 'ak:proj',
              'SignatureVersion': '2', 'SignatureMethod': method,
              'Timestamp': _now_iso(), 'Version': '2009-04-04',
              'Filter.1.Name': 'a b/c~'}
    query = '&'.join('%s=%s' % (urllib.parse.quote(k, safe=''),
                                urllib.parse.quote(params[k], safe='-_~'))
                     for k in sorted(params))
    text = 'GET\nlocalhost:8773\n/services/Cloud/\n' + query
    params['Signature'] = _b64hmac('sekrit', text, mod)
    ok = signer.SignedRequest('GET', 'localhost:8773', '/services/Cloud/',
                              params=params)
    assert signer.Signer('sekrit').verify(ok)
    tampered = dict(params, Action='TerminateInstances')
    with pytest.raises(exception.InvalidSignature):
        signer.Signer('sekrit').verify(
            signer.SignedRequest('GET', 'localhost:8773',
                                 '/services/Cloud/', params=tampered))


def test_v2_host_without_port_is_retried():
    params = {'Action': 'X', 'AWSAccessKeyId': 'ak', 'SignatureVersion': '2',
              'SignatureMethod': 'HmacSHA256', 'Timestamp': _now_iso()}
    params['Signature'] = signer.Signer('s').generate(
        params, 'GET', 'example.com', '/')
    request = signer.SignedRequest('GET', 'example.com:8773', '/',
                                   params=params)
    assert signer.Signer('s').verify(request)


def test_query_timestamps_window_and_expires():
    def build(**extra):
        params = {'Action': 'X', 'AWSAccessKeyId': 'ak',
                  'SignatureVersion': '2', 'SignatureMethod': 'HmacSHA256'}
        params.update(extra)
        params['Signature'] = signer.Signer('s').generate(
            params, 'GET', 'h', '/')
        return signer.SignedRequest('GET', 'h', '/', params=params)

    assert signer.Signer('s').verify(build(Timestamp=_now_iso(-60)))
    with pytest.raises(exception.RequestExpired):
        signer.Signer('s').verify(build(Timestamp=_now_iso(-3600)))
    with pytest.raises(exception.RequestExpired):
        signer.Signer('s').verify(build(Timestamp=_now_iso(3600)))
    assert signer.Signer('s').verify(build(Expires=_now_iso(300)))
    with pytest.raises(exception.RequestExpired):
        signer.Signer('s').verify(build(Expires=_now_iso(-5)))
    with pytest.raises(exception.InvalidSignature):
        signer.Signer('s').verify(build())
    fractional = _now_iso()[:-1] + '.123Z'
    assert signer.Signer('s').verify(build(Timestamp=fractional))


def test_unknown_and_missing_versions():
    with pytest.raises(exception.InvalidSignature):
        signer.Signer('s').generate({'SignatureVersion': '7'}, 'GET', 'h',
                                    '/')
    unsigned = signer.SignedRequest('GET', 'h', '/', params={'Action': 'X'})
    with pytest.raises(exception.InvalidSignature):
        signer.Signer('s').verify(unsigned)
