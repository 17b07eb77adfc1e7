"""nova-objectstore driven by today's S3 clients over real HTTP.

boto3 (SigV4 and SigV2, path and virtual-host style, presigned URLs), the
AWS CLI (``aws s3 mb/cp/ls/sync/rm``, ``aws s3api put-object
--content-md5``), s3cmd (SigV2 and SigV4) and boto 2.49.
"""

import base64
import hashlib
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests import boto2
from tests.functional.conftest import aws_cli_available
from tests.functional.s3_helpers import s3cloud  # noqa: F401 - fixture

pytestmark = [pytest.mark.functional, pytest.mark.timeout(600)]

MIB = 1024 * 1024


@pytest.fixture(scope='module')
def alice(s3cloud):  # noqa: F811 - fixture
    return s3cloud.create_user('alice', 'aproj')


@pytest.mark.parametrize('sigv', ['s3v4', 's3'])
def test_boto3_bucket_and_object_cycle(s3cloud, alice, sigv):  # noqa: F811
    client = s3cloud.boto3_s3(*alice, signature_version=sigv)
    bucket = 'cycle-' + sigv
    client.create_bucket(Bucket=bucket)
    assert bucket in [b['Name'] for b in client.list_buckets()['Buckets']]
    client.head_bucket(Bucket=bucket)
    data = os.urandom(300000)
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    put = client.put_object(Bucket=bucket, Key='dir/obj.bin', Body=data,
                            ContentMD5=md5, ContentType='application/x-raw',
                            Metadata={'purpose': 'test'})
    assert put['ETag'] == '"%s"' % hashlib.md5(data).hexdigest()
    head = client.head_object(Bucket=bucket, Key='dir/obj.bin')
    assert head['ContentLength'] == len(data)
    assert head['ContentType'] == 'application/x-raw'
    assert head['Metadata'] == {'purpose': 'test'}
    assert head['LastModified'].year >= 2024
    got = client.get_object(Bucket=bucket, Key='dir/obj.bin')
    assert got['Body'].read() == data
    part = client.get_object(Bucket=bucket, Key='dir/obj.bin',
                             Range='bytes=100-199')
    assert part['ContentRange'] == 'bytes 100-199/%d' % len(data)
    assert part['Body'].read() == data[100:200]
    tail = client.get_object(Bucket=bucket, Key='dir/obj.bin',
                             Range='bytes=-10')
    assert tail['Body'].read() == data[-10:]
    for i in range(5):
        client.put_object(Bucket=bucket, Key='k%d' % i, Body=b'%d' % i)
    # ListObjects v1 paged by marker, v2 by continuation token.
    keys, marker = [], ''
    while True:
        page = client.list_objects(Bucket=bucket, Marker=marker, MaxKeys=2)
        keys += [o['Key'] for o in page.get('Contents', [])]
        if not page['IsTruncated']:
            break
        marker = page['NextMarker']
    assert keys == ['dir/obj.bin', 'k0', 'k1', 'k2', 'k3', 'k4']
    pages = client.get_paginator('list_objects_v2').paginate(
        Bucket=bucket, PaginationConfig={'PageSize': 2})
    keys = [o['Key'] for p in pages for o in p.get('Contents', [])]
    assert keys == ['dir/obj.bin', 'k0', 'k1', 'k2', 'k3', 'k4']
    listing = client.list_objects_v2(Bucket=bucket, Delimiter='/',
                                     Prefix='')
    assert [p['Prefix'] for p in listing['CommonPrefixes']] == ['dir/']
    assert listing['KeyCount'] == 6
    with pytest.raises(client.exceptions.ClientError) as err:
        client.delete_bucket(Bucket=bucket)
    assert err.value.response['Error']['Code'] == 'BucketNotEmpty'
    for key in ['dir/obj.bin'] + ['k%d' % i for i in range(5)]:
        client.delete_object(Bucket=bucket, Key=key)
    with pytest.raises(client.exceptions.NoSuchKey):
        client.get_object(Bucket=bucket, Key='k0')
    client.delete_bucket(Bucket=bucket)
    with pytest.raises(client.exceptions.ClientError) as err:
        client.head_bucket(Bucket=bucket)
    assert err.value.response['Error']['Code'] == '404'


