"""What EC2 says about the machine behind an instance or an image.

``rootDeviceType``
    ``ebs`` when the root device name (``root_device_name``, else EC2's
    default ``/dev/sda1``) is backed by a volume or a snapshot in the block
    device mappings (the instance's ``block_device_mapping`` rows, or an
    image's ``block_device_mapping`` property), else ``instance-store`` --
    Diablo's rule.

``hypervisor``
    The compute host's own word for it: its ``compute_nodes``
    ``hypervisor_type`` in lower case (``qemu`` for libvirt's QEMU driver,
    which runs KVM-accelerated and TCG guests alike and says ``QEMU`` for
    both; ``xen``, ``lxc``, ``uml``; ``fake`` for the fake driver).  AWS's
    enum has only ``xen`` and ``ovm``, but saying ``xen`` for a QEMU guest
    would be false; botocore (and boto, awscli) read the value as a plain
    string and do not check response enums, so the honest name is given.
    An instance with no host yet (or whose host reported nothing) has no
    ``hypervisor``; an image has one only if its ``hypervisor_type``
    property names it.

``virtualizationType``
    AWS's meaning: ``paravirtual`` is a guest booted from a separate kernel
    (an aki) under a paravirtualizing hypervisor, ``hvm`` a fully
    virtualized machine.  Under QEMU/KVM every guest is fully virtualized
    -- a kernel given on the side is booted directly, the CPU and devices
    are still emulated or virtio -- so those instances are ``hvm``.  An
    image (and an instance on any other hypervisor, the fake one too) is
    ``paravirtual`` when it boots from an aki (an aki or ari itself too),
    else ``hvm``; a ``vm_mode`` (``hvm``, or ``pv``/``xen``) overrides it.
"""

from nova.api.ec2 import ec2utils

EBS = 'ebs'
INSTANCE_STORE = 'instance-store'
DEFAULT_ROOT_DEVICE = '/dev/sda1'
HVM = 'hvm'
PARAVIRTUAL = 'paravirtual'

#: Hypervisors whose every guest is a fully virtualized machine.
FULL_VIRTUALIZATION = ('qemu', 'kvm')
_VM_MODES = {'hvm': HVM, 'hv': HVM, 'pv': PARAVIRTUAL, 'xen': PARAVIRTUAL,
             'paravirtual': PARAVIRTUAL}


def field(obj, key, default=None):
    """``obj[key]`` of a dict or a row, ``default`` when missing or None."""
    try:
        value = obj[key]
    except (KeyError, AttributeError, TypeError, IndexError):
        return default
    except Exception:  # noqa: BLE001 - a relation of a detached row
        return default
    return default if value is None else value


def strip_dev(name):
    """A device name without its ``/dev/``."""
    name = str(name or '')
    return name[len('/dev/'):] if name.startswith('/dev/') else name


def is_volume(mapping):
    """Whether a block device mapping is backed by a volume or snapshot."""
    return bool((field(mapping, 'volume_id') or
                 field(mapping, 'snapshot_id')) and
                not field(mapping, 'no_device'))


def root_device_type(root_device_name, mappings):
    """``ebs`` or ``instance-store`` (see the module docstring)."""
    root = strip_dev(root_device_name or DEFAULT_ROOT_DEVICE)
    for mapping in mappings or []:
        if strip_dev(field(mapping, 'device_name')) == root and \
                is_volume(mapping):
            return EBS
    return INSTANCE_STORE


def hypervisor_name(hypervisor_type):
    """EC2's ``hypervisor`` of a compute node's ``hypervisor_type``."""
    name = str(hypervisor_type or '').strip().lower()
    return name or None


def _by_vm_mode(vm_mode):
    return _VM_MODES.get(str(vm_mode or '').strip().lower())


def image_virtualization_type(image):
    """``virtualizationType`` of an image dict."""
    props = image.get('properties') or {}
    by_mode = _by_vm_mode(props.get('vm_mode'))
    if by_mode:
        return by_mode
    if props.get('kernel_id') or \
            ec2utils.image_prefix(image) in ('aki', 'ari'):
        return PARAVIRTUAL
    return HVM


def instance_virtualization_type(hypervisor, vm_mode, kernel_id):
    """``virtualizationType`` of an instance on ``hypervisor``."""
    by_mode = _by_vm_mode(vm_mode)
    if by_mode:
        return by_mode
    if hypervisor in FULL_VIRTUALIZATION:
        return HVM
    return PARAVIRTUAL if kernel_id not in (None, '') else HVM


def image_hypervisor(image):
    """An image's ``hypervisor``: its ``hypervisor_type`` property."""
    return hypervisor_name((image.get('properties') or {})
                           .get('hypervisor_type'))


def metadata_mappings(root_device_name, mappings, local_gb=0, swap_mb=0,
                      default_local_device=None, default_swap_device=None):
    """The metadata service's ``block-device-mapping/`` tree.

    As Diablo's: ``ami`` (the root device without ``/dev/``), ``root``,
    ``ephemeral0`` and ``swap`` (the instance's default devices),
    ``ephemeralN``/``swap`` of the mappings with such a virtual name and
    ``ebs0``..``ebsK`` of the volume or snapshot mappings sorted by device
    name.  With no ``root_device_name`` the names are EC2's defaults
    (``sda1``, ``/dev/sda1``, ``sda2``, ``sda3``), but ``ephemeral0`` and
    ``swap`` are only there when the instance type gives such a disk, and
    the mappings are listed too: the tree names what the guest has.
    """
    tree = {}
    if root_device_name:
        tree['ami'] = strip_dev(root_device_name)
        tree['root'] = root_device_name
        if default_local_device:
            tree['ephemeral0'] = default_local_device
        if default_swap_device:
            tree['swap'] = default_swap_device
    else:
        tree['ami'] = strip_dev(DEFAULT_ROOT_DEVICE)
        tree['root'] = DEFAULT_ROOT_DEVICE
        if local_gb:
            tree['ephemeral0'] = 'sda2'
        if swap_mb:
            tree['swap'] = 'sda3'
    ebs = []
    for mapping in mappings or []:
        if field(mapping, 'no_device'):
            continue
        device = field(mapping, 'device_name')
        if not device:
            continue
        if is_volume(mapping):
            ebs.append(device)
            continue
        virtual = str(field(mapping, 'virtual_name', ''))
        if virtual == 'swap' or (virtual.startswith('ephemeral') and
                                 virtual[len('ephemeral'):].isdigit()):
            tree[virtual] = device
    for number, device in enumerate(sorted(ebs)):
        tree['ebs%d' % number] = device
    return tree
