"""libvirt nwfilter anti-spoofing: the calls to libvirt and the domain XML."""

import xml.etree.ElementTree as ElementTree

import nova.compute.manager  # noqa: F401 - instances_path
import nova.legacy_flags  # noqa: F401 - vnc flags
from nova.network.linux_net import iptables
from nova.virt.libvirt import connection
from nova.virt.libvirt import firewall
from nova.virt.libvirt import nwfilter

INSTANCE = {'id': 10, 'name': 'instance-0000000a', 'image_ref': '3',
            'memory_mb': 512, 'vcpus': 1, 'local_gb': 0}
NETWORK = {'id': 1, 'bridge': 'br100', 'cidr': '10.0.0.0/24',
           'multi_host': False}
MAPPING = {'mac': '02:16:3e:00:00:01', 'dhcp_server': '10.0.0.1',
           'ips': [{'ip': '10.0.0.3'}], 'should_create_bridge': False}
NIC_FILTER = 'nova-instance-instance-0000000a-02163e000001'


class FakeFilter(object):
    def __init__(self, conn, name, uuid):
        self.conn, self.name, self.uuid = conn, name, uuid

    def UUIDString(self):
        return self.uuid

    def undefine(self):
        self.conn.calls.append(('undefine', self.name))
        del self.conn.filters[self.name]


class LibvirtError(Exception):
    pass


class FakeConn(object):
    """Records nwfilter calls; refuses a known name without its uuid,
    as libvirt does."""

    def __init__(self):
        self.filters = {}
        self.calls = []

    def nwfilterDefineXML(self, xml):
        root = ElementTree.fromstring(xml)
        name = root.get('name')
        uuid = root.findtext('uuid')
        if name in self.filters and uuid != self.filters[name]:
            raise LibvirtError('filter %s already exists' % name)
        self.filters[name] = uuid or 'uuid-%d' % len(self.calls)
        self.calls.append(('define', name,
                           [r.get('filter') for r in root.findall(
                               'filterref')]))

    def nwfilterLookupByName(self, name):
        if name not in self.filters:
            raise LibvirtError('no filter %s' % name)
        return FakeFilter(self, name, self.filters[name])


def test_setup_defines_static_then_nic_filters_and_is_idempotent():
    conn = FakeConn()
    base = nwfilter.NWFilterBase(lambda: conn)
    base.setup_basic_filtering(INSTANCE, [(NETWORK, MAPPING)])
    assert conn.calls == [
        ('define', 'nova-allow-dhcp-server', []),
        ('define', 'nova-base', ['no-mac-spoofing', 'no-ip-spoofing',
                                 'no-arp-spoofing', 'allow-dhcp-server']),
        ('define', 'nova-vpn', ['allow-dhcp-server']),
        ('define', NIC_FILTER, ['nova-base'])]
    del conn.calls[:]
    base.setup_basic_filtering(INSTANCE, [(NETWORK, MAPPING)])
    assert conn.calls == [('define', NIC_FILTER, ['nova-base'])]
    # a restarted process redefines the static filters under their uuids
    nwfilter.NWFilterBase(lambda: conn).setup_basic_filtering(
        INSTANCE, [(NETWORK, MAPPING)])
    assert base.instance_filter_exists(INSTANCE, [(NETWORK, MAPPING)])


def test_cloudpipe_gets_nova_vpn(set_flags):
    set_flags(vpn_image_id='7')
    conn = FakeConn()
    nwfilter.NWFilterBase(lambda: conn).setup_basic_filtering(
        dict(INSTANCE, image_ref='7'), [(NETWORK, MAPPING)])
    assert conn.calls[-1] == ('define', NIC_FILTER, ['nova-vpn'])


def test_unfilter_undefines_and_tolerates_missing():
    conn = FakeConn()
    base = nwfilter.NWFilterBase(lambda: conn)
    base.setup_basic_filtering(INSTANCE, [(NETWORK, MAPPING)])
    del conn.calls[:]
    base.unfilter_instance(INSTANCE, [(NETWORK, MAPPING)])
    base.unfilter_instance(INSTANCE, [(NETWORK, MAPPING)])
    assert conn.calls == [('undefine', NIC_FILTER)]
    assert not base.instance_filter_exists(INSTANCE, [(NETWORK, MAPPING)])
    assert 'nova-base' in conn.filters


class Recorder(object):
    """iptables-save/-restore in memory."""

    def __init__(self):
        self.tables = {}

    def __call__(self, *cmd, **kwargs):
        if cmd[0].endswith('-save'):
            return self.tables.get(cmd[2], '*%s\nCOMMIT\n' % cmd[2]), ''
        text = kwargs['process_input']
        self.tables[text.splitlines()[0][1:]] = text
        return '', ''


def test_libvirt_iptables_driver_adds_nwfilter(tmp_path, set_flags):
    set_flags(use_ipv6=False)
    conn = FakeConn()
    manager = iptables.IptablesManager('nova-compute', Recorder(),
                                       str(tmp_path))
    driver = firewall.IptablesFirewallDriver(get_connection=lambda: conn,
                                             iptables_manager=manager)
    driver.setup_basic_filtering(INSTANCE, [(NETWORK, MAPPING)])
    driver.prepare_instance_filter(INSTANCE, [(NETWORK, MAPPING)], [])
    assert NIC_FILTER in conn.filters
    assert driver.instance_filter_exists(INSTANCE, [(NETWORK, MAPPING)])
    driver.unfilter_instance(INSTANCE, [(NETWORK, MAPPING)])
    assert NIC_FILTER not in conn.filters
    assert not driver.instance_filter_exists(INSTANCE, [(NETWORK, MAPPING)])


def test_domain_xml_nic_carries_the_filterref(set_flags, tmp_path):
    set_flags(libvirt_type='qemu', instances_path=str(tmp_path),
              libvirt_vif_type='bridge',
              firewall_driver='nova.virt.libvirt.firewall.'
                              'IptablesFirewallDriver')
    conn = connection.LibvirtConnection()
    assert conn.firewall_driver.uses_nwfilter
    root = ElementTree.fromstring(conn.to_xml(INSTANCE, [(NETWORK, MAPPING)]))
    ref = root.find('devices/interface/filterref')
    assert ref.get('filter') == NIC_FILTER
    assert {p.get('name'): p.get('value') for p in ref.findall('parameter')} \
        == {'IP': '10.0.0.3', 'DHCPSERVER': '10.0.0.1'}
    # the no-op driver enforces nothing and references no filter
    set_flags(firewall_driver='nova.virt.firewall.NoopFirewallDriver')
    conn = connection.LibvirtConnection()
    root = ElementTree.fromstring(conn.to_xml(INSTANCE, [(NETWORK, MAPPING)]))
    assert root.find('devices/interface/filterref') is None
