"""Client side of consoles: VNC through nova-vncproxy, no ajax consoles.

``get_vnc_console`` is Diablo's flow: the instance's compute host mints a
token for it and says where its VNC server listens (a call), the token
is authorized with nova-vncproxy (a call to ``--vncproxy_topic``:
``authorize_vnc_console``), and the answer is ``{'url': ...}`` -- noVNC's
page on ``--vnc_console_proxy_url`` with that token.  Without a live
nova-vncproxy the request is refused at once
(:class:`~nova.exception.ConsoleProxyNotRunning`) rather than left to
time out.  Ajax consoles need nova-ajax-console-proxy, which this
project does not have: refused as
:class:`~nova.exception.ConsoleTypeNotSupported`.
"""

import logging

from nova import db
from nova import exception
from nova import flags
from nova import rpc
from nova import vnc
from nova.utils import servicegroup

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.compute.api_consoles')


def _as_id(instance_id):
    try:
        return int(instance_id)
    except (TypeError, ValueError):
        raise exception.InstanceNotFound(instance_id=instance_id)


class ConsoleApiMixin(object):
    """VNC and ajax consoles for :class:`nova.compute.api.API` (needs
    ``get`` and ``_compute_topic``)."""

    def _placed_instance(self, context, instance_id, method):
        instance = self.get(context, _as_id(instance_id))
        if not instance['host']:
            raise exception.InstanceInvalidState(
                instance_id=instance['id'], attr='host', state='unassigned',
                method=method)
        return instance

    @staticmethod
    def _vncproxy_is_up(context):
        services = db.service_get_all_by_topic(context.elevated(),
                                               FLAGS.vncproxy_topic)
        return any(servicegroup.service_is_up(svc) for svc in services)

    def get_vnc_console(self, context, instance_id):
        """``{'url': ...}``: the proxy URL of the instance's VNC console,
        with a token valid ``--vnc_token_ttl`` seconds for it alone."""
        instance = self._placed_instance(context, instance_id,
                                         'get_vnc_console')
        if not self._vncproxy_is_up(context):
            raise exception.ConsoleProxyNotRunning()
        try:
            console = rpc.call(context, self._compute_topic(instance), {
                'method': 'get_vnc_console',
                'args': {'instance_id': instance['id']}})
        except rpc.RemoteError as exc:
            if exc.exc_type == 'ConsoleNotAvailable':
                raise exception.ConsoleNotAvailable(message=str(exc.value))
            raise
        rpc.call(context, FLAGS.vncproxy_topic, {
            'method': 'authorize_vnc_console',
            'args': {'token': console['token'], 'host': console['host'],
                     'port': console['port'],
                     'instance_id': instance['id'],
                     'compute_host': instance['host']}})
        LOG.info('VNC console of instance %s handed to %s', instance['id'],
                 getattr(context, 'user_id', None))
        return {'url': vnc.console_url(console['token'])}

    def get_ajax_console(self, context, instance_id):
        """Refused: there is no ajax console proxy here."""
        self.get(context, _as_id(instance_id))
        raise exception.ConsoleTypeNotSupported(
            console_type='Ajax', hypervisor=FLAGS.connection_type)
