"""nova.rpc against the real RabbitMQ on 127.0.0.1:5672, across processes.

The consumer runs in a separate OS process: this file run as a script
(``python test_rpc_rabbit.py TOPIC HOST``) monkey-patches like a daemon,
consumes ``TOPIC``, ``TOPIC.HOST`` and the fanout ``TOPIC_fanout`` with
:class:`EchoManager`, prints ``READY`` and serves until killed.  Topics are
unique per test run.  The test process itself runs un-patched.

Broker restarts are tested against a private RabbitMQ node of their own
(``test_rpc_redelivery.py``, ``test_faults.py``): this machine's shared
broker is never stopped.
"""

import os
import select
import socket
import subprocess
import sys
import time
import uuid

if __name__ == '__main__':
    sys.path.insert(0, os.path.abspath(os.path.join(
        os.path.dirname(__file__), '..', '..')))
    from nova.utils import concurrency as _concurrency
    _concurrency.monkey_patch()

import pytest  # noqa: E402

from nova import context  # noqa: E402
from nova import flags  # noqa: E402
from nova import rpc  # noqa: E402
from nova.utils import concurrency  # noqa: E402

FLAGS = flags.FLAGS
BROKER = ('127.0.0.1', 5672)
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


class EchoManager(object):
    """The consumer's proxy."""

    def __init__(self, host):
        self.host = host
        self.events = []

    def echo(self, ctxt, value):
        return value

    def whoami(self, ctxt):
        return {'host': self.host, 'pid': os.getpid(),
                'user_id': ctxt.user_id, 'project_id': ctxt.project_id,
                'request_id': ctxt.request_id}

    def numbers(self, ctxt, count):
        for i in range(count):
            yield i

    def boom(self, ctxt):
        raise KeyError('no such thing')

    def slow(self, ctxt, seconds):
        concurrency.sleep(seconds)
        return seconds

    def record(self, ctxt, value):
        self.events.append(value)

    def get_events(self, ctxt):
        return list(self.events)


def serve(topic, host):
    """Run a consumer like a Service does, until killed."""
    import logging
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format='%(asctime)s %(levelname)s %(name)s '
                               '%(message)s')
    FLAGS.rabbit_host = BROKER[0]
    FLAGS.rabbit_port = BROKER[1]
    FLAGS.host = host
    manager = EchoManager(host)
    conn = rpc.create_connection(new=True)
    conn.create_consumer(topic, manager, fanout=False)
    conn.create_consumer('%s.%s' % (topic, host), manager, fanout=False)
    conn.create_consumer(topic, manager, fanout=True)
    thread = conn.consume_in_thread()
    sys.stdout.write('READY\n')
    sys.stdout.flush()
    thread.wait()


# -- test side -------------------------------------------------------------
def _broker_up():
    try:
        socket.create_connection(BROKER, timeout=2).close()
        return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.rabbitmq,
    pytest.mark.integration,
    pytest.mark.timeout(180),
    pytest.mark.skipif(not _broker_up(),
                       reason='RabbitMQ is not reachable on 127.0.0.1:5672'),
]


class Server(object):
    """A consumer process."""

    def __init__(self, topic, host, log_dir):
        self.topic = topic
        self.host = host
        self.log_path = os.path.join(str(log_dir), 'server-%s.log' % host)
        self.log = open(self.log_path, 'w')
        env = dict(os.environ, PYTHONPATH=ROOT, PYTHONWARNINGS='ignore')
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), topic, host],
            stdout=subprocess.PIPE, stderr=self.log, env=env, cwd=ROOT)
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline() if ready else b''
        if line.strip() != b'READY':
            self.stop()
            raise AssertionError('server did not start:\n' + self.output())

    def output(self):
        self.log.flush()
        with open(self.log_path) as handle:
            return handle.read()[-4000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


@pytest.fixture
def rabbit():
    """Real broker flags for this test; pools closed afterwards."""
    FLAGS.fake_rabbit = False
    FLAGS.rabbit_host = BROKER[0]
    FLAGS.rabbit_port = BROKER[1]
    FLAGS.rpc_response_timeout = 20
    yield
    rpc.cleanup()
    for name in ('fake_rabbit', 'rabbit_host', 'rabbit_port',
                 'rpc_response_timeout'):
        FLAGS.reset(name)


@pytest.fixture
def topic():
    return 'rpctest_%s' % uuid.uuid4().hex[:12]


@pytest.fixture
def server(rabbit, topic, tmp_path):
    proc = Server(topic, 'hostA', tmp_path)
    yield proc
    proc.stop()


@pytest.fixture
def ctxt():
    return context.RequestContext('bob', 'projB', roles=['sysadmin'])


def _wait(predicate, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        concurrency.sleep(0.1)
    return predicate()


def test_call_across_processes(server, ctxt):
    reply = rpc.call(ctxt, server.topic, {'method': 'whoami', 'args': {}})
    assert reply['pid'] == server.proc.pid and reply['pid'] != os.getpid()
    assert (reply['user_id'], reply['project_id'], reply['request_id']) == \
        ('bob', 'projB', ctxt.request_id)
    assert rpc.call(ctxt, '%s.hostA' % server.topic,
                    {'method': 'echo', 'args': {'value': {'a': [1]}}}) == \
        {'a': [1]}


def test_multicall_across_processes(server, ctxt):
    replies = rpc.multicall(ctxt, server.topic,
                            {'method': 'numbers', 'args': {'count': 5}})
    assert list(replies) == [0, 1, 2, 3, 4]


def test_cast_across_processes(server, ctxt):
    rpc.cast(ctxt, server.topic, {'method': 'record', 'args': {'value': 'c'}})
    events = _wait(lambda: rpc.call(ctxt, server.topic, {
        'method': 'get_events', 'args': {}}), 10)
    assert events == ['c']


def test_remote_error_across_processes(server, ctxt):
    with pytest.raises(rpc.RemoteError) as info:
        rpc.call(ctxt, server.topic, {'method': 'boom', 'args': {}})
    assert info.value.exc_type == 'KeyError'
    assert 'no such thing' in str(info.value)
    assert 'in boom' in info.value.traceback


def test_call_timeout(server, ctxt):
    start = time.time()
    with pytest.raises(rpc.Timeout):
        rpc.call(ctxt, server.topic, {'method': 'slow',
                                      'args': {'seconds': 3}}, timeout=0.5)
    assert time.time() - start < 2.5
    # The late reply is dropped; the next call is not confused by it.
    assert rpc.call(ctxt, server.topic, {'method': 'echo',
                                         'args': {'value': 9}}) == 9


def test_fanout_reaches_two_processes(server, ctxt, tmp_path):
    second = Server(server.topic, 'hostB', tmp_path)
    try:
        rpc.fanout_cast(ctxt, server.topic, {'method': 'record',
                                             'args': {'value': 'f'}})
        for host in ('hostA', 'hostB'):
            target = '%s.%s' % (server.topic, host)
            events = _wait(lambda target=target: rpc.call(ctxt, target, {
                'method': 'get_events', 'args': {}}), 10)
            assert events == ['f'], host
    finally:
        second.stop()


if __name__ == '__main__':
    serve(sys.argv[1], sys.argv[2])
