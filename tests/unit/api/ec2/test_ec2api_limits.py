"""Findings 1 and 2 of issue 8: body size, parameter count, name depth,
parameter encoding -- all refused before authentication, in linear time."""

import io
import time
import urllib.parse

import webob

from nova.api.ec2 import ec2utils
from nova.api.ec2 import params


class ExplodingInput(io.RawIOBase):
    """A request body that must never be read."""

    def read(self, size=-1):
        raise AssertionError('the body was read')


def _post(ec2, body, headers=None, path='/services/Cloud/'):
    req = webob.Request.blank(path, method='POST', headers=headers or {})
    req.content_type = 'application/x-www-form-urlencoded'
    if isinstance(body, bytes):
        req.body = body
    return ec2.request(req)


def test_declared_length_over_the_limit_is_413_unread(ec2, set_flags):
    set_flags(max_request_body_size=1000)
    req = webob.Request.blank('/services/Cloud/', method='POST')
    req.environ['wsgi.input'] = ExplodingInput()
    req.environ['CONTENT_LENGTH'] = '1001'
    req.content_type = 'application/x-www-form-urlencoded'
    resp = req.get_response(ec2.app)
    assert resp.status_int == 413
    assert resp.headers['Connection'] == 'close'
    assert b'<Code>RequestEntityTooLarge</Code>' in resp.body
    assert b'<RequestID>' in resp.body


def test_default_limit_is_one_mebibyte():
    assert params.FLAGS.max_request_body_size == 1024 * 1024


def test_chunked_body_is_read_in_bounded_chunks(set_flags):
    set_flags(max_request_body_size=100000)
    reads = []

    class Stream(object):
        def read(self, size):
            reads.append(size)
            return b'x' * size

    environ = {'wsgi.input': Stream(), 'HTTP_TRANSFER_ENCODING': 'chunked'}
    try:
        params.read_body(environ, 100000)
    except params.RequestEntityTooLarge:
        pass
    else:
        raise AssertionError('an endless body was accepted')
    assert max(reads) <= params.CHUNK_SIZE
    assert sum(reads) <= 100000 + params.CHUNK_SIZE


def test_body_within_the_limit_is_served(ec2):
    result = ec2.call('DescribeRegions', {'RegionName.1': 'nova'})
    assert result.status == 200, result.body


def test_forty_thousand_parameters_are_refused_fast(ec2):
    body = '&'.join('Filter.%d.Name=x' % i for i in range(40000)).encode()
    start = time.monotonic()
    result = _post(ec2, b'Action=DescribeRegions&' + body)
    assert time.monotonic() - start < 2.0
    assert result.status == 400
    assert result.error_code == 'MalformedQueryString'


def test_parse_is_linear_below_the_cap(set_flags):
    set_flags(ec2_max_parameters=100000)

    def cost(count):
        body = '&'.join('P%d=v' % i for i in range(count)).encode()
        env = {'REQUEST_METHOD': 'POST', 'CONTENT_TYPE':
               'application/x-www-form-urlencoded'}
        start = time.perf_counter()
        parsed = params.parse(env, body)
        assert len(parsed.params) == count
        return time.perf_counter() - start

    cost(1000)
    small, large = min(cost(5000) for _ in range(3)), \
        min(cost(50000) for _ in range(3))
    # Ten times the parameters: about ten times the time, never a hundred.
    assert large < small * 30


def test_deep_names_are_refused_without_recursion(ec2):
    deep = 'Filter' + '.1' * 1000
    result = _post(ec2, ('Action=DescribeRegions&%s=x' % deep).encode())
    assert result.status == 400
    assert result.error_code == 'MalformedQueryString'
    assert b'Traceback' not in result.body
    result = _post(ec2, b'Action=DescribeRegions&A.1.2.3.4.5.6.7=x')
    assert result.error_code == 'MalformedQueryString'


def test_large_index_is_an_ordinary_parameter(ec2):
    result = ec2.call('DescribeRegions', {'Filter.1.Name': 'region-name',
                                          'Filter.1.Value.99999': 'nova'})
    assert result.status == 200, result.body


def test_unicode_digit_index_is_refused(ec2):
    query = urllib.parse.urlencode({'Action': 'DescribeInstances',
                                    'InstanceId.\u00b2': 'i-1'})
    req = webob.Request.blank('/services/Cloud/?' + query)
    result = ec2.request(req)
    assert result.status == 400
    assert result.error_code == 'MalformedQueryString'
    # And the decoder itself never takes it for a number.
    assert ec2utils.unflatten({'InstanceId.\u00b2': 'x'}) == \
        {'instance_id': {'\u00b2': 'x'}}


def test_bad_utf8_before_authentication(ec2):
    for query in ('AWSAccessKeyId=%FF&Action=DescribeRegions',
                  'Action=Describe%C3Regions'):
        result = ec2.request(webob.Request.blank('/services/Cloud/?' +
                                                 query))
        assert result.status == 400
        assert result.error_code == 'MalformedQueryString'
        assert b'Traceback' not in result.body
    result = _post(ec2, b'Action=DescribeRegions&Name=\xff')
    assert result.error_code == 'MalformedQueryString'


def test_repeated_parameter_is_refused(ec2):
    result = _post(ec2, b'Action=DescribeRegions&Action=RunInstances')
    assert result.status == 400
    assert result.error_code == 'MalformedQueryString'


def test_odd_content_length_is_a_client_error(ec2):
    req = webob.Request.blank('/services/Cloud/', method='POST')
    req.environ['CONTENT_LENGTH'] = 'ten'
    assert ec2.request(req).status == 400
