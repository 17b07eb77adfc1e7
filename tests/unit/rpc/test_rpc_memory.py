"""nova.rpc over kombu's in-memory transport (--fake_rabbit)."""

import datetime
import logging

import pytest

from nova import context
from nova import exception
from nova import flags
from nova import rpc
from nova.rpc import common
from nova.rpc import impl_kombu
from nova.utils import concurrency

FLAGS = flags.FLAGS
pytestmark = pytest.mark.timeout(30)


class Manager(object):
    """A proxy like a service manager."""

    def __init__(self, name='m'):
        self.name = name
        self.seen = []

    def echo(self, ctxt, value):
        self.seen.append(('echo', value))
        return value

    def whoami(self, ctxt):
        return {'name': self.name, 'context': ctxt.to_dict()}

    def record(self, ctxt, value):
        self.seen.append(('record', value, ctxt))

    def numbers(self, ctxt, count):
        for i in range(count):
            yield i * 10

    def boom(self, ctxt, why):
        raise ValueError('it broke: %s' % why)

    def slow(self, ctxt, seconds):
        concurrency.sleep(seconds)
        return 'slept'

    def types(self, ctxt, **kwargs):
        return dict((k, type(v).__name__) for k, v in kwargs.items())


def _serve(connections, topic, manager=None, host=None, fanout=True):
    manager = manager or Manager()
    conn = rpc.create_connection(new=True)
    connections.append(conn)
    conn.create_consumer(topic, manager)
    if host:
        conn.create_consumer('%s.%s' % (topic, host), manager)
    if fanout:
        conn.create_consumer(topic, manager, fanout=True)
    conn.consume_in_thread()
    return manager


@pytest.fixture
def ctxt():
    return context.RequestContext('alice', 'proj1', roles=['netadmin'],
                                  remote_address='10.0.0.9')


def test_call_returns_value(fake_rabbit, topic, ctxt):
    _serve(fake_rabbit, topic)
    assert rpc.call(ctxt, topic, {'method': 'echo',
                                  'args': {'value': [1, 'two']}}) == \
        [1, 'two']


def test_cast_reaches_one_consumer(fake_rabbit, topic, ctxt, wait_for):
    first = _serve(fake_rabbit, topic)
    second = _serve(fake_rabbit, topic)
    for i in range(4):
        rpc.cast(ctxt, topic, {'method': 'record', 'args': {'value': i}})
    assert wait_for(lambda: len(first.seen) + len(second.seen) == 4)
    concurrency.sleep(0.1)
    assert len(first.seen) + len(second.seen) == 4
    received = sorted(s[1] for s in first.seen + second.seen)
    assert received == [0, 1, 2, 3]
    assert first.seen[0][2].user_id == 'alice' if first.seen else True


def test_host_topic_reaches_only_that_host(fake_rabbit, topic, ctxt,
                                           wait_for):
    one = _serve(fake_rabbit, topic, Manager('one'), host='host1')
    _serve(fake_rabbit, topic, Manager('two'), host='host2')
    for _ in range(3):
        reply = rpc.call(ctxt, '%s.host1' % topic,
                         {'method': 'whoami', 'args': {}})
        assert reply['name'] == 'one'
    rpc.cast(ctxt, '%s.host1' % topic, {'method': 'record',
                                        'args': {'value': 'x'}})
    assert wait_for(lambda: one.seen)


def test_context_round_trip(fake_rabbit, topic, ctxt):
    _serve(fake_rabbit, topic)
    reply = rpc.call(ctxt, topic, {'method': 'whoami', 'args': {}})
    sent = ctxt.to_dict()
    got = reply['context']
    for key in ('user_id', 'project_id', 'roles', 'is_admin',
                'remote_address', 'request_id', 'timestamp'):
        assert got[key] == sent[key], key


def test_multicall_yields_each_value(fake_rabbit, topic, ctxt):
    _serve(fake_rabbit, topic)
    replies = rpc.multicall(ctxt, topic, {'method': 'numbers',
                                          'args': {'count': 4}})
    assert not isinstance(replies, list)
    assert list(replies) == [0, 10, 20, 30]
    assert rpc.call(ctxt, topic, {'method': 'numbers',
                                  'args': {'count': 3}}) == 20


def test_fanout_reaches_every_consumer(fake_rabbit, topic, ctxt, wait_for):
    first = _serve(fake_rabbit, topic)
    second = _serve(fake_rabbit, topic)
    rpc.fanout_cast(ctxt, topic, {'method': 'record', 'args': {'value': 7}})
    assert wait_for(lambda: first.seen and second.seen)
    assert first.seen[0][1] == 7 and second.seen[0][1] == 7
    concurrency.sleep(0.05)
    assert len(first.seen) == 1 and len(second.seen) == 1


def test_remote_error_carries_type_value_traceback(fake_rabbit, topic, ctxt,
                                                   caplog):
    _serve(fake_rabbit, topic)
    with caplog.at_level(logging.ERROR, logger='nova.rpc.amqp'):
        with pytest.raises(rpc.RemoteError) as info:
            rpc.call(ctxt, topic, {'method': 'boom',
                                   'args': {'why': 'disk'}})
    err = info.value
    assert err.exc_type == 'ValueError'
    assert err.value == 'it broke: disk'
    assert 'in boom' in err.traceback
    assert 'ValueError' in str(err) and 'it broke: disk' in str(err)
    assert isinstance(err, exception.NovaException)
    assert any('boom' in r.getMessage() for r in caplog.records)


