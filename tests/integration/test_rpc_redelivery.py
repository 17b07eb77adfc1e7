"""At-least-once delivery over a PRIVATE RabbitMQ node (killed freely).

The consumer runs as a separate OS process (this file as a script:
``python test_rpc_redelivery.py PORT EXCHANGE TOPIC OUTFILE``), monkey-patched
like a daemon; its ``record`` handler takes a while and then appends the
value to OUTFILE.  The test process is un-patched and casts.
"""

import os
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
HERE = os.path.abspath(__file__)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))


class Recorder(object):
    """The consumer's proxy: handles ``record`` slowly, then writes."""

    def __init__(self, outfile):
        self.outfile = outfile

    def record(self, ctxt, value, seconds=0.3):
        concurrency.sleep(seconds)
        with open(self.outfile, 'a') as out:
            out.write('%s %d\n' % (value, os.getpid()))

    def echo(self, ctxt, value, seconds=0):
        concurrency.sleep(seconds)
        return value


def serve(port, exchange, topic, outfile):
    """Consume ``topic`` until killed (SIGTERM stops cleanly)."""
    import signal
    FLAGS.rabbit_host = '127.0.0.1'
    FLAGS.rabbit_port = int(port)
    FLAGS.control_exchange = exchange
    FLAGS.rabbit_retry_interval = 1
    FLAGS.rabbit_max_retry_interval = 2
    conn = rpc.create_connection()
    conn.create_consumer(topic, Recorder(outfile))
    conn.consume_in_thread()
    stopping = concurrency.Event()
    signal.signal(signal.SIGTERM, lambda *a: stopping.send(True))
    print('READY', flush=True)
    while not stopping.ready():
        concurrency.sleep(0.2)
    conn.close()


if __name__ == '__main__':
    serve(*sys.argv[1:5])
    sys.exit(0)


from tests.integration import private_services  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.rabbitmq,
              pytest.mark.timeout(240)]


@pytest.fixture(scope='module')
def broker():
    reason = private_services.rabbitmq_missing()
    if reason:
        pytest.skip(reason)
    node = private_services.PrivateRabbit()
    try:
        node.start()
        yield node
    finally:
        node.destroy()


@pytest.fixture
def amqp(broker):
    saved = dict((name, getattr(FLAGS, name)) for name in (
        'rabbit_host', 'rabbit_port', 'control_exchange', 'fake_rabbit',
        'rabbit_retry_interval', 'rabbit_max_retry_interval'))
    rpc.cleanup()
    FLAGS.fake_rabbit = False
    FLAGS.rabbit_host = '127.0.0.1'
    FLAGS.rabbit_port = broker.port
    FLAGS.control_exchange = 'nova_n9_%s' % uuid.uuid4().hex[:8]
    FLAGS.rabbit_retry_interval = 1
    FLAGS.rabbit_max_retry_interval = 2
    yield broker
    rpc.cleanup()
    for name, value in saved.items():
        setattr(FLAGS, name, value)


def _consumer(broker, topic, outfile, tmp_path):
    log = open(str(tmp_path / ('consumer-%s.log' % uuid.uuid4().hex[:6])),
               'w')
    proc = subprocess.Popen(
        [sys.executable, HERE, str(broker.port), FLAGS.control_exchange,
         topic, str(outfile)], stdout=subprocess.PIPE, stderr=log,
        cwd=ROOT, text=True)
    assert proc.stdout.readline().strip() == 'READY'
    return proc


def _recorded(outfile):
    try:
        with open(outfile) as src:
            return [line.split() for line in src if line.strip()]
    except FileNotFoundError:
        return []


def _wait(predicate, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_messages_of_a_killed_consumer_go_to_another(amqp, tmp_path):
    topic = 'n9_work_%s' % uuid.uuid4().hex[:6]
    outfile = tmp_path / 'done.txt'
    first = _consumer(amqp, topic, outfile, tmp_path)
    second = None
    try:
        ctxt = context.get_admin_context()
        for value in range(30):
            rpc.cast(ctxt, topic, {'method': 'record',
                                   'args': {'value': value, 'seconds': 1.0}})
        # The first consumer holds --rpc_prefetch_count messages, busy.
        time.sleep(0.5)
        first.kill()
        first.wait(10)
        assert len(_recorded(outfile)) < 30
        second = _consumer(amqp, topic, outfile, tmp_path)
        assert _wait(lambda: len(set(v for v, _ in _recorded(outfile)))
                     == 30, 60), _recorded(outfile)
        done = _recorded(outfile)
        assert sorted(set(int(v) for v, _ in done)) == list(range(30))
        assert str(second.pid) in set(pid for _, pid in done)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)


