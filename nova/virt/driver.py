"""The interface every hypervisor driver implements (``ComputeDriver``).

nova-compute loads a driver through :func:`nova.virt.connection.get_connection`
and calls these methods.  Conventions:

* ``instance`` is the instance as a mapping (a database row or a dict) with
  at least ``id`` and, where relevant, ``name`` (the hypervisor name,
  ``--instance_name_template % id``), ``memory_mb``, ``vcpus``,
  ``local_gb``, ``hostname``, ``image_ref``, ``kernel_id``, ``ramdisk_id``.
* ``network_info`` is what ``network.api.API().allocate_for_instance`` gave:
  a list of ``(network_dict, info_dict)`` pairs.
* Drivers never touch the database or RPC: every fact they need comes in as
  an argument, and what they report goes back as a return value.
* A guest the driver does not know raises
  :class:`nova.exception.InstanceNotFound`.
* Methods a driver cannot do raise :class:`NotImplementedError`; the compute
  manager turns that into a clear error for the caller.
"""

from nova import flags

FLAGS = flags.FLAGS

# Honoured by the libvirt driver (nova.virt.libvirt.guestops); defined here
# so that nova-all reads it without keeping that driver resident.
flags.DEFINE_bool('vnc_enabled', True, 'enable VNC consoles')


def instance_name(instance):
    """The hypervisor name of ``instance``.

    Its ``name`` when the mapping carries one, else
    ``--instance_name_template % id`` (``instance-%08x``).
    """
    name = _field(instance, 'name')
    if name:
        return name
    template = FLAGS.get('instance_name_template', None) or 'instance-%08x'
    return template % _field(instance, 'id')


def _field(instance, key, default=None):
    try:
        value = instance[key]
    except (KeyError, TypeError, IndexError, AttributeError):
        value = getattr(instance, key, default)
    return default if value is None else value


class InstanceInfo(object):
    """A guest as :meth:`ComputeDriver.list_instances_detail` reports it."""

    def __init__(self, name, state):
        self.name = name
        self.state = state

    def __repr__(self):
        return '<InstanceInfo %s state=%s>' % (self.name, self.state)


