"""What the host offers: the ``compute_nodes`` figures and ``cpu_info``.

:func:`available_resource` gives the dict the compute manager writes into
the host's ``compute_nodes`` row (Diablo's ``update_available_resource``;
memory is read from ``/proc/meminfo`` on any Linux, not only on Python 2's
``linux2``).  :func:`cpu_info` is the JSON the schedulers compare before a
live migration; :func:`cpu_xml` turns it back into libvirt's ``<cpu>`` for
``compareCPU`` (with ``<feature>``, not Diablo's misspelt ``<features>``).
"""

import json
import multiprocessing
import os
import xml.etree.ElementTree as ElementTree
from xml.sax import saxutils

from nova.virt import exceptions


def _meminfo():
    values = {}
    with open('/proc/meminfo') as source:
        for line in source:
            key, _sep, rest = line.partition(':')
            values[key.strip()] = int(rest.split()[0])
    return values


def memory_mb():
    """Total memory of the host (MiB)."""
    return _meminfo()['MemTotal'] // 1024


def memory_mb_used():
    """Memory the host uses (MiB): total - (free + buffers + cached)."""
    info = _meminfo()
    free = info.get('MemFree', 0) + info.get('Buffers', 0) + \
        info.get('Cached', 0)
    return (info['MemTotal'] - free) // 1024


def local_gb(path):
    """Size (GiB) of the file system holding ``path``."""
    stats = os.statvfs(path)
    return stats.f_frsize * stats.f_blocks // 1024 ** 3


def local_gb_used(path):
    """GiB of that file system not available to us."""
    stats = os.statvfs(path)
    return local_gb(path) - stats.f_frsize * stats.f_bavail // 1024 ** 3


def cpu_info(capabilities_xml):
    """The host CPU of libvirt's capabilities, as Diablo's JSON text."""
    root = ElementTree.fromstring(capabilities_xml)
    cpus = root.findall('./host/cpu')
    if len(cpus) != 1:
        raise exceptions.MigrationError(
            reason='the capabilities describe %d host CPUs' % len(cpus))
    cpu = cpus[0]
    info = {}
    for key in ('arch', 'model', 'vendor'):
        node = cpu.find(key)
        if node is not None and node.text:
            info[key] = node.text
    topology = cpu.find('topology')
    info['topology'] = {}
    if topology is not None:
        for key in ('sockets', 'cores', 'threads'):
            info['topology'][key] = topology.get(key)
    info['features'] = [feature.get('name')
                        for feature in cpu.findall('feature')]
    return json.dumps(info)


def cpu_xml(info):
    """libvirt ``<cpu>`` XML of a :func:`cpu_info` dict."""
    esc = saxutils.quoteattr
    parts = ['<cpu>']
    for key in ('arch', 'model', 'vendor'):
        if info.get(key):
            parts.append('<%s>%s</%s>' % (key, saxutils.escape(info[key]),
                                          key))
    topology = info.get('topology') or {}
    if topology:
        parts.append('<topology sockets=%s cores=%s threads=%s/>' % (
            esc(str(topology.get('sockets', 1))),
            esc(str(topology.get('cores', 1))),
            esc(str(topology.get('threads', 1)))))
    for feature in info.get('features') or []:
        parts.append('<feature name=%s/>' % esc(feature))
    parts.append('</cpu>')
    return ''.join(parts)


def available_resource(conn, instances_path):
    """The ``compute_nodes`` values of this host (see the module doc)."""
    os.makedirs(instances_path, exist_ok=True)
    vcpus_used = 0
    for dom_id in conn.listDomainsID():
        try:
            dom = conn.lookupByID(dom_id)
            vcpus_used += dom.info()[3]
        except Exception:  # noqa: BLE001 - a domain that just went away
            continue
    return {
        'vcpus': multiprocessing.cpu_count(),
        'memory_mb': memory_mb(),
        'local_gb': local_gb(instances_path),
        'vcpus_used': vcpus_used,
        'memory_mb_used': memory_mb_used(),
        'local_gb_used': local_gb_used(instances_path),
        'hypervisor_type': conn.getType(),
        'hypervisor_version': conn.getVersion(),
        'cpu_info': cpu_info(conn.getCapabilities()),
    }


def host_stats(conn, instances_path, hostname):
    """The capabilities reported to the schedulers (the keys of the other
    drivers' ``get_host_stats``): memory from libvirt's own node numbers
    (``getInfo`` total, ``getFreeMemory`` free), disk of the file system
    holding ``instances_path``, vcpus and hypervisor of
    :func:`available_resource`."""
    resource = available_resource(conn, instances_path)
    node = conn.getInfo()
    total_mb = int(node[1])
    free_mb = int(conn.getFreeMemory()) // (1024 * 1024)
    return dict(resource, **{
        'host_name-description': 'libvirt %s' % resource['hypervisor_type'],
        'host_hostname': hostname,
        'host_memory_total': total_mb,
        'host_memory_free': free_mb,
        'host_memory_overhead': total_mb - free_mb,
        'disk_total': resource['local_gb'],
        'disk_used': resource['local_gb_used'],
        'disk_available': resource['local_gb'] - resource['local_gb_used'],
        'vcpus': int(node[2]),
    })
