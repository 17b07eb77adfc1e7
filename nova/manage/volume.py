"""``nova-manage volume``: delete a volume, reattach one (as Diablo).

``delete`` bypasses the API's "available only" rule (for volumes stuck in
``error`` or ``error_deleting``) but never deletes an attached volume.
``reattach`` asks the compute host of the volume's instance to attach it
again at its recorded mountpoint, e.g. after that host rebooted.
"""

from nova import db
from nova import exception
from nova import flags
from nova.manage.base import CommandError, admin_context, args
from nova.rpc import outbox

FLAGS = flags.FLAGS


def volume_id_of(text):
    """The integer id of ``vol-0000000b`` or ``11``."""
    text = str(text).strip()
    try:
        if text.startswith('vol-'):
            return int(text[4:], 16)
        return int(text)
    except ValueError:
        raise CommandError('Invalid volume id: %s' % text)


def _volume(ctxt, text):
    try:
        return db.volume_get(ctxt, volume_id_of(text))
    except exception.VolumeNotFound:
        raise CommandError('Volume %s not found' % text)


class VolumeCommands(object):
    """Methods for dealing with a cloud in an odd state."""

    @args('--volume', dest='volume_id', metavar='<volume id>',
          help='Volume ID')
    def delete(self, volume_id):
        """Delete a volume, bypassing the API's state check."""
        import nova.volume.api  # noqa: F401 - volume flags
        ctxt = admin_context()
        volume = _volume(ctxt, volume_id)
        if volume['status'] in ('in-use', 'attaching', 'detaching') or \
                volume['attach_status'] == 'attached':
            raise CommandError('Volume is in-use.')
        if not volume['host']:
            print('Volume not yet assigned to host.')
            print('Deleting volume from database and skipping rpc.')
            db.volume_destroy(ctxt, volume['id'])
            return
        # The state and the request commit together (outbox): with the
        # broker away, a daemon's relay sends it once the broker is back.
        with db.session_scope():
            db.volume_update(ctxt, volume['id'], {'status': 'deleting'})
            outbox.cast(ctxt, '%s.%s' % (FLAGS.volume_topic, volume['host']),
                        {'method': 'delete_volume',
                         'args': {'volume_id': volume['id']}})

    @args('--volume', dest='volume_id', metavar='<volume id>',
          help='Volume ID')
    def reattach(self, volume_id):
        """Re-attach a volume to its instance (after a compute reboot)."""
        ctxt = admin_context()
        volume = _volume(ctxt, volume_id)
        if not volume['instance_id']:
            raise CommandError('Volume %s is not attached to an instance'
                               % volume_id)
        try:
            instance = db.instance_get(ctxt, volume['instance_id'])
        except exception.InstanceNotFound:
            raise CommandError('Instance %s of volume %s not found'
                               % (volume['instance_id'], volume_id))
        if not instance['host']:
            raise CommandError('Instance %s has no host'
                               % volume['instance_id'])
        outbox.cast(ctxt, '%s.%s' % (FLAGS.compute_topic, instance['host']),
                    {'method': 'attach_volume',
                     'args': {'instance_id': instance['id'],
                              'volume_id': volume['id'],
                              'mountpoint': volume['mountpoint']}})
