"""Serialisation, failures and reconnection policy of nova.rpc."""

import datetime
import logging
import socket
import time

import pytest

from nova import context
from nova import exception
from nova import flags
from nova.rpc import common
from nova.rpc import impl_kombu

FLAGS = flags.FLAGS
pytestmark = pytest.mark.timeout(30)


def test_to_primitive():
    class Row(object):
        def items(self):
            return [('a', datetime.date(2011, 9, 22))]

    class Plain(object):
        def __init__(self):
            self.x = 1
            self._hidden = 2

    assert common.to_primitive({'r': Row(), 'p': Plain(), 's': {3},
                                'n': None}) == \
        {'r': {'a': '2011-09-22'}, 'p': {'x': 1}, 's': [3], 'n': None}
    loop = []
    loop.append(loop)
    assert isinstance(common.serialize_msg({'loop': loop}), str)


def test_serialize_round_trip():
    body = common.serialize_msg({'method': 'm', 'args': {
        'at': datetime.datetime(2011, 1, 2, 3, 4, 5)}})
    assert common.deserialize_msg(body.encode('utf-8')) == {
        'method': 'm', 'args': {'at': '2011-01-02T03:04:05'}}


def test_context_pack_unpack():
    ctxt = context.RequestContext('u', 'p', roles=['admin'],
                                  request_id='req-1')
    msg = common.pack_context({'method': 'x'}, ctxt)
    assert msg['_context_user_id'] == 'u'
    again = common.unpack_context(msg)
    assert msg == {'method': 'x'}
    assert (again.user_id, again.project_id, again.is_admin,
            again.request_id) == ('u', 'p', True, 'req-1')
    assert common.unpack_context({}).user_id is None


def test_failure_round_trip():
    try:
        raise KeyError('k')
    except KeyError:
        failure = common.serialize_failure()
    err = common.deserialize_failure(failure)
    assert err.exc_type == 'KeyError'
    assert err.value == "'k'"
    assert 'test_failure_round_trip' in err.traceback
    assert str(err) == "Remote error: KeyError 'k'"


def test_backoff_grows_and_is_capped():
    FLAGS.rabbit_retry_interval = 1
    FLAGS.rabbit_retry_backoff = 2
    try:
        delays = [impl_kombu.Connection._backoff(n) for n in range(1, 12)]
    finally:
        FLAGS.reset('rabbit_retry_interval')
        FLAGS.reset('rabbit_retry_backoff')
    assert 0.5 <= delays[0] <= 1.0
    assert 2.0 <= delays[2] <= 4.0
    assert all(d <= FLAGS.rabbit_max_retry_interval for d in delays)
    assert delays[-1] >= FLAGS.rabbit_max_retry_interval / 2.0


def _closed_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_unreachable_broker_gives_up(caplog):
    port = _closed_port()
    FLAGS.fake_rabbit = False
    FLAGS.rabbit_host = '127.0.0.1'
    FLAGS.rabbit_port = port
    FLAGS.rabbit_max_retries = 3
    FLAGS.rabbit_retry_interval = 0
    try:
        start = time.time()
        with caplog.at_level(logging.ERROR, logger='nova.rpc'):
            with pytest.raises(exception.RpcUnavailable) as info:
                impl_kombu.Connection()
        assert time.time() - start < 10
    finally:
        for name in ('fake_rabbit', 'rabbit_host', 'rabbit_port',
                     'rabbit_max_retries', 'rabbit_retry_interval'):
            FLAGS.reset(name)
    text = str(info.value)
    assert '127.0.0.1:%d' % port in text and '3 attempts' in text
    assert '\n' not in text
    lines = [r.getMessage() for r in caplog.records
             if r.name.startswith('nova.rpc')]
    assert len(lines) == 3
    assert '(attempt 1)' in lines[0] and '(attempt 2)' in lines[1]
    assert all('127.0.0.1:%d' % port in line for line in lines)
