"""The domain XML of a guest: Diablo's template variables, rendered.

:func:`xml_info` computes the variables Diablo's ``_prepare_xml_info`` gave
the template (``type``, ``name``, ``basepath``, ``memory_kb``, ``vcpus``,
``rescue``, ``disk_prefix``, ``driver_type``, ``vif_type``, ``nics``,
``ebs_root``, ``local_device``, ``volumes``, ``use_virtio_for_bridges``,
``ephemerals``, ``root_device``, ``root_device_name``, ``swap_device``,
``config_drive``, ``vncserver_host``, ``vnc_keymap``, ``kernel``,
``ramdisk``, ``disk``; plus ``disk_bus``), and :func:`render` fills
``--libvirt_xml_template`` with them.  The template language is Jinja2
(``{{ var }}``, ``{% if %}``) where Diablo used Cheetah.
"""

import os

from nova import flags
from nova.virt import driver

FLAGS = flags.FLAGS

DISK_PREFIX = {'kvm': 'vd', 'qemu': 'vd', 'xen': 'sd', 'uml': 'ubd',
               'lxc': ''}
DISK_BUS = {'kvm': 'virtio', 'qemu': 'virtio', 'xen': 'scsi', 'uml': 'uml',
            'lxc': ''}


def instance_dir(name):
    """``--instances_path/<name>``."""
    return os.path.join(FLAGS.instances_path, name)


def _strip_dev(device):
    return device[len('/dev/'):] if device and device.startswith('/dev/') \
        else device


def xml_info(instance, nics, rescue=False, block_device_info=None,
             vnc=None):
    """The template variables of ``instance`` (see the module docstring).

    ``nics`` is what the VIF driver's ``plug`` returned for each NIC;
    ``vnc`` is ``(listen, keymap)`` or None for no VNC display.
    """
    name = driver.instance_name(instance)
    virt_type = FLAGS.libvirt_type
    basepath = instance_dir(name)
    prefix = DISK_PREFIX.get(virt_type, 'vd')
    bdi = block_device_info or {}
    mapped = set()
    volumes = []
    for vol in bdi.get('block_device_mapping') or []:
        mount = _strip_dev(vol['mount_device'])
        mapped.add(mount)
        volumes.append({'mount_device': mount, 'xml': vol['xml']})
    root_device_name = _strip_dev(bdi.get('root_device_name'))
    root_device = root_device_name or prefix + 'a'
    ebs_root = root_device in mapped
    ephemerals = []
    for eph in bdi.get('ephemerals') or []:
        device = _strip_dev(eph['device_name'])
        mapped.add(device)
        ephemerals.append({'device_path': 'disk.eph%d' % eph['num'],
                           'device': device, 'size': eph['size']})
    local_gb = int(driver._field(instance, 'local_gb', 0) or 0)
    local_device = False
    if local_gb > 0 and prefix + 'b' not in mapped:
        local_device = prefix + 'b'
    swap_mb = int(driver._field(instance, 'swap', 0) or 0)
    swap_device = False
    if bdi.get('swap'):
        swap_device = _strip_dev(bdi['swap']['device_name'])
    elif swap_mb > 0 and prefix + 'c' not in mapped:
        swap_device = prefix + 'c'
    info = {
        'type': virt_type, 'name': name, 'basepath': basepath,
        'memory_kb': int(driver._field(instance, 'memory_mb', 0)) * 1024,
        'vcpus': int(driver._field(instance, 'vcpus', 1) or 1),
        'rescue': rescue, 'disk_prefix': prefix,
        'disk_bus': DISK_BUS.get(virt_type, 'virtio'),
        'driver_type': 'qcow2' if FLAGS.use_cow_images else 'raw',
        'vif_type': FLAGS.libvirt_vif_type, 'nics': list(nics),
        'ebs_root': ebs_root, 'local_device': local_device,
        'volumes': volumes,
        'use_virtio_for_bridges': FLAGS.libvirt_use_virtio_for_bridges,
        'ephemerals': ephemerals, 'root_device': root_device,
        'root_device_name': ('/dev/' + root_device_name
                             if root_device_name else None),
        'swap_device': swap_device, 'config_drive': False,
        'vncserver_host': None, 'vnc_keymap': None,
        'kernel': None, 'ramdisk': None,
        'disk': os.path.join(basepath, 'disk'),
    }
    if vnc and virt_type not in ('lxc', 'uml'):
        info['vncserver_host'], info['vnc_keymap'] = vnc
    if not rescue:
        if driver._field(instance, 'kernel_id'):
            info['kernel'] = os.path.join(basepath, 'kernel')
        if driver._field(instance, 'ramdisk_id'):
            info['ramdisk'] = os.path.join(basepath, 'ramdisk')
    return info


def render(info, template_path=None):
    """The domain XML: ``--libvirt_xml_template`` filled with ``info``."""
    import jinja2
    path = template_path or FLAGS.libvirt_xml_template
    with open(path, encoding='utf-8') as source:
        text = source.read()
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True,
                             autoescape=True,
                             undefined=jinja2.StrictUndefined)
    return env.from_string(text).render(**info)
