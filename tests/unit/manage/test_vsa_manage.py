"""``nova-manage drive`` and ``nova-manage vsa``: Diablo's arguments and
output; creating a VSA says that no VSA backend is configured."""

import pytest

from nova import db
from nova import manage
from nova import rpc
from nova.vsa import api as vsa_api


def run(capsys, *words):
    code = manage.main(['nova-manage'] + list(words))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ready(tmp_path, set_flags, capsys, monkeypatch):
    from nova.db.sqlalchemy import session
    set_flags(state_path=str(tmp_path),
              sql_connection='sqlite:///%s/nova.sqlite' % tmp_path)
    session.reset()
    assert run(capsys, 'db', 'sync')[0] == 0
    fanouts = []
    monkeypatch.setattr(rpc, 'fanout_cast',
                        lambda ctx, topic, msg: fanouts.append((topic, msg)))
    yield fanouts
    session.reset()


def test_drive_create_list_update_delete(ready, capsys):
    code, out, _err = run(capsys, 'drive', 'create', '--type', 'SATA',
                          '--size', '1000', '--rpm', '7200')
    assert code == 0
    header, line = out.splitlines()
    assert header.split() == ['ID', 'name', 'type', 'size_gb', 'rpm',
                              'capabilities', 'visible', 'createTime']
    assert line.split()[1:6] == ['SATA_1000GB_7200RPM', 'SATA', '1000',
                                 '7200', 'True']
    assert run(capsys, 'drive', 'create', '--type', 'SSD', '--size', '64',
               '--rpm', '0', '--hide', '--name', 'fast')[0] == 0
    names = [ln.split()[1] for ln in
             run(capsys, 'drive', 'list')[1].splitlines()[1:]]
    assert names == ['SATA_1000GB_7200RPM']
    names = [ln.split()[1] for ln in
             run(capsys, 'drive', 'list', '--all')[1].splitlines()[1:]]
    assert names == ['SATA_1000GB_7200RPM', 'fast']
    code, out, _err = run(capsys, 'drive', 'update', '--name', 'fast',
                          '--size', '128', '--visible', 'show')
    assert code == 0 and out.splitlines()[1].split()[3] == '128'
    assert run(capsys, 'drive', 'update', '--name', 'fast', '--visible',
               'maybe')[0] != 0
    assert run(capsys, 'drive', 'delete', '--name', 'fast')[1] == \
        'fast deleted\n'
    assert run(capsys, 'drive', 'delete', '--name', 'SATA_1000GB_7200RPM',
               '--purge')[1] == 'SATA_1000GB_7200RPM purged\n'
    code, out, err = run(capsys, 'drive', 'delete', '--name', 'nothing')
    assert code != 0 and 'Valid volume type name is required' in out + err
    assert run(capsys, 'drive', 'list', '--all')[1] == ''


def test_vsa_create_records_it_and_says_no_backend(ready, capsys):
    run(capsys, 'drive', 'create', '--type', 'SAS', '--size', '300',
        '--rpm', '15000')
    storage = "[{'drive_name': 'SAS_300GB_15000RPM', 'num_drives': 3}]"
    code, out, err = run(capsys, 'vsa', 'create', '--name', 'arr1',
                         '--vc', '2', '--storage', storage)
    assert code != 0
    assert 'No VSA backend configured' in out + err
    lines = out.splitlines()
    assert lines[0].split()[:4] == ['ID', 'vsa_id', 'displayName',
                                    'vc_type']
    fields = lines[1].split()
    assert fields[1:8] == ['vsa-00000001', 'arr1', 'm1.small', '2', '3',
                           'failed', 'nova']
    # The record is there, never reported as created; it can be changed
    # and deleted.
    code, out, _err = run(capsys, 'vsa', 'update', '--id', 'vsa-00000001',
                          '--name', 'renamed', '--vc', '99')
    assert code == 0
    fields = out.splitlines()[1].split()
    assert fields[2] == 'renamed' and fields[4] == '32'   # max_vcs_in_vsa
    assert run(capsys, 'vsa', 'list')[1].splitlines()[1].split()[1] == \
        'vsa-00000001'
    assert run(capsys, 'vsa', 'delete', '--id', 'vsa-00000001')[0] == 0
    assert run(capsys, 'vsa', 'list')[1] == ''


def test_vsa_shared_storage_is_split_in_partitions(ready, capsys):
    from nova import context
    run(capsys, 'drive', 'create', '--type', 'SATA', '--size', '500',
        '--rpm', '7200')
    admin = context.get_admin_context()
    volumes = vsa_api.volume_params(
        admin, 'vsa-1', [{'drive_name': 'SATA_500GB_7200RPM',
                          'num_drives': 2}], shared=True)
    assert [v['size'] for v in volumes] == [100] * 10
    assert volumes[0]['name'] == 'drive-000'
    volumes = vsa_api.volume_params(
        admin, 'vsa-1', [{'drive_name': 'SATA_500GB_7200RPM',
                          'num_drives': 2}], shared=False)
    assert [v['size'] for v in volumes] == [0, 0]


def test_vsa_bad_storage_and_unknown_drive(ready, capsys):
    code, out, err = run(capsys, 'vsa', 'create', '--storage', '[{x')
    assert code != 0 and 'Invalid string format' in out + err
    code, out, err = run(capsys, 'vsa', 'create', '--storage',
                         "[{'drive_name': 'nope', 'num_drives': 1}]")
    assert code != 0 and 'Invalid drive type name nope' in out + err
    from nova import context
    assert db.vsa_get_all(context.get_admin_context()) == []


def test_vsa_update_capabilities_notifies_volume_hosts(ready, capsys):
    assert run(capsys, 'vsa', 'update_capabilities')[0] == 0
    assert ready == [('volume', {'method': 'notification',
                                 'args': {'event': 'startup'}})]
