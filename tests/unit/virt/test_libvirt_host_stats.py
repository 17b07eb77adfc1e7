"""The libvirt driver's host stats carry the keys the least-cost
scheduler's filters and fill-first cost read, from libvirt's numbers."""

import nova.compute.manager  # noqa: F401 - instances_path
from nova.virt.libvirt import connection

CAPABILITIES = """<capabilities><host><cpu><arch>x86_64</arch>
<model>qemu64</model><vendor>Intel</vendor>
<topology sockets='1' cores='2' threads='1'/></cpu></host></capabilities>"""


class _FakeDomain(object):
    def __init__(self, vcpus):
        self._vcpus = vcpus

    def info(self):
        return [1, 524288, 524288, self._vcpus, 0]


class _FakeLibvirt(object):
    """The calls of a libvirt connection the host stats make."""

    def isAlive(self):
        return True

    def getInfo(self):
        # model, memory MiB, cpus, MHz, nodes, sockets, cores, threads
        return ['x86_64', 8192, 4, 2400, 1, 1, 4, 1]

    def getFreeMemory(self):
        return 3072 * 1024 * 1024

    def listDomainsID(self):
        return [1, 2]

    def lookupByID(self, dom_id):
        return _FakeDomain(dom_id)

    def getType(self):
        return 'QEMU'

    def getVersion(self):
        return 6002000

    def getCapabilities(self):
        return CAPABILITIES


def test_host_stats_from_libvirt(set_flags, tmp_path):
    set_flags(instances_path=str(tmp_path), host='node7')
    driver = connection.LibvirtConnection(read_only=True)
    driver._conn = _FakeLibvirt()
    stats = driver.get_host_stats(refresh=True)
    assert stats['host_hostname'] == 'node7'
    assert stats['host_memory_total'] == 8192
    assert stats['host_memory_free'] == 3072
    assert stats['vcpus'] == 4 and stats['vcpus_used'] == 3
    assert stats['hypervisor_type'] == 'QEMU'
    assert stats['disk_available'] == stats['disk_total'] - \
        stats['disk_used']
    assert stats['disk_total'] > 0 and stats['disk_available'] >= 0
