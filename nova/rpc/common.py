"""Pieces every RPC backend shares: flags, errors, the JSON envelope, dispatch.

The envelope of a request is a JSON object::

    {"method": "run_instance", "args": {...},
     "_context_user_id": ..., "_context_project_id": ..., ...,
     "_msg_id": "<hex>", "_reply_q": "reply_<hex>"}

``_msg_id`` and ``_reply_q`` are present on calls only.  Each reply is
``{"result": value, "failure": null, "ending": false, "_msg_id": ...}``; the
last one of a call is ``{"result": null, "failure": null, "ending": true}``.
A remote exception travels as ``failure = [type name, str(value), traceback
lines]`` and is raised in the caller as :class:`RemoteError`.
"""

import contextlib
import contextvars
import datetime
import inspect
import time
import json
import sys
import traceback

from nova import context as nova_context
from nova import exception
from nova import flags
from nova import log as logging

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.rpc')

flags.DEFINE_integer('rpc_thread_pool_size', 1024,
                     'Size of RPC thread pool')
flags.DEFINE_integer('rpc_conn_pool_size', 30,
                     'Size of RPC connection pool')
flags.DEFINE_integer('rpc_response_timeout', 60,
                     'seconds to wait for each reply to an rpc call '
                     '(0 waits forever)')
flags.DEFINE_integer('rabbit_heartbeat', 30,
                     'AMQP heartbeat interval in seconds (0 disables); '
                     'keeps idle connections alive and detects dead brokers')
flags.DEFINE_integer('rpc_prefetch_count', 8,
                     'messages of a topic a consumer holds unacknowledged '
                     '(being handled) at once; each is acknowledged only '
                     'once its handler finished (0 = no limit)')
flags.DEFINE_integer('rpc_close_timeout', 30,
                     'seconds a stopping service waits for the messages it '
                     'is handling before it closes its connection')
flags.DEFINE_bool('rabbit_confirm_publish', True,
                  'wait for RabbitMQ to confirm each published message '
                  '(publisher confirms); the in-memory transport has none')
flags.DEFINE_integer('rabbit_max_retry_interval', 30,
                     'longest pause in seconds between two attempts to '
                     'reach the message broker')

_CONTEXT_PREFIX = '_context_'
_MAX_DEPTH = 8

#: Raised when a call gets no reply in time (Diablo's ``rpc.Timeout``).
Timeout = exception.RpcTimeout


class RemoteError(exception.NovaException):
    """An exception raised by the remote side of a call.

    ``exc_type`` is the name of the remote exception class, ``value`` its
    text and ``traceback`` the remote traceback as one string.
    """

    message = 'Remote error: %(exc_type)s %(value)s'

    def __init__(self, exc_type=None, value=None, traceback=None):
        if isinstance(traceback, (list, tuple)):
            traceback = ''.join(traceback)
        self.exc_type = exc_type
        self.value = value
        self.traceback = traceback
        super(RemoteError, self).__init__(
            exc_type=exc_type, value=value, traceback=traceback)


# -- deadlines ------------------------------------------------------------
_deadline = contextvars.ContextVar('nova_rpc_deadline', default=None)


@contextlib.contextmanager
def deadline(seconds):
    """Within the block, reaching the broker gives up after ``seconds``
    (:class:`nova.exception.RpcUnavailable`) instead of retrying forever.

    Nested deadlines keep the earlier one.  None: no deadline.
    """
    if seconds is None:
        yield
        return
    at = time.monotonic() + max(0.0, float(seconds))
    outer = _deadline.get()
    token = _deadline.set(at if outer is None else min(at, outer))
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left():
    """Seconds left before the current deadline (None: no deadline)."""
    at = _deadline.get()
    if at is None:
        return None
    return at - time.monotonic()


# -- casts that must reach a consumer --------------------------------------
_routed = contextvars.ContextVar('nova_rpc_routed', default=False)


class Unroutable(exception.NovaException):
    """A cast no queue is bound for (yet): the broker would drop it.

    Raised only inside :func:`routed`; the message was not delivered and
    the sender keeps it (the outbox relay tries again later).
    """

    message = 'no queue consumes %(topic)s on exchange %(exchange)s yet'


@contextlib.contextmanager
def routed():
    """Within the block, a cast to a topic nobody consumes raises
    :class:`Unroutable` instead of being dropped.

    On RabbitMQ the message is published ``mandatory`` and a
    ``basic.return`` (seen before the publisher confirm) raises; on the
    embedded transports the exchange's bindings are looked up before
    publishing.  Without ``--rabbit_confirm_publish`` a return comes too
    late to be seen and is only logged.
    """
    token = _routed.set(True)
    try:
        yield
    finally:
        _routed.reset(token)


