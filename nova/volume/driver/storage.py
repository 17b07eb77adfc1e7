"""Where the bytes of volumes live: LVM logical volumes or sparse files.

Both backends offer the same interface (:class:`Storage`) to the volume
drivers, chosen by ``--volume_storage``:

* ``lvm`` (Diablo's): logical volumes in ``--volume_group``, with LVM
  snapshots, the commands of Diablo's driver (run as root, retried
  ``--num_shell_tries`` times);
* ``file``: sparse files under ``--volumes_path`` for hosts without
  device-mapper; snapshots are reflink copies where the file system can
  share blocks, sparse copies otherwise.

Volumes and snapshots are mappings with ``name`` and a size in GB (``size``
of a volume, ``volume_size`` of a snapshot); a size may be fractional (a
64 MiB test volume is 0.0625).  Nothing here touches the database or RPC.
"""

import logging
import os
import time

from nova import exception
from nova import flags
from nova import utils

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.volume.driver.storage')

flags.DEFINE_string('volume_storage', 'lvm',
                    'where volumes live: lvm (logical volumes in '
                    '--volume_group) or file (sparse files under '
                    '--volumes_path, for hosts without device-mapper)')
flags.DEFINE_string('volume_group', 'nova-volumes',
                    'Name for the VG that will contain exported volumes')
flags.DEFINE_string('volumes_path', '$state_path/volumes',
                    'directory of the volume files of --volume_storage=file')
flags.DEFINE_integer('num_shell_tries', 3,
                     'number of times to attempt to run flakey shell '
                     'commands')
flags.DEFINE_string('volume_clear', 'zero',
                    'how deleted volumes and snapshots are erased before '
                    'their space is given back: zero (overwrite with zeros, '
                    'as Diablo) or none')

GiB = 1024 ** 3
MiB = 1024 ** 2


def size_bytes(size_gb):
    """Bytes of a size in GB; Diablo gave a size of 0 100 MiB."""
    size_gb = float(size_gb or 0)
    if size_gb <= 0:
        return 100 * MiB
    return int(size_gb * GiB)


