"""``nova-manage user|project|role`` over each auth driver (the database
driver and the LDAP driver's in-process directory);
tests/integration/test_ldap_slapd.py runs :func:`manage_matrix` on a real
slapd."""

import pytest

from nova import manage

DRIVERS = ['nova.auth.dbdriver.DbDriver',
           'nova.auth.ldapdriver.FakeLdapDriver']


def manage_matrix(run):
    """The deprecated-auth commands, as the admin manual uses them."""
    code, out, _err = run('user', 'admin', 'root', 'rk', 'rs')
    assert code == 0 and 'EC2_ACCESS_KEY=rk' in out
    assert run('user', 'create', 'dev', 'dk', 'ds')[0] == 0
    assert run('user', 'list')[1].split() == ['dev', 'root']
    assert 'EC2_SECRET_KEY=ds' in run('user', 'exports', 'dev')[1]
    assert run('user', 'modify', 'dev', '', 'ds2', 'F')[0] == 0
    assert 'EC2_SECRET_KEY=ds2' in run('user', 'exports', 'dev')[1]
    assert run('project', 'create', 'web', 'root', 'a web farm')[0] == 0
    assert run('project', 'add', 'web', 'dev')[0] == 0
    assert run('project', 'list')[1].split() == ['web']
    assert run('project', 'list', 'dev')[1].split() == ['web']
    assert run('role', 'add', 'dev', 'netadmin')[0] == 0
    assert run('role', 'add', 'dev', 'netadmin', 'web')[0] == 0
    assert run('role', 'has', 'dev', 'netadmin', 'web')[1].strip() == 'True'
    assert run('role', 'remove', 'dev', 'netadmin', 'web')[0] == 0
    assert run('role', 'has', 'dev', 'netadmin', 'web')[1].strip() == \
        'False'
    assert run('role', 'has', 'dev', 'netadmin')[1].strip() == 'True'
    code, _out, err = run('role', 'add', 'dev', 'wizard')
    assert code != 0 and err
    assert run('project', 'modify', 'web', 'dev', 'now dev runs it')[0] == 0
    assert run('project', 'remove', 'web', 'root')[0] == 0
    assert run('project', 'list', 'root')[1].split() == []
    assert run('project', 'delete', 'web')[0] == 0
    assert run('project', 'list')[1].split() == []
    assert run('user', 'delete', 'dev')[0] == 0
    assert run('user', 'list')[1].split() == ['root']
    code, _out, err = run('user', 'exports', 'dev')
    assert code != 0 and "doesn't exist" in err


@pytest.mark.parametrize('driver', DRIVERS, ids=['db', 'fakeldap'])
def test_auth_commands(driver, tmp_path, set_flags, capsys):
    from nova.auth import fakeldap
    from nova.auth import manager  # noqa: F401 - defines auth_driver
    from nova.db.sqlalchemy import session
    set_flags(state_path=str(tmp_path), auth_driver=driver,
              sql_connection='sqlite:///%s/nova.sqlite' % tmp_path)
    fakeldap.reset()
    session.reset()

    def run(*words):
        code = manage.main(['nova-manage'] + list(words))
        out, err = capsys.readouterr()
        return code, out, err

    assert run('db', 'sync')[0] == 0
    try:
        manage_matrix(run)
    finally:
        session.reset()
        fakeldap.reset()
