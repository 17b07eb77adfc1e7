"""Rescue, snapshot, consoles and volumes of libvirt guests.

A mixin of :class:`nova.virt.libvirt.connection.LibvirtConnection`.

* **Rescue** saves the live XML to ``unrescue.xml``, builds ``kernel.rescue``,
  ``ramdisk.rescue`` and ``disk.rescue`` from ``--rescue_image_id`` /
  ``--rescue_kernel_id`` / ``--rescue_ramdisk_id`` (default: the instance's
  own), and boots the same domain from them with the original ``disk`` as
  the second disk.  Unrescue boots the saved XML and removes the rescue
  files.  :meth:`poll_rescued_instances` unrescues guests rescued longer
  than ``--rescue_timeout`` seconds (``unrescue.xml``'s age).
* **Snapshot** takes an internal qcow2 snapshot of the root disk (or, for a
  stopped guest or a raw disk, reads the disk as it is), converts it with
  ``qemu-img convert`` and uploads it to the image service.
* **Volumes** are libvirt network disks read by QEMU's own iSCSI client.
"""

import logging
import os
import shutil
import tempfile
import time
import uuid
import xml.etree.ElementTree as ElementTree
from xml.sax import saxutils

from nova import exception
from nova import flags
from nova import utils
from nova.virt import driver
from nova.virt import exceptions
from nova.virt.libvirt import config
from nova.virt.libvirt import imagebackend

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.virt.libvirt.guestops')

flags.DEFINE_string('rescue_image_id', None, 'image used for rescue')
flags.DEFINE_string('rescue_kernel_id', None, 'kernel used for rescue')
flags.DEFINE_string('rescue_ramdisk_id', None, 'ramdisk used for rescue')
flags.DEFINE_string('snapshot_image_format', None,
                    'format of snapshots (raw, qcow2, vmdk, vdi); '
                    'default: that of the source image')
flags.DEFINE_string('vnc_keymap', 'en-us', 'keymap of VNC consoles')
flags.DEFINE_string('vncserver_host', '0.0.0.0',
                    'address the instances\' VNC servers bind')
flags.DEFINE_string('vncserver_listen', '$vncserver_host',
                    'address the VNC servers of the guests listen on')

_RESCUE_FILES = ('kernel.rescue', 'ramdisk.rescue', 'disk.rescue',
                 'libvirt.xml.rescue', 'unrescue.xml')


