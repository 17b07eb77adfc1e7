"""The LVM storage backend for real: a volume group on a loop device.

Needs root, LVM tools and the kernel's device-mapper; where device-mapper
is missing (e.g. some containers) the test skips and says so.  The volume
group has a unique name; it and its loop device are removed at the end.
"""

import os
import shutil
import subprocess
import uuid

import pytest

from nova.volume.driver import storage

pytestmark = [pytest.mark.integration, pytest.mark.lvm,
              pytest.mark.timeout(120)]


def _run(*cmd, check=True):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                          check=check)


@pytest.fixture
def volume_group(tmp_path):
    if os.geteuid() != 0:
        pytest.skip('LVM needs root')
    for tool in ('losetup', 'vgcreate', 'lvcreate', 'dmsetup'):
        if shutil.which(tool) is None:
            pytest.skip('%s is not installed (package lvm2)' % tool)
    if _run('dmsetup', 'version', check=False).returncode != 0:
        pytest.skip('the kernel has no device-mapper here')
    backing = tmp_path / 'pv.img'
    with open(backing, 'wb') as handle:
        handle.truncate(256 * 1024 * 1024)
    loop = _run('losetup', '--find', '--show', str(backing)).stdout.strip()
    group = 'n12-vg-%s' % uuid.uuid4().hex[:8]
    try:
        _run('vgcreate', group, loop)
        yield group
    finally:
        _run('vgremove', '-f', group, check=False)
        _run('pvremove', '-f', loop, check=False)
        _run('losetup', '-d', loop, check=False)


def test_lvm_volume_snapshot_clone_delete(volume_group, set_flags):
    set_flags(volume_clear='zero', num_shell_tries=1)
    lvm = storage.LvmStorage(group=volume_group)
    lvm.check_for_setup_error()
    volume = {'id': 1, 'name': 'volume-00000001', 'size': 0.0625}
    lvm.create_volume(volume)
    assert lvm.exists(volume)
    with open(lvm.local_path(volume), 'r+b') as handle:
        handle.write(b'old data')
    snapshot = {'id': 2, 'name': 'snapshot-00000002', 'volume_size': 0.0625}
    lvm.create_snapshot(snapshot, volume)
    with open(lvm.local_path(volume), 'r+b') as handle:
        handle.write(b'new data')
    clone = {'id': 3, 'name': 'volume-00000003', 'size': 0.0625}
    lvm.create_volume_from_snapshot(clone, snapshot)
    with open(lvm.local_path(clone), 'rb') as handle:
        assert handle.read(8) == b'old data'
    lvm.delete_snapshot(snapshot)
    for vol in (volume, clone):
        lvm.delete_volume(vol)
        assert not lvm.exists(vol)
