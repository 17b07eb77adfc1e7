"""Volumes exported by a real tgtd, read and written through QEMU's own
iSCSI client (``qemu-io``/``qemu-img`` on ``iscsi://127.0.0.1/<iqn>/1``).

Needs root, tgt (tgtd, tgtadm) and qemu-utils with the iSCSI block driver
(qemu-block-extra).  A tgtd already running is used; otherwise one is
started in the foreground on 127.0.0.1:3260 and stopped afterwards.  Target
ids and names are unique per run and removed at the end.
"""

import os
import random
import subprocess

import pytest

from nova import context
from nova import db
from nova import exception
from nova.volume import driver
from nova.volume import manager
from nova.volume.driver import storage
from tests.integration import tgt_helpers as tgt
from tests.integration.tgt_helpers import tgtd  # noqa: F401 - fixture

pytestmark = [pytest.mark.integration, pytest.mark.iscsi,
              pytest.mark.timeout(180)]

MiB = 1024 * 1024


@pytest.fixture
def flagged(set_flags, tmp_path, tgtd):  # noqa: F811 - the fixture
    token = random.randrange(0x100000, 0x7fffff)
    set_flags(volume_storage='file', volumes_path=str(tmp_path / 'vols'),
              iscsi_helper='tgtadm', iscsi_ip_address='127.0.0.1',
              iscsi_port=3260, volume_clear='zero',
              iscsi_target_prefix='iqn.2010-10.org.openstack.n12test%x:'
              % token)
    tids = []
    yield token, tids
    iqns = tgt.target_iqns()
    for tid in tids:
        if tid in iqns and 'n12test' in iqns[tid]:
            subprocess.run(['tgtadm', '--lld', 'iscsi', '--op', 'delete',
                            '--mode', 'target', '--force', '--tid',
                            str(tid)], capture_output=True, timeout=10)


def test_export_write_snapshot_clone_delete(flagged):
    token, tids = flagged
    iscsi_driver = driver.ISCSIDriver()
    iscsi_driver.check_for_setup_error()
    volume = {'id': token, 'name': 'volume-%08x' % token, 'size': 0.0625}
    iscsi_driver.create_volume(volume)
    tid = tgt.free_tid(tids)
    volume.update(iscsi_driver.create_export(volume, tid))
    url = tgt.url(iscsi_driver.initialize_connection(volume, tid))
    assert tgt.size(url) == 64 * MiB

    ok, out = tgt.qemu_io(url, 'write -P 0xa5 0 1M')
    assert ok, out
    ok, out = tgt.qemu_io(url, 'read -P 0xa5 0 1M')
    assert ok, out

    snapshot = {'id': token, 'name': 'snapshot-%08x' % token,
                'volume_size': 0.0625}
    iscsi_driver.create_snapshot(snapshot, volume)
    ok, out = tgt.qemu_io(url, 'write -P 0x5a 0 1M')
    assert ok, out

    clone = {'id': token + 1, 'name': 'volume-%08x' % (token + 1),
             'size': 0.125}
    iscsi_driver.create_volume_from_snapshot(clone, snapshot)
    clone_tid = tgt.free_tid(tids)
    clone.update(iscsi_driver.create_export(clone, clone_tid))
    clone_url = tgt.url(iscsi_driver.initialize_connection(clone, clone_tid))
    assert tgt.size(clone_url) == 128 * MiB
    ok, out = tgt.qemu_io(clone_url, 'read -P 0xa5 0 1M')
    assert ok, 'the snapshot lost the old data: %s' % out
    ok, out = tgt.qemu_io(url, 'read -P 0x5a 0 1M')
    assert ok, 'the volume lost the new data: %s' % out

    for vol, vol_tid in ((volume, tid), (clone, clone_tid)):
        path = iscsi_driver.local_path(vol)
        iscsi_driver.remove_export(vol, vol_tid)
        assert vol_tid not in tgt.target_iqns()
        iscsi_driver.delete_volume(vol)
        assert not os.path.exists(path)
    assert tgt.size(url) is None
    iscsi_driver.delete_snapshot(snapshot)
    assert not os.listdir(storage.FileStorage().path)


def test_manager_restart_reexports_with_data(flagged, sqlite_db, set_flags):
    _token, tids = flagged
    admin = context.get_admin_context()
    host = 'n12-%x' % random.randrange(1 << 30)
    tid = tgt.free_tid(tids)
    # One target row with a number nothing else on this tgtd uses.
    set_flags(iscsi_num_targets=1)
    db.iscsi_target_create_safe(admin, {'host': host, 'target_num': tid})
    volume = db.volume_create(admin, {
        'size': 1, 'status': 'creating', 'attach_status': 'detached',
        'project_id': 'p', 'user_id': 'u'})
    mgr = manager.VolumeManager(host=host)
    mgr.init_host()
    mgr.create_volume(admin, volume['id'])
    volume = db.volume_get(admin, volume['id'])
    assert volume['status'] == 'available'
    url = tgt.url(mgr.initialize_connection(admin, volume['id']))
    assert tgt.size(url) == 1024 * MiB
    ok, out = tgt.qemu_io(url, 'write -P 0x3c 4M 64k')
    assert ok, out

    # tgtd forgets its targets (a restart); nova-volume starts again
    subprocess.run(['tgtadm', '--lld', 'iscsi', '--op', 'delete', '--mode',
                    'target', '--force', '--tid', str(tid)], check=True,
                   capture_output=True, timeout=10)
    assert tgt.size(url) is None
    manager.VolumeManager(host=host).init_host()
    ok, out = tgt.qemu_io(url, 'read -P 0x3c 4M 64k')
    assert ok, out

    db.volume_update(admin, volume['id'], {'status': 'deleting'})
    path = mgr.driver.local_path(volume)
    mgr.delete_volume(admin, volume['id'])
    assert tid not in tgt.target_iqns()
    assert not os.path.exists(path)
    with pytest.raises(exception.VolumeNotFound):
        db.volume_get(admin, volume['id'])
