"""Compute-manager side of VNC consoles: tokens minted for one instance.

``get_vnc_console`` mints a fresh token for the instance and says where
its VNC server listens (the driver's answer); ``nova.compute.api`` then
authorizes that token with nova-vncproxy.  ``validate_vnc_console_port``
is how nova-vncproxy confirms, each time a token is used, that the port
still belongs to that instance on this host.
"""

import logging
import uuid

from nova import db
from nova import exception

LOG = logging.getLogger('nova.compute.manager_consoles')


class ConsoleMixin(object):
    """RPC methods of nova-compute for VNC consoles (needs ``driver``,
    ``host``)."""

    def get_vnc_console(self, context, instance_id, **_kwargs):
        """``{token, host, port, instance_id, compute_host}`` of a new
        console token for the instance's VNC display."""
        instance = db.instance_get(context.elevated(), instance_id)
        LOG.debug('instance %s: getting a VNC console', instance_id)
        console = self.driver.get_vnc_console(instance)
        return {'token': str(uuid.uuid4()), 'host': console['host'],
                'port': int(console['port']), 'instance_id': instance['id'],
                'compute_host': self.host}

    def validate_vnc_console_port(self, context, instance_id, port,
                                  **_kwargs):
        """Whether the instance is (still) here with its VNC on ``port``."""
        try:
            instance = db.instance_get(context.elevated(), instance_id)
        except exception.NotFound:
            return False
        if instance['host'] != self.host:
            return False
        try:
            console = self.driver.get_vnc_console(instance)
        except (exception.NovaException, NotImplementedError):
            return False
        return str(console['port']) == str(port)
