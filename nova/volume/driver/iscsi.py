"""iSCSI target helpers: how a volume is offered to initiators.

``--iscsi_helper=tgtadm`` drives the Linux SCSI target daemon (``tgtd``): a
target ``<iqn>`` with the volume as LUN 1 (LUN 0 is tgt's controller),
open to any initiator.  ``ietadm`` (Diablo's IET) answers a clear "not
supported here".  Nothing here touches the database or RPC.
"""

import logging
import re

from nova import exception
from nova import flags
from nova import utils

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.volume.driver.iscsi')

flags.DEFINE_string('iscsi_helper', 'tgtadm',
                    'iSCSI target user-land tool: tgtadm (ietadm is not '
                    'supported)')

#: the LUN volumes are exported as (tgt keeps LUN 0 for its controller).
VOLUME_LUN = 1

_TARGET_RE = re.compile(r'^Target (\d+): (\S+)\s*$')
_PATH_RE = re.compile(r'^\s*Backing store path: (.*?)\s*$')


def get_helper(execute=None):
    """The helper named by ``--iscsi_helper``."""
    name = FLAGS.iscsi_helper
    if name == 'tgtadm':
        return TgtAdm(execute=execute)
    if name == 'ietadm':
        return IetAdm(execute=execute)
    raise exception.VolumeDriverNotSupported(
        what='--iscsi_helper=%s' % name, reason='use tgtadm')


class TargetHelper(object):
    """The interface of an iSCSI target helper."""

    def __init__(self, execute=None):
        self._execute = execute or utils.execute

    def check_for_setup_error(self):
        """Raise VolumeBackendError if the target daemon is not usable."""
        raise NotImplementedError()

    def create_iscsi_target(self, tid, iqn, path):
        """Export ``path`` as LUN 1 of target ``tid`` named ``iqn``."""
        raise NotImplementedError()

    def remove_iscsi_target(self, tid, iqn=None):
        """Remove target ``tid`` (a missing one is fine)."""
        raise NotImplementedError()

    def show_target(self, tid):
        """``{'iqn', 'paths'}`` of target ``tid``, or None."""
        raise NotImplementedError()


class TgtAdm(TargetHelper):
    """Targets of ``tgtd`` through ``tgtadm --lld iscsi``."""

    def _tgtadm(self, *args, **kwargs):
        return self._execute('tgtadm', '--lld', 'iscsi', *args,
                             run_as_root=True, **kwargs)

    def check_for_setup_error(self):
        """``tgtadm --op show`` must reach a running tgtd."""
        try:
            self._tgtadm('--op', 'show', '--mode', 'target')
        except exception.ProcessExecutionError as exc:
            raise exception.VolumeBackendError(
                reason='tgtadm cannot reach tgtd (is it running?): %s'
                % (exc.stderr or exc).strip())

    def list_targets(self):
        """``{tid: {'iqn': ..., 'paths': [...]}}`` of every target."""
        out, _err = self._tgtadm('--op', 'show', '--mode', 'target')
        return parse_show(out)

    def show_target(self, tid):
        """The target ``tid`` as :meth:`list_targets` gives it, or None."""
        return self.list_targets().get(int(tid))

    def create_iscsi_target(self, tid, iqn, path):
        """New target, LUN 1 backed by ``path``, bound to all initiators.

        If a step fails the target is removed again and the error raised.
        """
        self._tgtadm('--op', 'new', '--mode', 'target', '--tid', tid,
                     '--targetname', iqn)
        try:
            self._tgtadm('--op', 'new', '--mode', 'logicalunit', '--tid',
                         tid, '--lun', VOLUME_LUN, '--backing-store', path)
            self._tgtadm('--op', 'bind', '--mode', 'target', '--tid', tid,
                         '--initiator-address', 'ALL')
        except exception.ProcessExecutionError:
            self.remove_iscsi_target(tid)
            raise

    def remove_iscsi_target(self, tid, iqn=None):
        """``tgtadm --op delete --force`` (a missing target is fine).

        With ``iqn``, a target ``tid`` of another name is left alone.
        """
        if iqn is not None:
            current = self.show_target(tid)
            if current is None or current['iqn'] != iqn:
                return
        try:
            self._tgtadm('--op', 'delete', '--mode', 'target', '--force',
                         '--tid', tid)
        except exception.ProcessExecutionError as exc:
            text = '%s %s' % (exc.stdout or '', exc.stderr or '')
            if "can't find the target" in text.lower():
                return
            raise


class IetAdm(TargetHelper):
    """Diablo's IET helper: not available on this platform."""

    def _refuse(self):
        raise exception.VolumeDriverNotSupported(
            what='--iscsi_helper=ietadm',
            reason='the iSCSI Enterprise Target needs its kernel module, '
                   'which current kernels lack; use --iscsi_helper=tgtadm')

    def check_for_setup_error(self):
        """Always refuses."""
        self._refuse()

    def create_iscsi_target(self, tid, iqn, path):
        """Always refuses."""
        self._refuse()

    def remove_iscsi_target(self, tid, iqn=None):
        """Always refuses."""
        self._refuse()

    def show_target(self, tid):
        """Always refuses."""
        self._refuse()


def parse_show(text):
    """``{tid: {'iqn', 'paths'}}`` from ``tgtadm --op show`` output."""
    targets = {}
    current = None
    for line in (text or '').splitlines():
        match = _TARGET_RE.match(line)
        if match:
            current = {'iqn': match.group(2), 'paths': []}
            targets[int(match.group(1))] = current
            continue
        match = _PATH_RE.match(line)
        if match and current is not None and match.group(1) != 'None':
            current['paths'].append(match.group(1))
    return targets
