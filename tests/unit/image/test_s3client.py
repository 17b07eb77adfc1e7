"""The image service's S3 client signs as botocore does."""

import datetime

import botocore.auth
import botocore.awsrequest
import botocore.credentials

from nova.image import s3client


def test_sigv4_header_matches_botocore(monkeypatch):
    now = datetime.datetime(2026, 1, 2, 3, 4, 5,
                            tzinfo=datetime.timezone.utc)
    client = s3client.S3Client('127.0.0.1', 3333, 'AK:proj', 'secret')
    headers = {'content-length': '0'}
    client.sign('GET', '/bucket/a%20b/c.manifest.xml', [], headers,
                s3client.EMPTY_SHA256, now=now)
    request = botocore.awsrequest.AWSRequest(
        method='GET',
        url='http://127.0.0.1:3333/bucket/a%20b/c.manifest.xml',
        headers={'content-length': '0'})
    request.context['payload_signing_enabled'] = True
    monkeypatch.setattr(botocore.auth, 'get_current_datetime',
                        lambda: now.replace(tzinfo=None))
    signer = botocore.auth.S3SigV4Auth(
        botocore.credentials.Credentials('AK:proj', 'secret'), 's3', 'nova')
    signer.add_auth(request)
    assert headers['authorization'] == request.headers['Authorization']


def test_unreachable_objectstore_is_a_service_outage(set_flags):
    """RegisterImage while nova-objectstore is down: 503, not a 500."""
    import socket

    import pytest

    from nova import context
    from nova import exception
    from nova.api.ec2 import faults
    from nova.image import s3

    with socket.socket() as probe:          # a port nobody listens on
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    set_flags(s3_host='127.0.0.1', s3_port=port)
    service = s3.S3ImageService(object())
    with pytest.raises(exception.ServiceUnavailable) as err:
        service.register_manifest(context.get_admin_context(),
                                  'bucket/x.manifest.xml', ('a', 'b'))
    assert err.value.code == 503
    assert faults._code_of(type(err.value), err.value) == 'ServiceUnavailable'
