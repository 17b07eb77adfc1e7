"""SigV4 chunked uploads checked against AWS's published worked example.

The example of "Signature Calculations for the Authorization Header:
Transferring Payload in Multiple Chunks" (S3 API reference): secret key
``wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY``, 20130524T000000Z, a PUT of
``/examplebucket/chunkObject.txt`` with 65536 + 1024 bytes of ``a``; AWS
publishes the seed signature and the three chunk signatures.
"""

import datetime
import io

import pytest

from nova.objectstore import body
from nova.objectstore import s3auth
from nova.objectstore.errors import S3Error

SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9'
CHUNK_SIGS = ('ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
              '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
              'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9')
SIGNED = ('content-encoding;content-length;host;x-amz-content-sha256;'
          'x-amz-date;x-amz-decoded-content-length;x-amz-storage-class')


def example_request(signature=SEED):
    headers = {
        'Host': 's3.amazonaws.com',
        'x-amz-date': '20130524T000000Z',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'Authorization': 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/'
        '20130524/us-east-1/s3/aws4_request,SignedHeaders=%s,Signature=%s'
        % (SIGNED, signature),
        'x-amz-content-sha256': s3auth.STREAMING,
        'Content-Encoding': 'aws-chunked',
        'x-amz-decoded-content-length': '66560',
        'Content-Length': '66824',
    }
    return s3auth.S3Request('PUT', '/examplebucket/chunkObject.txt', [],
                            headers, 's3.amazonaws.com')


def example_body(signatures=CHUNK_SIGS, data=(b'a' * 65536, b'a' * 1024)):
    parts = []
    for chunk, sig in zip(list(data) + [b''], signatures):
        parts.append(b'%x;chunk-signature=%s\r\n' % (len(chunk),
                                                     sig.encode()))
        parts.append(chunk + b'\r\n')
    return b''.join(parts)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(s3auth, '_now',
                        lambda: datetime.datetime(2013, 5, 24, 0, 1))


def _verify(request):
    signed = s3auth._v4_signed_request(request)
    return s3auth.verify_v4(request, SECRET, 'AKIAIOSFODNN7EXAMPLE', signed)


def test_seed_signature_and_every_chunk_match_the_published_example():
    request = example_request()
    encoded = example_body()
    assert len(encoded) == 66824
    payload, chunk_signer = _verify(request)
    assert payload is None and chunk_signer.previous == SEED
    data = b''.join(body.aws_chunked(io.BytesIO(encoded), chunk_signer))
    assert data == b'a' * 66560
    assert chunk_signer.previous == CHUNK_SIGS[-1]


def test_wrong_seed_signature_is_refused():
    with pytest.raises(S3Error) as err:
        _verify(example_request(signature='0' * 64))
    assert err.value.code == 'SignatureDoesNotMatch'


@pytest.mark.parametrize('tamper', ['data', 'signature', 'order', 'truncate'])
def test_tampered_chunks_stop_the_stream(tamper):
    _payload, chunk_signer = _verify(example_request())
    if tamper == 'data':
        encoded = example_body(data=(b'a' * 65535 + b'b', b'a' * 1024))
    elif tamper == 'signature':
        encoded = example_body(signatures=(CHUNK_SIGS[0], '1' * 64,
                                           CHUNK_SIGS[2]))
    elif tamper == 'order':
        encoded = example_body(data=(b'a' * 1024, b'a' * 65536),
                               signatures=(CHUNK_SIGS[1], CHUNK_SIGS[0],
                                           CHUNK_SIGS[2]))
    else:
        encoded = example_body()[:-60]
    with pytest.raises(S3Error) as err:
        b''.join(body.aws_chunked(io.BytesIO(encoded), chunk_signer))
    assert err.value.code in ('SignatureDoesNotMatch', 'IncompleteBody')


def test_chunk_without_signature_is_refused():
    _payload, chunk_signer = _verify(example_request())
    with pytest.raises(S3Error) as err:
        b''.join(body.aws_chunked(io.BytesIO(b'3\r\nabc\r\n0\r\n\r\n'),
                                  chunk_signer))
    assert err.value.code == 'SignatureDoesNotMatch'
