"""Reaching a RabbitMQ cluster: failover URLs and quorum queues.

``--rabbit_hosts`` (``host:port,...``, as later Nova) lists the nodes of a
cluster; :func:`broker_urls` turns it (or ``--rabbit_host`` and
``--rabbit_port`` when it is empty) into the AMQP URLs kombu fails over
between.  ``--rabbit_quorum_queues`` declares the shared service queues
(``<topic>`` and ``<topic>.<host>``) as quorum queues, replicated on the
cluster's nodes so that losing one node loses none of their messages;
:func:`quorum_allowed` checks first that a queue of that name is not left
as a classic queue (which a quorum declaration would fail on).
"""

import logging
import urllib.parse

from amqp import exceptions as amqp_exceptions

from nova import flags

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.rpc.impl_kombu')

flags.DEFINE_list('rabbit_hosts', [],
                  'host:port,... of the RabbitMQ nodes of a cluster; a '
                  'connection fails over to the next node when one is '
                  'lost (empty: --rabbit_host and --rabbit_port)')
flags.DEFINE_bool('rabbit_quorum_queues', False,
                  'declare the shared service queues (<topic>, '
                  '<topic>.<host>) as RabbitMQ quorum queues, replicated '
                  'across a cluster (off: Diablo\'s classic queues)')

QUORUM_ARGUMENTS = {'x-queue-type': 'quorum'}


def parse_hosts(hosts, default_port):
    """``['a:5673', 'b']`` -> ``[('a', 5673), ('b', default_port)]``.

    An IPv6 address is written in brackets: ``[::1]:5672``.
    """
    found = []
    for item in hosts or []:
        item = item.strip()
        if not item:
            continue
        if item.startswith('['):
            host, _, rest = item[1:].partition(']')
            port = rest[1:] if rest.startswith(':') else ''
        elif item.count(':') == 1:
            host, port = item.split(':')
        else:
            host, port = item, ''
        if not host:
            raise ValueError('no host in --rabbit_hosts item %r' % item)
        try:
            number = int(port) if port else int(default_port)
        except ValueError:
            raise ValueError('bad port in --rabbit_hosts item %r'
                             % item) from None
        if not 0 < number < 65536:
            raise ValueError('bad port in --rabbit_hosts item %r' % item)
        found.append((host, number))
    return found


def broker_urls():
    """The AMQP URLs of the broker's nodes, from the flags."""
    nodes = parse_hosts(FLAGS.rabbit_hosts, FLAGS.rabbit_port) or [
        (FLAGS.rabbit_host, int(FLAGS.rabbit_port))]
    quote = urllib.parse.quote
    credentials = '%s:%s' % (quote(FLAGS.rabbit_userid, safe=''),
                             quote(FLAGS.rabbit_password, safe=''))
    vhost = quote(FLAGS.rabbit_virtual_host, safe='')
    urls = []
    for host, port in nodes:
        if ':' in host:
            host = '[%s]' % host
        urls.append('amqp://%s@%s:%d/%s' % (credentials, host, port, vhost))
    return urls


def rotated(items, start):
    """``items`` beginning at index ``start`` (modulo its length)."""
    if not items:
        return []
    start %= len(items)
    return list(items[start:]) + list(items[:start])


_quorum = {}


def quorum_allowed(channel, name):
    """Whether the queue ``name`` can be declared a quorum queue.

    A classic queue of that name (left by a deployment without
    ``--rabbit_quorum_queues``) makes the declaration fail with
    PRECONDITION_FAILED and close the channel; it is probed on a
    throwaway channel and then used as it is, with a warning.
    """
    known = _quorum.get(name)
    if known is not None:
        return known
    probe = channel.connection.channel()
    try:
        probe.queue_declare(queue=name, durable=True, auto_delete=False,
                            arguments=dict(QUORUM_ARGUMENTS))
        allowed = True
    except amqp_exceptions.PreconditionFailed:
        LOG.warning('the queue %s exists and is not a quorum queue: using '
                    'it as it is; delete it to make it a quorum queue', name)
        allowed = False
    finally:
        try:
            probe.close()
        except Exception:  # noqa: BLE001 - closed by the broker already
            pass
    _quorum[name] = allowed
    return allowed
