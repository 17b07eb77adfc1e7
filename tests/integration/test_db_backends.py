"""The schema and the facade on real PostgreSQL and MariaDB/MySQL servers.

Each test creates a throwaway database (``nova_test_<random>``), runs
``db_sync`` from empty, and drops the database afterwards.  The servers are
found at 127.0.0.1 with the CI's credentials, or through
``NOVA_TEST_POSTGRESQL_URL`` / ``NOVA_TEST_MYSQL_URL`` (a server URL whose
database part is replaced).  A test skips only when its server is
unreachable, and says so.
"""

import os
import threading
import time
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql as mysql_types

from nova import context
from nova import db
from nova import exception
from nova.db import migration
from nova.db.sqlalchemy import session

SERVERS = {
    'postgresql': os.environ.get('NOVA_TEST_POSTGRESQL_URL',
                                 'postgresql://postgres@127.0.0.1:5432/'
                                 'postgres'),
    'mysql': os.environ.get('NOVA_TEST_MYSQL_URL',
                            'mysql://root@127.0.0.1:3306/mysql'),
}


def _admin_engine(kind):
    url = session.normalize_url(SERVERS[kind])
    return sa.create_engine(url, isolation_level='AUTOCOMMIT',
                            connect_args={'connect_timeout': 5})


@pytest.fixture
def backend(request, tmp_path, set_flags):
    """Yields ``(kind, url)`` of a fresh database on a real server."""
    kind = request.param
    admin = _admin_engine(kind)
    try:
        with admin.connect():
            pass
    except sa.exc.DBAPIError as error:
        admin.dispose()
        pytest.skip('%s server unreachable at %s: %s' % (
            kind, session.masked_url(SERVERS[kind]),
            str(error.orig).splitlines()[0]))
    name = 'nova_test_%s' % uuid.uuid4().hex[:12]
    with admin.connect() as conn:
        conn.exec_driver_sql('CREATE DATABASE %s%s' % (
            name, ' CHARACTER SET utf8mb4' if kind == 'mysql' else ''))
    url = sa.engine.make_url(SERVERS[kind]).set(database=name)
    set_flags(state_path=str(tmp_path),
              sql_connection=url.render_as_string(hide_password=False))
    session.reset()
    try:
        yield kind, url
    finally:
        session.reset()
        with admin.connect() as conn:
            if kind == 'postgresql':
                conn.exec_driver_sql('DROP DATABASE IF EXISTS %s WITH (FORCE)'
                                     % name)
            else:
                conn.exec_driver_sql('DROP DATABASE IF EXISTS %s' % name)
        admin.dispose()


BACKENDS = [
    pytest.param('postgresql', marks=[pytest.mark.postgresql,
                                      pytest.mark.integration]),
    pytest.param('mysql', marks=[pytest.mark.mysql,
                                 pytest.mark.integration]),
]


# -- schema comparison ----------------------------------------------------------
def _kind_of(col_type):
    if isinstance(col_type, (sa.Boolean, mysql_types.TINYINT)):
        return 'boolean'
    if isinstance(col_type, sa.Integer):
        return 'integer'
    if isinstance(col_type, sa.Text):
        return 'text'
    if isinstance(col_type, sa.String):
        return 'string(%s)' % col_type.length
    if isinstance(col_type, sa.DateTime):
        return 'datetime'
    if isinstance(col_type, sa.Float):
        return 'float'
    return repr(col_type)


