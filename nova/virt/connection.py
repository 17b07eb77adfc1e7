"""Load the hypervisor driver named by ``--connection_type``.

``fake`` is :mod:`nova.virt.fake` (in memory); ``libvirt`` is
:mod:`nova.virt.libvirt.connection` (KVM/QEMU/LXC through libvirt).  Diablo's
``xenapi``, ``vmwareapi`` and ``hyperv`` are not rebuilt.
"""

import importlib
import logging

from nova import exception
from nova import flags

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.virt.connection')

# connection_type -> module with get_connection(read_only)
DRIVERS = {
    'fake': 'nova.virt.fake',
    'libvirt': 'nova.virt.libvirt.connection',
}
NOT_REBUILT = ('xenapi', 'vmwareapi', 'hyperv')


def get_connection(read_only=False):
    """A driver (:class:`nova.virt.driver.ComputeDriver`) for this host.

    ``read_only`` asks for a connection that only looks (libvirt's
    read-only socket).  An unknown ``--connection_type`` raises
    VirtDriverNotFound; a known driver that cannot load (libvirt not built
    yet, or its library missing) raises VirtDriverNotAvailable.
    """
    kind = (FLAGS.connection_type or '').strip().lower()
    module_name = DRIVERS.get(kind)
    if module_name is None:
        if kind in NOT_REBUILT:
            reason = 'the %s driver of Diablo is not part of this ' \
                     'project; use libvirt or fake' % kind
        else:
            reason = 'unknown type; use one of %s' % ', '.join(sorted(DRIVERS))
        raise exception.VirtDriverNotFound(connection_type=kind or "''",
                                           reason=reason)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        missing = getattr(exc, 'name', None) or ''
        if missing and (module_name == missing or
                        module_name.startswith(missing + '.')):
            reason = ('the driver is not implemented yet (it comes with a '
                      'later issue); use --connection_type=fake')
        else:
            reason = 'cannot import it: %s' % exc
        raise exception.VirtDriverNotAvailable(connection_type=kind,
                                               module=module_name,
                                               reason=reason)
    conn = module.get_connection(read_only)
    LOG.debug('loaded the %s hypervisor driver', kind)
    return conn
