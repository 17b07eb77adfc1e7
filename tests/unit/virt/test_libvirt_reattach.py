"""Attaching a volume the guest already has at that device is a no-op.

After a host's power loss the guest's definition still holds its volumes
(attached with ``VIR_DOMAIN_AFFECT_CONFIG``), so the instance boots with
them; the admin manual's disaster recovery then attaches each volume
again (``euca-attach-volume``), which libvirt would refuse ("target vdb
already exists").  Another volume at that device is still refused.
"""

import xml.etree.ElementTree as ElementTree

import pytest

from nova.virt.libvirt import guestops

INFO = {'driver_volume_type': 'iscsi',
        'data': {'target_portal': '192.168.100.1:3260',
                 'target_iqn': 'iqn.2010-10.org.openstack:volume-00000001',
                 'target_lun': 1, 'volume_id': 1}}


class FakeDom(object):
    """A domain with one iSCSI disk at vdb (``iqn``) besides its vda."""

    def __init__(self, iqn):
        self.iqn = iqn
        self.attached = []

    def XMLDesc(self, _flags):  # noqa: N802 - libvirt's name
        return ("<domain><devices>"
                "<disk type='file'><source file='/x/disk'/>"
                "<target dev='vda'/></disk>"
                "<disk type='network'><source protocol='iscsi' name='%s/1'>"
                "<host name='192.168.100.1' port='3260'/></source>"
                "<target dev='vdb'/></disk>"
                "</devices></domain>" % self.iqn)

    def isActive(self):  # noqa: N802 - libvirt's name
        return True

    def attachDeviceFlags(self, xml, flags):  # noqa: N802 - libvirt's name
        if ElementTree.fromstring(xml).find('target').get('dev') == 'vdb':
            raise RuntimeError('target vdb already exists')
        self.attached.append(xml)


def _ops(dom):
    ops = guestops.GuestOpsMixin()
    ops._lookup = lambda _name: dom
    return ops


def test_the_same_volume_at_the_same_device_is_left_alone():
    pytest.importorskip('libvirt')
    dom = FakeDom(INFO['data']['target_iqn'])
    _ops(dom).attach_volume('instance-1', INFO, '/dev/vdb')
    assert dom.attached == []
    _ops(dom).attach_volume('instance-1', INFO, '/dev/vdc')
    assert [ElementTree.fromstring(xml).find('target').get('dev')
            for xml in dom.attached] == ['vdc']


def test_another_volume_at_that_device_is_refused():
    pytest.importorskip('libvirt')
    dom = FakeDom('iqn.2010-10.org.openstack:volume-00000009')
    with pytest.raises(RuntimeError):
        _ops(dom).attach_volume('instance-1', INFO, '/dev/vdb')
