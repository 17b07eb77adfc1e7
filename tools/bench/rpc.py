#!/usr/bin/env python3
"""Round-trip time of nova.rpc.call against a raw kombu request/reply.

Both run in the same invocation, over the same RabbitMQ, against one
consumer process (started here) that serves both: nova.rpc consuming a
topic with an ``echo`` method, and a bare kombu consumer that parses each
JSON request and publishes ``{"result": value}`` to its ``reply_to`` queue.
The raw requests carry the same envelope (method, args, context fields) as
nova.rpc's, so the ratio measures the library, not the payload; in the
durable mode the baseline is durable too (a durable queue, persistent
requests, publisher confirms, the request acked after its reply).  Calls
are made one after another, in alternating rounds so that machine noise
hits both alike.
Prints JSON; ``ratio`` is nova.rpc mean / raw mean (target <= 1.3).

By default nova.rpc runs as deployed: durable queues, persistent requests,
publisher confirms and acknowledgements after the handler (at-least-once);
``--no-durable`` measures Diablo's transient, unconfirmed messaging, and
``--both`` runs the two and prints both ratios side by side.

    python tools/bench/rpc.py [--calls 500] [--rounds 5] [--host 127.0.0.1]

``--embedded`` measures instead the transport of ``--fake_rabbit`` that
run_cloud.sh uses (kombu's file-system transport under a temporary
``--fake_rabbit_path``, consumer in another process, no broker): nova.rpc's
round trip there, against its target of 20 ms.
                              [--no-durable | --both]
"""

import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)

from nova.utils import concurrency  # noqa: E402

concurrency.monkey_patch()           # as the daemons do, before kombu

import argparse  # noqa: E402
import json  # noqa: E402
import select  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import kombu  # noqa: E402

from nova import context  # noqa: E402
from nova import flags  # noqa: E402
from nova import rpc  # noqa: E402

FLAGS = flags.FLAGS


def _url(host, port):
    return 'amqp://guest:guest@%s:%d//' % (host, port)


class Echo(object):
    """The nova.rpc side of the consumer."""

    def echo(self, ctxt, value):
        return value


def serve_embedded(topic, path):
    """Consumer process of ``--embedded``: nova.rpc on ``topic`` only."""
    _use_embedded(path)
    conn = rpc.create_connection(new=True)
    conn.create_consumer(topic, Echo())
    conn.consume_in_thread()
    sys.stdout.write('READY\n')
    sys.stdout.flush()
    while True:
        concurrency.sleep(3600)


def _use_embedded(path):
    from nova.rpc import embedded  # noqa: F401 - defines its flags
    FLAGS.fake_rabbit = True
    FLAGS.fake_rabbit_transport = 'filesystem'
    FLAGS.fake_rabbit_path = path


def bench_embedded(args):
    """Time nova.rpc.call over the embedded cross-process transport."""
    import shutil
    import tempfile
    path = tempfile.mkdtemp(prefix='nova-bench-rpc-')
    topic = 'bench_%s' % uuid.uuid4().hex[:12]
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    server = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), '--serve', topic,
         '--embedded-path', path], stdout=subprocess.PIPE, env=env)
    try:
        ready, _, _ = select.select([server.stdout], [], [], 30)
        if not ready or server.stdout.readline().strip() != b'READY':
            raise SystemExit('bench: the consumer process did not start')
        _use_embedded(path)
        ctxt = context.RequestContext('bench', 'bench')

        def nova_call(i):
            return rpc.call(ctxt, topic, {'method': 'echo',
                                          'args': {'value': i}})

        _time(nova_call, args.warmup, [])
        samples = []
        _time(nova_call, args.calls, samples)
        stats = _stats(samples)
        print(json.dumps({
            'benchmark': 'rpc.call round trip over the embedded transport '
                         '(--fake_rabbit, file-system, two processes)',
            'nova_rpc_call': stats,
            'target_mean_ms': 20,
            'meets_target': stats['mean_ms'] < 20,
        }, indent=2))
    finally:
        server.kill()
        server.wait()
        rpc.cleanup()
        shutil.rmtree(path, ignore_errors=True)


def _set_mode(durable):
    FLAGS.rabbit_durable_queues = durable
    FLAGS.rabbit_confirm_publish = durable


