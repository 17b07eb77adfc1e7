"""Volume storage backends (files, LVM), the tgtadm helper and the drivers."""

import os

import pytest

from nova import exception
from nova.volume import driver
from nova.volume.driver import iscsi
from nova.volume.driver import storage


class Recorder(object):
    """An ``execute`` that records commands and answers from a table."""

    def __init__(self, answers=None):
        self.commands = []
        self.answers = answers or {}

    def __call__(self, *cmd, **kwargs):
        cmd = tuple(str(c) for c in cmd)
        self.commands.append(cmd)
        for prefix, answer in self.answers.items():
            if cmd[:len(prefix)] == prefix:
                if isinstance(answer, Exception):
                    raise answer
                return answer
        return ('', '')


def _failure(stderr='failed'):
    return exception.ProcessExecutionError(exit_code=5, stdout='',
                                           stderr=stderr, cmd='x')


VOLUME = {'id': 1, 'name': 'volume-00000001', 'size': 2}
SNAPSHOT = {'id': 2, 'name': 'snapshot-00000002', 'volume_size': 2}


# -- sizes -------------------------------------------------------------------
def test_sizes_follow_diablo():
    assert storage.size_str(2) == '2G'
    assert storage.size_str(0) == '100M'
    assert storage.size_str(0.0625) == '64M'
    assert storage.size_bytes(1) == 1024 ** 3


# -- sparse files -----------------------------------------------------------------
@pytest.fixture
def files(tmp_path, set_flags):
    set_flags(volume_clear='zero')
    return storage.FileStorage(path=str(tmp_path / 'volumes'))


def test_file_volume_is_sparse_and_sized(files):
    files.check_for_setup_error()
    files.create_volume(VOLUME)
    path = files.local_path(VOLUME)
    assert os.path.getsize(path) == 2 * 1024 ** 3
    assert os.stat(path).st_blocks == 0
    assert files.exists(VOLUME)
    assert not os.path.exists(path + '.partial')


def test_file_snapshot_keeps_old_data_and_clones(files):
    files.create_volume(VOLUME)
    path = files.local_path(VOLUME)
    with open(path, 'r+b') as handle:
        handle.write(b'old data')
    files.create_snapshot(SNAPSHOT, VOLUME)
    with open(path, 'r+b') as handle:
        handle.write(b'new data')
    with open(files.snapshot_path(SNAPSHOT), 'rb') as handle:
        assert handle.read(8) == b'old data'
    clone = {'id': 3, 'name': 'volume-00000003', 'size': 3}
    files.create_volume_from_snapshot(clone, SNAPSHOT)
    with open(files.local_path(clone), 'rb') as handle:
        assert handle.read(8) == b'old data'
    assert os.path.getsize(files.local_path(clone)) == 3 * 1024 ** 3


def test_file_delete_zeroes_written_blocks_then_unlinks(files, tmp_path):
    files.create_volume(VOLUME)
    path = files.local_path(VOLUME)
    with open(path, 'r+b') as handle:
        handle.seek(1024 ** 2)
        handle.write(b'secret' * 100)
    keep = str(tmp_path / 'copy')
    os.link(path, keep)         # a second name shows what was written
    files.delete_volume(VOLUME)
    assert not os.path.exists(path)
    with open(keep, 'rb') as handle:
        handle.seek(1024 ** 2)
        assert handle.read(4096) == bytes(4096)
    files.delete_volume(VOLUME)     # absent is fine


def test_file_snapshot_of_missing_volume_is_an_error(files):
    with pytest.raises(exception.VolumeBackendError):
        files.create_snapshot(SNAPSHOT, VOLUME)


# -- LVM, against recorded command sequences -----------------------------------
def _lvm(answers=None):
    rec = Recorder(answers)
    return storage.LvmStorage(execute=rec, sleep=lambda s: None,
                              group='nova-volumes'), rec


