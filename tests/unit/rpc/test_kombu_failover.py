"""--rabbit_hosts (failover between a cluster's nodes) and
--rabbit_quorum_queues (the shared service queues as quorum queues)."""

import logging
import socket
import time

import pytest
from amqp import exceptions as amqp_exceptions

from nova import exception
from nova import flags
from nova.rpc import impl_kombu
from nova.rpc import kombu_declare
from nova.rpc import kombu_failover

FLAGS = flags.FLAGS


def test_flags_default_to_one_classic_broker():
    assert FLAGS.rabbit_hosts == []
    assert FLAGS.rabbit_quorum_queues is False


def test_parse_hosts():
    assert kombu_failover.parse_hosts(
        ['a:5673', ' b ', '[::1]:5674', '[fe80::2]', ''], 5672) == [
        ('a', 5673), ('b', 5672), ('::1', 5674), ('fe80::2', 5672)]
    for bad in (['a:x'], ['a:0'], [':5672'], ['a:70000']):
        with pytest.raises(ValueError):
            kombu_failover.parse_hosts(bad, 5672)


def test_broker_urls_from_hosts_or_host(set_flags):
    set_flags(rabbit_host='h', rabbit_port=1234, rabbit_userid='u@x',
              rabbit_password='p/w', rabbit_virtual_host='/')
    assert kombu_failover.broker_urls() == ['amqp://u%40x:p%2Fw@h:1234/%2F']
    set_flags(rabbit_hosts=['n1:1', 'n2', '::1'])
    assert kombu_failover.broker_urls() == [
        'amqp://u%40x:p%2Fw@n1:1/%2F', 'amqp://u%40x:p%2Fw@n2:1234/%2F',
        'amqp://u%40x:p%2Fw@[::1]:1234/%2F']


def test_rotated():
    assert kombu_failover.rotated([1, 2, 3], 1) == [2, 3, 1]
    assert kombu_failover.rotated([1, 2, 3], 4) == [2, 3, 1]
    assert kombu_failover.rotated([], 2) == []


def _closed_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_every_node_is_tried_before_backing_off(set_flags, caplog):
    ports = [_closed_port(), _closed_port(), _closed_port()]
    set_flags(fake_rabbit=False, rabbit_max_retries=2,
              rabbit_retry_interval=0,
              rabbit_hosts=['127.0.0.1:%d' % p for p in ports])
    start = time.time()
    with caplog.at_level(logging.ERROR, logger='nova.rpc'):
        with pytest.raises(exception.RpcUnavailable) as info:
            impl_kombu.Connection()
    assert time.time() - start < 10
    text = str(info.value)
    assert all('127.0.0.1:%d' % p in text for p in ports), text
    assert '2 attempts' in text
    lines = [r.getMessage() for r in caplog.records
             if r.name.startswith('nova.rpc')]
    assert len(lines) == 2


class _Channel(object):
    """Records queue declarations; refuses a quorum one for ``classic``."""

    def __init__(self, classic=()):
        self.classic = classic
        self.declared = []
        self.connection = self
        self.closed = 0

    def channel(self):
        return self

    def queue_declare(self, queue, durable, auto_delete, arguments=None,
                      **_kwargs):
        if arguments and queue in self.classic:
            raise amqp_exceptions.PreconditionFailed('inequivalent arg')
        self.declared.append((queue, durable, arguments))

    def close(self):
        self.closed += 1


def test_quorum_allowed_probes_once_per_queue():
    channel = _Channel(classic=('old_classic',))
    assert kombu_failover.quorum_allowed(channel, 'qa_new') is True
    assert kombu_failover.quorum_allowed(channel, 'qa_new') is True
    assert channel.declared == [('qa_new', True, {'x-queue-type':
                                                  'quorum'})]
    assert kombu_failover.quorum_allowed(channel, 'old_classic') is False
    assert channel.closed == 2


def test_consumer_spec_declares_a_quorum_queue(monkeypatch):
    made = []

    class Queue(object):
        def __init__(self, name, exchange, **kwargs):
            made.append((name, kwargs))

        def declare(self):
            pass

    class Consumer(object):
        def __init__(self, *args, **kwargs):
            pass

        def consume(self):
            pass

    monkeypatch.setattr(kombu_declare.kombu, 'Queue', Queue)
    monkeypatch.setattr(kombu_declare.kombu, 'Consumer', Consumer)
    channel = _Channel()
    kombu_declare.ConsumerSpec('qs_compute', None, durable=False,
                               quorum=True).declare(channel, None)
    kombu_declare.ConsumerSpec('qs_reply', None, durable=False,
                               auto_delete=True).declare(channel, None)
    assert made[0][0] == 'qs_compute'
    assert made[0][1]['durable'] is True
    assert made[0][1]['queue_arguments'] == {'x-queue-type': 'quorum'}
    assert made[1][1]['queue_arguments'] is None
    assert made[1][1]['durable'] is False