def serve(topic, host, port, durable=True):
    """Consumer process: nova.rpc on ``topic``, raw kombu on ``raw_<topic>``."""
    FLAGS.rabbit_host = host
    FLAGS.rabbit_port = port
    FLAGS.control_exchange = topic
    _set_mode(durable)
    conn = rpc.create_connection(new=True)
    conn.create_consumer(topic, Echo())
    conn.consume_in_thread()

    # The baseline does what nova.rpc does in this mode: durable, the
    # request acknowledged only after its reply went out.
    raw = kombu.Connection(_url(host, port))
    channel = raw.channel()
    producer = kombu.Producer(channel, auto_declare=False)
    queue = kombu.Queue('raw_%s' % topic, '', durable=durable,
                        auto_delete=not durable, channel=channel)
    queue.declare()
    if durable:
        channel.basic_qos(0, 1, False)

    def on_message(message):
        request = json.loads(message.body)
        reply = json.dumps({'result': request['args']['value']})
        producer.publish(reply, exchange='',
                         routing_key=message.properties['reply_to'],
                         correlation_id=message.properties['correlation_id'],
                         content_type='application/json',
                         content_encoding='utf-8', retry=False)
        if durable:
            message.ack()

    kombu.Consumer(channel, queues=[queue], no_ack=not durable,
                   on_message=on_message, auto_declare=False).consume()
    sys.stdout.write('READY\n')
    sys.stdout.flush()
    while True:
        try:
            raw.drain_events(timeout=1)
        except OSError:
            pass


class RawClient(object):
    """Request/reply with kombu alone: the baseline."""

    def __init__(self, topic, host, port, envelope, durable=False):
        self.envelope = envelope
        self.request_queue = 'raw_%s' % topic
        # Durable mode: persistent requests and publisher confirms too.
        self.delivery_mode = 2 if durable else 1
        self.conn = kombu.Connection(_url(host, port), transport_options={
            'confirm_publish': durable})
        self.channel = self.conn.channel()
        self.producer = kombu.Producer(self.channel, auto_declare=False)
        self.reply_queue = 'rawreply_%s' % uuid.uuid4().hex
        queue = kombu.Queue(self.reply_queue, '', auto_delete=True,
                            exclusive=True, channel=self.channel)
        queue.declare()
        self.replies = {}
        kombu.Consumer(self.channel, queues=[queue], no_ack=True,
                       on_message=self._on_reply,
                       auto_declare=False).consume()

    def _on_reply(self, message):
        self.replies[message.properties['correlation_id']] = json.loads(
            message.body)

    def call(self, value):
        msg_id = uuid.uuid4().hex
        request = dict(self.envelope, args={'value': value})
        self.producer.publish(json.dumps(request), exchange='',
                              routing_key=self.request_queue,
                              reply_to=self.reply_queue,
                              correlation_id=msg_id,
                              delivery_mode=self.delivery_mode,
                              content_type='application/json',
                              content_encoding='utf-8', retry=False)
        while msg_id not in self.replies:
            self.conn.drain_events(timeout=10)
        return self.replies.pop(msg_id)['result']


