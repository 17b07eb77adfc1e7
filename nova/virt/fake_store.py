"""Where the fake hypervisor keeps its guests between runs.

A real hypervisor keeps its domain definitions across a restart of
nova-compute (and of the host).  The fake one keeps each host's guests in a
folder of its own, one file a guest::

    $state_path/fake-hypervisor/<host>/host.meta     {"version": 2, "boot_id": ...}
    $state_path/fake-hypervisor/<host>/<guest>.json  one guest's fields

A change of a guest rewrites that guest's file only (a temporary file
renamed over the old one, so a crash leaves the old file or the new one,
never half of either), and a guest that goes away takes its file with it:
a change costs the same with ten guests on the host or a thousand.  The
folder is read back when the host starts (:meth:`HostStore.load`).  A guest
name that is not a plain file name is %-quoted in its file name; the file
holds the name itself.

``host.meta`` records the boot of the machine the guests were written in
(the kernel's boot id).  A restart of nova-compute alone (SIGTERM, SIGKILL,
an upgrade) leaves the guests as they were, as a real hypervisor's domains
keep running while nova-compute is away.  A boot of the host (another boot
id, or a ``host.meta`` that is missing or does not say) is a power cycle:
guests that were running (or paused, or being built) come back shut off;
suspended guests keep their saved state.  The guests a power cycle changed
are written before ``host.meta`` takes the new boot id, so a crash in
between finds the old id and does the (idempotent) power cycle again.
nova-compute then starts them again if ``--start_guests_on_host_boot`` or
``--resume_guests_state_on_host_boot`` say so (see
:mod:`nova.compute.host_boot`).

Releases before this layout kept all the guests of a host in one file,
``$state_path/fake-hypervisor/<host>.json`` (``{"version": 1, "boot_id":
..., "guests": [...]}``).  When that file is there, the first start reads
it (with the same boot id rules), writes the folder and removes it.
"""

import hashlib
import json
import logging
import os
import urllib.parse
import uuid

from nova import flags
from nova.virt import power_state

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.virt.fake')

flags.DEFINE_bool('fake_hypervisor_state', True,
                  'keep the fake hypervisor\'s guests in '
                  '$state_path/fake-hypervisor/<host>/ across restarts')

#: Console lines kept per guest.
CONSOLE_LINES = 200

#: The file of a host's folder that records the boot id.
HOST_FILE = 'host.meta'

#: The version of the layout (1: one file a host; 2: one file a guest).
VERSION = 2

_FIELDS = ('name', 'instance_id', 'hostname', 'memory_mb', 'vcpus',
           'local_gb', 'image_ref', 'state', 'rescued', 'volumes', 'console',
           'admin_password', 'resize_backup', 'network_resets',
           'network_info', 'injected_files')

#: What a guest is after the host boots, by the state it had.
_AFTER_BOOT = {
    power_state.RUNNING: power_state.SHUTOFF,
    power_state.BLOCKED: power_state.SHUTOFF,
    power_state.PAUSED: power_state.SHUTOFF,
    power_state.BUILDING: power_state.SHUTOFF,
}

_BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id'

#: Longest guest file name kept readable (longer names are hashed).
_MAX_FILE_NAME = 200


def boot_id():
    """This boot of the machine (the kernel's boot id), or None."""
    try:
        with open(_BOOT_ID_FILE) as handle:
            return handle.read().strip() or None
    except OSError:
        return None


def _safe_host(host):
    return ''.join(c if c.isalnum() or c in '-_.' else '_' for c in host)


def folder_for(host):
    """The folder of ``host``'s guests (None when --fake_hypervisor_state
    is off)."""
    if not FLAGS.fake_hypervisor_state:
        return None
    return os.path.join(FLAGS.state_path, 'fake-hypervisor',
                        _safe_host(host))


def legacy_path_for(host):
    """The single file older releases kept ``host``'s guests in (None when
    --fake_hypervisor_state is off)."""
    folder = folder_for(host)
    return None if folder is None else folder + '.json'


def for_host(host):
    """The :class:`HostStore` of ``host`` (None when
    --fake_hypervisor_state is off: nothing is written)."""
    folder = folder_for(host)
    if folder is None:
        return None
    return HostStore(folder, legacy=folder + '.json')


def guest_file_name(name):
    """The file name of guest ``name`` in its host's folder.

    Distinct names give distinct files: characters other than letters,
    digits and ``-_.~`` are %-quoted, as is a leading dot (temporary files
    start with one); a very long name is shortened with a hash of it.
    """
    quoted = urllib.parse.quote(name, safe='')
    if quoted.startswith('.'):
        quoted = '%2E' + quoted[1:]
    if len(quoted) > _MAX_FILE_NAME:
        digest = hashlib.sha256(name.encode('utf-8')).hexdigest()
        quoted = '%s~%s' % (quoted[:_MAX_FILE_NAME - 65], digest)
    return quoted + '.json'


def _record(guest):
    record = dict((field, getattr(guest, field)) for field in _FIELDS)
    record['console'] = record['console'][-CONSOLE_LINES:]
    return record


