"""nova-objectstore refuses bad requests with S3 error XML, storing nothing.

Unsigned and wrongly signed requests, another project's bucket, keys that
try to leave their bucket, bad digests, oversized bodies and a client
that disconnects mid-upload.
"""

import base64
import hashlib
import http.client
import os
import socket
import time

import pytest

from nova import flags
from tests.functional.s3_helpers import s3cloud  # noqa: F401 - fixture

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]
FLAGS = flags.FLAGS


@pytest.fixture(scope='module')
def users(s3cloud):  # noqa: F811 - fixture
    alice = s3cloud.create_user('alice', 'aproj')
    bob = s3cloud.create_user('bob', 'bproj')
    admin = s3cloud.create_user('root', 'rootproj', admin=True)
    client = s3cloud.boto3_s3(*alice)
    client.create_bucket(Bucket='alices')
    client.put_object(Bucket='alices', Key='secret.txt', Body=b'alice only')
    return {'alice': alice, 'bob': bob, 'admin': admin}


def _bucket_files(s3cloud):  # noqa: F811
    root = os.path.join(s3cloud.state_path, 'buckets')
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _dirs, files in os.walk(root) for f in files)


def _raw(s3cloud, method, path, body=b'', headers=None):  # noqa: F811
    conn = http.client.HTTPConnection('127.0.0.1', s3cloud.s3.port,
                                      timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def _signed_put(s3cloud, user, path, body, extra=None):  # noqa: F811
    """A raw PUT signed by botocore's SigV4 signer (path sent verbatim)."""
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    creds = botocore.credentials.Credentials(*user)
    url = 'http://127.0.0.1:%d%s' % (s3cloud.s3.port, path)
    request = botocore.awsrequest.AWSRequest(method='PUT', url=url,
                                             data=body,
                                             headers=dict(extra or {}))
    request.context['payload_signing_enabled'] = True
    botocore.auth.S3SigV4Auth(creds, 's3', 'nova').add_auth(request)
    headers = dict(request.headers)
    return _raw(s3cloud, 'PUT', path, body, headers)


def test_unsigned_requests_are_refused(s3cloud, users):  # noqa: F811
    for method, path in (('GET', '/'), ('GET', '/alices/secret.txt'),
                         ('PUT', '/newbucket'), ('GET', '/alices')):
        status, data = _raw(s3cloud, method, path)
        assert status == 403
        assert b'<Code>AccessDenied</Code>' in data
        assert b'Traceback' not in data
    assert not os.path.exists(os.path.join(s3cloud.state_path, 'buckets',
                                           'newbucket'))


def test_wrong_secret_and_unknown_key(s3cloud, users):  # noqa: F811
    access, _secret = users['alice']
    client = s3cloud.boto3_s3(access, 'not-the-secret')
    with pytest.raises(client.exceptions.ClientError) as err:
        client.get_object(Bucket='alices', Key='secret.txt')
    assert err.value.response['Error']['Code'] == 'SignatureDoesNotMatch'
    client = s3cloud.boto3_s3('nobody', 'x', signature_version='s3')
    with pytest.raises(client.exceptions.ClientError) as err:
        client.list_buckets()
    assert err.value.response['Error']['Code'] == 'InvalidAccessKeyId'


def test_another_projects_bucket_is_denied_admin_sees_all(
        s3cloud, users):  # noqa: F811
    bob = s3cloud.boto3_s3(*users['bob'])
    before = _bucket_files(s3cloud)
    for call, kwargs in (
            (bob.get_object, {'Key': 'secret.txt'}),
            (bob.put_object, {'Key': 'planted', 'Body': b'x'}),
            (bob.delete_object, {'Key': 'secret.txt'}),
            (bob.list_objects_v2, {}),
            (bob.delete_bucket, {})):
        with pytest.raises(bob.exceptions.ClientError) as err:
            call(Bucket='alices', **kwargs)
        assert err.value.response['Error']['Code'] == 'AccessDenied'
    with pytest.raises(bob.exceptions.ClientError) as err:
        bob.create_bucket(Bucket='alices')
    assert err.value.response['Error']['Code'] == 'BucketAlreadyExists'
    assert 'alices' not in [b['Name'] for b in bob.list_buckets()['Buckets']]
    assert _bucket_files(s3cloud) == before
    admin = s3cloud.boto3_s3(*users['admin'])
    assert 'alices' in [b['Name'] for b in admin.list_buckets()['Buckets']]
    assert admin.get_object(Bucket='alices',
                            Key='secret.txt')['Body'].read() == b'alice only'


@pytest.mark.parametrize('path', [
    '/alices/../etc/passwd', '/alices/a/../../x', '/alices//etc/passwd',
    '/alices/%2E%2E/escape', '/alices/..%2Fescape', '/alices/nul%00byte'])
def test_traversal_keys_are_refused(s3cloud, users, path):  # noqa: F811
    before = _bucket_files(s3cloud)
    status, data = _signed_put(s3cloud, users['alice'], path, b'evil')
    assert status == 400, data
    assert b'<Code>InvalidArgument</Code>' in data
    assert _bucket_files(s3cloud) == before
    assert not os.path.exists(os.path.join(s3cloud.state_path, 'escape'))


def test_encoded_slash_stays_inside_the_bucket(s3cloud, users):  # noqa: F811
    status, _data = _signed_put(s3cloud, users['alice'],
                                '/alices/dir%2Ffile', b'inside')
    assert status == 200
    client = s3cloud.boto3_s3(*users['alice'])
    assert client.get_object(Bucket='alices',
                             Key='dir/file')['Body'].read() == b'inside'
    client.delete_object(Bucket='alices', Key='dir/file')


def test_digests(s3cloud, users):  # noqa: F811
    client = s3cloud.boto3_s3(*users['alice'])
    before = _bucket_files(s3cloud)
    wrong = base64.b64encode(hashlib.md5(b'other').digest()).decode()
    with pytest.raises(client.exceptions.ClientError) as err:
        client.put_object(Bucket='alices', Key='d', Body=b'data',
                          ContentMD5=wrong)
    assert err.value.response['Error']['Code'] == 'BadDigest'
    status, data = _signed_put(s3cloud, users['alice'], '/alices/d', b'data',
                               {'Content-MD5': 'not-base64!'})
    assert status == 400 and b'<Code>InvalidDigest</Code>' in data
    # A body swapped after signing: x-amz-content-sha256 no longer matches.
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    request = botocore.awsrequest.AWSRequest(
        method='PUT', url='http://127.0.0.1:%d/alices/d' % s3cloud.s3.port,
        data=b'original')
    request.context['payload_signing_enabled'] = True
    botocore.auth.S3SigV4Auth(botocore.credentials.Credentials(
        *users['alice']), 's3', 'nova').add_auth(request)
    status, data = _raw(s3cloud, 'PUT', '/alices/d', b'swapped!',
                        dict(request.headers))
    assert status == 400 and b'XAmzContentSHA256Mismatch' in data
    assert _bucket_files(s3cloud) == before


def test_entity_too_large(s3cloud, users):  # noqa: F811
    client = s3cloud.boto3_s3(*users['alice'])
    saved = FLAGS.s3_max_object_size
    FLAGS.set('s3_max_object_size', 1000)
    try:
        with pytest.raises(client.exceptions.ClientError) as err:
            client.put_object(Bucket='alices', Key='large', Body=b'x' * 1001)
        assert err.value.response['Error']['Code'] == 'EntityTooLarge'
    finally:
        FLAGS.set('s3_max_object_size', saved)
    with pytest.raises(client.exceptions.NoSuchKey):
        client.get_object(Bucket='alices', Key='large')


def test_disconnect_mid_upload_leaves_nothing(s3cloud, users):  # noqa: F811
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    request = botocore.awsrequest.AWSRequest(
        method='PUT', url='http://127.0.0.1:%d/alices/partial'
        % s3cloud.s3.port, data=b'')
    request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD'
    botocore.auth.S3SigV4Auth(botocore.credentials.Credentials(
        *users['alice']), 's3', 'nova').add_auth(request)
    request.headers['Content-Length'] = str(10 * 1024 * 1024)
    sock = socket.create_connection(('127.0.0.1', s3cloud.s3.port))
    head = 'PUT /alices/partial HTTP/1.1\r\n' + ''.join(
        '%s: %s\r\n' % kv for kv in request.headers.items()) + '\r\n'
    sock.sendall(head.encode() + b'y' * (3 * 1024 * 1024))
    time.sleep(0.5)
    sock.close()
    client = s3cloud.boto3_s3(*users['alice'])
    deadline = time.time() + 10
    while time.time() < deadline and any(
            '.tmp-' in f for f in _bucket_files(s3cloud)):
        time.sleep(0.1)
    assert not any('.tmp-' in f or 'partial' in f
                   for f in _bucket_files(s3cloud))
    with pytest.raises(client.exceptions.NoSuchKey):
        client.get_object(Bucket='alices', Key='partial')