class ComputeDriver(object):
    """Base class of the hypervisor drivers (libvirt, fake...).

    Every method documents its contract; the base implementation of the
    optional ones raises :class:`NotImplementedError`.
    """

    # -- host --------------------------------------------------------------
    def init_host(self, host):
        """Prepare the hypervisor when nova-compute starts on ``host``.

        Called once, before any other method, so that the driver can open
        its connection and clean up what a previous run left behind.
        """
        raise NotImplementedError()

    def get_available_resource(self):
        """The host's resources, as the ``compute_nodes`` row records them.

        Returns a dict with ``vcpus``, ``memory_mb``, ``local_gb`` (totals),
        ``vcpus_used``, ``memory_mb_used``, ``local_gb_used`` (taken by the
        guests now), ``hypervisor_type`` (str), ``hypervisor_version`` (int)
        and ``cpu_info`` (a JSON text).
        """
        raise NotImplementedError()

    def get_host_ip_addr(self):
        """The IP address of the host the guests run on."""
        raise NotImplementedError()

    def get_host_stats(self, refresh=False):
        """Capabilities of the host reported to the schedulers (a dict)."""
        raise NotImplementedError()

    def update_host_status(self):
        """Refresh and return :meth:`get_host_stats`."""
        return self.get_host_stats(refresh=True)

    def host_power_action(self, host, action):
        """Reboot, shut down or start up the host (``action``)."""
        raise NotImplementedError()

    def set_host_enabled(self, host, enabled):
        """Let the host take new guests (``enabled``) or not."""
        raise NotImplementedError()

    # -- guests: listing ----------------------------------------------------
    def list_instances(self):
        """The hypervisor names of every guest defined on this host."""
        raise NotImplementedError()

    def list_instances_detail(self):
        """Every guest as an :class:`InstanceInfo` (name and power state)."""
        return [InstanceInfo(name, self.get_info(name)['state'])
                for name in self.list_instances()]

    def get_info(self, instance_name):
        """What the hypervisor knows of the guest named ``instance_name``.

        A dict: ``state`` (a :mod:`nova.virt.power_state` code), ``max_mem``
        and ``mem`` (KiB), ``num_cpu`` and ``cpu_time`` (ns).  Raises
        InstanceNotFound for a guest this host does not have.
        """
        raise NotImplementedError()

    def get_diagnostics(self, instance):
        """Hypervisor-specific counters of a guest (a dict)."""
        raise NotImplementedError()

    # -- guests: life cycle -------------------------------------------------
    def spawn(self, context, instance, network_info, block_device_info=None,
              injected_files=None):
        """Create and boot a guest for ``instance``.

        When it returns, the guest exists and runs (``get_info`` reports
        RUNNING).  ``block_device_info`` describes volumes and ephemeral
        disks to attach at boot, or is None.  ``injected_files`` are
        ``(path, bytes)`` pairs to write into the guest's disk; a driver
        that cannot write them raises (they are never dropped).  Failures raise; the compute
        manager then puts the instance in ``error``.
        """
        raise NotImplementedError()

    def destroy(self, instance, network_info, cleanup=True):
        """Stop the guest and remove it from the hypervisor.

        A guest that is already gone is not an error.  With ``cleanup``
        the guest's disks and files are removed as well.
        """
        raise NotImplementedError()

    def reboot(self, instance, network_info):
        """Restart the guest; it runs again when this returns."""
        raise NotImplementedError()

    def power_off(self, instance):
        """Shut the guest down, keeping its definition and disks."""
        raise NotImplementedError()

    def power_on(self, instance):
        """Boot a guest that :meth:`power_off` shut down."""
        raise NotImplementedError()

    def pause(self, instance):
        """Freeze the guest in memory."""
        raise NotImplementedError()

    def unpause(self, instance):
        """Let a paused guest run again."""
        raise NotImplementedError()

    def suspend(self, instance):
        """Save the guest's memory to disk and stop it."""
        raise NotImplementedError()

    def resume(self, instance):
        """Restore a suspended guest."""
        raise NotImplementedError()

    def rescue(self, context, instance, network_info):
        """Boot the guest from a rescue image, its own disk attached."""
        raise NotImplementedError()

    def unrescue(self, instance, network_info):
        """Leave rescue: boot the guest from its own disk again."""
        raise NotImplementedError()

    def poll_rescued_instances(self, timeout):
        """Unrescue guests rescued for more than ``timeout`` seconds."""
        raise NotImplementedError()

    def snapshot(self, context, instance, image_id):
        """Save the guest's disk as the image ``image_id``."""
        raise NotImplementedError()

    def set_admin_password(self, instance, new_pass):
        """Set the administrator password inside the guest."""
        raise NotImplementedError()

    def inject_file(self, instance, path, contents):
        """Write ``contents`` to ``path`` inside the guest."""
        raise NotImplementedError()

    def reset_network(self, instance):
        """Make the guest's agent reconfigure its network."""
        raise NotImplementedError()

    def inject_network_info(self, instance, network_info):
        """Hand the guest's network settings to its agent."""
        raise NotImplementedError()

    # -- resize and cold migration ---------------------------------------------
    def migrate_disk_and_power_off(self, instance, dest):
        """Source side of a resize: power the guest off and hand its disk
        towards host ``dest``; returns ``disk_info`` (JSON-friendly) for
        :meth:`finish_migration` on the destination."""
        raise NotImplementedError()

    def finish_migration(self, context, instance, disk_info, network_info,
                         resize_instance):
        """Destination side: run the guest from the migrated disk, with the
        sizes of ``instance`` when ``resize_instance``."""
        raise NotImplementedError()

    def revert_migration(self, instance):
        """Source side of a revert: run the powered-off original again."""
        raise NotImplementedError()

    def confirm_migration(self, instance):
        """A confirmed resize that stayed on this host: drop what was kept
        for a revert (another host's original is destroyed instead)."""
        raise NotImplementedError()

    # -- consoles -------------------------------------------------------------
    def get_console_output(self, instance):
        """The text the guest wrote to its serial console (a str)."""
        raise NotImplementedError()

    def get_ajax_console(self, instance):
        """Where to reach the guest's web console: a dict (host, port...)."""
        raise NotImplementedError()

    def get_vnc_console(self, instance):
        """Where to reach the guest's VNC console: a dict (host, port...)."""
        raise NotImplementedError()

    # -- volumes ---------------------------------------------------------------
    def attach_volume(self, instance_name, connection_info, mountpoint):
        """Attach a volume to the guest at ``mountpoint`` (``/dev/vdb``).

        ``connection_info`` says how to reach the volume, as the volume
        driver exported it::

            {'driver_volume_type': 'iscsi',
             'data': {'target_portal': '127.0.0.1:3260',
                      'target_iqn': 'iqn.2010-10.org.openstack:volume-00000001',
                      'target_lun': 1, 'volume_id': 1}}

        The libvirt driver attaches it as a network disk through QEMU's own
        iSCSI client; the fake driver records it.
        """
        raise NotImplementedError()

    def detach_volume(self, instance_name, mountpoint):
        """Detach the volume attached at ``mountpoint``."""
        raise NotImplementedError()

    # -- networking and firewall ------------------------------------------------
    def plug_vifs(self, instance, network_info):
        """Connect the guest's virtual interfaces to the host networks."""
        raise NotImplementedError()

    #: The guests' firewall (a nova.virt.firewall.FirewallDriver), or None
    #: for a hypervisor that filters nothing.  Security-group rules reach
    #: it resolved by the compute manager (see nova.virt.firewall).
    firewall_driver = None

    def refresh_instance_security_rules(self, instance, network_info, rules):
        """Replace a guest's security-group ``rules`` (already resolved)."""
        if self.firewall_driver is not None:
            self.firewall_driver.refresh_instance_filter(
                instance, network_info, rules)

    def refresh_provider_fw_rules(self, rules):
        """Replace the provider-wide firewall ``rules``."""
        if self.firewall_driver is not None:
            self.firewall_driver.refresh_provider_fw_rules(rules)

    def ensure_filtering_rules_for_instance(self, instance, network_info,
                                            rules=None):
        """Set up the firewall of a guest before it boots or migrates."""
        if self.firewall_driver is not None:
            self.firewall_driver.setup_basic_filtering(instance, network_info)
            self.firewall_driver.prepare_instance_filter(
                instance, network_info, rules)

    def unfilter_instance(self, instance, network_info):
        """Remove the firewall rules of a guest."""
        if self.firewall_driver is not None:
            self.firewall_driver.unfilter_instance(instance, network_info)

    def restore_filtering_rules(self, filters, provider_rules, keep=()):
        """Rebuild the firewall of every guest at once when nova-compute
        starts (see :meth:`nova.virt.firewall.FirewallDriver.restore_filters`).
        """
        if self.firewall_driver is not None:
            self.firewall_driver.restore_filters(filters, provider_rules,
                                                 keep)


#: the optional abilities :func:`supports` answers for, by the methods
#: each needs.
FEATURES = {
    'resize': ('migrate_disk_and_power_off', 'finish_migration',
               'revert_migration'),
    'set_admin_password': ('set_admin_password',),
    'pause': ('pause', 'unpause'),
    'suspend': ('suspend', 'resume'),
    'reset_network': ('reset_network',),
    'inject_network_info': ('inject_network_info',),
    'get_diagnostics': ('get_diagnostics',),
}


def supports(connection, feature):
    """Whether ``connection`` implements every method ``feature`` needs
    (its class overrides :class:`ComputeDriver`'s)."""
    for name in FEATURES[feature]:
        mine = getattr(type(connection), name, None)
        if mine is None or mine is getattr(ComputeDriver, name, None):
            return False
    return True