def describe(engine):
    """A backend-neutral description of every table of the database."""
    inspector = sa.inspect(engine)
    result = {}
    for table in sorted(inspector.get_table_names()):
        uniques = inspector.get_unique_constraints(table)
        # MySQL reports a unique constraint as an index as well.
        unique_names = {u['name'] for u in uniques}
        result[table] = {
            'columns': {c['name']: (_kind_of(c['type']), c['nullable'])
                        for c in inspector.get_columns(table)},
            'pk': sorted(inspector.get_pk_constraint(table)
                         ['constrained_columns']),
            'fks': sorted((fk['name'], tuple(fk['constrained_columns']),
                           fk['referred_table'],
                           tuple(fk['referred_columns']))
                          for fk in inspector.get_foreign_keys(table)),
            'uniques': sorted((u['name'], tuple(u['column_names']))
                              for u in uniques),
            'indexes': sorted((i['name'], tuple(i['column_names']),
                               bool(i['unique']))
                              for i in inspector.get_indexes(table)
                              if not i.get('duplicates_constraint') and
                              i['name'] not in unique_names),
        }
    return result


def _sqlite_reference(tmp_path, set_flags, url):
    path = os.path.join(str(tmp_path), 'reference.sqlite')
    set_flags(sql_connection='sqlite:///' + path)
    session.reset()
    migration.db_sync()
    reference = describe(session.get_engine())
    set_flags(sql_connection=url.render_as_string(hide_password=False))
    session.reset()
    return reference


@pytest.mark.parametrize('backend', BACKENDS, indirect=True)
def test_schema_matches_sqlite(backend, tmp_path, set_flags):
    kind, url = backend
    reference = _sqlite_reference(tmp_path, set_flags, url)
    assert migration.db_version() is None
    head = migration.db_sync()
    assert migration.db_version() == head
    actual = describe(session.get_engine())
    assert sorted(actual) == sorted(reference)
    assert len(actual) >= 39
    for table in reference:
        assert actual[table] == reference[table], table


@pytest.mark.parametrize('backend', BACKENDS, indirect=True)
def test_downgrade_to_empty_and_back(backend):
    migration.db_sync()
    assert migration.db_sync('0') is None
    assert sa.inspect(session.get_engine()).get_table_names() == \
        ['alembic_version']
    assert migration.db_sync('001_diablo') == '001_diablo'
    assert len(sa.inspect(session.get_engine()).get_table_names()) == 39


# -- facade round trips ------------------------------------------------------------
@pytest.mark.parametrize('backend', BACKENDS, indirect=True)
def test_soft_delete_round_trip(backend):
    migration.db_sync()
    ctxt = context.get_admin_context()
    svc = db.service_create(ctxt, {'host': 'h1', 'binary': 'nova-compute',
                                   'topic': 'compute'})
    db.service_heartbeat(ctxt, svc.id)
    assert db.service_get(ctxt, svc.id).report_count == 1
    db.service_destroy(ctxt, svc.id)
    with pytest.raises(exception.ServiceNotFound):
        db.service_get(ctxt, svc.id)
    gone = db.service_get(context.get_admin_context(read_deleted='yes'),
                          svc.id)
    assert gone.deleted is True and gone.deleted_at is not None

    assert sorted(db.instance_type_get_all(ctxt)) == [
        'm1.large', 'm1.medium', 'm1.small', 'm1.tiny', 'm1.xlarge']
    db.instance_type_destroy(ctxt, 'm1.tiny')
    assert 'm1.tiny' not in db.instance_type_get_all(ctxt)
    with pytest.raises(exception.InstanceTypeExists):
        db.instance_type_create(ctxt, {'name': 'm1.tiny', 'memory_mb': 1,
                                       'vcpus': 1, 'local_gb': 0,
                                       'flavorid': 99})
    db.instance_type_purge(ctxt, 'm1.tiny')
    created = db.instance_type_create(ctxt, {
        'name': 'm1.tiny', 'memory_mb': 1, 'vcpus': 1, 'local_gb': 0,
        'flavorid': 99, 'extra_specs': {'k': 'v'}})
    assert created['id'] > 5 and created['extra_specs'] == {'k': 'v'}

    db.quota_create(ctxt, 'p', 'instances', 3)
    db.quota_destroy_all_by_project(ctxt, 'p')
    assert db.quota_get_all_by_project(ctxt, 'p') == {'project_id': 'p'}