def test_sigterm_finishes_and_acknowledges_what_it_started(amqp, tmp_path):
    topic = 'n9_term_%s' % uuid.uuid4().hex[:6]
    outfile = tmp_path / 'done.txt'
    first = _consumer(amqp, topic, outfile, tmp_path)
    second = None
    try:
        ctxt = context.get_admin_context()
        for value in range(20):
            rpc.cast(ctxt, topic, {'method': 'record',
                                   'args': {'value': value, 'seconds': 0.5}})
        time.sleep(0.3)
        first.terminate()
        assert first.wait(40) == 0
        second = _consumer(amqp, topic, outfile, tmp_path)
        assert _wait(lambda: len(set(v for v, _ in _recorded(outfile)))
                     == 20, 60)
        done = [v for v, _ in _recorded(outfile)]
        # What the first consumer finished it acknowledged: no repeats.
        assert sorted(int(v) for v in done) == list(range(20))
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)


def test_persistent_casts_survive_a_broker_crash(amqp, tmp_path):
    topic = 'n9_crash_%s' % uuid.uuid4().hex[:6]
    outfile = tmp_path / 'done.txt'
    # Declare the durable queue, then stop consuming before casting.
    proc = _consumer(amqp, topic, outfile, tmp_path)
    proc.terminate()
    proc.wait(30)
    ctxt = context.get_admin_context()
    for value in range(25):
        rpc.cast(ctxt, topic, {'method': 'record',
                               'args': {'value': value, 'seconds': 0}})
    amqp.kill()
    amqp.start()
    proc = _consumer(amqp, topic, outfile, tmp_path)
    try:
        assert _wait(lambda: len(_recorded(outfile)) >= 25, 60)
        assert sorted(int(v) for v, _ in _recorded(outfile)) == \
            list(range(25))
    finally:
        proc.kill()
        proc.wait(10)


def test_a_call_survives_a_broker_restart(amqp, tmp_path):
    topic = 'n9_call_%s' % uuid.uuid4().hex[:6]
    outfile = tmp_path / 'done.txt'
    proc = _consumer(amqp, topic, outfile, tmp_path)
    try:
        ctxt = context.get_admin_context()
        assert rpc.call(ctxt, topic, {'method': 'echo',
                                      'args': {'value': 1}}) == 1
        result = []
        import threading

        def restart():
            time.sleep(1.0)
            amqp.kill()
            amqp.start()
        thread = threading.Thread(target=restart)
        thread.start()
        try:
            result.append(rpc.call(ctxt, topic, {
                'method': 'echo', 'args': {'value': 7, 'seconds': 3}},
                timeout=120))
        finally:
            thread.join()
        assert result == [7]
    finally:
        proc.kill()
        proc.wait(10)


def test_a_call_fails_within_its_timeout_while_the_broker_is_down(
        amqp, tmp_path):
    ctxt = context.get_admin_context()
    topic = 'n9_down_%s' % uuid.uuid4().hex[:6]
    amqp.stop()
    try:
        start = time.monotonic()
        with pytest.raises(rpc.Timeout):
            rpc.call(ctxt, topic, {'method': 'echo', 'args': {'value': 1}},
                     timeout=3)
        assert time.monotonic() - start < 8
    finally:
        amqp.start()


def test_transient_queue_left_by_diablo_is_still_consumed(amqp, tmp_path):
    """A queue and exchange an older deployment declared transient make a
    durable declaration fail; they are used as they are instead."""
    import kombu
    topic = 'n9_legacy_%s' % uuid.uuid4().hex[:6]
    with kombu.Connection('amqp://guest:guest@127.0.0.1:%d//'
                          % amqp.port) as raw:
        channel = raw.channel()
        channel.exchange_declare(exchange=FLAGS.control_exchange,
                                 type='topic', durable=False,
                                 auto_delete=False)
        channel.queue_declare(queue=topic, durable=False, auto_delete=False)
    outfile = tmp_path / 'done.txt'
    proc = _consumer(amqp, topic, outfile, tmp_path)
    try:
        ctxt = context.get_admin_context()
        assert rpc.call(ctxt, topic, {'method': 'echo',
                                      'args': {'value': 3}}, timeout=30) == 3
        rpc.cast(ctxt, topic, {'method': 'record', 'args': {'value': 4,
                                                             'seconds': 0}})
        assert _wait(lambda: _recorded(outfile), 30)
    finally:
        proc.kill()
        proc.wait(10)
