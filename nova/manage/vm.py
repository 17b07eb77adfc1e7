"""``nova-manage vm``: list instances; live migration (not available)."""

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

    def _migration(self, kind):
        raise CommandError(
            '%s needs the libvirt driver (KVM/QEMU), which this cloud does '
            'not provide yet' % kind)

    @args('--ec2_id', dest='ec2_id', metavar='<ec2 id>', help='EC2 ID')
    @args('--dest', dest='dest', metavar='<Destination>',
          help='destination node')
    def live_migration(self, ec2_id, dest):
        """Migrate a running instance to another host (not available)."""
        self._migration('Live migration')

    @args('--ec2_id', dest='ec2_id', metavar='<ec2 id>', help='EC2 ID')
    @args('--dest', dest='dest', metavar='<Destination>',
          help='destination node')
    def block_migration(self, ec2_id, dest):
        """Migrate an instance with its disks (not available)."""
        self._migration('Block migration')
