"""``nova-manage db`` and ``nova-manage flavor`` / ``instance_type``."""

import os

import pytest

from nova import manage
from nova.db import migration
from nova.db.sqlalchemy import session


def run(capsys, *words):
    code = manage.main(['nova-manage'] + list(words))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def empty_db(tmp_path, set_flags):
    path = os.path.join(str(tmp_path), 'nova.sqlite')
    set_flags(state_path=str(tmp_path), sql_connection='sqlite:///' + path)
    session.reset()
    yield path
    session.reset()


def test_db_sync_and_version(empty_db, capsys):
    assert run(capsys, 'db', 'version') == (0, 'None\n', '')
    code, out, err = run(capsys, 'db', 'sync', '1')
    assert (code, out, err) == (0, '', '')
    assert run(capsys, 'db', 'version')[1] == '001_diablo\n'
    assert run(capsys, 'db', 'sync')[0] == 0
    assert run(capsys, 'db', 'version')[1].strip() == migration.db_version()
    code, out, err = run(capsys, 'db', 'sync', '99')
    assert code == 1 and err.startswith('ERROR: ') and err.count('\n') == 1


def test_db_sync_unreachable_is_one_line(set_flags, capsys):
    set_flags(sql_connection='mysql://nova:pw@127.0.0.1:1/nova',
              sql_max_retries=1, sql_retry_interval=0)
    session.reset()
    code, out, err = run(capsys, 'db', 'sync')
    last = err.splitlines()[-1]
    assert code == 1 and last.startswith('ERROR: Database mysql://nova:***@')
    assert 'unreachable after 1 attempts' in last and ':pw@' not in err
    session.reset()


LINE = ('%s: Memory: %sMB, VCPUS: %s, Storage: %sGB, FlavorID: %s, '
        'Swap: %sGB, RXTX Quota: %sGB, RXTX Cap: %sMB%s')


@pytest.mark.parametrize('category', ['flavor', 'instance_type'])
def test_flavor_commands(sqlite_db, capsys, category):
    code, out, _ = run(capsys, category, 'list')
    assert code == 0
    assert LINE % ('m1.tiny', 512, 1, 0, 1, 0, 0, 0, '') in out.splitlines()
    assert len(out.splitlines()) == 5
    assert run(capsys, category, 'create', 'm1.huge', '32768', '16', '320',
               '6', '1', '2', '3')[:2] == (0, 'm1.huge created\n')
    assert run(capsys, category, 'list', 'm1.huge')[1] == \
        LINE % ('m1.huge', 32768, 16, 320, 6, 1, 2, 3, '') + '\n'
    assert run(capsys, category, 'delete', 'm1.huge')[1] == \
        'm1.huge deleted\n'
    assert 'm1.huge' not in run(capsys, category, 'list')[1]
    assert LINE % ('m1.huge', 32768, 16, 320, 6, 1, 2, 3, ', inactive') in \
        run(capsys, category, 'list', '--all')[1].splitlines()
    assert run(capsys, category, 'delete', 'm1.huge', '--purge')[1] == \
        'm1.huge purged\n'
    assert 'm1.huge' not in run(capsys, category, 'list', '--all')[1]


def test_flavor_create_options(sqlite_db, capsys):
    code, out, err = run(capsys, 'flavor', 'create', '--name', 'x',
                         '--memory', '64', '--cpu', '2', '--local_gb', '0',
                         '--flavor', '9', '--swap', '128')
    assert (code, out, err) == (0, 'x created\n', '')
    assert 'VCPUS: 2' in run(capsys, 'flavor', 'list', 'x')[1]
    assert 'Swap: 128GB' in run(capsys, 'flavor', 'list', 'x')[1]


@pytest.mark.parametrize('args,needle', [
    (['m1.bad', 'abc', '1', '0', '9'], "memory must be a positive integer"),
    (['m1.bad', '512', '0', '0', '9'], "vcpus must be a positive integer"),
    (['m1.bad', '512', '1', '-1', '9'], 'local_gb must be a non-negative'),
    (['m1.bad', '512', '1', '0', 'x'], 'flavorid must be'),
    (['m1.tiny', '512', '1', '0', '9'], 'm1.tiny already exists'),
    (['m1.bad', '512', '1', '0', '1'], 'flavorid 1 already exists'),
    (['m1.bad', '512', '1'], 'missing argument: local_gb'),
])
def test_flavor_create_errors(sqlite_db, capsys, args, needle):
    code, out, err = run(capsys, 'flavor', 'create', *args)
    assert code != 0 and out == ''
    assert err.startswith('ERROR: ') and needle in err
    assert err.count('\n') == 1
    listing = run(capsys, 'flavor', 'list', '--all')[1]
    assert 'm1.bad' not in listing and len(listing.splitlines()) == 5


def test_flavor_delete_unknown(sqlite_db, capsys):
    code, out, err = run(capsys, 'flavor', 'delete', 'nope')
    assert code == 1 and 'nope could not be found' in err
    code, out, err = run(capsys, 'flavor', 'list', 'nope')
    assert code == 1 and err.count('\n') == 1