def test_unknown_method_is_a_remote_error(fake_rabbit, topic, ctxt):
    _serve(fake_rabbit, topic)
    with pytest.raises(rpc.RemoteError) as info:
        rpc.call(ctxt, topic, {'method': 'no_such', 'args': {}})
    assert info.value.exc_type == 'AttributeError'
    with pytest.raises(rpc.RemoteError):
        rpc.call(ctxt, topic, {'method': '_private', 'args': {}})


def test_call_times_out(fake_rabbit, topic, ctxt):
    assert rpc.Timeout is exception.RpcTimeout
    assert common.Timeout is exception.RpcTimeout
    with pytest.raises(rpc.Timeout) as info:
        rpc.call(ctxt, topic, {'method': 'echo', 'args': {'value': 1}},
                 timeout=0.3)
    assert topic in str(info.value) and 'echo' in str(info.value)


def test_slow_method_does_not_block_consumer(fake_rabbit, topic, ctxt):
    _serve(fake_rabbit, topic)
    results = []
    slow = concurrency.spawn(lambda: results.append(rpc.call(
        ctxt, topic, {'method': 'slow', 'args': {'seconds': 1.0}})))
    concurrency.sleep(0.05)
    assert rpc.call(ctxt, topic, {'method': 'echo', 'args': {'value': 2}},
                    timeout=0.8) == 2
    assert results == []
    slow.wait()
    assert results == ['slept']


def test_datetimes_and_models_are_serialised(fake_rabbit, topic, ctxt):
    _serve(fake_rabbit, topic)

    class Model(object):
        def __init__(self):
            self._values = {'id': 3, 'created_at':
                            datetime.datetime(2011, 9, 22, 12, 0, 5)}

        def iteritems(self):
            return iter(self._values.items())

    when = datetime.datetime(2011, 9, 22, 12, 30, 0, 1000)
    reply = rpc.call(ctxt, topic, {'method': 'echo', 'args': {
        'value': {'when': when, 'model': Model(), 'ids': (1, 2),
                  'raw': b'abc'}}})
    assert reply == {'when': '2011-09-22T12:30:00.001000',
                     'model': {'id': 3, 'created_at': '2011-09-22T12:00:05'},
                     'ids': [1, 2], 'raw': 'abc'}


def test_notify_is_kept_until_consumed(fake_rabbit, topic, ctxt, wait_for):
    rpc.notify(ctxt, topic, {'method': 'record', 'args': {'value': 'n1'}})
    manager = _serve(fake_rabbit, topic, fanout=False)
    assert wait_for(lambda: manager.seen)
    assert manager.seen[0][1] == 'n1'


def test_diablo_style_reply_to_msg_id_exchange(fake_rabbit, topic, ctxt,
                                               wait_for):
    """A request without _reply_q is answered on the exchange _msg_id."""
    import kombu
    _serve(fake_rabbit, topic)
    msg_id = 'diablo%s' % topic
    replies = []
    listener = impl_kombu.Connection()
    fake_rabbit.append(listener)
    listener._declare(impl_kombu._ConsumerSpec(
        msg_id, replies.append,
        kombu.Exchange(msg_id, type='direct', durable=False,
                       auto_delete=True),
        routing_key=msg_id, auto_delete=True, exclusive=True))
    listener.consume_in_thread()
    body = common.serialize_msg(common.pack_context(
        {'method': 'numbers', 'args': {'count': 2}, '_msg_id': msg_id},
        ctxt))
    sender = impl_kombu.Connection()
    fake_rabbit.append(sender)
    sender.topic_send(topic, body)
    assert wait_for(lambda: len(replies) == 3)
    assert [r['result'] for r in replies[:2]] == [0, 10]
    assert replies[2]['ending'] is True and replies[2]['failure'] is None


def test_consumer_added_after_start(fake_rabbit, topic, ctxt):
    conn = rpc.create_connection()
    fake_rabbit.append(conn)
    conn.create_consumer(topic, Manager())
    conn.consume_in_thread()
    conn.create_consumer('%s.late' % topic, Manager('late'))
    reply = rpc.call(ctxt, '%s.late' % topic,
                     {'method': 'whoami', 'args': {}}, timeout=5)
    assert reply['name'] == 'late'


def test_close_stops_consuming(fake_rabbit, topic, ctxt):
    manager = Manager()
    conn = rpc.create_connection()
    conn.create_consumer(topic, manager)
    conn.consume_in_thread()
    assert rpc.call(ctxt, topic, {'method': 'echo', 'args': {'value': 1}})
    conn.close()
    with pytest.raises(rpc.Timeout):
        rpc.call(ctxt, topic, {'method': 'echo', 'args': {'value': 2}},
                 timeout=0.3)
    assert manager.seen == [('echo', 1)]


def test_replies_go_out_without_waiting_for_confirms(fake_rabbit, topic,
                                                     ctxt, set_flags):
    """Requests are confirmed, replies are not (see amqp.Backend)."""
    set_flags(rabbit_confirm_publish=True)
    _serve(fake_rabbit, topic)
    backend = impl_kombu._backend()
    used = []
    make_reply_conn = backend.reply_pool.factory

    def recording_factory():
        conn = make_reply_conn()
        used.append(conn)
        return conn

    backend.reply_pool.factory = recording_factory
    assert rpc.call(ctxt, topic, {'method': 'echo',
                                  'args': {'value': 7}}) == 7
    assert [conn.confirms for conn in used] == [False]
    with backend.pool.item() as request_conn:
        assert request_conn.confirms is True
