"""``nova-manage volume delete|reattach`` on the command line."""

import pytest

from nova import context
from nova import db
from nova import manage
from nova import rpc


def run(capsys, *words):
    code = manage.main(['nova-manage'] + list(words))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ctxt(tmp_path, set_flags, capsys, monkeypatch):
    from nova.db.sqlalchemy import session
    set_flags(state_path=str(tmp_path),
              sql_connection='sqlite:///%s/nova.sqlite' % tmp_path)
    session.reset()
    assert run(capsys, 'db', 'sync')[0] == 0
    casts = []
    monkeypatch.setattr(rpc, 'cast',
                        lambda ctx, topic, msg: casts.append((topic, msg)))
    yield context.get_admin_context(), casts
    session.reset()


def _volume(admin, **values):
    row = {'size': 1, 'status': 'available', 'attach_status': 'detached',
           'project_id': 'p', 'user_id': 'u'}
    row.update(values)
    return db.volume_create(admin, row)


def test_delete_casts_to_the_volume_host(ctxt, capsys):
    admin, casts = ctxt
    volume = _volume(admin, host='vh1', status='error_deleting')
    code, _out, err = run(capsys, 'volume', 'delete',
                          'vol-%08x' % volume['id'])
    assert code == 0, err
    assert casts == [('volume.vh1', {'method': 'delete_volume',
                                     'args': {'volume_id': volume['id']}})]
    assert db.volume_get(admin, volume['id'])['status'] == 'deleting'


def test_delete_without_host_removes_the_row(ctxt, capsys):
    admin, casts = ctxt
    volume = _volume(admin, status='creating')
    code, out, _err = run(capsys, 'volume', 'delete', '--volume=%d'
                          % volume['id'])
    assert code == 0 and 'Volume not yet assigned to host.' in out
    assert casts == []
    assert db.volume_get_all(admin) == []


def test_delete_refuses_in_use_and_bad_ids(ctxt, capsys):
    admin, casts = ctxt
    volume = _volume(admin, host='vh1', status='in-use',
                     attach_status='attached', instance_id=5)
    code, out, err = run(capsys, 'volume', 'delete', str(volume['id']))
    assert code != 0 and 'Volume is in-use.' in out + err
    code, out, err = run(capsys, 'volume', 'delete', 'vol-zz')
    assert code != 0 and 'Invalid volume id' in out + err
    assert 'Traceback' not in out + err
    code, out, err = run(capsys, 'volume', 'reattach', 'vol-00000fff')
    assert code != 0 and 'not found' in out + err
    assert casts == []


def test_reattach_needs_an_instance(ctxt, capsys):
    admin, casts = ctxt
    volume = _volume(admin, host='vh1', instance_id=0)
    code, out, err = run(capsys, 'volume', 'reattach', str(volume['id']))
    assert code != 0 and 'not attached' in out + err
    assert casts == []
