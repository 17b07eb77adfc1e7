"""Where the fake hypervisor keeps its guests between runs.

A real hypervisor keeps its domain definitions across a restart of
nova-compute (and of the host).  The fake one writes its guests to
``$state_path/fake-hypervisor/<host>.json`` after every change (a temporary
file renamed over the old one, so a crash leaves the old file or the new
one, never half of either), and reads them back when its host starts.

The file records the boot of the machine it was written in (the kernel's
boot id).  A restart of nova-compute alone (SIGTERM, SIGKILL, an upgrade)
leaves the guests as they were, as a real hypervisor's domains keep
running while nova-compute is away.  A boot of the host (another boot id,
or a file that does not say) is a power cycle: guests that were running
(or paused, or being built) come back shut off; suspended guests keep
their saved state.  nova-compute then starts them again if
``--start_guests_on_host_boot`` or ``--resume_guests_state_on_host_boot``
say so (see :mod:`nova.compute.host_boot`).
"""

import json
import logging
import os
import uuid

from nova import flags
from nova.virt import power_state

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.virt.fake')

flags.DEFINE_bool('fake_hypervisor_state', True,
                  'keep the fake hypervisor\'s guests in '
                  '$state_path/fake-hypervisor/<host>.json across restarts')

#: Console lines kept per guest.
CONSOLE_LINES = 200

_FIELDS = ('name', 'instance_id', 'hostname', 'memory_mb', 'vcpus',
           'local_gb', 'image_ref', 'state', 'rescued', 'volumes', 'console',
           'admin_password', 'resize_backup', 'network_resets',
           'network_info', 'injected_files')

#: What a guest is after the host boots, by the state it had.
_AFTER_BOOT = {
    power_state.RUNNING: power_state.SHUTOFF,
    power_state.BLOCKED: power_state.SHUTOFF,
    power_state.PAUSED: power_state.SHUTOFF,
    power_state.BUILDING: power_state.SHUTOFF,
}


_BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id'


def boot_id():
    """This boot of the machine (the kernel's boot id), or None."""
    try:
        with open(_BOOT_ID_FILE) as handle:
            return handle.read().strip() or None
    except OSError:
        return None


def path_for(host):
    """The guest file of ``host`` (None when --fake_hypervisor_state is
    off)."""
    if not FLAGS.fake_hypervisor_state:
        return None
    safe = ''.join(c if c.isalnum() or c in '-_.' else '_' for c in host)
    return os.path.join(FLAGS.state_path, 'fake-hypervisor', '%s.json' % safe)


def save(path, guests):
    """Write ``guests`` (name -> FakeGuest) atomically to ``path``."""
    records = []
    for guest in guests.values():
        record = dict((field, getattr(guest, field)) for field in _FIELDS)
        record['console'] = record['console'][-CONSOLE_LINES:]
        records.append(record)
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, '.%s.%s.tmp' % (os.path.basename(path),
                                               uuid.uuid4().hex[:8]))
    # dumps, then one write: json.dump encodes piece by piece in Python,
    # ten times slower than the C encoder dumps uses.
    text = json.dumps({'version': 1, 'boot_id': boot_id(),
                       'guests': records})
    with open(tmp, 'w') as handle:
        handle.write(text)
    os.replace(tmp, path)


def load(path, guest_class):
    """The guests saved in ``path``: as they were when only nova-compute
    restarted, as they are after a power cycle when the host booted."""
    if path is None:
        return {}
    try:
        with open(path) as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        LOG.error('cannot read the fake hypervisor state %s (%s); starting '
                  'without guests', path, exc)
        return {}
    now = boot_id()
    host_booted = now is None or data.get('boot_id') != now
    guests = {}
    for record in data.get('guests', []):
        guest = guest_class.__new__(guest_class)
        guest_class.restore(guest, record)
        if not host_booted:
            guests[guest.name] = guest
            continue
        before = guest.state
        guest.state = _AFTER_BOOT.get(before, before)
        if guest.state != before:
            guest.console.append('[host restarted: %s is shut off]'
                                 % guest.name)
        guests[guest.name] = guest
    return guests