@pytest.mark.parametrize('sigv', ['s3v4', 's3'])
def test_presigned_urls(s3cloud, alice, sigv):  # noqa: F811
    client = s3cloud.boto3_s3(*alice, signature_version=sigv)
    client.create_bucket(Bucket='presign-' + sigv)
    client.put_object(Bucket='presign-' + sigv, Key='a b+c', Body=b'shared')
    url = client.generate_presigned_url(
        'get_object', Params={'Bucket': 'presign-' + sigv, 'Key': 'a b+c'},
        ExpiresIn=60)
    assert urllib.request.urlopen(url, timeout=30).read() == b'shared'
    if sigv == 's3v4':
        put_url = client.generate_presigned_url(
            'put_object', Params={'Bucket': 'presign-' + sigv,
                                  'Key': 'uploaded'}, ExpiresIn=60)
        request = urllib.request.Request(put_url, data=b'via url',
                                         method='PUT')
        assert urllib.request.urlopen(request, timeout=30).status == 200
        assert client.get_object(Bucket='presign-' + sigv, Key='uploaded')[
            'Body'].read() == b'via url'
        expired = client.generate_presigned_url(
            'get_object', Params={'Bucket': 'presign-' + sigv,
                                  'Key': 'a b+c'}, ExpiresIn=1)
        time.sleep(2)
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(expired, timeout=30)
        assert err.value.code == 403
        assert b'<Code>AccessDenied</Code>' in err.value.read()
    tampered = url.replace('a%20b%2Bc', 'other')
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(tampered, timeout=30)
    assert err.value.code == 403
    assert b'<Code>SignatureDoesNotMatch</Code>' in err.value.read()


def test_virtual_host_style(s3cloud, alice):  # noqa: F811
    """Host: bucket.localhost:PORT addresses the bucket (signed by botocore)."""
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    client = s3cloud.boto3_s3(*alice)
    client.create_bucket(Bucket='vhost')
    creds = botocore.credentials.Credentials(*alice)
    for auth in (botocore.auth.S3SigV4Auth(creds, 's3', 'nova'),
                 botocore.auth.HmacV1Auth(creds)):
        name = type(auth).__name__
        url = 'http://vhost.localhost:%d/%s.txt' % (s3cloud.s3.port, name)
        request = botocore.awsrequest.AWSRequest(
            method='PUT', url=url, data=name.encode(),
            headers={'Content-Type': 'text/plain'})
        if isinstance(auth, botocore.auth.HmacV1Auth):
            request.auth_path = '/vhost/%s.txt' % name
        else:
            request.context['payload_signing_enabled'] = True
        auth.add_auth(request)
        prepared = request.prepare()
        raw = urllib.request.Request(
            'http://127.0.0.1:%d/%s.txt' % (s3cloud.s3.port, name),
            data=prepared.body, method='PUT', headers=dict(prepared.headers))
        raw.add_header('Host', 'vhost.localhost:%d' % s3cloud.s3.port)
        assert urllib.request.urlopen(raw, timeout=30).status == 200
        got = client.get_object(Bucket='vhost', Key='%s.txt' % name)
        assert got['Body'].read() == name.encode()


def test_boto3_streams_100_mib(s3cloud, alice, tmp_path):  # noqa: F811
    """A 100 MiB multipart-free upload and download, both streamed."""
    client = s3cloud.boto3_s3(*alice)
    client.create_bucket(Bucket='big')
    path = tmp_path / 'big.bin'
    digest = hashlib.md5()
    with open(path, 'wb') as out:
        block = os.urandom(MIB)
        for i in range(100):
            chunk = block[i:] + block[:i]
            digest.update(chunk)
            out.write(chunk)
    with open(path, 'rb') as source:
        put = client.put_object(Bucket='big', Key='big.bin', Body=source)
    assert put['ETag'] == '"%s"' % digest.hexdigest()
    got = client.get_object(Bucket='big', Key='big.bin')
    check = hashlib.md5()
    for chunk in got['Body'].iter_chunks(MIB):
        check.update(chunk)
    assert check.hexdigest() == digest.hexdigest()
    client.delete_object(Bucket='big', Key='big.bin')


