"""VIF drivers of the libvirt driver (``--libvirt_vif_driver``).

:class:`LibvirtBridgeDriver` (the default) puts each NIC on its network's
Linux bridge.  Like Diablo's, it makes the bridge itself (through
:mod:`nova.network.linux_net`) only for a network that is not multi_host
and whose manager asks for bridges (``should_create_bridge``: FlatDHCP and
Vlan, not Flat); otherwise the bridge must already exist on the host
libvirtd runs on.
"""

import importlib
import logging

from nova import flags

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.virt.libvirt.vif')

flags.DEFINE_string('libvirt_ovs_bridge', 'br-int',
                    'Open vSwitch bridge instances plug into',
                    unsupported='Open vSwitch VIF driver')



def _linux_net():
    """:mod:`nova.network.linux_net`, imported only when a bridge is made."""
    return importlib.import_module('nova.network.linux_net')


class VIFDriver(object):
    """Interface of the VIF drivers."""

    def plug(self, instance, network, mapping):
        """Prepare the host side of one NIC; returns the template's ``nic``."""
        raise NotImplementedError()

    def unplug(self, instance, network, mapping):
        """Undo :meth:`plug`."""
        raise NotImplementedError()


class LibvirtBridgeDriver(VIFDriver):
    """NICs on Linux bridges (``<interface type='bridge'>``)."""

    def _ensure_bridge(self, network, mapping):
        linux_net = _linux_net()
        if mapping.get('should_create_vlan') and network.get('vlan'):
            linux_net.ensure_vlan_bridge(network['vlan'], network['bridge'],
                                         network.get('bridge_interface'))
        else:
            linux_net.ensure_bridge(network['bridge'],
                                    network.get('bridge_interface'))

    def plug(self, instance, network, mapping):
        """Make the bridge when this host must; describe the NIC."""
        if not network.get('multi_host') and \
                mapping.get('should_create_bridge'):
            self._ensure_bridge(network, mapping)
        ips = mapping.get('ips') or []
        nic = {'id': mapping['mac'].replace(':', ''),
               'bridge_name': network['bridge'],
               'mac_address': mapping['mac'],
               'ip_address': ips[0]['ip'] if ips else None,
               'dhcp_server': mapping.get('dhcp_server'),
               'extra_params': '\n'}
        if mapping.get('gateway6'):
            nic['gateway6'] = mapping['gateway6'] + '/128'
        return nic

    def unplug(self, instance, network, mapping):
        """Nothing: the bridge is shared by the network's guests."""
