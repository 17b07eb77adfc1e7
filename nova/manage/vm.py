"""``nova-manage vm``: list instances; live and block migration."""

from nova import db
from nova import flags
from nova.manage.base import CommandError, admin_context, args

FLAGS = flags.FLAGS

LIST_FORMAT = ('%-10s %-15s %-10s %-10s %-26s %-9s %-9s %-9s  %-10s %-10s '
               '%-10s %-5s')
HEADER = ('instance', 'node', 'type', 'state', 'launched', 'image',
          'kernel', 'ramdisk', 'project', 'user', 'zone', 'index')


def _row(instance):
    """The columns of one instance, as Diablo printed them."""
    instance_type = instance['instance_type']
    index = instance['launch_index']
    return (instance['hostname'], instance['host'],
            instance_type['name'] if instance_type else None,
            instance['vm_state'], instance['launched_at'],
            instance['image_ref'], instance['kernel_id'],
            instance['ramdisk_id'], instance['project_id'],
            instance['user_id'], instance['availability_zone'],
            '%d' % (index or 0))


class VmCommands(object):
    """Instances, as the operator sees them."""

    @args('--host', dest='host', metavar='<host>', help='Host')
    def list(self, host=None):
        """Show instances (of one host): name, node, type, state..."""
        ctxt = admin_context()
        if host is None:
            instances = db.instance_get_all(ctxt)
        else:
            instances = db.instance_get_all_by_host(ctxt, host)
        print(LIST_FORMAT % HEADER)
        for instance in sorted(instances, key=lambda i: i['id']):
            print(LIST_FORMAT % _row(instance))

    def _migrate(self, ec2_id, dest, block_migration):
        from nova import exception
        from nova import rpc
        from nova.api.ec2 import ec2utils
        import nova.virt.libvirt.connection  # noqa: F401 - libvirt flags
        if FLAGS.connection_type != 'libvirt' or \
                FLAGS.libvirt_type not in ('kvm', 'qemu'):
            raise CommandError('Only the libvirt driver with KVM or QEMU '
                               'can migrate instances (--connection_type='
                               'libvirt --libvirt_type=kvm|qemu)')
        if not dest:
            raise CommandError('Give the destination host (--dest)')
        try:
            instance_id = ec2utils.ec2_id_to_id(ec2_id, prefixes=('i',))
            db.instance_get(admin_context(), instance_id)
        except (exception.NovaException, ValueError):
            raise CommandError('No instance %s' % ec2_id)
        try:
            rpc.call(admin_context(), FLAGS.scheduler_topic,
                     {'method': 'live_migration',
                      'args': {'instance_id': instance_id, 'dest': dest,
                               'topic': FLAGS.compute_topic,
                               'block_migration': block_migration}})
        except rpc.RemoteError as exc:
            raise CommandError(str(getattr(exc, 'value', exc)))
        print('Migration of %s initiated. Check its progress using '
              'euca-describe-instances.' % ec2_id)

    @args('--ec2_id', dest='ec2_id', metavar='<ec2 id>', help='EC2 ID')
    @args('--dest', dest='dest', metavar='<Destination>',
          help='destination node')
    def live_migration(self, ec2_id, dest):
        """Migrate a running instance to another host (shared storage)."""
        self._migrate(ec2_id, dest, False)

    @args('--ec2_id', dest='ec2_id', metavar='<ec2 id>', help='EC2 ID')
    @args('--dest', dest='dest', metavar='<Destination>',
          help='destination node')
    def block_migration(self, ec2_id, dest):
        """Migrate an instance with its disks (no shared storage)."""
        self._migrate(ec2_id, dest, True)