def size_str(size_gb):
    """LVM's size text: ``<n>G`` for whole GB, else ``<n>M``."""
    size_gb = float(size_gb or 0)
    if size_gb > 0 and size_gb == int(size_gb):
        return '%dG' % int(size_gb)
    return '%dM' % (size_bytes(size_gb) // MiB)


def get_storage(execute=None):
    """The backend named by ``--volume_storage``."""
    kind = FLAGS.volume_storage
    if kind == 'lvm':
        return LvmStorage(execute=execute)
    if kind == 'file':
        return FileStorage(execute=execute)
    raise exception.VolumeDriverNotSupported(
        what='--volume_storage=%s' % kind, reason='use lvm or file')


class Storage(object):
    """The interface of a storage backend."""

    def __init__(self, execute=None, sleep=None):
        self._execute = execute or utils.execute
        self._sleep = sleep or time.sleep

    def check_for_setup_error(self):
        """Raise VolumeBackendError if the backend cannot work here."""
        raise NotImplementedError()

    def local_path(self, volume):
        """The host path of a volume (what is exported)."""
        raise NotImplementedError()

    def exists(self, volume):
        """Whether the volume's storage exists."""
        return os.path.exists(self.local_path(volume))

    def create_volume(self, volume):
        """Make an empty volume of ``volume['size']`` GB."""
        raise NotImplementedError()

    def create_volume_from_snapshot(self, volume, snapshot):
        """Make a volume holding the data of ``snapshot``."""
        raise NotImplementedError()

    def delete_volume(self, volume):
        """Erase (``--volume_clear``) and remove a volume; absent is fine."""
        raise NotImplementedError()

    def create_snapshot(self, snapshot, volume):
        """Make ``snapshot``: the data of ``volume`` now."""
        raise NotImplementedError()

    def delete_snapshot(self, snapshot):
        """Erase and remove a snapshot; absent is fine."""
        raise NotImplementedError()


class FileStorage(Storage):
    """Sparse files ``<volumes_path>/<name>`` (``--volume_storage=file``).

    Files are built under a ``.partial`` name and renamed when complete, so
    a crash never leaves a half-made volume under the real name.
    """

    def __init__(self, execute=None, sleep=None, path=None):
        super(FileStorage, self).__init__(execute, sleep)
        self._path = path

    @property
    def path(self):
        """The directory holding the files."""
        return self._path or FLAGS.volumes_path

    def _file(self, name):
        return os.path.join(self.path, name)

    def check_for_setup_error(self):
        """The directory must exist (it is made) and be writable."""
        try:
            utils.ensure_tree(self.path, mode=0o700)
        except OSError as exc:
            raise exception.VolumeBackendError(
                reason='cannot create %s: %s' % (self.path, exc))
        if not os.access(self.path, os.W_OK):
            raise exception.VolumeBackendError(
                reason='%s is not writable' % self.path)

    def local_path(self, volume):
        """``<volumes_path>/<volume name>``."""
        return self._file(volume['name'])

    def snapshot_path(self, snapshot):
        """``<volumes_path>/<snapshot name>``."""
        return self._file(snapshot['name'])

    def _finish(self, partial, final):
        os.replace(partial, final)

    def create_volume(self, volume):
        """A sparse file of the volume's size."""
        self.check_for_setup_error()
        final = self.local_path(volume)
        partial = final + '.partial'
        with open(partial, 'wb') as handle:
            handle.truncate(size_bytes(volume['size']))
        self._finish(partial, final)

    def _copy(self, source, target):
        """A copy sharing blocks where possible (reflink), else sparse."""
        partial = target + '.partial'
        self._execute('cp', '--reflink=auto', '--sparse=always', source,
                      partial)
        return partial

    def create_volume_from_snapshot(self, volume, snapshot):
        """A copy of the snapshot file, grown to the volume's size."""
        self.check_for_setup_error()
        source = self.snapshot_path(snapshot)
        if not os.path.exists(source):
            raise exception.VolumeBackendError(
                reason='snapshot %s has no file' % snapshot['name'])
        final = self.local_path(volume)
        partial = self._copy(source, final)
        wanted = size_bytes(volume['size'])
        if os.path.getsize(partial) < wanted:
            os.truncate(partial, wanted)
        self._finish(partial, final)

    def create_snapshot(self, snapshot, volume):
        """A copy of the volume file now."""
        self.check_for_setup_error()
        source = self.local_path(volume)
        if not os.path.exists(source):
            raise exception.VolumeBackendError(
                reason='volume %s has no file' % volume['name'])
        self._finish(self._copy(source, self.snapshot_path(snapshot)),
                     self.snapshot_path(snapshot))

    def _remove(self, path):
        for candidate in (path + '.partial', path):
            if not os.path.exists(candidate):
                continue
            if FLAGS.volume_clear == 'zero':
                zero_allocated(candidate)
            os.unlink(candidate)

    def delete_volume(self, volume):
        """Zero the written blocks (``--volume_clear``), then unlink."""
        self._remove(self.local_path(volume))

    def delete_snapshot(self, snapshot):
        """Zero the written blocks (``--volume_clear``), then unlink."""
        self._remove(self.snapshot_path(snapshot))


def zero_allocated(path, chunk=4 * MiB):
    """Overwrite with zeros every data extent of a (sparse) file.

    Holes read as zeros already, so only the extents ``SEEK_DATA`` finds are
    written; the data is on disk (fsync) before the function returns.
    """
    zeros = bytes(chunk)
    fd = os.open(path, os.O_WRONLY)
    try:
        end = os.fstat(fd).st_size
        offset = 0
        while offset < end:
            try:
                start = os.lseek(fd, offset, os.SEEK_DATA)
            except OSError:
                break      # no more data (ENXIO)
            stop = os.lseek(fd, start, os.SEEK_HOLE)
            pos = start
            while pos < stop:
                length = min(chunk, stop - pos)
                os.pwrite(fd, zeros[:length], pos)
                pos += length
            offset = stop
        os.fsync(fd)
    finally:
        os.close(fd)


class LvmStorage(Storage):
    """Logical volumes in ``--volume_group`` (Diablo's commands)."""

    def __init__(self, execute=None, sleep=None, group=None):
        super(LvmStorage, self).__init__(execute, sleep)
        self._group = group

    @property
    def group(self):
        """The volume group."""
        return self._group or FLAGS.volume_group

    def _try_execute(self, *cmd):
        """Run as root, retrying ``--num_shell_tries`` times (tries² s)."""
        tries = 0
        while True:
            try:
                return self._execute(*cmd, run_as_root=True)
            except exception.ProcessExecutionError:
                tries += 1
                if tries >= int(FLAGS.num_shell_tries):
                    raise
                LOG.warning('%s failed; retrying', cmd[0])
                self._sleep(tries ** 2)

    @staticmethod
    def _escape(name):
        """LVM reserves names starting with ``snapshot``: prefix ``_``."""
        return '_' + name if name.startswith('snapshot') else name

    def check_for_setup_error(self):
        """``vgs`` must list ``--volume_group``."""
        try:
            out, _err = self._execute('vgs', '--noheadings', '-o', 'name',
                                      run_as_root=True)
        except exception.ProcessExecutionError as exc:
            raise exception.VolumeBackendError(
                reason='vgs failed (is LVM installed?): %s'
                % (exc.stderr or exc))
        groups = [line.strip() for line in out.split()]
        if self.group not in groups:
            raise exception.VolumeBackendError(
                reason="volume group %s doesn't exist" % self.group)

    def _mapper_path(self, name):
        return '/dev/mapper/%s-%s' % (self.group.replace('-', '--'),
                                      name.replace('-', '--'))

    def local_path(self, volume):
        """``/dev/<vg>/<name>`` (the device LVM links)."""
        return '/dev/%s/%s' % (self.group, volume['name'])

    def exists(self, volume):
        """Whether ``lvs`` knows the logical volume."""
        out, _err = self._execute(
            'lvs', '--noheadings', '-o', 'name', self.group,
            run_as_root=True, check_exit_code=False)
        return volume['name'] in [line.strip() for line in out.split()]

    def create_volume(self, volume):
        """``lvcreate -L <size> -n <name> <vg>``."""
        self._try_execute('lvcreate', '-L', size_str(volume['size']), '-n',
                          volume['name'], self.group)

    def create_volume_from_snapshot(self, volume, snapshot):
        """A new volume, then the snapshot's data copied in with dd."""
        self.create_volume(volume)
        count = int(size_bytes(snapshot['volume_size']) // MiB)
        self._try_execute(
            'dd', 'if=%s' % self._mapper_path(self._escape(snapshot['name'])),
            'of=%s' % self._mapper_path(volume['name']),
            'count=%d' % count, 'bs=1M')

    def _present(self, name):
        try:
            self._try_execute('lvdisplay', '%s/%s' % (self.group, name))
        except exception.ProcessExecutionError:
            return False
        return True

    def _clear(self, name, size_gb):
        if FLAGS.volume_clear != 'zero':
            return
        count = int(size_bytes(size_gb) // MiB)
        self._execute('dd', 'if=/dev/zero',
                      'of=%s' % self._mapper_path(name),
                      'count=%d' % count, 'bs=1M', run_as_root=True)

    def delete_volume(self, volume):
        """Refuse an origin of snapshots; zero it; ``lvremove -f``."""
        name = volume['name']
        if not self._present(name):
            return
        out, _err = self._try_execute('lvdisplay', '--noheading', '-C', '-o',
                                      'Attr', '%s/%s' % (self.group, name))
        if out.strip()[:1] in ('o', 'O'):
            raise exception.VolumeIsBusy(volume_name=name,
                                         reason='it has snapshots')
        self._clear(name, volume['size'])
        self._try_execute('lvremove', '-f', '%s/%s' % (self.group, name))

    def create_snapshot(self, snapshot, volume):
        """``lvcreate -L <size>G --name <name> --snapshot <vg>/<volume>``."""
        self._try_execute('lvcreate', '-L', size_str(volume['size']),
                          '--name', self._escape(snapshot['name']),
                          '--snapshot',
                          '%s/%s' % (self.group, volume['name']))

    def delete_snapshot(self, snapshot):
        """Zero the snapshot (copy-on-write), then ``lvremove -f``."""
        name = self._escape(snapshot['name'])
        if not self._present(name):
            return
        self._clear(name, snapshot['volume_size'])
        self._try_execute('lvremove', '-f', '%s/%s' % (self.group, name))
