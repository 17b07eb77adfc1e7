"""Diablo's layer-2 anti-spoofing (libvirt nwfilter -> ebtables), for real.

Diablo's linux_net issues no ebtables command; every guest NIC gets the
nwfilter ``nova-instance-<name>-<mac>`` -> ``nova-base`` -> libvirt's
``no-mac-spoofing``, ``no-ip-spoofing``, ``no-arp-spoofing`` and
``allow-dhcp-server``, which libvirt applies with ebtables on the NIC's
host-side device.  Here:

* a "host" namespace holds the bridge and a private libvirtd (its own
  mount namespace: tmpfs over /run/libvirt, /var/lib/libvirt and
  /var/cache/libvirt, a copy of /etc/libvirt, its socket in the lab
  directory), so nothing touches the machine's libvirtd or root namespace;
* a "guest" namespace is attached to the bridge by a veth with the
  instance's MAC;
* nova's NWFilterBase defines the filters through that libvirtd, and the
  NIC's filterref (the same name and parameters the domain XML carries) is
  bound to the guest's host-side veth with an nwfilter binding, which is
  what libvirt does for a domain's interface.

The guest reaches the host from its own address; from a second address
(IP spoofing) or with another MAC it does not; after unfiltering it does
again, and no ebtables rule is left.
"""

import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

import netns
from nova.virt.libvirt import nwfilter

pytestmark = [pytest.mark.netns, pytest.mark.libvirt,
              pytest.mark.integration, pytest.mark.timeout(150)]

MAC = '02:16:3e:00:00:05'
GUEST_IP = '10.0.0.5'
SPOOF_IP = '10.0.0.99'
PORT = 8023
INSTANCE = {'id': 5, 'name': 'instance-00000005', 'image_ref': '3'}
NETWORK_INFO = [({'bridge': 'br100', 'cidr': '10.0.0.0/24'},
                 {'mac': MAC, 'ips': [{'ip': GUEST_IP}],
                  'dhcp_server': '10.0.0.1'})]
PROBE = ('import socket,sys\n'
         's = socket.socket()\n'
         's.settimeout(1.5)\n'
         's.bind((sys.argv[1], 0))\n'
         'try:\n'
         '    s.connect(("10.0.0.1", %d))\n'
         'except OSError:\n'
         '    sys.exit(1)\n' % PORT)
# The mount points may not exist yet on a machine where no libvirtd ever
# ran (/run/libvirt is made by libvirtd itself).
LIBVIRTD = ('mkdir -p /run/libvirt /var/lib/libvirt /var/cache/libvirt && '
            'mount -t tmpfs none /run/libvirt && '
            'mount -t tmpfs none /var/lib/libvirt && '
            'mount -t tmpfs none /var/cache/libvirt && '
            'mount --bind {dir}/etc /etc/libvirt && '
            'exec libvirtd -p {dir}/libvirtd.pid -f {dir}/etc/libvirtd.conf')


def _missing():
    try:
        import libvirt  # noqa: F401
    except ImportError:
        return 'libvirt-python is not installed'
    for tool in ('libvirtd', 'ebtables', 'unshare'):
        if shutil.which(tool) is None:
            return '%s is not installed' % tool
    if not os.path.isdir('/etc/libvirt/nwfilter'):
        return "libvirt's built-in nwfilters (/etc/libvirt/nwfilter) are " \
               "missing"
    return None


def private_libvirtd(lab, ns):
    """A libvirtd of its own inside ``ns``; returns an open connection."""
    import libvirt
    base = os.path.join(lab.dir, 'libvirt')
    os.makedirs(os.path.join(base, 'sock'))
    shutil.copytree('/etc/libvirt', os.path.join(base, 'etc'), symlinks=True)
    for autostart in ('qemu/autostart', 'qemu/networks/autostart'):
        shutil.rmtree(os.path.join(base, 'etc', autostart),
                      ignore_errors=True)
    with open(os.path.join(base, 'etc', 'libvirtd.conf'), 'a') as conf:
        conf.write('\nunix_sock_dir = "%s/sock"\n' % base)
    log = open(os.path.join(lab.dir, 'libvirtd.log'), 'w')
    proc = subprocess.Popen(
        ['ip', 'netns', 'exec', ns, 'unshare', '-m', '--propagation',
         'private', 'sh', '-c', LIBVIRTD.format(dir=base)],
        stdout=log, stderr=log)
    lab.procs.append(proc)
    sock = os.path.join(base, 'sock', 'libvirt-sock')
    uri = 'qemu:///system?socket=%s' % sock
    deadline = time.time() + 30
    while True:
        if proc.poll() is not None:
            raise AssertionError('private libvirtd exited (%s): %s' % (
                proc.returncode, open(log.name).read()[-2000:]))
        try:
            return libvirt.open(uri)
        except libvirt.libvirtError:
            if time.time() > deadline:
                raise
            time.sleep(0.3)


