"""Engine and sessions: URLs, retries, reset, SQLite concurrency."""

import logging
import os
import threading

import pytest

from nova import context
from nova import db
from nova import exception
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy import session


@pytest.mark.parametrize('given,expected', [
    ('mysql://nova:pw@db/nova', 'mysql+pymysql://nova:pw@db/nova?'
                                'charset=utf8mb4'),
    ('mysql+pymysql://n@db/nova?charset=utf8', 'mysql+pymysql://n@db/nova?'
                                               'charset=utf8'),
    ('postgresql://nova@db/nova', 'postgresql+psycopg://nova@db/nova'),
    ('postgres://nova@db/nova', 'postgresql+psycopg://nova@db/nova'),
    ('sqlite:////var/lib/nova/nova.sqlite',
     'sqlite:////var/lib/nova/nova.sqlite'),
])
def test_normalize_url(given, expected):
    assert session.normalize_url(given).render_as_string(
        hide_password=False) == expected


def test_masked_url():
    assert session.masked_url('mysql://nova:secret@db/nova') == \
        'mysql://nova:***@db/nova'


def test_unreachable_server_raises_db_unavailable(set_flags, caplog):
    set_flags(sql_connection='postgresql://nova:secret@127.0.0.1:1/nova',
              sql_max_retries=3, sql_retry_interval=0)
    session.reset()
    caplog.set_level(logging.WARNING, 'nova.db.sqlalchemy.session')
    with pytest.raises(exception.DBUnavailable) as info:
        session.get_engine()
    text = str(info.value)
    assert 'after 3 attempts' in text and '127.0.0.1:1' in text
    assert 'secret' not in text and '\n' not in text
    assert info.value.__cause__ is None and info.value.__suppress_context__
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3
    assert 'attempt 1 of 3' in lines[0] and 'attempt 3 of 3' in lines[2]
    assert all('secret' not in line for line in lines)
    session.reset()


def test_sqlite_engine_follows_flags(tmp_path, set_flags):
    first = os.path.join(str(tmp_path), 'a', 'one.sqlite')
    second = os.path.join(str(tmp_path), 'b', 'two.sqlite')
    set_flags(sql_connection='sqlite:///' + first)
    session.reset()
    engine = session.get_engine()
    assert session.get_engine() is engine
    with engine.connect() as conn:
        mode = conn.exec_driver_sql('PRAGMA journal_mode').scalar()
        timeout = conn.exec_driver_sql('PRAGMA busy_timeout').scalar()
    assert mode == 'wal' and timeout >= 1000
    set_flags(sql_connection='sqlite:///' + second)
    assert session.get_engine() is not engine
    assert os.path.isdir(os.path.dirname(second))
    session.reset()


def test_default_sql_connection_uses_state_path(tmp_path, set_flags):
    from nova import flags
    set_flags(state_path=str(tmp_path))
    assert flags.FLAGS.sql_connection == 'sqlite:///%s/nova.sqlite' % \
        tmp_path


def test_session_scope_commits_rolls_back_and_nests(sqlite_db):
    with session.session_scope() as outer:
        outer.add(models.Certificate(user_id='u', file_name='one'))
        with session.session_scope() as inner:
            assert inner is outer and session.in_transaction()
    assert not session.in_transaction()
    with pytest.raises(RuntimeError):
        with session.session_scope() as sess:
            sess.add(models.Certificate(user_id='u', file_name='two'))
            sess.flush()
            raise RuntimeError('boom')
    with session.session_scope() as sess:
        names = [c.file_name for c in sess.query(models.Certificate)]
    assert names == ['one']


def test_concurrent_writers_on_sqlite(sqlite_db):
    ctxt = context.get_admin_context()
    svc = db.service_create(ctxt, {'host': 'h', 'binary': 'b', 'topic': 't'})
    errors = []

    def work(index):
        try:
            for _ in range(10):
                db.service_heartbeat(ctxt, svc.id)
            db.service_create(ctxt, {'host': 'h%d' % index, 'binary': 'b',
                                     'topic': 't'})
            db.quota_create(ctxt, 'p', 'r%d' % index, index)
        except Exception as error:  # noqa: BLE001 - collected for the assert
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert db.service_get(ctxt, svc.id).report_count == 200
    assert len(db.service_get_all(ctxt)) == 21
    assert len(db.quota_get_all_by_project(ctxt, 'p')) == 21


HOLDER_SCRIPT = r'''
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute('BEGIN IMMEDIATE')
conn.execute("UPDATE services SET host='x'")
print('locked', flush=True)
time.sleep(0.5)
conn.execute('COMMIT')
'''


def test_writer_waits_for_another_process(sqlite_db):
    """A second process holding the write lock briefly is waited for."""
    import subprocess
    import sys
    ctxt = context.get_admin_context()
    svc = db.service_create(ctxt, {'host': 'h', 'binary': 'b', 'topic': 't'})
    holder = subprocess.Popen([sys.executable, '-c', HOLDER_SCRIPT,
                               sqlite_db], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == 'locked'
        db.service_heartbeat(ctxt, svc.id)
    finally:
        assert holder.wait(timeout=30) == 0
    fresh = db.service_get(ctxt, svc.id)
    assert (fresh.host, fresh.report_count) == ('x', 1)


GREEN_SCRIPT = r'''
import sys
from nova.utils import concurrency
concurrency.monkey_patch()
from nova import context, db, flags
from nova.db import migration
flags.FLAGS.set('sql_connection', 'sqlite:///' + sys.argv[1])
migration.db_sync()
ctxt = context.get_admin_context()
svc = db.service_create(ctxt, {'host': 'h', 'binary': 'b', 'topic': 't'})
errors = []

def work(index):
    try:
        for _ in range(5):
            db.service_heartbeat(ctxt, svc.id)
            concurrency.sleep(0)
        db.service_create(ctxt, {'host': 'h%d' % index, 'binary': 'b',
                                 'topic': 't'})
    except Exception as error:
        errors.append(repr(error))

pool = concurrency.GreenPool(50)
for i in range(100):
    pool.spawn_n(work, i)
pool.waitall()
print(len(errors), db.service_get(ctxt, svc.id).report_count,
      len(db.service_get_all(ctxt)), errors[:1])
'''


def test_green_threads_on_sqlite(tmp_path):
    import subprocess
    import sys
    repo = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))))
    result = subprocess.run(
        [sys.executable, '-c', GREEN_SCRIPT,
         os.path.join(str(tmp_path), 'green.sqlite')],
        capture_output=True, text=True, timeout=120, cwd=repo,
        env=dict(os.environ, PYTHONPATH=repo))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[:3] == ['0', '500', '101'], result.stdout
