"""An in-memory hypervisor: ``--connection_type=fake``.

:class:`FakeConnection` keeps its guests in a dict and answers at once (no
sleeps), so a whole cloud runs and launches hundreds of instances in one
process.  It behaves like a hypervisor where a caller can see it: spawn
makes a RUNNING guest, destroy removes it, reboot keeps it running, power
off/on, pause, suspend and rescue change its state, an unknown guest raises
InstanceNotFound, the console shows a boot log naming the guest, and the
host's resources (``--fake_vcpus``, ``--fake_memory_mb``, ``--fake_local_gb``)
are reported with what the guests take.

Once its host is known (:meth:`FakeConnection.init_host`) it keeps its
guests under ``--state_path``, one file a guest, rewriting only the file of
the guest that changed (:mod:`nova.virt.fake_store`), so a restarted cloud
finds its instances again.
"""

import base64
import json
import logging
import time

from nova import exception
from nova import flags
from nova.virt import driver
from nova.virt import fake_store
from nova.virt import power_state

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.virt.fake')

flags.DEFINE_integer('fake_vcpus', 256,
                     'virtual CPUs the fake hypervisor reports')
flags.DEFINE_integer('fake_memory_mb', 524288,
                     'memory (MB) the fake hypervisor reports')
flags.DEFINE_integer('fake_local_gb', 8192,
                     'local disk (GB) the fake hypervisor reports')

HYPERVISOR_TYPE = 'fake'
HYPERVISOR_VERSION = 1001000


def get_connection(read_only=False):
    """A new fake hypervisor connection (each has its own guests)."""
    return FakeConnection(read_only=read_only)


class FakeGuest(object):
    """One guest of the fake hypervisor."""

    def __init__(self, name, instance):
        self.name = name
        self.instance_id = driver._field(instance, 'id')
        self.hostname = driver._field(instance, 'hostname') or name
        self.memory_mb = int(driver._field(instance, 'memory_mb', 0) or 0)
        self.vcpus = int(driver._field(instance, 'vcpus', 0) or 0)
        self.local_gb = int(driver._field(instance, 'local_gb', 0) or 0)
        self.image_ref = driver._field(instance, 'image_ref', '')
        self.state = power_state.NOSTATE
        self.rescued = False
        self.volumes = {}
        self.console = []
        self.admin_password = None
        # The sizes before a resize that stayed on this host (for a revert).
        self.resize_backup = None
        self.network_resets = 0
        self.network_info = None
        # path -> base64 of the files spawn was asked to inject.
        self.injected_files = {}
        self._cpu_ns = 0
        self._running_since = None

    def restore(self, record):
        """Take the fields of a saved guest (see :mod:`fake_store`)."""
        for key, value in record.items():
            setattr(self, key, value)
        self.volumes = dict(self.volumes or {})
        self.console = list(self.console or [])
        self.injected_files = dict(record.get('injected_files') or {})
        self._cpu_ns = 0
        self._running_since = None
        if self.state == power_state.RUNNING:
            self._running_since = time.monotonic()

    def set_state(self, state):
        """Change the power state, accounting CPU time while running."""
        now = time.monotonic()
        if self._running_since is not None:
            self._cpu_ns += int((now - self._running_since) * 1e9)
            self._running_since = None
        if state == power_state.RUNNING:
            self._running_since = now
        self.state = state

    def cpu_time(self):
        """Nanoseconds of CPU the guest has used."""
        used = self._cpu_ns
        if self._running_since is not None:
            used += int((time.monotonic() - self._running_since) * 1e9)
        return used

    def boot(self, reason='Booting'):
        """Append a boot log to the console and run."""
        stamp = len(self.console)
        self.console.extend([
            '[    0.000000] Initializing cgroup subsys cpuset',
            '[    0.000000] Linux version 2.6.32-fake (nova@%s) '
            '(gcc version 4.4.3) #1 SMP' % HYPERVISOR_TYPE,
            '[    0.000000] Command line: root=/dev/vda console=ttyS0',
            '[    0.000000] Memory: %dk available' % (self.memory_mb * 1024),
            '[    0.010000] %s %s (%d vCPU)' % (reason, self.name, self.vcpus),
            'cloud-init start-local running (instance %s)' % self.name,
            'cloud-init: hostname %s, image %s' % (self.hostname,
                                                     self.image_ref),
            '',
            'Ubuntu 10.04 LTS %s ttyS0' % self.hostname,
            '',
            '%s login: ' % self.hostname,
        ])
        self.set_state(power_state.RUNNING)
        return stamp

    def info(self):
        """The dict :meth:`FakeConnection.get_info` returns."""
        return {'state': self.state,
                'max_mem': self.memory_mb * 1024,
                'mem': self.memory_mb * 1024,
                'num_cpu': self.vcpus,
                'cpu_time': self.cpu_time()}