def binding_xml(instance, network, mapping, portdev):
    """An nwfilter binding of the NIC's filterref to ``portdev``."""
    params = ''.join("<parameter name='%s' value='%s'/>" % item for item in
                     sorted(nwfilter.filterref_parameters(mapping).items()))
    return ("<filterbinding><owner><name>%s</name><uuid>%s</uuid></owner>"
            "<portdev name='%s'/><mac address='%s'/>"
            "<filterref filter='%s'>%s</filterref></filterbinding>" % (
                instance['name'], uuid.uuid4(), portdev, mapping['mac'],
                nwfilter.instance_filter_name(instance, mapping['mac']),
                params))


def from_guest(lab, guest, source):
    """Whether a TCP connection from ``source`` in the guest succeeds."""
    return subprocess.run(['ip', 'netns', 'exec', guest, sys.executable,
                           '-c', PROBE, source], capture_output=True,
                          timeout=20).returncode == 0


def ebtables_rules(lab, host):
    """libvirt's ebtables rules in the host namespace."""
    return [line for line in lab.exec(host, 'ebtables', '-t', 'nat',
                                      '-L').splitlines()
            if 'libvirt' in line or 'vguest' in line]


@pytest.fixture
def spoof_lab(lab):
    reason = _missing()
    if reason:
        pytest.skip(reason)
    host = lab.ns('h')
    lab.exec(host, 'ip', 'link', 'add', 'br100', 'type', 'bridge')
    lab.exec(host, 'ip', 'addr', 'add', '10.0.0.1/24', 'dev', 'br100')
    lab.exec(host, 'ip', 'link', 'set', 'br100', 'up')
    guest = lab.ns('g')
    lab.veth(guest, 'eth0', host, 'vguest', mac_a=MAC)
    lab.exec(host, 'ip', 'link', 'set', 'vguest', 'master', 'br100')
    lab.exec(guest, 'ip', 'addr', 'add', GUEST_IP + '/24', 'dev', 'eth0')
    lab.exec(guest, 'ip', 'addr', 'add', SPOOF_IP + '/24', 'dev', 'eth0')
    lab.spawn(host, sys.executable, '-m', 'http.server', PORT, '--bind',
              '10.0.0.1')
    netns.wait_for(lambda: 'LISTEN' in lab.exec(host, 'ss', '-ltn'),
                   what='the host server')
    conn = private_libvirtd(lab, host)
    try:
        yield lab, host, guest, conn
    finally:
        conn.close()


def test_spoofed_ip_and_mac_are_dropped_own_address_works(spoof_lab):
    lab, host, guest, conn = spoof_lab
    # without the filter the second address gets through (so the checks
    # below mean something)
    assert from_guest(lab, guest, GUEST_IP)
    assert from_guest(lab, guest, SPOOF_IP)

    base = nwfilter.NWFilterBase(lambda: conn)
    base.setup_basic_filtering(INSTANCE, NETWORK_INFO)
    base.setup_basic_filtering(INSTANCE, NETWORK_INFO)  # idempotent
    name = nwfilter.instance_filter_name(INSTANCE, MAC)
    assert name == 'nova-instance-instance-00000005-02163e000005'
    assert "<filterref filter='nova-base'/>" in \
        conn.nwfilterLookupByName(name).XMLDesc(0)
    assert base.instance_filter_exists(INSTANCE, NETWORK_INFO)

    network, mapping = NETWORK_INFO[0]
    binding = conn.nwfilterBindingCreateXML(
        binding_xml(INSTANCE, network, mapping, 'vguest'), 0)
    try:
        assert ebtables_rules(lab, host), 'libvirt installed no ebtables rule'
        netns.wait_for(lambda: from_guest(lab, guest, GUEST_IP),
                       what='the guest from its own address')
        assert not from_guest(lab, guest, SPOOF_IP)
        # another MAC: everything from the guest is dropped
        lab.exec(guest, 'ip', 'link', 'set', 'eth0', 'address',
                 '02:16:3e:00:00:99')
        assert not from_guest(lab, guest, GUEST_IP)
        lab.exec(guest, 'ip', 'link', 'set', 'eth0', 'address', MAC)
        netns.wait_for(lambda: from_guest(lab, guest, GUEST_IP),
                       what='the guest with its own MAC again')
    finally:
        binding.delete()
    base.unfilter_instance(INSTANCE, NETWORK_INFO)
    base.unfilter_instance(INSTANCE, NETWORK_INFO)  # already gone: fine
    assert not base.instance_filter_exists(INSTANCE, NETWORK_INFO)
    assert name not in conn.listNWFilters()
    assert ebtables_rules(lab, host) == []
    assert from_guest(lab, guest, SPOOF_IP)