@pytest.mark.skipif(not aws_cli_available(),
                    reason='the aws command (awscli) is not installed')
def test_aws_cli_mb_cp_ls_sync_rm(s3cloud, alice, tmp_path):  # noqa: F811
    config = tmp_path / 'aws.conf'
    config.write_text('[default]\ns3 =\n    multipart_threshold = 200MB\n')

    def aws(*args, check=True):
        return s3cloud.aws_s3(*alice, *args, check=check,
                              config=str(config))

    aws('s3', 'mb', 's3://clibucket')
    src = tmp_path / 'tree'
    (src / 'sub').mkdir(parents=True)
    for name in ('a.txt', 'b.txt', 'sub/c.txt'):
        (src / name).write_text('content of %s\n' % name)
    aws('s3', 'cp', str(src / 'a.txt'), 's3://clibucket/single/a.txt')
    # Over 8 MiB the CLI's defaults upload in parts.
    big = tmp_path / 'big.bin'
    big.write_bytes(os.urandom(9 * MIB))
    s3cloud.aws_s3(*alice, 's3', 'cp', str(big), 's3://clibucket/big.bin')
    aws('s3', 'sync', str(src), 's3://clibucket/tree')
    out = aws('s3', 'ls', '--recursive', 's3://clibucket/').stdout
    assert sorted(line.split()[-1] for line in out.splitlines()) == [
        'big.bin', 'single/a.txt', 'tree/a.txt', 'tree/b.txt',
        'tree/sub/c.txt']
    # A changed file is sent again (and only it).
    (src / 'b.txt').write_text('changed, and longer than before\n')
    out = aws('s3', 'sync', str(src), 's3://clibucket/tree').stdout
    assert 'tree/b.txt' in out and 'a.txt' not in out
    dest = tmp_path / 'back'
    aws('s3', 'sync', 's3://clibucket/tree', str(dest))
    assert (dest / 'sub' / 'c.txt').read_text() == 'content of sub/c.txt\n'
    assert (dest / 'b.txt').read_text() == 'changed, and longer than before\n'
    body = tmp_path / 'body'
    body.write_bytes(b'checked body')
    good = base64.b64encode(hashlib.md5(b'checked body').digest()).decode()
    aws('s3api', 'put-object', '--bucket', 'clibucket', '--key', 'md5',
        '--body', str(body), '--content-md5', good)
    bad = base64.b64encode(hashlib.md5(b'other').digest()).decode()
    proc = aws('s3api', 'put-object', '--bucket', 'clibucket', '--key',
               'md5bad', '--body', str(body), '--content-md5', bad,
               check=False)
    assert proc.returncode != 0 and 'BadDigest' in proc.stderr
    aws('s3', 'rm', '--recursive', 's3://clibucket/')
    aws('s3', 'rb', 's3://clibucket')
    assert not os.path.exists(os.path.join(s3cloud.state_path, 'buckets',
                                           'clibucket'))


@pytest.mark.skipif(shutil.which('s3cmd') is None,
                    reason='s3cmd is not installed')
