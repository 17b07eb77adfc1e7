"""Remote procedure calls between Nova services.

Every function delegates to the backend module named by ``--rpc_backend``
(default :mod:`nova.rpc.impl_kombu`).  A service consumes with::

    conn = rpc.create_connection(new=True)
    conn.create_consumer(topic, manager)
    conn.create_consumer('%s.%s' % (topic, host), manager)
    conn.create_consumer(topic, manager, fanout=True)
    conn.consume_in_thread()
    ...
    conn.close()

and clients send with :func:`cast`, :func:`fanout_cast`, :func:`call`,
:func:`multicall` and :func:`notify`.  This module imports no messaging
library itself, so reading the flags stays cheap.
"""

import importlib

from nova import flags
from nova.rpc.common import RemoteError  # noqa: F401 - part of the API
from nova.rpc.common import Timeout  # noqa: F401 - part of the API

FLAGS = flags.FLAGS

flags.DEFINE_string('rpc_backend', 'nova.rpc.impl_kombu',
                    'The messaging module to use, defaults to kombu.',
                    importable=True)

_impl = {}


def _get_impl():
    name = FLAGS.rpc_backend
    module = _impl.get(name)
    if module is None:
        module = _impl[name] = importlib.import_module(name)
    return module


def create_connection(new=True):
    """A connection to consume on: ``create_consumer(topic, proxy,
    fanout=False)``, ``consume_in_thread()``, ``close()``.

    ``new`` is kept for Diablo's signature; a new connection is always made.
    """
    return _get_impl().create_connection(new=new)


def call(context, topic, msg, timeout=None):
    """Invoke ``msg['method']`` on one consumer of ``topic``; return its
    (last) result.

    ``msg`` is ``{"method": name, "args": {...}}``.  A remote exception is
    raised as :class:`RemoteError`; no reply within ``timeout`` seconds
    (default ``--rpc_response_timeout``) raises :class:`Timeout`
    (:class:`nova.exception.RpcTimeout`).
    """
    return _get_impl().call(context, topic, msg, timeout=timeout)


def multicall(context, topic, msg, timeout=None):
    """Like :func:`call`, but return an iterator over every reply (the
    values a generator method yields), each waited for up to ``timeout``.
    """
    return _get_impl().multicall(context, topic, msg, timeout=timeout)


def cast(context, topic, msg):
    """Invoke a method on one consumer of ``topic``; do not wait."""
    return _get_impl().cast(context, topic, msg)


def fanout_cast(context, topic, msg):
    """Invoke a method on every consumer of ``topic``; do not wait."""
    return _get_impl().fanout_cast(context, topic, msg)


def notify(context, topic, msg):
    """Publish a notification ``msg`` on ``topic``."""
    return _get_impl().notify(context, topic, msg)


def cleanup():
    """Close pooled connections and reply listeners of loaded backends."""
    for module in list(_impl.values()):
        module.cleanup()