class GuestOpsMixin(object):
    """Rescue, snapshot, consoles, volumes (see the module docstring)."""

    # -- rescue ----------------------------------------------------------------
    def rescue(self, context, instance, network_info):
        """Boot the rescue image, the instance's disk attached second."""
        name = driver.instance_name(instance)
        dom = self._lookup(name)
        basepath = config.instance_dir(name)
        unrescue_xml = dom.XMLDesc(0)
        self._write_xml(name, unrescue_xml, 'unrescue.xml')
        ids = {'image': FLAGS.rescue_image_id,
               'kernel': FLAGS.rescue_kernel_id,
               'ramdisk': FLAGS.rescue_ramdisk_id}
        try:
            imagebackend.create_image(context, instance, self.image_service,
                                      network_info, suffix='.rescue',
                                      image_ids=ids)
            xml = self.to_xml(instance, network_info, rescue=True)
            self._write_xml(name, xml, 'libvirt.xml.rescue')
            self._replace_domain(dom, xml)
        except BaseException:
            LOG.exception('Rescue of %s failed; booting it again', name)
            self._replace_domain(self._lookup(name), unrescue_xml)
            self._remove_rescue_files(basepath)
            raise

    def _replace_domain(self, dom, xml):
        """Destroy the domain and boot it again from ``xml`` (which keeps
        the domain's UUID)."""
        root = ElementTree.fromstring(xml)
        if root.find('uuid') is None:
            uuid_node = ElementTree.Element('uuid')
            uuid_node.text = dom.UUIDString()
            root.insert(1, uuid_node)
            xml = ElementTree.tostring(root, encoding='unicode')
        if dom.isActive():
            dom.destroy()
        self._create_domain(xml)

    @staticmethod
    def _remove_rescue_files(basepath):
        for filename in _RESCUE_FILES:
            path = os.path.join(basepath, filename)
            if os.path.exists(path):
                os.unlink(path)

    def unrescue(self, instance, network_info):
        """Boot the guest from its own disk again; drop the rescue files."""
        name = driver.instance_name(instance)
        basepath = config.instance_dir(name)
        path = os.path.join(basepath, 'unrescue.xml')
        if not os.path.exists(path):
            raise exception.InstanceInvalidState(
                instance_id=name, state='not rescued', action='unrescue')
        with open(path) as source:
            xml = source.read()
        self._replace_domain(self._lookup(name), xml)
        self._remove_rescue_files(basepath)

    def is_rescued(self, instance):
        """Whether the guest runs its rescue image."""
        return os.path.exists(os.path.join(
            config.instance_dir(driver.instance_name(instance)),
            'unrescue.xml'))

    def poll_rescued_instances(self, timeout, instances=()):
        """Unrescue ``instances`` rescued over ``timeout`` s; returns them."""
        if not timeout or timeout <= 0:
            return []
        done = []
        now = time.time()
        for instance in instances:
            path = os.path.join(config.instance_dir(
                driver.instance_name(instance)), 'unrescue.xml')
            try:
                age = now - os.path.getmtime(path)
            except OSError:
                continue
            if age >= timeout:
                LOG.info('%s rescued for %ds: unrescuing',
                         driver.instance_name(instance), age)
                self.unrescue(instance, [])
                done.append(instance)
        return done

    # -- snapshot ---------------------------------------------------------------
    def _root_disk(self, dom):
        root = ElementTree.fromstring(dom.XMLDesc(0))
        for disk in root.findall('./devices/disk'):
            source = disk.find('source')
            if source is not None and source.get('file'):
                fmt = disk.find('driver')
                return source.get('file'), (fmt.get('type') if fmt is not
                                            None else 'raw')
        raise exceptions.DiskNotFound(location='root of %s' % dom.name())

    def snapshot(self, context, instance, image_id):
        """Save the root disk as image ``image_id`` (already created)."""
        libvirt = __import__('libvirt')
        name = driver.instance_name(instance)
        dom = self._lookup(name)
        service = self.image_service
        base = service.show(context, driver._field(instance, 'image_ref'))
        target = service.show(context, image_id)
        path, source_fmt = self._root_disk(dom)
        out_fmt = FLAGS.snapshot_image_format or base.get('disk_format')
        if out_fmt not in ('raw', 'qcow2', 'vmdk', 'vdi'):
            out_fmt = 'raw'
        props = {'kernel_id': driver._field(instance, 'kernel_id'),
                 'ramdisk_id': driver._field(instance, 'ramdisk_id'),
                 'image_location': 'snapshot', 'image_state': 'available',
                 'owner_id': driver._field(instance, 'project_id')}
        base_props = base.get('properties') or {}
        if base_props.get('architecture'):
            props['architecture'] = base_props['architecture']
        meta = {'is_public': False, 'status': 'active',
                'name': target.get('name'), 'disk_format': out_fmt,
                'container_format': base.get('container_format') or 'bare',
                'properties': dict((k, v) for k, v in props.items()
                                   if v is not None)}
        snap = None
        snap_name = uuid.uuid4().hex
        if source_fmt == 'qcow2' and dom.isActive():
            snap = dom.snapshotCreateXML(
                '<domainsnapshot><name>%s</name></domainsnapshot>'
                % snap_name, 0)
        tmpdir = tempfile.mkdtemp(dir=config.instance_dir(name),
                                  prefix='snapshot-')
        try:
            out = os.path.join(tmpdir, snap_name)
            cmd = ['qemu-img', 'convert', '-U', '-f', source_fmt,
                   '-O', out_fmt]
            if snap is not None:
                cmd += ['-l', 'snapshot.name=%s' % snap_name]
            utils.execute(*(cmd + [path, out]))
            with open(out, 'rb') as data:
                service.update(context, image_id, meta, data)
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
            if snap is not None:
                try:
                    snap.delete(0)
                except libvirt.libvirtError:
                    LOG.exception('Deleting snapshot %s of %s failed',
                                  snap_name, name)
        LOG.info('Snapshot of %s saved as image %s', name, image_id)

    # -- consoles ---------------------------------------------------------------
    def get_console_output(self, instance):
        """The guest's serial log (``console.log``), whole; empty while the
        guest is still being built (no log yet)."""
        name = driver.instance_name(instance)
        path = os.path.join(config.instance_dir(name), 'console.log')
        if not os.path.exists(path):
            return ''
        with open(path, 'rb') as source:
            return source.read().decode('utf-8', 'replace')

    def get_vnc_console(self, instance):
        """``{host, port, listen}`` of the guest's VNC display: ``host`` is
        where a proxy reaches it -- the address QEMU listens on, or this
        compute host's name when it listens on every address."""
        dom = self._lookup(driver.instance_name(instance))
        root = ElementTree.fromstring(dom.XMLDesc(0))
        graphics = root.find("./devices/graphics[@type='vnc']")
        if graphics is None or graphics.get('port') in (None, '-1'):
            raise exception.ConsoleNotAvailable(
                instance_id=dom.name(),
                reason='it has no VNC display (--vnc_enabled is off)')
        listen = graphics.get('listen')
        host = listen
        if not listen or listen in ('0.0.0.0', '::'):
            host = driver._field(instance, 'host') or FLAGS.host
        return {'host': host, 'port': int(graphics.get('port')),
                'listen': listen}

    # -- volumes -------------------------------------------------------------------
    @staticmethod
    def volume_xml(connection_info, mountpoint):
        """The ``<disk type='network'>`` of an iSCSI ``connection_info``."""
        if not connection_info or \
                connection_info.get('driver_volume_type') != 'iscsi':
            raise exceptions.InvalidConnectionInfo(
                reason='unsupported volume type %r' % (
                    (connection_info or {}).get('driver_volume_type'),))
        data = connection_info.get('data') or {}
        try:
            portal = data['target_portal']
            iqn = data['target_iqn']
            lun = int(data.get('target_lun', 0))
        except (KeyError, TypeError, ValueError) as exc:
            raise exceptions.InvalidConnectionInfo(reason='missing %s' % exc)
        hostname, _sep, port = portal.rpartition(':')
        if not hostname:
            hostname, port = portal, '3260'
        device = mountpoint.rpartition('/')[2]
        q = saxutils.quoteattr
        return ("<disk type='network' device='disk'>"
                "<driver name='qemu' type='raw' cache='none'/>"
                "<source protocol='iscsi' name=%s>"
                "<host name=%s port=%s/></source>"
                "<target dev=%s bus='virtio'/></disk>"
                % (q('%s/%d' % (iqn, lun)), q(hostname.strip('[]')),
                   q(port or '3260'), q(device)))

    def attach_volume(self, instance_name, connection_info, mountpoint):
        """Hot-plug the volume as a network disk at ``mountpoint``.

        A guest that has this very disk there already (its definition
        kept it, and it booted with it: the admin manual's re-attach after
        a host's power loss) is left as it is.
        """
        libvirt = __import__('libvirt')
        dom = self._lookup(instance_name)
        xml = self.volume_xml(connection_info, mountpoint)
        if self._has_disk(dom, xml):
            return
        flags_ = libvirt.VIR_DOMAIN_AFFECT_CONFIG
        if dom.isActive():
            flags_ |= libvirt.VIR_DOMAIN_AFFECT_LIVE
        dom.attachDeviceFlags(xml, flags_)

    @staticmethod
    def _has_disk(dom, xml):
        """Whether ``dom`` has the network disk ``xml`` (same target, same
        source)."""
        wanted = ElementTree.fromstring(xml)
        device = wanted.find('target').get('dev')
        name = wanted.find('source').get('name')
        root = ElementTree.fromstring(dom.XMLDesc(0))
        for disk in root.findall('./devices/disk'):
            target = disk.find('target')
            source = disk.find('source')
            if target is not None and target.get('dev') == device and \
                    source is not None and source.get('name') == name:
                return True
        return False

    def detach_volume(self, instance_name, mountpoint):
        """Unplug the disk at ``mountpoint``; DiskNotFound if none."""
        libvirt = __import__('libvirt')
        dom = self._lookup(instance_name)
        device = mountpoint.rpartition('/')[2]
        root = ElementTree.fromstring(dom.XMLDesc(0))
        for disk in root.findall('./devices/disk'):
            target = disk.find('target')
            if target is not None and target.get('dev') == device:
                flags_ = libvirt.VIR_DOMAIN_AFFECT_CONFIG
                if dom.isActive():
                    flags_ |= libvirt.VIR_DOMAIN_AFFECT_LIVE
                dom.detachDeviceFlags(
                    ElementTree.tostring(disk, encoding='unicode'), flags_)
                return
        raise exceptions.DiskNotFound(location=mountpoint)
