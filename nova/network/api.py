"""Client side of nova-network: what compute and the APIs call.

Each method is an ``rpc.call`` to the ``network`` topic (any nova-network
takes it; the manager forwards to a network's own host when it must),
carrying the arguments the manager's methods of the same name take.
"""

from nova import db
from nova import exception
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

    # -- floating IPs --------------------------------------------------------
    def allocate_floating_ip(self, context):
        """Give the caller's project a floating IP; returns the address."""
        return self._call(context, 'allocate_floating_ip',
                          project_id=context.project_id)

    def release_floating_ip(self, context, address):
        """Return the project's (unassociated) floating IP to the pool."""
        floating_ip = self.get_floating_ip(context, address)
        if floating_ip['fixed_ip_id'] is not None:
            raise exception.FloatingIpInUse(address=address)
        return self._call(context, 'deallocate_floating_ip',
                          floating_address=address,
                          project_id=context.project_id)

    def get_floating_ip(self, context, address):
        """The floating IP if it belongs to the caller's project."""
        try:
            floating_ip = db.floating_ip_get_by_address(context.elevated(),
                                                        address)
        except exception.FloatingIpNotFound:
            raise exception.FloatingIpNotFoundForAddress(address=address)
        if floating_ip['project_id'] != context.project_id and \
                not (context.is_admin and floating_ip['project_id']):
            raise exception.FloatingIpNotFoundForAddress(address=address)
        return floating_ip

    def associate_floating_ip(self, context, floating_address,
                              fixed_address):
        """Map the project's floating IP to a fixed IP, on the NAT host."""
        floating_ip = self.get_floating_ip(context, floating_address)
        if floating_ip['fixed_ip_id'] is not None:
            raise exception.FloatingIpAlreadyAssociated(
                address=floating_address)
        fixed_ip = db.fixed_ip_get_by_address(context.elevated(),
                                              fixed_address)
        network = db.network_get(context.elevated(), fixed_ip['network_id'])
        if network['multi_host']:
            host = fixed_ip['instance']['host']
        else:
            host = network['host']
        topic = '%s.%s' % (FLAGS.network_topic, host) if host else \
            FLAGS.network_topic
        return rpc.call(context, topic, {
            'method': 'associate_floating_ip',
            'args': {'floating_address': floating_address,
                     'fixed_address': fixed_address}})

    def disassociate_floating_ip(self, context, address):
        """Remove a floating IP's mapping (on the host that has it)."""
        floating_ip = self.get_floating_ip(context, address)
        if floating_ip['fixed_ip_id'] is None:
            raise exception.FloatingIpNotAssociated(address=address)
        topic = '%s.%s' % (FLAGS.network_topic, floating_ip['host']) \
            if floating_ip['host'] else FLAGS.network_topic
        return rpc.call(context, topic, {
            'method': 'disassociate_floating_ip',
            'args': {'floating_address': address}})

    # -- multinic ---------------------------------------------------------------
    def add_fixed_ip_to_instance(self, context, instance, network_id):
        """Give an instance a fixed IP (and a NIC) on ``network_id``; a
        call, so the guest's new settings include it."""
        return self._call(context, 'add_fixed_ip_to_instance',
                          instance_id=_get(instance, 'id'),
                          host=_get(instance, 'host'), network_id=network_id)

    def remove_fixed_ip_from_instance(self, context, instance, address):
        """Take ``address`` back from an instance (a call)."""
        return self._call(context, 'remove_fixed_ip_from_instance',
                          instance_id=_get(instance, 'id'), address=address)
