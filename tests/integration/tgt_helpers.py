"""tgtd and QEMU's iSCSI client for the volume integration tests.

``tgtd`` (a fixture) gives a reachable tgtd: the running one, or one started
in the foreground on 127.0.0.1:3260 and stopped afterwards; it skips (and
says why) without root, tgt or qemu-utils.
"""

import json
import os
import random
import shutil
import subprocess
import time

import pytest

from nova.volume.driver import iscsi

MiB = 1024 * 1024


def tgtadm_works():
    """Whether tgtadm reaches a tgtd."""
    try:
        return subprocess.run(
            ['tgtadm', '--lld', 'iscsi', '--op', 'show', '--mode', 'target'],
            capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.fixture(scope='module')
def tgtd():
    """A reachable tgtd (the running one, or one this module starts)."""
    for tool in ('tgtd', 'tgtadm', 'qemu-io', 'qemu-img'):
        if shutil.which(tool) is None:
            pytest.skip('%s is not installed (packages tgt, qemu-utils)'
                        % tool)
    if os.geteuid() != 0:
        pytest.skip('tgtd needs root')
    if tgtadm_works():
        yield None
        return
    proc = subprocess.Popen(['tgtd', '-f', '--iscsi',
                             'portal=127.0.0.1:3260'],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while not tgtadm_works():
            if proc.poll() is not None or time.time() > deadline:
                pytest.skip('tgtd did not start')
            time.sleep(0.2)
        yield proc
    finally:
        # tgtd ignores SIGTERM: ask the one we started to shut down.
        if proc.poll() is None:
            subprocess.run(['tgtadm', '--op', 'delete', '--mode', 'system'],
                           capture_output=True, timeout=10)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def url(info):
    """``iscsi://portal/iqn/lun`` of a connection info."""
    data = info['data']
    return 'iscsi://%s/%s/%d' % (data['target_portal'], data['target_iqn'],
                                  data['target_lun'])


def qemu_io(url, command):
    """``(ok, output)`` of one qemu-io command on ``url``."""
    proc = subprocess.run(['qemu-io', '-f', 'raw', '-c', command, url],
                          capture_output=True, text=True, timeout=60)
    return proc.returncode == 0 and 'Pattern verification failed' not in \
        proc.stdout + proc.stderr, proc.stdout + proc.stderr


def size(url):
    """The virtual size qemu-img sees at ``url`` (None: unreachable)."""
    proc = subprocess.run(['qemu-img', 'info', '--output=json', url],
                          capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        return None
    return json.loads(proc.stdout)['virtual-size']


def target_iqns():
    """``{tid: iqn}`` of the targets tgtd has."""
    out = subprocess.run(['tgtadm', '--lld', 'iscsi', '--op', 'show',
                          '--mode', 'target'], capture_output=True,
                         text=True, timeout=10).stdout
    return dict((tid, t['iqn']) for tid, t in iscsi.parse_show(out).items())


def free_tid(tids):
    """A target id no target uses (recorded in ``tids``)."""
    taken = set(target_iqns())
    while True:
        tid = random.randrange(20000, 60000)
        if tid not in taken and tid not in tids:
            tids.append(tid)
            return tid