def must_route():
    """Whether the current cast is inside :func:`routed`."""
    return _routed.get()


# -- serialisation --------------------------------------------------------
def to_primitive(value, _depth=0):
    """Turn ``value`` into something :func:`json.dumps` accepts.

    Datetimes become ISO 8601 text; mappings and objects offering
    ``iteritems()``/``items()`` (such as database models) become dicts;
    other iterables become lists; anything else unknown becomes its text.
    """
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if _depth >= _MAX_DEPTH:
        return '?'
    depth = _depth + 1
    if isinstance(value, dict):
        return dict((str(k) if not isinstance(k, str) else k,
                     to_primitive(v, depth)) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_primitive(v, depth) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date,
                          datetime.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    for name in ('iteritems', 'items'):
        method = getattr(value, name, None)
        if callable(method):
            try:
                return to_primitive(dict(method()), _depth)
            except (TypeError, ValueError):
                break
    if hasattr(value, '__iter__'):
        try:
            return [to_primitive(v, depth) for v in value]
        except TypeError:
            pass
    if hasattr(value, '__dict__'):
        return to_primitive(dict((k, v) for k, v in vars(value).items()
                                 if not k.startswith('_')), _depth)
    return str(value)


def _json_default(value):
    converted = to_primitive(value)
    if converted is value:
        return str(value)
    return converted


def serialize_msg(msg):
    """The JSON text of an envelope (or reply)."""
    try:
        return json.dumps(msg, default=_json_default)
    except ValueError:      # a circular structure: cut it at _MAX_DEPTH
        return json.dumps(to_primitive(msg), check_circular=False)


def deserialize_msg(body):
    """Parse a message body (``bytes`` or ``str``) into a dict."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        body = bytes(body).decode('utf-8')
    return json.loads(body)


# -- context --------------------------------------------------------------
def pack_context(msg, context):
    """Add ``_context_<field>`` keys for ``context`` to ``msg`` (in place)."""
    if context is None:
        return msg
    values = context.to_dict() if hasattr(context, 'to_dict') else context
    for key, value in values.items():
        msg[_CONTEXT_PREFIX + key] = value
    return msg


def unpack_context(msg):
    """Pop the ``_context_*`` keys of ``msg`` into a RequestContext."""
    values = {}
    for key in [k for k in msg if k.startswith(_CONTEXT_PREFIX)]:
        values[key[len(_CONTEXT_PREFIX):]] = msg.pop(key)
    stamp = values.get('timestamp')
    if isinstance(stamp, str):
        try:        # much faster than the strptime RequestContext falls to
            values['timestamp'] = datetime.datetime.fromisoformat(stamp)
        except ValueError:
            pass
    values.setdefault('user_id', None)
    values.setdefault('project_id', None)
    return nova_context.RequestContext.from_dict(values)


# -- failures -------------------------------------------------------------
def serialize_failure(exc_info=None):
    """``[type name, str(value), traceback lines]`` for an exception."""
    exc_type, exc_value, exc_tb = exc_info or sys.exc_info()
    lines = traceback.format_exception(exc_type, exc_value, exc_tb)
    return [exc_type.__name__, str(exc_value), lines]


def deserialize_failure(failure):
    """The :class:`RemoteError` a failure from the wire stands for."""
    if isinstance(failure, (list, tuple)):
        parts = list(failure) + [None, None, None]
        return RemoteError(parts[0], parts[1], parts[2])
    return RemoteError('Unknown', str(failure), None)


# -- dispatch -------------------------------------------------------------
def dispatch(proxy, context, method, args):
    """Call ``proxy.<method>(context, **args)`` and return its result.

    Only public methods may be called.  Keys of ``args`` are used as
    keyword names as they are.
    """
    if not isinstance(method, str) or not method or method.startswith('_'):
        raise AttributeError('no public method %r' % (method,))
    func = getattr(proxy, method)
    if not callable(func):
        raise AttributeError('%r is not callable' % (method,))
    return func(context, **(args or {}))


def is_generator(value):
    """Whether a method's result is a generator (a multicall answer)."""
    return inspect.isgenerator(value)


class Connection(object):
    """What a backend's connection offers to :mod:`nova.service`."""

    def create_consumer(self, topic, proxy, fanout=False):
        """Deliver messages for ``topic`` to methods of ``proxy``."""
        raise NotImplementedError()

    def consume_in_thread(self):
        """Start consuming in a green thread and return it."""
        raise NotImplementedError()

    def close(self):
        """Stop consuming and release the broker connection."""
        raise NotImplementedError()
