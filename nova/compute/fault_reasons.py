"""What an instance fault tells the user, and what stays inside.

An instance in ``error`` shows the ``message`` of its newest row in
``instance_faults`` as EC2's ``stateReason``.  That message is one of the
short, stable reasons below, written as AWS writes them (``Code: text``,
e.g. ``Server.InternalError: build failed on the host``): never an
exception's text, which may hold command lines, stderr, libvirt URIs or
paths.  The full story (the internal message and the traceback) goes to
the fault's ``details`` column and to the log, where operators read it.

The codes are the ones AWS documents for ``StateReason``:
``Server.InternalError``, ``Server.InsufficientInstanceCapacity`` and
``Client.InternalError`` (a failure the user's own request caused).
"""

import re

from nova import db

SERVER_ERROR = 'Server.InternalError'
CAPACITY = 'Server.InsufficientInstanceCapacity'
CLIENT_ERROR = 'Client.InternalError'

#: A fault with no better reason (also shown for a message not in the
#: ``Code: text`` form, so that no free text ever reaches the user).
FAILED = SERVER_ERROR + ': the instance failed on the host'
BUILD_FAILED = SERVER_ERROR + ': build failed on the host'
BUILD_TIMED_OUT = SERVER_ERROR + ': build timed out on the host'
HYPERVISOR_UNAVAILABLE = (SERVER_ERROR + ': build failed: the hypervisor of '
                          'the host is unavailable')
NETWORK_FAILED = (SERVER_ERROR + ': build failed: no network could be set '
                  'up for the instance')
BLOCK_DEVICES_FAILED = (SERVER_ERROR + ': build failed: the block devices '
                        'of the instance could not be set up')
LOST = (SERVER_ERROR + ': the instance is no longer known to the '
        'hypervisor of its host')
TERMINATE_FAILED = SERVER_ERROR + ': terminate failed on the host'
LIVE_MIGRATION_FAILED = SERVER_ERROR + ': live migration failed'
NO_VALID_HOST = CAPACITY + ': no valid host was found'
SCHEDULING_FAILED = SERVER_ERROR + ': scheduling failed'
SCHEDULING_TIMED_OUT = (SERVER_ERROR + ': scheduling timed out: no host '
                        'was chosen in time')
FLAVOR_TOO_SMALL = (CLIENT_ERROR + ': the instance type is too small for '
                    'the image')
FILES_NOT_INJECTED = (CLIENT_ERROR + ': the personality files could not '
                      'be written into the image (no ext2/3/4 file system '
                      'on its disk)')
IMAGE_UNACCEPTABLE = (CLIENT_ERROR + ': the image cannot be booted (its '
                      'kernel, ramdisk or disk is not usable)')

#: The actions of the compute manager a fault may name.
_ACTIONS = ('reboot', 'stop', 'start', 'rescue', 'unrescue', 'pause',
            'unpause', 'suspend', 'resume', 'snapshot', 'resize')

#: The build steps of the compute manager and their reasons.
_STEPS = {'allocating its network': NETWORK_FAILED,
          'setting up its block devices': BLOCK_DEVICES_FAILED}

#: Driver errors with a reason of their own, by exception class name (the
#: virt layer sits below compute and is not imported here).
_BY_ERROR = {'FlavorTooSmall': FLAVOR_TOO_SMALL,
             'ImageUnacceptable': IMAGE_UNACCEPTABLE,
             'FileInjectionError': FILES_NOT_INJECTED,
             'HypervisorUnavailable': HYPERVISOR_UNAVAILABLE,
             'NoValidHost': NO_VALID_HOST}

_FORM = re.compile(r'^((?:Server|Client)\.[A-Za-z]+(?:\.[A-Za-z]+)*): '
                   r'(\S.*)$', re.S)


def action_failed(action):
    """The reason of a failed instance action (``reboot``, ``stop`` …)."""
    action = str(action).lower()
    if action not in _ACTIONS:
        return FAILED
    return '%s: %s failed on the host' % (SERVER_ERROR, action)


def _by_error(error):
    for cls in type(error).__mro__:
        if cls.__name__ in _BY_ERROR:
            return _BY_ERROR[cls.__name__]
    return None


def build_failed(step, error):
    """The reason of a build that failed while ``step`` with ``error``."""
    return _by_error(error) or _STEPS.get(step, BUILD_FAILED)


def of_error(error, default=FAILED):
    """The reason ``error`` has of its own, else ``default``."""
    return _by_error(error) or default


def split(message):
    """``(code, message)`` of a stored fault message for EC2.

    A message in the ``Code: text`` form is shown as it is; anything else
    (a row written before these reasons, or by mistake) is shown as
    :data:`FAILED`, never as its own text.
    """
    match = _FORM.match(message or '')
    if not match or len(message) > 255:
        return SERVER_ERROR, FAILED
    return match.group(1), message


def record(context, instance_id, reason, internal=None, details=None,
           code=500):
    """Write a fault row: ``reason`` for the user, the rest inside.

    ``internal`` (the full message) and ``details`` (a traceback) are
    kept together in ``instance_faults.details``.
    """
    inside = '\n'.join(str(part) for part in (internal, details) if part)
    return db.instance_fault_create(context, {
        'instance_id': instance_id, 'code': code,
        'message': reason if split(reason)[1] == reason else FAILED,
        'details': inside or None})
