"""libvirt nwfilter base filtering: Diablo's layer-2 anti-spoofing.

Diablo's ``linux_net`` runs no ``ebtables`` command; every guest NIC on a
bridge gets the nwfilter ``nova-instance-<name>-<mac without colons>``
(referenced from the domain XML's ``<filterref>`` with the parameters
``IP`` and ``DHCPSERVER``), whose only child is ``nova-base``: libvirt's
built-in ``no-mac-spoofing``, ``no-ip-spoofing``, ``no-arp-spoofing`` and
``allow-dhcp-server``.  libvirt turns them into ebtables rules on the
guest's tap device: frames with another source MAC, IP packets with
another source address and ARP claiming another address are dropped.
Cloudpipe instances (``image_ref == --vpn_image_id``) get ``nova-vpn``
(DHCP only) instead, since they route other addresses.

:class:`NWFilterBase` defines the static filters once per process, the
per-NIC filters on ``setup_basic_filtering`` and undefines them on
``unfilter_instance``.  It needs only a function returning an open
libvirt connection.
"""

import logging
from xml.etree import ElementTree
from xml.sax import saxutils

from nova import flags
from nova.virt import driver

LOG = logging.getLogger('nova.virt.libvirt.nwfilter')
FLAGS = flags.FLAGS

#: libvirt's built-in filters nova-base refers to.
BASE_CHILDREN = ('no-mac-spoofing', 'no-ip-spoofing', 'no-arp-spoofing',
                 'allow-dhcp-server')
#: the children of nova-vpn (cloudpipe).
VPN_CHILDREN = ('allow-dhcp-server',)

_ALLOW_DHCP_SERVER = '''<filter name='nova-allow-dhcp-server' chain='ipv4'>
  <uuid>891e4787-e5c0-d59b-cbd6-41bc3c6b36fc</uuid>
  <rule action='accept' direction='out' priority='100'>
    <udp srcipaddr='0.0.0.0' dstipaddr='255.255.255.255'
         srcportstart='68' dstportstart='67'/>
  </rule>
  <rule action='accept' direction='in' priority='100'>
    <udp srcipaddr='$DHCPSERVER' srcportstart='67' dstportstart='68'/>
  </rule>
</filter>'''


def filter_xml(name, children, chain='root'):
    """An nwfilter holding only ``<filterref>`` to ``children``."""
    refs = ''.join("\n  <filterref filter=%s/>" % saxutils.quoteattr(child)
                   for child in children)
    return "<filter name=%s chain=%s>%s\n</filter>" % (
        saxutils.quoteattr(name), saxutils.quoteattr(chain), refs)


def static_filters():
    """Name -> XML of the filters every guest's filter builds on."""
    return {'nova-base': filter_xml('nova-base', BASE_CHILDREN),
            'nova-vpn': filter_xml('nova-vpn', VPN_CHILDREN),
            'nova-allow-dhcp-server': _ALLOW_DHCP_SERVER}


def instance_filter_name(instance, mac):
    """``nova-instance-<name>-<mac without colons>``."""
    return 'nova-instance-%s-%s' % (driver.instance_name(instance),
                                    mac.replace(':', ''))


def is_vpn(instance):
    """Whether the instance is a cloudpipe (runs ``--vpn_image_id``)."""
    vpn_image = getattr(FLAGS, 'vpn_image_id', None)
    return vpn_image is not None and \
        str(instance.get('image_ref')) == str(vpn_image)


def filterref_parameters(mapping):
    """The ``<parameter>`` values of a NIC's ``<filterref>`` (Diablo's)."""
    ips = mapping.get('ips') or []
    params = {}
    if ips:
        params['IP'] = ips[0]['ip']
    if mapping.get('dhcp_server'):
        params['DHCPSERVER'] = mapping['dhcp_server']
    return params


class NWFilterBase(object):
    """Defines and removes the per-NIC anti-spoofing filters."""

    def __init__(self, get_connection):
        self._get_connection = get_connection
        self.static_filters_configured = False

    def _define(self, xml):
        """Define (or redefine) a filter: an existing one keeps its uuid,
        without which libvirt refuses the same name again."""
        conn = self._get_connection()
        root = ElementTree.fromstring(xml)
        if root.find('uuid') is None:
            try:
                existing = conn.nwfilterLookupByName(root.get('name'))
            except Exception:  # noqa: BLE001 - libvirtError: a new filter
                existing = None
            if existing is not None:
                node = ElementTree.Element('uuid')
                node.text = existing.UUIDString()
                root.insert(0, node)
                xml = ElementTree.tostring(root, encoding='unicode')
        conn.nwfilterDefineXML(xml)

    def ensure_static_filters(self):
        """Define nova-base, nova-vpn, nova-allow-dhcp-server (once)."""
        if self.static_filters_configured:
            return
        for _name, xml in sorted(static_filters().items()):
            self._define(xml)
        self.static_filters_configured = True

    def setup_basic_filtering(self, instance, network_info):
        """Define the filter of each of the instance's NICs."""
        self.ensure_static_filters()
        base = 'nova-vpn' if is_vpn(instance) else 'nova-base'
        for _network, mapping in network_info or []:
            self._define(filter_xml(instance_filter_name(
                instance, mapping['mac']), [base]))

    def unfilter_instance(self, instance, network_info):
        """Undefine the instance's NIC filters (missing ones are fine)."""
        conn = self._get_connection()
        for _network, mapping in network_info or []:
            name = instance_filter_name(instance, mapping['mac'])
            try:
                conn.nwfilterLookupByName(name).undefine()
            except Exception as exc:  # noqa: BLE001 - libvirtError: gone
                LOG.debug('nwfilter %s not undefined: %s', name, exc)

    def instance_filter_exists(self, instance, network_info):
        """Whether every NIC filter of the instance is defined."""
        conn = self._get_connection()
        for _network, mapping in network_info or []:
            try:
                conn.nwfilterLookupByName(instance_filter_name(
                    instance, mapping['mac']))
            except Exception:  # noqa: BLE001 - libvirtError: not defined
                return False
        return True
