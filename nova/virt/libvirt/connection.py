"""The libvirt hypervisor driver (``--connection_type=libvirt``).

One :class:`LibvirtConnection` per nova-compute talks to libvirtd through
libvirt-python.  ``--libvirt_type`` (kvm, qemu, lxc, uml, xen) picks the
URI, ``--libvirt_uri`` overrides it.  When libvirtd cannot be reached the
driver says so once, clearly, and connects again on the next call, so
nova-compute survives a libvirtd restart.

A guest's files live in ``--instances_path/<name>/`` (see
:mod:`nova.virt.libvirt.imagebackend`); its domain XML comes from
``--libvirt_xml_template`` (:mod:`nova.virt.libvirt.config`), its NICs from
``--libvirt_vif_driver`` and its security groups from ``--firewall_driver``
(set up before the domain starts, torn down after it is destroyed).
Rescue, snapshot, consoles and volumes are in
:mod:`nova.virt.libvirt.guestops`; live migration in
:mod:`nova.virt.libvirt.migration`.
"""

import logging
import os
import time

from nova import exception
from nova import flags
from nova import utils
from nova.utils import concurrency
from nova.virt import driver
from nova.virt import exceptions
from nova.virt import power_state
from nova.virt.libvirt import config
from nova.virt.libvirt import guestops
from nova.virt.libvirt import host
from nova.virt.libvirt import imagebackend
from nova.virt.libvirt import migration
from nova.virt.libvirt import nwfilter

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.virt.libvirt.connection')

flags.DEFINE_string('libvirt_type', 'kvm',
                    'libvirt domain type: kvm, qemu, lxc, uml or xen',
                    choices=('kvm', 'qemu', 'lxc', 'uml', 'xen'))
flags.DEFINE_string('libvirt_uri', '',
                    'override the libvirt URI (which depends on '
                    'libvirt_type)')
flags.DEFINE_string('libvirt_xml_template',
                    utils.abspath('virt/libvirt.xml.template'),
                    'libvirt domain XML template')
flags.DEFINE_bool('use_cow_images', True, 'use copy-on-write images')
flags.DEFINE_string('firewall_driver',
                    'nova.virt.libvirt.firewall.IptablesFirewallDriver',
                    'firewall driver of instances', importable=True)
flags.DEFINE_string('libvirt_vif_type', 'bridge',
                    'type of virtual interface: bridge or ethernet',
                    choices=('bridge', 'ethernet'))
flags.DEFINE_string('libvirt_vif_driver',
                    'nova.virt.libvirt.vif.LibvirtBridgeDriver',
                    'driver that plugs virtual interfaces', importable=True)
flags.DEFINE_bool('libvirt_use_virtio_for_bridges', False,
                  'use virtio NICs on bridged interfaces')
flags.DEFINE_string('default_local_format', None,
                    'filesystem of new ephemeral disks (default: none)')
flags.DEFINE_integer('libvirt_wait_soft_reboot_seconds', 60,
                     'seconds a soft reboot or a stop waits for the guest '
                     'to power off after an ACPI shutdown before the '
                     'domain is destroyed')
flags.DEFINE_integer('libvirt_boot_timeout', 60,
                     'seconds spawn waits for a new domain to run')
# Flags of Diablo features this project lacks (warned about when set).
flags.DEFINE_string('ajaxterm_portrange', '10000-12000',
                    'port range of ajaxterm consoles',
                    unsupported='ajax consoles')
flags.DEFINE_string('cpuinfo_xml_template',
                    utils.abspath('virt/cpuinfo.xml.template'),
                    'template of the CPU information compared before '
                    'live migration', unsupported='CPU XML template file')

URIS = {'uml': 'uml:///system', 'xen': 'xen:///', 'lxc': 'lxc:///'}

#: libvirt's domain states are nova's power states.
_STATES = {0: power_state.NOSTATE, 1: power_state.RUNNING,
           2: power_state.BLOCKED, 3: power_state.PAUSED,
           4: power_state.SHUTDOWN, 5: power_state.SHUTOFF,
           6: power_state.CRASHED, 7: power_state.SUSPENDED}


def _libvirt():
    import libvirt
    return libvirt