class FakeConnection(driver.ComputeDriver):
    """The fake hypervisor: every guest lives in :attr:`guests`."""

    def __init__(self, read_only=False):
        self.read_only = read_only
        self.host = None
        self.guests = {}
        # name -> (host, port) of a VNC server standing in (tests).
        self._vnc_displays = {}
        self.host_enabled = True
        self._store = None

    def _saved(self, guest):
        """Write ``guest`` (which changed) to its file, once the host is
        known; the other guests' files are left alone."""
        if self._store is not None:
            try:
                self._store.save(guest)
            except OSError as exc:
                LOG.error('cannot save the fake hypervisor guest %s to %s: '
                          '%s', guest.name, self._store.folder, exc)

    def _removed(self, name):
        """Delete the file of guest ``name``, which is gone."""
        if self._store is not None:
            try:
                self._store.remove(name)
            except OSError as exc:
                LOG.error('cannot remove the fake hypervisor guest %s from '
                          '%s: %s', name, self._store.folder, exc)

    # -- helpers --------------------------------------------------------------
    def _guest(self, instance_or_name):
        name = instance_or_name
        if not isinstance(name, str):
            name = driver.instance_name(instance_or_name)
        try:
            return self.guests[name]
        except KeyError:
            raise exception.InstanceNotFound(instance_id=name)

    def get_injected_files(self, instance_name):
        """Test hook: ``{path: bytes}`` the guest's spawn injected."""
        guest = self._guest(instance_name)
        return dict((path, base64.b64decode(data))
                    for path, data in guest.injected_files.items())

    def set_power_state(self, instance_name, state):
        """Test hook: make a guest's state change as if by itself."""
        guest = self._guest(instance_name)
        guest.set_state(state)
        self._saved(guest)

    # -- host -------------------------------------------------------------------
    def init_host(self, host):
        """Remember the host and find the guests it had before a restart."""
        self.host = host
        self._store = fake_store.for_host(host)
        saved = {}
        if self._store is not None:
            saved = self._store.load(FakeGuest)
        saved.update(self.guests)
        # Guests made before the host was known have no file yet.
        for guest in self.guests.values():
            self._saved(guest)
        self.guests = saved

    def get_available_resource(self):
        """Configured totals, with what the guests take now."""
        guests = list(self.guests.values())
        return {
            'vcpus': FLAGS.fake_vcpus,
            'memory_mb': FLAGS.fake_memory_mb,
            'local_gb': FLAGS.fake_local_gb,
            'vcpus_used': sum(g.vcpus for g in guests),
            'memory_mb_used': sum(g.memory_mb for g in guests),
            'local_gb_used': sum(g.local_gb for g in guests),
            'hypervisor_type': HYPERVISOR_TYPE,
            'hypervisor_version': HYPERVISOR_VERSION,
            'cpu_info': json.dumps({
                'arch': 'x86_64', 'model': 'fake', 'vendor': 'fake',
                'topology': {'sockets': 1, 'cores': FLAGS.fake_vcpus,
                             'threads': 1},
                'features': []}),
        }

    def get_host_ip_addr(self):
        """This host's address (``--my_ip``)."""
        return FLAGS.my_ip

    def get_host_stats(self, refresh=False):
        """Capabilities for the schedulers, from the resources."""
        res = self.get_available_resource()
        return {
            'host_name-description': 'Fake hypervisor',
            'host_hostname': self.host or FLAGS.host,
            'host_memory_total': res['memory_mb'],
            'host_memory_free': res['memory_mb'] - res['memory_mb_used'],
            'disk_total': res['local_gb'],
            'disk_used': res['local_gb_used'],
            'disk_available': res['local_gb'] - res['local_gb_used'],
            'vcpus': res['vcpus'],
            'vcpus_used': res['vcpus_used'],
            'hypervisor_type': res['hypervisor_type'],
            'hypervisor_version': res['hypervisor_version'],
        }

    def host_power_action(self, host, action):
        """Pretend to reboot, shut down or start the host."""
        if action not in ('reboot', 'shutdown', 'startup'):
            raise exception.InvalidParameterValue(
                err='unknown power action %s' % action)
        return action

    def set_host_enabled(self, host, enabled):
        """Record whether the host takes new guests."""
        self.host_enabled = bool(enabled)
        return 'enabled' if self.host_enabled else 'disabled'

    # -- listing ------------------------------------------------------------------
    def list_instances(self):
        """Names of the guests."""
        return list(self.guests)

    def get_info(self, instance_name):
        """State, memory and CPU of a guest; InstanceNotFound if unknown."""
        return self._guest(instance_name).info()

    def get_diagnostics(self, instance):
        """Counters in the shape libvirt reports them."""
        guest = self._guest(instance)
        return {'cpu0_time': guest.cpu_time(),
                'memory': guest.memory_mb * 1024,
                'vda_read': 0, 'vda_write': 0,
                'vnet0_rx': 0, 'vnet0_tx': 0}

    # -- life cycle ---------------------------------------------------------------
    def spawn(self, context, instance, network_info, block_device_info=None,
              injected_files=None):
        """Define and boot a guest; it is RUNNING when this returns.

        ``injected_files`` (``(path, bytes)`` pairs) are kept with the
        guest, see :meth:`get_injected_files`.
        """
        name = driver.instance_name(instance)
        if name in self.guests:
            raise exception.InstanceExists(name=name)
        guest = FakeGuest(name, instance)
        for path, contents in injected_files or []:
            guest.injected_files[path] = base64.b64encode(
                contents).decode('ascii')
        for mapping in (block_device_info or {}).get('block_device_mapping',
                                                      []) or []:
            mount = mapping.get('mount_device')
            if mount:
                guest.volumes[mount] = mapping.get('connection_info')
        self.guests[name] = guest
        guest.boot()
        self._saved(guest)
        LOG.debug('spawned %s', name)

    def destroy(self, instance, network_info, cleanup=True):
        """Remove the guest; one already gone is fine."""
        name = driver.instance_name(instance)
        guest = self.guests.pop(name, None)
        if guest is None:
            LOG.debug('destroy: %s is not on this host', name)
            return
        guest.set_state(power_state.SHUTDOWN)
        self._removed(name)

    def reboot(self, instance, network_info):
        """Restart the guest: it runs again, with a fresh boot log."""
        guest = self._guest(instance)
        guest.console.append('Restarting system.')
        guest.boot('Rebooting')
        self._saved(guest)

    def power_off(self, instance):
        """Shut the guest off (it keeps its definition)."""
        guest = self._guest(instance)
        guest.console.append('Power down.')
        guest.set_state(power_state.SHUTOFF)
        self._saved(guest)

    def power_on(self, instance):
        """Boot a guest that was shut off."""
        guest = self._guest(instance)
        guest.boot()
        self._saved(guest)

    def pause(self, instance):
        """Freeze the guest."""
        guest = self._guest(instance)
        guest.set_state(power_state.PAUSED)
        self._saved(guest)

    def unpause(self, instance):
        """Let a paused guest run."""
        guest = self._guest(instance)
        guest.set_state(power_state.RUNNING)
        self._saved(guest)

    def suspend(self, instance):
        """Save and stop the guest."""
        guest = self._guest(instance)
        guest.set_state(power_state.SUSPENDED)
        self._saved(guest)

    def resume(self, instance):
        """Restore a suspended guest."""
        guest = self._guest(instance)
        guest.set_state(power_state.RUNNING)
        self._saved(guest)

    def rescue(self, context, instance, network_info):
        """Boot the guest from the rescue image."""
        guest = self._guest(instance)
        guest.rescued = True
        guest.console.append('Booting rescue image for %s' % guest.name)
        guest.set_state(power_state.RUNNING)
        self._saved(guest)

    def unrescue(self, instance, network_info):
        """Boot the guest from its own disk again."""
        guest = self._guest(instance)
        guest.rescued = False
        guest.boot('Leaving rescue,')
        self._saved(guest)

    def poll_rescued_instances(self, timeout):
        """Nothing to do: rescues of the fake are not timed."""

    def snapshot(self, context, instance, image_id):
        """Nothing to copy: the fake guest has no disk."""
        self._guest(instance)

    def set_admin_password(self, instance, new_pass):
        """Set the password of a running guest (kept on the guest)."""
        guest = self._guest(instance)
        if guest.state != power_state.RUNNING:
            raise exception.InstanceNotRunning(instance_id=guest.name)
        guest.admin_password = new_pass
        guest.console.append('Password of the administrator changed.')
        self._saved(guest)

    def inject_file(self, instance, path, contents):
        """Accept the file for a known guest."""
        self._guest(instance)

    def reset_network(self, instance):
        """Count the guest agent's network resets."""
        guest = self._guest(instance)
        guest.network_resets += 1
        guest.console.append('Network reset by the agent.')
        self._saved(guest)

    def inject_network_info(self, instance, network_info):
        """Keep the network settings handed to the guest's agent."""
        guest = self._guest(instance)
        guest.network_info = json.loads(json.dumps(network_info or [],
                                                   default=str))
        self._saved(guest)

    # -- resize and cold migration ---------------------------------------------
    def migrate_disk_and_power_off(self, instance, dest):
        """Power the guest off; its "disk" is described in disk_info."""
        guest = self._guest(instance)
        guest.console.append('Power down for migration to %s.' % dest)
        guest.set_state(power_state.SHUTOFF)
        guest.resize_backup = {'memory_mb': guest.memory_mb,
                               'vcpus': guest.vcpus,
                               'local_gb': guest.local_gb}
        self._saved(guest)
        return {'name': guest.name, 'image_ref': guest.image_ref,
                'volumes': dict(guest.volumes), 'from_host': self.host}

    def finish_migration(self, context, instance, disk_info, network_info,
                         resize_instance):
        """Run the guest here, with the instance's (new) sizes."""
        name = driver.instance_name(instance)
        guest = self.guests.get(name)
        if guest is None:
            guest = FakeGuest(name, instance)
            guest.image_ref = (disk_info or {}).get('image_ref',
                                                    guest.image_ref)
            guest.volumes = dict((disk_info or {}).get('volumes') or {})
            self.guests[name] = guest
        if resize_instance:
            guest.memory_mb = int(driver._field(instance, 'memory_mb', 0))
            guest.vcpus = int(driver._field(instance, 'vcpus', 0))
            guest.local_gb = int(driver._field(instance, 'local_gb', 0))
        guest.boot('Booting migrated')
        self._saved(guest)

    def revert_migration(self, instance):
        """Run the original guest again, with its old sizes."""
        guest = self._guest(instance)
        for key, value in (guest.resize_backup or {}).items():
            setattr(guest, key, value)
        guest.resize_backup = None
        guest.boot('Reverting resize,')
        self._saved(guest)

    def confirm_migration(self, instance):
        """Forget the sizes kept for a revert."""
        guest = self._guest(instance)
        guest.resize_backup = None
        self._saved(guest)

    # -- consoles ---------------------------------------------------------------
    def get_console_output(self, instance):
        """The boot log of the guest."""
        return '\n'.join(self._guest(instance).console) + '\n'

    def get_ajax_console(self, instance):
        """A made-up web console address."""
        guest = self._guest(instance)
        return {'token': 'FAKETOKEN', 'host': 'fakeajaxconsole.com',
                'port': 6969, 'instance': guest.name}

    def get_vnc_console(self, instance):
        """The VNC display a test gave the guest (:meth:`set_vnc_display`);
        fake guests have no screen otherwise."""
        guest = self._guest(instance)
        display = self._vnc_displays.get(guest.name)
        if display is None:
            raise exception.ConsoleNotAvailable(
                instance_id=guest.name,
                reason='the fake hypervisor has no VNC displays')
        return {'host': display[0], 'port': display[1],
                'instance': guest.name}

    def set_vnc_display(self, instance_name, host, port):
        """Test hook: a VNC server (``host:port``) stands in for the
        guest's display."""
        self._guest(instance_name)
        self._vnc_displays[instance_name] = (host, int(port))

    # -- volumes -------------------------------------------------------------------
    def attach_volume(self, instance_name, connection_info, mountpoint):
        """Record the volume's connection info at ``mountpoint``.

        A mountpoint holding another volume is refused, as a hypervisor
        would; attaching the same volume again (after a host restart) is
        fine.
        """
        guest = self._guest(instance_name)
        if mountpoint in guest.volumes and \
                guest.volumes[mountpoint] != connection_info:
            raise exception.DeviceInUse(device=mountpoint,
                                        instance_id=guest.instance_id)
        guest.volumes[mountpoint] = connection_info
        self._saved(guest)
        return True

    def detach_volume(self, instance_name, mountpoint):
        """Forget the volume at ``mountpoint``."""
        guest = self._guest(instance_name)
        guest.volumes.pop(mountpoint, None)
        self._saved(guest)
        return True

    # -- networking and firewall ----------------------------------------------------
    def plug_vifs(self, instance, network_info):
        """No host networking to touch."""

    # The firewall methods are ComputeDriver's: they use firewall_driver,
    # which is None here (nothing is filtered).
