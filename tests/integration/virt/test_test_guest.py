"""The test guest builder: Debian packages only, under 30 s, cached; the
ramdisk holds busybox, /init and the virtio modules; nova-manage image
all_register registers it."""

import gzip
import json
import os
import subprocess
import sys
import time

import pytest

from tests.integration.virt.conftest import REPO

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def test_build_fresh_then_cached_and_register(test_guest, tmp_path):
    cache = str(tmp_path / 'cache')
    builder = os.path.join(REPO, 'tools', 'build_test_guest.py')
    started = time.time()
    fresh = json.loads(subprocess.check_output(
        [sys.executable, builder, '--cache-dir', cache], timeout=120))
    elapsed = time.time() - started
    assert elapsed < 30, elapsed
    assert fresh['cached'] is False
    again = json.loads(subprocess.check_output(
        [sys.executable, builder, '--cache-dir', cache], timeout=60))
    assert again['cached'] is True and again['kernel'] == fresh['kernel']

    with open(fresh['kernel'], 'rb') as kernel:
        kernel.seek(0x202)
        assert kernel.read(4) == b'HdrS'
    with gzip.open(fresh['ramdisk']) as ramdisk:
        cpio = ramdisk.read()
    assert cpio.startswith(b'070701')
    for name in (b'init', b'bin/busybox', b'lib/modules/virtio_net.ko',
                 b'lib/modules/virtio_blk.ko', b'lib/modules/virtio_pci.ko'):
        assert name + b'\0' in cpio, name
    assert b'NOVA-TEST-GUEST ip=' in cpio

    state = tmp_path / 'state'
    state.mkdir()
    base = [sys.executable, os.path.join(REPO, 'bin', 'nova-manage'),
            '--state_path=%s' % state,
            '--sql_connection=sqlite:///%s/nova.sqlite' % state]
    subprocess.run(base + ['db', 'sync'], check=True, capture_output=True,
                   timeout=120, cwd=REPO)
    proc = subprocess.run(base + ['image', 'all_register', fresh['disk'],
                                  fresh['kernel'], fresh['ramdisk'],
                                  'admin'],
                          capture_output=True, text=True, timeout=120,
                          cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count('Image registered to') == 3
    assert sorted(os.listdir(state / 'images')) == ['1', '2', '3']