def _blocking(func, *args):
    """``func(*args)``, in a native thread when green threads are in use
    (the monkey-patched daemon): libvirt-python lets the GIL go while it
    waits for libvirtd, but not the green hub."""
    if concurrency.is_monkey_patched():
        return concurrency.run_in_os_thread(func, *args)
    return func(*args)


def _host_firewall_lock():
    """The host-wide lock of Nova's iptables writes (``--lock_path``)."""
    from nova.network.linux_net import iptables
    return iptables.FileLock(os.path.join(FLAGS.lock_path,
                                          'nova-iptables.lock'))


def get_connection(read_only=False):
    """A :class:`LibvirtConnection` (libvirt-python imported lazily)."""
    _libvirt()
    return LibvirtConnection(read_only)


def uri():
    """The libvirt URI of ``--libvirt_type`` unless ``--libvirt_uri``."""
    if FLAGS.libvirt_uri:
        return FLAGS.libvirt_uri
    return URIS.get(FLAGS.libvirt_type, 'qemu:///system')


class LibvirtConnection(guestops.GuestOpsMixin, migration.MigrationMixin,
                        driver.ComputeDriver):
    """The libvirt driver (see the module docstring)."""

    def __init__(self, read_only=False, uri=None):
        self.read_only = read_only
        self._uri = uri
        self._conn = None
        self._reported_down = False
        self._firewall = None
        self.vif_driver = utils.import_object(FLAGS.libvirt_vif_driver)

    # -- the connection ------------------------------------------------------
    def _connect(self):
        libvirt = _libvirt()
        target = self._uri or uri()
        try:
            if self.read_only:
                conn = libvirt.openReadOnly(target)
            else:
                auth = [[libvirt.VIR_CRED_AUTHNAME,
                         libvirt.VIR_CRED_NOECHOPROMPT],
                        lambda creds, data: 0, None]
                conn = libvirt.openAuth(target, auth, 0)
        except libvirt.libvirtError as exc:
            if not self._reported_down:
                LOG.error('Cannot connect to libvirt at %s: %s', target,
                          exc.get_error_message())
                self._reported_down = True
            raise exceptions.HypervisorUnavailable(
                uri=target, reason=exc.get_error_message())
        if self._reported_down:
            LOG.info('Connected to libvirt at %s again', target)
        self._reported_down = False
        return conn

    @property
    def conn(self):
        """An open libvirt connection (reconnects when it was lost)."""
        conn = self._conn
        if conn is not None:
            try:
                if conn.isAlive():
                    return conn
            except Exception:  # noqa: BLE001 - a dead handle: reconnect
                pass
            LOG.warning('The connection to libvirt was lost; reconnecting')
            self._drop_connection()
        self._conn = self._connect()
        return self._conn

    @property
    def firewall_driver(self):
        """The ``--firewall_driver`` object (loaded on first use)."""
        if self._firewall is None:
            try:
                cls = utils.import_class(FLAGS.firewall_driver)
                if getattr(cls, 'uses_nwfilter', False):
                    # its NIC filters are defined through this connection
                    self._firewall = cls(get_connection=lambda: self.conn)
                else:
                    self._firewall = cls()
            except (ImportError, AttributeError,
                    exception.ClassNotFound) as exc:
                raise exception.NovaException(
                    'The firewall driver %s is not available (%s); set '
                    '--firewall_driver=nova.virt.firewall.NoopFirewallDriver'
                    ' to run without security groups'
                    % (FLAGS.firewall_driver, exc))
        return self._firewall

    def _lookup(self, name):
        libvirt = _libvirt()
        try:
            return self.conn.lookupByName(name)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                raise exception.InstanceNotFound(instance_id=name)
            raise

    # -- host ------------------------------------------------------------------
    def init_host(self, host):
        """Check libvirtd is reachable (one clear error if not)."""
        os.makedirs(FLAGS.instances_path, exist_ok=True)
        try:
            self.conn.getVersion()
        except exceptions.HypervisorUnavailable:
            LOG.error('nova-compute starts without libvirt; it connects '
                      'on the next request')

    def get_available_resource(self):
        """vcpus, memory, disk, hypervisor type/version and cpu_info."""
        return host.available_resource(self.conn, FLAGS.instances_path)

    def get_host_ip_addr(self):
        """``--my_ip``."""
        return FLAGS.my_ip

    def get_host_stats(self, refresh=False):
        """The host's resources, for the schedulers (with the
        ``host_memory_free``/``disk_available`` the host filters and the
        fill-first cost function read)."""
        return host.host_stats(self.conn, FLAGS.instances_path, FLAGS.host)

    # -- listing ---------------------------------------------------------------
    def _all_domains(self):
        """Every domain, over a connection known to work.

        A connection whose libvirtd went away may still look alive until
        its first request fails ("Broken pipe"); that request is made
        again once over a new connection, so a libvirtd that is down is
        reported as such (HypervisorUnavailable), not as a write error.
        """
        libvirt = _libvirt()
        try:
            return self.conn.listAllDomains(0)
        except libvirt.libvirtError as exc:
            if exc.get_error_domain() not in (libvirt.VIR_FROM_RPC,
                                              libvirt.VIR_FROM_REMOTE):
                raise
            LOG.warning('The connection to libvirt failed (%s); '
                        'reconnecting', exc.get_error_message())
            self._drop_connection()
            return self.conn.listAllDomains(0)

    def _drop_connection(self):
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - already broken
                pass

    def list_instances(self):
        """Names of every domain defined here (running or not)."""
        return [dom.name() for dom in self._all_domains()]

    def list_instances_detail(self):
        """Every domain as an InstanceInfo."""
        return [driver.InstanceInfo(dom.name(), _STATES.get(
            dom.info()[0], power_state.NOSTATE))
            for dom in self._all_domains()]

    def get_info(self, instance_name):
        """``state``, ``max_mem``, ``mem``, ``num_cpu``, ``cpu_time``."""
        dom = self._lookup(instance_name)
        state, max_mem, mem, num_cpu, cpu_time = dom.info()
        if state == 5 and dom.hasManagedSaveImage(0):
            state = 7
        return {'state': _STATES.get(state, power_state.NOSTATE),
                'max_mem': max_mem, 'mem': mem, 'num_cpu': num_cpu,
                'cpu_time': cpu_time}

    def get_diagnostics(self, instance):
        """CPU time and memory of the domain."""
        return self.get_info(driver.instance_name(instance))

    # -- spawn -------------------------------------------------------------------
    def _check_flavor(self, context, instance):
        image_id = driver._field(instance, 'image_ref')
        meta = self.image_service.show(context, image_id)
        props = meta.get('properties') or {}
        memory = int(driver._field(instance, 'memory_mb', 0) or 0)
        min_ram = int(meta.get('min_ram') or props.get('min_ram') or 0)
        if min_ram and memory < min_ram:
            raise exceptions.FlavorTooSmall(
                image_id=image_id,
                reason='it needs %d MB of memory, the instance type has %d'
                % (min_ram, memory))
        min_disk = int(meta.get('min_disk') or props.get('min_disk') or 0)
        local_gb = int(driver._field(instance, 'local_gb', 0) or 0)
        if min_disk and local_gb < min_disk:
            raise exceptions.FlavorTooSmall(
                image_id=image_id,
                reason='it needs a %d GB disk, the instance type has %d'
                % (min_disk, local_gb))

    @property
    def image_service(self):
        """The ``--image_service``."""
        from nova import image
        return image.get_default_image_service()

    def _vnc(self):
        if not FLAGS.vnc_enabled:
            return None
        return (FLAGS.vncserver_listen, FLAGS.vnc_keymap)

    def plug_vifs(self, instance, network_info):
        """Plug every NIC; returns the template's ``nics``."""
        return [self.vif_driver.plug(instance, network, mapping)
                for network, mapping in network_info or []]

    def to_xml(self, instance, network_info, rescue=False,
               block_device_info=None):
        """The domain XML of ``instance`` (plugs its NICs)."""
        nics = self.plug_vifs(instance, network_info)
        if FLAGS.libvirt_vif_type == 'bridge' and \
                getattr(self.firewall_driver, 'uses_nwfilter', False):
            for nic, (_network, mapping) in zip(nics, network_info or []):
                nic['filter'] = nwfilter.instance_filter_name(
                    instance, mapping['mac'])
                nic['filter_params'] = sorted(
                    nwfilter.filterref_parameters(mapping).items())
        info = config.xml_info(instance, nics, rescue=rescue,
                               block_device_info=block_device_info,
                               vnc=self._vnc())
        return config.render(info)

    def _rules(self, instance):
        return driver._field(instance, 'security_group_rules')

    def spawn(self, context, instance, network_info, block_device_info=None,
              injected_files=None):
        """Build the guest's files and domain and boot it.

        ``injected_files`` are written into the root disk (see
        :func:`imagebackend.create_image`).  On any failure everything made
        so far (domain, firewall rules, instance directory) is removed
        before the error is raised.
        """
        name = driver.instance_name(instance)
        self.conn.getVersion()
        self._check_flavor(context, instance)
        try:
            xml = self.to_xml(instance, network_info,
                              block_device_info=block_device_info)
            self.firewall_driver.setup_basic_filtering(instance,
                                                       network_info)
            self.firewall_driver.prepare_instance_filter(
                instance, network_info, rules=self._rules(instance))
            imagebackend.create_image(context, instance, self.image_service,
                                      network_info,
                                      injected_files=injected_files)
            self._write_xml(name, xml)
            self._create_domain(xml)
            self.firewall_driver.apply_instance_filter(instance,
                                                       network_info)
            self._wait_for_state(name, power_state.RUNNING,
                                 FLAGS.libvirt_boot_timeout)
        except BaseException:
            LOG.exception('Spawning %s failed; removing what was made', name)
            self._cleanup_failed(instance, network_info)
            raise
        LOG.info('Instance %s is running', name)

    def _cleanup_failed(self, instance, network_info):
        try:
            self.destroy(instance, network_info, cleanup=True)
        except Exception:  # noqa: BLE001 - best effort; logged
            LOG.exception('Cleaning up %s failed',
                          driver.instance_name(instance))
            imagebackend.remove_instance_dir(driver.instance_name(instance))

    @staticmethod
    def _write_xml(name, xml, filename='libvirt.xml'):
        path = os.path.join(config.instance_dir(name), filename)
        with open(path, 'w') as out:
            out.write(xml)
        return path

    def _create_domain(self, xml):
        """Define the domain persistently and start it.

        Both calls wait for libvirtd, which may take many seconds to start
        QEMU on a busy host; in the (green) daemon they run in a native
        thread so the other green threads go on meanwhile (other builds,
        RPC, heartbeats).  The start holds the host's iptables lock: libvirt
        writes the NIC's ebtables/iptables filter rules then, and those
        failed ("RULE_DELETE failed") when Nova's iptables-restore or
        another domain's start changed the host's nf_tables rules at the
        same moment.
        """
        libvirt = _libvirt()
        conn = self.conn
        dom = _blocking(conn.defineXML, xml)
        try:
            with _host_firewall_lock():
                _blocking(dom.create)
        except libvirt.libvirtError as exc:
            raise exceptions.GuestBootFailed(name=dom.name(),
                                             reason=exc.get_error_message())
        return dom

    def _wait_for_state(self, name, states, timeout):
        if not isinstance(states, (tuple, list, set)):
            states = (states,)
        deadline = time.monotonic() + timeout
        while True:
            state = self.get_info(name)['state']
            if state in states:
                return state
            if time.monotonic() > deadline:
                raise exceptions.GuestBootFailed(
                    name=name, reason='still in power state %s after %ss'
                    % (state, timeout))
            concurrency.sleep(0.1)

    # -- destroy -------------------------------------------------------------
    def destroy(self, instance, network_info, cleanup=True):
        """Stop and undefine the domain, unfilter, remove its files."""
        libvirt = _libvirt()
        name = driver.instance_name(instance)
        try:
            dom = self._lookup(name)
        except exception.InstanceNotFound:
            dom = None
        if dom is not None:
            try:
                if dom.isActive():
                    with _host_firewall_lock():
                        _blocking(dom.destroy)
            except libvirt.libvirtError as exc:
                if exc.get_error_code() != libvirt.VIR_ERR_OPERATION_INVALID:
                    raise
            flags_ = (libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                      libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)
            try:
                dom.undefineFlags(flags_)
            except libvirt.libvirtError as exc:
                if exc.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
                    raise
            for network, mapping in network_info or []:
                self.vif_driver.unplug(instance, network, mapping)
        self.firewall_driver.unfilter_instance(instance, network_info)
        if cleanup:
            imagebackend.remove_instance_dir(name)
        LOG.info('Instance %s destroyed', name)

    # -- power -------------------------------------------------------------------
    def _shutdown(self, dom, timeout):
        """ACPI shutdown, waiting up to ``timeout`` s; True if it powered
        off by itself (else the domain is destroyed)."""
        libvirt = _libvirt()
        if not dom.isActive():
            return True
        try:
            dom.shutdown()
        except libvirt.libvirtError as exc:
            LOG.warning('%s: ACPI shutdown failed: %s', dom.name(), exc)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not dom.isActive():
                return True
            concurrency.sleep(0.2)
        LOG.info('%s did not power off within %ss; destroying it',
                 dom.name(), timeout)
        try:
            dom.destroy()
        except libvirt.libvirtError:
            if dom.isActive():
                raise
        return False

    def reboot(self, instance, network_info, reboot_type='SOFT'):
        """Soft: ACPI shutdown then start (hard after the wait); HARD:
        destroy and start."""
        name = driver.instance_name(instance)
        dom = self._lookup(name)
        if reboot_type == 'HARD':
            if dom.isActive():
                dom.destroy()
        else:
            self._shutdown(dom, FLAGS.libvirt_wait_soft_reboot_seconds)
        self.plug_vifs(instance, network_info)
        self.firewall_driver.setup_basic_filtering(instance, network_info)
        self.firewall_driver.prepare_instance_filter(
            instance, network_info, rules=self._rules(instance))
        dom.create()
        self.firewall_driver.apply_instance_filter(instance, network_info)
        self._wait_for_state(name, power_state.RUNNING,
                             FLAGS.libvirt_boot_timeout)

    def power_off(self, instance):
        """ACPI shutdown (destroy after the wait); definition and disks
        stay."""
        self._shutdown(self._lookup(driver.instance_name(instance)),
                       FLAGS.libvirt_wait_soft_reboot_seconds)

    def power_on(self, instance):
        """Start a powered-off domain."""
        name = driver.instance_name(instance)
        dom = self._lookup(name)
        if not dom.isActive():
            dom.create()
        self._wait_for_state(name, power_state.RUNNING,
                             FLAGS.libvirt_boot_timeout)

    def pause(self, instance):
        """Freeze the guest (``virDomainSuspend``)."""
        self._lookup(driver.instance_name(instance)).suspend()

    def unpause(self, instance):
        """Let a paused guest run (``virDomainResume``)."""
        self._lookup(driver.instance_name(instance)).resume()

    def suspend(self, instance):
        """Save the guest's memory to disk and stop it (managed save)."""
        self._lookup(driver.instance_name(instance)).managedSave(0)

    def resume(self, instance):
        """Restore a suspended guest from its managed save."""
        name = driver.instance_name(instance)
        self._lookup(name).create()
        self._wait_for_state(name, power_state.RUNNING,
                             FLAGS.libvirt_boot_timeout)

    # -- firewall ---------------------------------------------------------------
    def ensure_filtering_rules_for_instance(self, instance, network_info):
        """Basic filtering and the instance filter (before boot/migration)."""
        self.firewall_driver.setup_basic_filtering(instance, network_info)
        self.firewall_driver.prepare_instance_filter(
            instance, network_info, rules=self._rules(instance))

    def unfilter_instance(self, instance, network_info):
        """Remove the guest's firewall rules."""
        self.firewall_driver.unfilter_instance(instance, network_info)

    def refresh_security_group_rules(self, security_group_id):
        """Nothing here: the compute manager passes new rules through
        the firewall driver's ``refresh_instance_filter``."""
        return True

    def refresh_security_group_members(self, security_group_id):
        """See :meth:`refresh_security_group_rules`."""
        return True

    def refresh_provider_fw_rules(self, rules=None):
        """Replace the provider rules."""
        self.firewall_driver.refresh_provider_fw_rules(rules or [])
