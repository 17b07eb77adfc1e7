"""VNC console tokens: authorized by the APIs, checked by the proxy.

:class:`VNCProxyAuthManager` is the manager of nova-vncproxy's service on
``--vncproxy_topic`` (Diablo's RPC methods and names):

* ``authorize_vnc_console(token, host, port, instance_id, compute_host)``
  -- called by ``nova.compute.api`` once the instance's compute host has
  minted ``token``: the token may reach that VNC server for
  ``--vnc_token_ttl`` seconds;
* ``check_token(token)`` -- called by the proxy when a websocket arrives:
  the token's ``{host, port, instance_id}`` while it is valid *and* the
  instance's compute host still says that VNC port is that instance's
  (a port freed by a deleted guest and taken by another one is refused);
  None otherwise.

Tokens live in the memory of the one nova-vncproxy (as in Diablo): run
one proxy per ``--vncproxy_topic``.
"""

import logging
import time

from nova import context as nova_context
from nova import exception
from nova import flags
from nova import manager
from nova import rpc

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.vncproxy')

flags.DEFINE_integer('vnc_token_ttl', 300,
                     'seconds a VNC console token lives')
flags.DEFINE_string('vncproxy_manager', 'nova.vnc.auth.VNCProxyAuthManager',
                    'manager class of the VNC proxy')

#: the longest token accepted (compute mints 36-character uuids).
MAX_TOKEN_LENGTH = 128


def _valid_token_text(token):
    return isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_LENGTH \
        and token.isprintable()


def _mask(token):
    """A token as logs show it: enough to correlate, not to reuse."""
    return '%s...' % str(token)[:6]


class TokenStore(object):
    """Tokens and what they unlock, each until its deadline.

    ``clock`` (monotonic seconds) and ``ttl`` (seconds, or a callable
    giving them) are injectable for tests.
    """

    def __init__(self, ttl=None, clock=time.monotonic):
        self._ttl = ttl
        self._clock = clock
        self._tokens = {}

    def ttl(self):
        """Seconds a token lives."""
        if self._ttl is None:
            return FLAGS.vnc_token_ttl
        return self._ttl() if callable(self._ttl) else self._ttl

    def add(self, token, info):
        """Remember ``token`` -> ``info`` for :meth:`ttl` seconds."""
        if not _valid_token_text(token):
            raise exception.InvalidInput(reason='malformed console token')
        self._tokens[token] = (self._clock() + self.ttl(), dict(info))

    def get(self, token):
        """``info`` of a valid token; None if unknown or expired."""
        if not _valid_token_text(token):
            return None
        entry = self._tokens.get(token)
        if entry is None:
            return None
        deadline, info = entry
        if self._clock() >= deadline:
            del self._tokens[token]
            return None
        return dict(info)

    def purge(self):
        """Forget expired tokens; returns how many."""
        now = self._clock()
        expired = [token for token, (deadline, _info) in self._tokens.items()
                   if now >= deadline]
        for token in expired:
            del self._tokens[token]
        return len(expired)

    def __len__(self):
        return len(self._tokens)


class VNCProxyAuthManager(manager.Manager):
    """nova-vncproxy's RPC side: authorizes and checks console tokens."""

    def __init__(self, host=None, tokens=None, **kwargs):
        super(VNCProxyAuthManager, self).__init__(host=host, **kwargs)
        self.tokens = tokens if tokens is not None else TokenStore()

    def authorize_vnc_console(self, context, token, host, port,
                              instance_id=None, compute_host=None,
                              **_kwargs):
        """Let ``token`` reach ``host:port`` (instance ``instance_id`` on
        ``compute_host``) for ``--vnc_token_ttl`` seconds."""
        try:
            port = int(port)
        except (TypeError, ValueError):
            raise exception.InvalidInput(reason='VNC port must be a number')
        if not host or not 0 < port < 65536:
            raise exception.InvalidInput(reason='no VNC server address')
        self.tokens.add(token, {'host': str(host), 'port': port,
                                'instance_id': instance_id,
                                'compute_host': compute_host})
        LOG.info('Authorized VNC console token %s for instance %s '
                 '(%s:%s, %ss)', _mask(token), instance_id, host, port,
                 self.tokens.ttl())

    def check_token(self, context, token, **_kwargs):
        """``{host, port, instance_id}`` of a valid token, else None."""
        info = self.tokens.get(token)
        if info is None:
            LOG.info('Refused VNC console token %s: unknown or expired',
                     _mask(token))
            return None
        if not self._port_still_belongs(context, info):
            LOG.info('Refused VNC console token %s: instance %s no longer '
                     'has VNC port %s', _mask(token), info['instance_id'],
                     info['port'])
            return None
        return {'host': info['host'], 'port': info['port'],
                'instance_id': info['instance_id']}

    def _port_still_belongs(self, context, info):
        if info.get('instance_id') is None or not info.get('compute_host'):
            return True
        try:
            return bool(rpc.call(
                nova_context.get_admin_context(),
                '%s.%s' % (FLAGS.compute_topic, info['compute_host']),
                {'method': 'validate_vnc_console_port',
                 'args': {'instance_id': info['instance_id'],
                          'port': info['port']}}))
        except Exception:  # noqa: BLE001 - refuse when compute cannot say
            LOG.warning('Could not confirm the VNC port of instance %s '
                        'with %s', info['instance_id'], info['compute_host'])
            return False

    @manager.periodic_task
    def _purge_expired_tokens(self, context):
        count = self.tokens.purge()
        if count:
            LOG.debug('Forgot %d expired VNC console tokens', count)
