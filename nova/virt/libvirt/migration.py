"""Live migration of libvirt guests (a mixin of the connection).

The source calls ``virDomainMigrateToURI`` with ``--live_migration_uri %
dest`` and the OR of the ``--live_migration_flag`` names (block migration:
``--block_migration_flag``) at ``--live_migration_bandwidth``.  The
destination needs the instance directory (shared ``--instances_path``),
the guest's firewall rules and its VIFs first (:meth:`pre_live_migration`);
afterwards the destination makes the domain persistent
(:meth:`post_live_migration_at_destination`).

A block migration (``--instances_path`` not shared) copies the disks with
the memory: the source describes its file disks
(:meth:`get_instance_disk_info`); the destination first creates the
instance directory (refusing when it exists) and the same files over its
own image cache -- kernel, ramdisk, the root disk over the same ``_base``
image, local and swap disks -- so that ``VIR_MIGRATE_NON_SHARED_INC`` only
has to copy what the guest changed (:meth:`pre_block_migration`).
"""

import json
import logging
import os
import xml.etree.ElementTree as ElementTree

from nova import flags
from nova.virt import driver
from nova.virt import exceptions
from nova.virt.libvirt import config
from nova.virt import images
from nova.virt.libvirt import host
from nova.virt.libvirt import imagebackend

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.virt.libvirt.migration')

flags.DEFINE_string('live_migration_uri', 'qemu+tcp://%s/system',
                    'URI of the destination of a live migration '
                    '(%s = host)')
flags.DEFINE_string('live_migration_flag',
                    'VIR_MIGRATE_UNDEFINE_SOURCE, VIR_MIGRATE_PEER2PEER',
                    'libvirt flags of a live migration')
flags.DEFINE_string('block_migration_flag',
                    'VIR_MIGRATE_UNDEFINE_SOURCE, VIR_MIGRATE_PEER2PEER, '
                    'VIR_MIGRATE_NON_SHARED_INC',
                    'libvirt flags of a block migration')
flags.DEFINE_integer('live_migration_bandwidth', 0,
                     'bandwidth of a live migration (0 = unlimited)')


def migration_flags(names):
    """OR of the libvirt constants named (comma separated) in ``names``."""
    libvirt = __import__('libvirt')
    value = 0
    for name in names.split(','):
        name = name.strip()
        if not name:
            continue
        try:
            value |= getattr(libvirt, name)
        except AttributeError:
            raise exceptions.MigrationError(
                reason='unknown libvirt migration flag %s' % name)
    return value


class MigrationMixin(object):
    """Live and block migration (see the module docstring)."""

    def compare_cpu(self, cpu_info):
        """Raise MigrationError unless this host can run a guest of the
        host whose ``cpu_info`` JSON is given."""
        info = json.loads(cpu_info)
        result = self.conn.compareCPU(host.cpu_xml(info), 0)
        if result <= 0:
            raise exceptions.MigrationError(
                reason='the CPU of this host is not compatible (%s)'
                % info.get('model'))
        return result

    def pre_live_migration(self, instance, network_info):
        """On the destination: VIFs and firewall before the guest arrives."""
        self.plug_vifs(instance, network_info)
        self.ensure_filtering_rules_for_instance(instance, network_info)

    def get_instance_disk_info(self, instance):
        """JSON list of the guest's file disks: ``{type, path, local_gb}``
        (``local_gb``: the virtual size rounded up, as ``10G``/``512M``)."""
        dom = self._lookup(driver.instance_name(instance))
        tree = ElementTree.fromstring(dom.XMLDesc(0))
        disks = []
        for disk in tree.findall('./devices/disk'):
            source = disk.find('source')
            if disk.get('type') != 'file' or source is None or \
                    not source.get('file'):
                continue
            path = source.get('file')
            kind = disk.find('driver').get('type', 'raw') \
                if disk.find('driver') is not None else 'raw'
            size = os.path.getsize(path) if kind == 'raw' else \
                images.virtual_size(path)
            disks.append({'type': kind, 'path': path,
                          'local_gb': _size_text(size)})
        return json.dumps(disks)

    def pre_block_migration(self, context, instance, disk_info_json):
        """On the destination of a block migration: the instance directory
        and its files (see the module docstring)."""
        name = driver.instance_name(instance)
        basepath = config.instance_dir(name)
        if os.path.exists(basepath):
            raise exceptions.MigrationError(
                reason='the instance directory %s already exists on the '
                       'destination' % basepath)
        os.makedirs(basepath)
        try:
            made = imagebackend.create_image(context, instance,
                                             self.image_service,
                                             inject=False)
            for item in json.loads(disk_info_json or '[]'):
                target = os.path.join(basepath,
                                      os.path.basename(item['path']))
                if not os.path.exists(target):
                    raise exceptions.MigrationError(
                        reason='the destination cannot make the disk %s '
                               '(%s)' % (os.path.basename(item['path']),
                                         item['type']))
        except Exception:
            imagebackend.remove_instance_dir(name)
            raise
        return made

    def live_migration(self, context, instance, dest, block_migration=False,
                       migrate_uri=None):
        """Migrate the running guest to ``dest``; blocks until done.

        ``migrate_uri`` (e.g. ``tcp://10.0.0.2``) is where the destination
        QEMU listens for the memory stream; by default libvirt uses the
        destination's host name.
        """
        libvirt = __import__('libvirt')
        name = driver.instance_name(instance)
        dom = self._lookup(name)
        names = FLAGS.block_migration_flag if block_migration else \
            FLAGS.live_migration_flag
        target = FLAGS.live_migration_uri % dest
        params = {}
        if FLAGS.live_migration_bandwidth:
            params[libvirt.VIR_MIGRATE_PARAM_BANDWIDTH] = \
                FLAGS.live_migration_bandwidth
        if migrate_uri:
            params[libvirt.VIR_MIGRATE_PARAM_URI] = migrate_uri
        try:
            dom.migrateToURI3(target, params, migration_flags(names))
        except libvirt.libvirtError as exc:
            raise exceptions.MigrationError(
                reason='%s -> %s: %s' % (name, target,
                                         exc.get_error_message()))
        LOG.info('%s migrated to %s', name, dest)

    def post_live_migration_at_destination(self, instance, network_info):
        """Make the arrived domain persistent and write its libvirt.xml."""
        name = driver.instance_name(instance)
        dom = self._lookup(name)
        xml = dom.XMLDesc(0)
        path = os.path.join(config.instance_dir(name), 'libvirt.xml')
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w') as out:
                out.write(xml)
        if not dom.isPersistent():
            self.conn.defineXML(xml)

    def create_shared_storage_test_file(self):
        """A new file in ``--instances_path``; returns its name."""
        import tempfile
        fd, path = tempfile.mkstemp(dir=FLAGS.instances_path)
        os.close(fd)
        return os.path.basename(path)

    def check_shared_storage_test_file(self, filename):
        """Whether the other host's test file is visible here."""
        return os.path.exists(os.path.join(FLAGS.instances_path, filename))

    def cleanup_shared_storage_test_file(self, filename):
        """Remove the test file."""
        path = os.path.join(FLAGS.instances_path, filename)
        if os.path.exists(path):
            os.unlink(path)


def _size_text(size):
    """Bytes as Diablo's ``local_gb`` text: rounded up to the largest unit
    not larger than the size (``10G``, ``512M``, ``4K``, ``100``)."""
    for unit, scale in (('G', 1024 ** 3), ('M', 1024 ** 2), ('K', 1024)):
        if size >= scale:
            return '%d%s' % (-(-size // scale), unit)
    return str(size)