@pytest.mark.parametrize('v2', [True, False])
def test_s3cmd(s3cloud, alice, tmp_path, v2):  # noqa: F811
    access, secret = alice
    host = '127.0.0.1:%d' % s3cloud.s3.port
    config = tmp_path / 's3cfg'
    config.write_text('\n'.join([
        '[default]', 'access_key = %s' % access, 'secret_key = %s' % secret,
        'host_base = %s' % host, 'host_bucket = %s' % host,
        'use_https = False', 'signature_v2 = %s' % v2,
        'bucket_location = nova', 'check_ssl_certificate = False',
        'multipart_chunk_size_mb = 200', '']))
    bucket = 's3://s3cmd-%s' % ('v2' if v2 else 'v4')

    def s3cmd(*args):
        proc = subprocess.run(['s3cmd', '-c', str(config)] + list(args),
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout

    s3cmd('mb', bucket)
    src = tmp_path / 'file.txt'
    src.write_bytes(os.urandom(70000))
    s3cmd('put', str(src), bucket + '/path/file.txt')
    assert 'path/file.txt' in s3cmd('ls', '--recursive', bucket)
    back = tmp_path / 'back.txt'
    s3cmd('get', bucket + '/path/file.txt', str(back))
    assert back.read_bytes() == src.read_bytes()
    s3cmd('del', '--recursive', '--force', bucket)
    s3cmd('rb', bucket)


def test_boto2(s3cloud, alice):  # noqa: F811
    boto2.require()
    import boto.s3.connection
    access, secret = alice
    conn = boto.s3.connection.S3Connection(
        aws_access_key_id=access, aws_secret_access_key=secret,
        is_secure=False, host='127.0.0.1', port=s3cloud.s3.port,
        calling_format=boto.s3.connection.OrdinaryCallingFormat())
    bucket = conn.create_bucket('boto2bucket')
    key = bucket.new_key('hello.txt')
    key.set_contents_from_string('hello from boto 2')
    assert bucket.get_key('hello.txt').get_contents_as_string() == \
        b'hello from boto 2'
    assert [k.name for k in bucket.list()] == ['hello.txt']
    assert 'boto2bucket' in [b.name for b in conn.get_all_buckets()]
    bucket.delete_key('hello.txt')
    conn.delete_bucket('boto2bucket')


def test_multipart_uploads(s3cloud, alice, tmp_path):  # noqa: F811
    """boto3's managed transfer splits big files into parts."""
    import boto3.s3.transfer
    client = s3cloud.boto3_s3(*alice)
    client.create_bucket(Bucket='multi')
    path = tmp_path / 'multi.bin'
    path.write_bytes(os.urandom(13 * MIB))
    config = boto3.s3.transfer.TransferConfig(
        multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    client.upload_file(str(path), 'multi', 'dir/multi.bin', Config=config)
    head = client.head_object(Bucket='multi', Key='dir/multi.bin')
    assert head['ETag'].endswith('-3"')
    assert head['ContentLength'] == 13 * MIB
    back = tmp_path / 'back.bin'
    client.download_file('multi', 'dir/multi.bin', str(back))
    assert back.read_bytes() == path.read_bytes()
    # An aborted upload leaves nothing; a part list out of order is refused.
    upload = client.create_multipart_upload(Bucket='multi', Key='aborted')
    part = client.upload_part(Bucket='multi', Key='aborted', PartNumber=1,
                              UploadId=upload['UploadId'], Body=b'x' * 100)
    with pytest.raises(client.exceptions.ClientError) as err:
        client.complete_multipart_upload(
            Bucket='multi', Key='aborted', UploadId=upload['UploadId'],
            MultipartUpload={'Parts': [
                {'PartNumber': 2, 'ETag': part['ETag']},
                {'PartNumber': 1, 'ETag': part['ETag']}]})
    assert err.value.response['Error']['Code'] == 'InvalidPartOrder'
    client.abort_multipart_upload(Bucket='multi', Key='aborted',
                                  UploadId=upload['UploadId'])
    with pytest.raises(client.exceptions.ClientError) as err:
        client.upload_part(Bucket='multi', Key='aborted', PartNumber=2,
                           UploadId=upload['UploadId'], Body=b'y')
    assert err.value.response['Error']['Code'] == 'NoSuchUpload'
    keys = [o['Key'] for o in client.list_objects_v2(
        Bucket='multi')['Contents']]
    assert keys == ['dir/multi.bin']
    assert os.listdir(os.path.join(s3cloud.state_path, 'buckets', 'multi',
                                   '.uploads')) == []