class HostStore(object):
    """The guests of one host on disk: one file a guest in ``folder``.

    :meth:`load` once when the host starts, then :meth:`save` a guest after
    each change of it and :meth:`remove` one that is gone.  A file is
    rewritten only when what it holds changes.
    """

    def __init__(self, folder, legacy=None):
        self.folder = folder
        #: The single file of the old layout, migrated by :meth:`load`.
        self.legacy = legacy
        # guest name -> the text its file holds (to skip a rewrite).
        self._texts = {}

    def path_of(self, name):
        """The file of guest ``name``."""
        return os.path.join(self.folder, guest_file_name(name))

    # -- writing --------------------------------------------------------------
    def _write(self, path, text):
        """``text`` to ``path``: a temporary file renamed over it."""
        tmp = os.path.join(self.folder, '.%s.%s.tmp' % (
            os.path.basename(path), uuid.uuid4().hex[:8]))
        try:
            handle = open(tmp, 'w')
        except FileNotFoundError:
            os.makedirs(self.folder, exist_ok=True)
            handle = open(tmp, 'w')
        try:
            with handle:
                handle.write(text)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def save(self, guest):
        """Write ``guest``'s file (only it), unless it holds that already."""
        # dumps, then one write: json.dump encodes piece by piece in Python,
        # ten times slower than the C encoder dumps uses.
        text = json.dumps(_record(guest))
        if self._texts.get(guest.name) == text:
            return
        self._write(self.path_of(guest.name), text)
        self._texts[guest.name] = text

    def remove(self, name):
        """Delete the file of guest ``name`` (one already gone is fine)."""
        self._texts.pop(name, None)
        try:
            os.unlink(self.path_of(name))
        except FileNotFoundError:
            pass

    def _save_host(self, old_text):
        text = json.dumps({'version': VERSION, 'boot_id': boot_id()})
        if text != old_text:
            self._write(os.path.join(self.folder, HOST_FILE), text)

    # -- reading --------------------------------------------------------------
    def _read_host(self):
        """(text, boot id) of ``host.meta``; (None, None) when missing or
        unreadable."""
        path = os.path.join(self.folder, HOST_FILE)
        try:
            with open(path) as handle:
                text = handle.read()
            return text, json.loads(text).get('boot_id')
        except FileNotFoundError:
            return None, None
        except (OSError, ValueError, AttributeError) as exc:
            LOG.error('cannot read %s (%s); taking it as a boot of the host',
                      path, exc)
            return None, None

    def _read_folder(self):
        """The guest records of the folder (unreadable files skipped)."""
        records = []
        try:
            names = sorted(os.listdir(self.folder))
        except FileNotFoundError:
            return records
        for file_name in names:
            path = os.path.join(self.folder, file_name)
            if file_name.startswith('.'):
                if file_name.endswith('.tmp'):
                    # left by a crash between a write and its rename
                    try:
                        os.unlink(path)
                    except OSError:
                        pass
                continue
            if not file_name.endswith('.json'):
                continue
            try:
                with open(path) as handle:
                    text = handle.read()
                record = json.loads(text)
                name = record['name']
            except (OSError, ValueError, KeyError, TypeError) as exc:
                LOG.error('cannot read the fake hypervisor guest %s (%s); '
                          'skipping it', path, exc)
                continue
            self._texts[name] = text
            records.append(record)
        return records

    def _read_legacy(self):
        """(guest records, boot id) of the old single file."""
        try:
            with open(self.legacy) as handle:
                data = json.load(handle)
            return list(data.get('guests', [])), data.get('boot_id')
        except (OSError, ValueError, AttributeError) as exc:
            LOG.error('cannot read the fake hypervisor state %s (%s); '
                      'starting without its guests', self.legacy, exc)
            return [], None

    def load(self, guest_class):
        """The guests kept for the host: as they were when only
        nova-compute restarted, as they are after a power cycle when the
        host booted.

        What it found is recorded again at once: the guests a power cycle
        changed are rewritten, then ``host.meta`` takes this boot's id; the
        guests of an old single file are written to the folder and the file
        is removed.
        """
        self._texts = {}
        host_text, saved_boot = self._read_host()
        migrating = (self.legacy is not None and host_text is None
                     and os.path.exists(self.legacy))
        if migrating:
            records, saved_boot = self._read_legacy()
            LOG.info('moving the fake hypervisor guests of %s to %s/',
                     self.legacy, self.folder)
        else:
            records = self._read_folder()
        now = boot_id()
        host_booted = now is None or saved_boot != now
        guests = {}
        for record in records:
            guest = guest_class.__new__(guest_class)
            guest_class.restore(guest, record)
            if host_booted:
                before = guest.state
                guest.state = _AFTER_BOOT.get(before, before)
                if guest.state != before:
                    guest.console.append('[host restarted: %s is shut off]'
                                         % guest.name)
            guests[guest.name] = guest
        try:
            os.makedirs(self.folder, exist_ok=True)
            for guest in guests.values():
                self.save(guest)
            self._save_host(host_text)
            if self.legacy is not None and os.path.exists(self.legacy):
                os.unlink(self.legacy)
        except OSError as exc:
            LOG.error('cannot save the fake hypervisor state to %s: %s',
                      self.folder, exc)
        return guests
