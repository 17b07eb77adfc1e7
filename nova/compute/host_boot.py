"""What nova-compute does with its guests when its host (re)starts.

Diablo's two flags, with Diablo's meaning: an instance the database says
was running but the hypervisor has stopped is started again when
``--resume_guests_state_on_host_boot`` is set; with
``--start_guests_on_host_boot`` every instance of the host is (re)started.
Otherwise an instance whose guest is shut off shows as ``stopped``.
"""

from nova import flags
from nova.compute import power_state
from nova.compute import vm_states

FLAGS = flags.FLAGS   # both flags are nova.flags's own, as in Diablo


def should_start(instance, driver_state):
    """Whether to (re)boot ``instance`` now that the host has started."""
    if instance['vm_state'] not in (vm_states.ACTIVE, vm_states.STOPPED):
        return False
    if FLAGS.start_guests_on_host_boot:
        return True
    expect_running = (instance['power_state'] == power_state.RUNNING and
                      driver_state != power_state.RUNNING)
    return expect_running and FLAGS.resume_guests_state_on_host_boot