@pytest.mark.parametrize('backend', BACKENDS, indirect=True)
def test_concurrent_writers(backend):
    migration.db_sync()
    ctxt = context.get_admin_context()
    svc = db.service_create(ctxt, {'host': 'h', 'binary': 'b', 'topic': 't'})
    errors = []

    def work(index):
        try:
            for _ in range(10):
                db.service_heartbeat(ctxt, svc.id)
            db.service_update(ctxt, svc.id, {'availability_zone': 'z%d'
                                             % index})
            db.service_create(ctxt, {'host': 'h%d' % index, 'binary': 'b',
                                     'topic': 't'})
        except Exception as error:  # noqa: BLE001 - collected for the assert
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert db.service_get(ctxt, svc.id).report_count == 80
    assert len(db.service_get_all(ctxt)) == 9


def _server_pids(admin, kind, name):
    """Backends (PostgreSQL) or threads (MySQL) serving database *name*."""
    with admin.connect() as conn:
        if kind == 'postgresql':
            sql = 'SELECT pid FROM pg_stat_activity WHERE datname = %(n)s'
        else:
            sql = ('SELECT id FROM information_schema.processlist '
                   'WHERE db = %(n)s')
        return [row[0] for row in conn.exec_driver_sql(sql, {'n': name})]


def _kill_server_side(admin, kind, pids):
    with admin.connect() as conn:
        for pid in pids:
            if kind == 'postgresql':
                conn.exec_driver_sql('SELECT pg_terminate_backend(%d)' % pid)
            else:
                try:
                    conn.exec_driver_sql('KILL %d' % pid)
                except sa.exc.DBAPIError:
                    pass        # gone already


@pytest.mark.parametrize('backend', BACKENDS, indirect=True)
def test_idle_connection_closed_by_the_server_is_replaced(backend,
                                                          monkeypatch):
    """A pooled connection the server closed while it sat idle (a restart,
    a failover, wait_timeout) is pinged on checkout and replaced: the next
    transaction succeeds.  One handed back moments ago is not pinged."""
    kind, url = backend
    migration.db_sync()
    ctxt = context.get_admin_context()
    svc = db.service_create(ctxt, {'host': 'h', 'binary': 'b', 'topic': 't'})
    pings = []
    real_ping = session.get_engine().dialect.do_ping

    def counting_ping(dbapi_conn):
        pings.append(1)
        return real_ping(dbapi_conn)
    monkeypatch.setattr(session.get_engine().dialect, 'do_ping',
                        counting_ping)
    for _ in range(5):                          # busy: no ping in between
        db.service_heartbeat(ctxt, svc.id)
    assert len(pings) <= 1
    admin = _admin_engine(kind)
    try:
        pids = _server_pids(admin, kind, url.database)
        assert pids
        _kill_server_side(admin, kind, pids)
        monkeypatch.setattr(session, 'PING_IDLE_SECONDS', 0.2)
        time.sleep(0.5)
        before = len(pings)
        db.service_heartbeat(ctxt, svc.id)      # idle: pinged, replaced
        assert len(pings) > before
        assert db.service_get(ctxt, svc.id).report_count == 6
        assert set(_server_pids(admin, kind, url.database)) - set(pids)
    finally:
        admin.dispose()


# -- an unreachable server -------------------------------------------------------------
@pytest.mark.parametrize('url', [
    'mysql://nova:secret@127.0.0.1:1/nova',
    'postgresql://nova:secret@127.0.0.1:1/nova',
])
def test_unreachable_server(url, set_flags):
    set_flags(sql_connection=url, sql_max_retries=2, sql_retry_interval=0)
    session.reset()
    try:
        with pytest.raises(exception.DBUnavailable) as info:
            migration.db_sync()
    finally:
        session.reset()
    text = str(info.value)
    assert 'unreachable after 2 attempts' in text
    assert '127.0.0.1:1' in text and 'secret' not in text
    assert '\n' not in text