def test_lvm_setup_check_needs_the_group():
    lvm, _rec = _lvm({('vgs',): ('  other\n', '')})
    with pytest.raises(exception.VolumeBackendError) as err:
        lvm.check_for_setup_error()
    assert "nova-volumes doesn't exist" in str(err.value)
    lvm, rec = _lvm({('vgs',): ('  nova-volumes\n', '')})
    lvm.check_for_setup_error()
    assert rec.commands == [('vgs', '--noheadings', '-o', 'name')]


def test_lvm_create_and_snapshot_commands():
    lvm, rec = _lvm()
    lvm.create_volume(VOLUME)
    lvm.create_snapshot(SNAPSHOT, VOLUME)
    lvm.create_volume_from_snapshot({'id': 3, 'name': 'volume-00000003',
                                     'size': 2}, SNAPSHOT)
    assert rec.commands == [
        ('lvcreate', '-L', '2G', '-n', 'volume-00000001', 'nova-volumes'),
        ('lvcreate', '-L', '2G', '--name', '_snapshot-00000002',
         '--snapshot', 'nova-volumes/volume-00000001'),
        ('lvcreate', '-L', '2G', '-n', 'volume-00000003', 'nova-volumes'),
        ('dd', 'if=/dev/mapper/nova--volumes-_snapshot--00000002',
         'of=/dev/mapper/nova--volumes-volume--00000003', 'count=2048',
         'bs=1M'),
    ]
    assert lvm.local_path(VOLUME) == '/dev/nova-volumes/volume-00000001'


def test_lvm_delete_zeroes_then_removes(set_flags):
    set_flags(volume_clear='zero')
    lvm, rec = _lvm({('lvdisplay', '--noheading'): ('  -wi-a-\n', '')})
    lvm.delete_volume(VOLUME)
    assert rec.commands == [
        ('lvdisplay', 'nova-volumes/volume-00000001'),
        ('lvdisplay', '--noheading', '-C', '-o', 'Attr',
         'nova-volumes/volume-00000001'),
        ('dd', 'if=/dev/zero',
         'of=/dev/mapper/nova--volumes-volume--00000001', 'count=2048',
         'bs=1M'),
        ('lvremove', '-f', 'nova-volumes/volume-00000001'),
    ]


def test_lvm_delete_refuses_an_origin_and_skips_a_missing_volume(set_flags):
    lvm, rec = _lvm({('lvdisplay', '--noheading'): ('  owi-a-\n', '')})
    with pytest.raises(exception.VolumeIsBusy):
        lvm.delete_volume(VOLUME)
    assert not [c for c in rec.commands if c[0] in ('dd', 'lvremove')]
    set_flags(num_shell_tries=3)
    lvm, rec = _lvm({('lvdisplay',): _failure()})
    lvm.delete_volume(VOLUME)
    assert [c[0] for c in rec.commands] == ['lvdisplay'] * 3


def test_lvm_retries_a_flaky_command(set_flags):
    set_flags(num_shell_tries=2)
    lvm, rec = _lvm({('lvcreate',): _failure()})
    with pytest.raises(exception.ProcessExecutionError):
        lvm.create_volume(VOLUME)
    assert len(rec.commands) == 2


def test_storage_backend_flag(set_flags):
    set_flags(volume_storage='file')
    assert isinstance(storage.get_storage(), storage.FileStorage)
    set_flags(volume_storage='lvm')
    assert isinstance(storage.get_storage(), storage.LvmStorage)
    set_flags(volume_storage='ceph')
    with pytest.raises(exception.VolumeDriverNotSupported):
        storage.get_storage()


# -- tgtadm ---------------------------------------------------------------------------
SHOW = """Target 7: iqn.2010-10.org.openstack:volume-00000001
    System information:
        Driver: iscsi
    LUN information:
        LUN: 0
            Backing store path: None
        LUN: 1
            Backing store path: /v/volume-00000001
Target 9: iqn.other
    LUN information:
"""