def _stats(samples):
    ordered = sorted(samples)
    return {
        'calls': len(ordered),
        'mean_ms': round(statistics.mean(ordered) * 1000, 3),
        'p50_ms': round(ordered[len(ordered) // 2] * 1000, 3),
        'p95_ms': round(ordered[int(len(ordered) * 0.95)] * 1000, 3),
    }


def _time(func, count, out):
    for i in range(count):
        start = time.perf_counter()
        result = func(i)
        out.append(time.perf_counter() - start)
        assert result == i, result


def main():
    """Run the benchmark and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--calls', type=int, default=500)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=50)
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=5672)
    parser.add_argument('--embedded', action='store_true',
                        help='the --fake_rabbit transport, no broker')
    parser.add_argument('--no-durable', dest='durable',
                        action='store_false', default=True)
    parser.add_argument('--both', action='store_true')
    parser.add_argument('--serve', help=argparse.SUPPRESS)
    parser.add_argument('--embedded-path', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve and args.embedded_path:
        serve_embedded(args.serve, args.embedded_path)
        return
    if args.embedded:
        bench_embedded(args)
        return
    if args.serve:
        serve(args.serve, args.host, args.port, args.durable)
        return
    if args.both:
        _both(args)
        return

    FLAGS.rabbit_host = args.host
    FLAGS.rabbit_port = args.port
    _set_mode(args.durable)
    topic = 'bench_%s' % uuid.uuid4().hex[:12]
    FLAGS.control_exchange = topic          # an exchange of its own
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    server = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), '--serve', topic,
         '--host', args.host, '--port', str(args.port)] +
        ([] if args.durable else ['--no-durable']),
        stdout=subprocess.PIPE, env=env)
    try:
        ready, _, _ = select.select([server.stdout], [], [], 30)
        if not ready or server.stdout.readline().strip() != b'READY':
            raise SystemExit('bench: the consumer process did not start')
        ctxt = context.RequestContext('bench', 'bench')
        # The baseline carries the same JSON envelope (method, args and
        # context fields) so that the ratio measures nova.rpc, not payload.
        envelope = {'method': 'echo'}
        envelope.update(('_context_%s' % k, v)
                        for k, v in ctxt.to_dict().items())
        raw = RawClient(topic, args.host, args.port, envelope,
                        durable=args.durable)

        def nova_call(i):
            return rpc.call(ctxt, topic, {'method': 'echo',
                                          'args': {'value': i}})

        _time(raw.call, args.warmup, [])
        _time(nova_call, args.warmup, [])
        raw_samples, nova_samples = [], []
        per_round = max(args.calls // args.rounds, 1)
        for _ in range(args.rounds):
            _time(raw.call, per_round, raw_samples)
            _time(nova_call, per_round, nova_samples)
        raw_stats = _stats(raw_samples)
        nova_stats = _stats(nova_samples)
        print(json.dumps({
            'benchmark': 'rpc.call round trip over RabbitMQ',
            'broker': '%s:%d' % (args.host, args.port),
            'nova_rpc_mode': 'durable queues, persistent, publisher '
                             'confirms, ack after handler' if args.durable
                             else 'transient, unconfirmed (Diablo)',
            'raw_kombu_mode': 'the same' if args.durable else
                              'transient, no acks',
            'nova_rpc_call': nova_stats,
            'raw_kombu_request_reply': raw_stats,
            'ratio_mean': round(nova_stats['mean_ms'] /
                                raw_stats['mean_ms'], 3),
            'ratio_p50': round(nova_stats['p50_ms'] /
                               raw_stats['p50_ms'], 3),
            'target_ratio': 1.3,
        }, indent=2))
    finally:
        server.kill()
        server.wait()
        rpc.cleanup()
        _delete_queue(topic, args.host, args.port)


def _delete_queue(topic, host, port):
    """Remove the (durable) bench queue from the broker."""
    try:
        with kombu.Connection(_url(host, port)) as conn:
            channel = conn.channel()
            channel.queue_delete(topic)
            channel.queue_delete('raw_%s' % topic)
            channel.exchange_delete(topic)
    except Exception:  # noqa: BLE001 - best effort
        pass


def _both(args):
    """Run durable and transient modes; print both ratios."""
    results = {}
    for mode in ('durable', 'transient'):
        argv = [sys.executable, os.path.abspath(__file__), '--calls',
                str(args.calls), '--rounds', str(args.rounds), '--warmup',
                str(args.warmup), '--host', args.host, '--port',
                str(args.port)]
        if mode == 'transient':
            argv.append('--no-durable')
        out = subprocess.run(argv, capture_output=True, text=True,
                             check=True).stdout
        results[mode] = json.loads(out)
    print(json.dumps({
        'benchmark': 'rpc.call round trip over RabbitMQ, both modes',
        'ratio_mean_durable_confirmed': results['durable']['ratio_mean'],
        'ratio_mean_transient': results['transient']['ratio_mean'],
        'nova_mean_ms_durable_confirmed':
            results['durable']['nova_rpc_call']['mean_ms'],
        'nova_mean_ms_transient':
            results['transient']['nova_rpc_call']['mean_ms'],
        'raw_mean_ms_durable_confirmed': results['durable'][
            'raw_kombu_request_reply']['mean_ms'],
        'raw_mean_ms_transient': results['transient'][
            'raw_kombu_request_reply']['mean_ms'],
        'target_ratio': 1.3,
    }, indent=2))


if __name__ == '__main__':
    main()
