"""The on-disk bucket store: key confinement, atomic writes, listings."""

import hashlib
import os

import pytest

from nova.objectstore import store
from nova.objectstore.errors import S3Error


@pytest.fixture
def buckets(tmp_path):
    s = store.BucketStore(str(tmp_path / 'buckets'))
    s.create_bucket('mybucket', 'proj')
    return s


def _files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _dirs, files in os.walk(root) for f in files)


@pytest.mark.parametrize('key', ['../escape', 'a/../../x', '/etc/passwd',
                                 'a/./b', 'nul\x00byte', '..'])
def test_traversal_keys_are_refused_and_nothing_is_written(buckets, key):
    before = _files(os.path.dirname(buckets.root))
    with pytest.raises(S3Error) as err:
        buckets.put_object('mybucket', key, [b'data'])
    assert err.value.code == 'InvalidArgument'
    assert _files(os.path.dirname(buckets.root)) == before


def test_keys_with_slashes_stay_one_file_inside_the_bucket(buckets):
    for key in ('a/b/c', 'a', '.hidden', '%2F..%2F', 'dir/'):
        buckets.put_object('mybucket', key, [key.encode()])
    names = os.listdir(os.path.join(buckets.root, 'mybucket'))
    assert all('/' not in n for n in names)
    assert buckets.keys('mybucket') == sorted(
        ['a/b/c', 'a', '.hidden', '%2F..%2F', 'dir/'])
    source, info = buckets.open_object('mybucket', '.hidden')
    with source:
        assert source.read() == b'.hidden'
    assert info.etag == hashlib.md5(b'.hidden').hexdigest()


@pytest.mark.parametrize('name', ['..', '.x', 'a', 'a/b', 'x' * 300, ''])
def test_bad_bucket_names(buckets, name):
    with pytest.raises(S3Error) as err:
        buckets.create_bucket(name, 'proj')
    assert err.value.code == 'InvalidBucketName'


def test_failed_upload_leaves_nothing(buckets):
    def body():
        yield b'x' * 1000
        raise ConnectionResetError('client went away')

    with pytest.raises(ConnectionResetError):
        buckets.put_object('mybucket', 'big', body())
    assert os.listdir(os.path.join(buckets.root, 'mybucket')) == [
        store.BUCKET_INFO]
    with pytest.raises(S3Error) as err:
        buckets.put_object('mybucket', 'short', [b'abc'], expected_size=10)
    assert err.value.code == 'IncompleteBody'
    digests = store.Digests({'md5': (hashlib.md5(b'other').digest(),
                                     'BadDigest')})
    with pytest.raises(S3Error) as err:
        buckets.put_object('mybucket', 'bad', [b'abc'], digests)
    assert err.value.code == 'BadDigest'
    with pytest.raises(S3Error) as err:
        buckets.put_object('mybucket', 'large', [b'abcdef'], max_size=5)
    assert err.value.code == 'EntityTooLarge'
    assert buckets.keys('mybucket') == []


def test_listing_with_prefix_delimiter_marker(buckets):
    for key in ('a/1', 'a/2', 'b/1', 'c', 'd'):
        buckets.put_object('mybucket', key, [b'x'])
    objs, prefixes, truncated, last = buckets.list_objects(
        'mybucket', delimiter='/', max_keys=2)
    assert [o.key for o in objs] == [] and prefixes == ['a/', 'b/']
    assert truncated and last == 'b/'
    objs, prefixes, truncated, last = buckets.list_objects(
        'mybucket', delimiter='/', marker=last, max_keys=2)
    assert [o.key for o in objs] == ['c', 'd'] and prefixes == []
    assert not truncated
    objs, _p, _t, _l = buckets.list_objects('mybucket', prefix='a/')
    assert [o.key for o in objs] == ['a/1', 'a/2']


def test_bucket_lifecycle(buckets):
    with pytest.raises(S3Error) as err:
        buckets.create_bucket('mybucket', 'proj')
    assert err.value.code == 'BucketAlreadyOwnedByYou'
    with pytest.raises(S3Error) as err:
        buckets.create_bucket('mybucket', 'other')
    assert err.value.code == 'BucketAlreadyExists'
    buckets.put_object('mybucket', 'k', [b'x'])
    with pytest.raises(S3Error) as err:
        buckets.delete_bucket('mybucket')
    assert err.value.code == 'BucketNotEmpty'
    buckets.delete_object('mybucket', 'k')
    buckets.delete_bucket('mybucket')
    with pytest.raises(S3Error) as err:
        buckets.bucket_info('mybucket')
    assert err.value.code == 'NoSuchBucket'
    assert os.listdir(buckets.root) == []