def test_tgtadm_create_commands_and_show_parsing():
    rec = Recorder({('tgtadm', '--lld', 'iscsi', '--op', 'show'):
                    (SHOW, '')})
    helper = iscsi.TgtAdm(execute=rec)
    helper.create_iscsi_target(7, 'iqn.x', '/v/volume-00000001')
    assert rec.commands == [
        ('tgtadm', '--lld', 'iscsi', '--op', 'new', '--mode', 'target',
         '--tid', '7', '--targetname', 'iqn.x'),
        ('tgtadm', '--lld', 'iscsi', '--op', 'new', '--mode', 'logicalunit',
         '--tid', '7', '--lun', '1', '--backing-store',
         '/v/volume-00000001'),
        ('tgtadm', '--lld', 'iscsi', '--op', 'bind', '--mode', 'target',
         '--tid', '7', '--initiator-address', 'ALL'),
    ]
    assert helper.show_target(7) == {
        'iqn': 'iqn.2010-10.org.openstack:volume-00000001',
        'paths': ['/v/volume-00000001']}
    assert helper.show_target(8) is None


def test_tgtadm_failed_lun_removes_the_target():
    rec = Recorder({('tgtadm', '--lld', 'iscsi', '--op', 'new', '--mode',
                     'logicalunit'): _failure('bad backing store')})
    with pytest.raises(exception.ProcessExecutionError):
        iscsi.TgtAdm(execute=rec).create_iscsi_target(7, 'iqn.x', '/nope')
    assert rec.commands[-1][3:] == ('--op', 'delete', '--mode', 'target',
                                    '--force', '--tid', '7')


def test_tgtadm_remove_missing_or_foreign_target_is_fine():
    rec = Recorder({('tgtadm', '--lld', 'iscsi', '--op', 'delete'):
                    _failure("tgtadm: can't find the target"),
                    ('tgtadm', '--lld', 'iscsi', '--op', 'show'):
                    (SHOW, '')})
    helper = iscsi.TgtAdm(execute=rec)
    helper.remove_iscsi_target(3)
    # tid 9 holds another name: left alone.
    helper.remove_iscsi_target(9, iqn='iqn.mine')
    assert not [c for c in rec.commands[1:] if 'delete' in c]


def test_tgtadm_setup_check_reports_a_missing_tgtd():
    rec = Recorder({('tgtadm',): _failure('cannot connect to tgtd')})
    with pytest.raises(exception.VolumeBackendError) as err:
        iscsi.TgtAdm(execute=rec).check_for_setup_error()
    assert 'tgtd' in str(err.value)


def test_ietadm_is_not_supported(set_flags):
    set_flags(iscsi_helper='ietadm')
    helper = iscsi.get_helper()
    with pytest.raises(exception.VolumeDriverNotSupported) as err:
        helper.check_for_setup_error()
    assert 'not supported here' in str(err.value)


# -- drivers -----------------------------------------------------------------------------
def test_export_names_and_connection_info(set_flags):
    set_flags(iscsi_ip_address='192.0.2.5', iscsi_port=3260,
              iscsi_target_prefix='iqn.2010-10.org.openstack:')
    fake = driver.FakeISCSIDriver()
    fake.create_volume(VOLUME)
    columns = fake.create_export(VOLUME, 4)
    assert columns == {'provider_location':
                       '192.0.2.5:3260,4 iqn.2010-10.org.openstack:'
                       'volume-00000001 1'}
    info = fake.initialize_connection(dict(VOLUME, **columns), 4)
    assert info == {'driver_volume_type': 'iscsi',
                    'data': {'target_portal': '192.0.2.5:3260',
                             'target_iqn': 'iqn.2010-10.org.openstack:'
                                           'volume-00000001',
                             'target_lun': 1, 'volume_id': 1}}
    fake.check_for_export(VOLUME, 4)
    fake.remove_export(VOLUME, 4)
    with pytest.raises(exception.VolumeBackendError):
        fake.check_for_export(VOLUME, 4)


def test_ensure_export_recreates_a_lost_target(set_flags):
    fake = driver.FakeISCSIDriver()
    fake.create_volume(VOLUME)
    fake.create_export(VOLUME, 4)
    fake.helper.targets.clear()          # tgtd restarted
    fake.ensure_export(VOLUME, 4)
    assert fake.helper.targets[4]['iqn'].endswith('volume-00000001')
    fake.ensure_export(VOLUME, 4)        # already there: unchanged
    assert len(fake.helper.targets) == 1
