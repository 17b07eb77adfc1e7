"""Client side of nova-network: what compute and the APIs call.

Each method is an ``rpc.call`` to the ``network`` topic (any nova-network
takes it; the manager forwards to a network's own host when it must),
carrying the arguments the manager's methods of the same name take.
"""

from nova import flags
from nova import rpc

FLAGS = flags.FLAGS


def _get(instance, key, default=None):
    try:
        return instance[key]
    except (KeyError, TypeError):
        return getattr(instance, key, default)


class API(object):
    """API for interacting with the network manager."""

    def __init__(self, topic=None):
        self._topic = topic

    @property
    def topic(self):
        """The topic calls go to (``--network_topic`` unless given)."""
        return self._topic or FLAGS.network_topic

    def _call(self, context, method, **args):
        return rpc.call(context, self.topic, {'method': method,
                                              'args': args})

    def allocate_for_instance(self, context, instance, **kwargs):
        """Give an instance its MACs and fixed IPs; returns network_info.

        ``network_info`` is a list of ``(network, info)`` pairs, ``info``
        having ``label``, ``gateway``, ``broadcast``, ``mac``, ``dns`` and
        ``ips`` (``[{'ip', 'netmask', 'enabled'}]``).  Extra keyword
        arguments (``vpn``, ``requested_networks``) are passed along.
        """
        args = dict(kwargs)
        args.update(instance_id=_get(instance, 'id'),
                    project_id=_get(instance, 'project_id'),
                    host=_get(instance, 'host'),
                    instance_type_id=_get(instance, 'instance_type_id'))
        return self._call(context, 'allocate_for_instance', **args)

    def deallocate_for_instance(self, context, instance, **kwargs):
        """Take back an instance's fixed IPs and virtual interfaces."""
        args = dict(kwargs)
        args.update(instance_id=_get(instance, 'id'),
                    project_id=_get(instance, 'project_id'))
        return self._call(context, 'deallocate_for_instance', **args)

    def get_instance_nw_info(self, context, instance):
        """The network_info of an instance (as allocate_for_instance)."""
        return self._call(context, 'get_instance_nw_info',
                          instance_id=_get(instance, 'id'),
                          instance_type_id=_get(instance, 'instance_type_id'),
                          host=_get(instance, 'host'))
