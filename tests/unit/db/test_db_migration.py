"""Alembic migrations on SQLite: the 2011.3 schema from an empty file."""

import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from nova import exception
from nova.db import migration
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy import session

DIABLO_TABLES = 38


@pytest.fixture
def empty_db(tmp_path, set_flags):
    path = os.path.join(str(tmp_path), 'sub', 'dir', 'nova.sqlite')
    set_flags(state_path=str(tmp_path), sql_connection='sqlite:///' + path)
    session.reset()
    yield path
    session.reset()


def _tables():
    return set(sa.inspect(session.get_engine()).get_table_names())


def test_empty_database_has_no_version(empty_db):
    assert migration.db_version() is None
    assert os.path.isdir(os.path.dirname(empty_db))


def test_first_revision_creates_the_diablo_schema(empty_db):
    assert migration.db_sync('001_diablo') == '001_diablo'
    tables = _tables()
    assert len(tables) == DIABLO_TABLES + 1
    assert 'alembic_version' in tables
    expected = migration.diablo_table_names()
    assert len(expected) == DIABLO_TABLES
    assert tables - {'alembic_version'} == set(expected)
    assert set(expected) <= set(models.BASE.metadata.tables)


def test_sync_to_head_and_back(empty_db):
    head = migration.db_sync()
    assert head == migration.db_version() and head.startswith('0')
    assert migration.db_sync(1) == '001_diablo'
    assert migration.db_sync('0') is None
    assert _tables() == {'alembic_version'}
    assert migration.db_sync() == head


def test_models_match_migrated_schema(empty_db):
    migration.db_sync()
    with session.get_engine().connect() as conn:
        context = MigrationContext.configure(conn,
                                             opts={'compare_type': True})
        diff = compare_metadata(context, models.BASE.metadata)
    assert diff == []


def test_default_flavors_seeded(empty_db):
    migration.db_sync('001_diablo')
    with session.get_engine().connect() as conn:
        rows = conn.execute(sa.text(
            'SELECT name, memory_mb, vcpus, local_gb, flavorid, swap, '
            'rxtx_quota, rxtx_cap, deleted FROM instance_types '
            'ORDER BY flavorid')).fetchall()
    assert [tuple(r) for r in rows] == [
        ('m1.tiny', 512, 1, 0, 1, 0, 0, 0, False),
        ('m1.small', 2048, 1, 20, 2, 0, 0, 0, False),
        ('m1.medium', 4096, 2, 40, 3, 0, 0, 0, False),
        ('m1.large', 8192, 4, 80, 4, 0, 0, 0, False),
        ('m1.xlarge', 16384, 8, 160, 5, 0, 0, 0, False)]


def test_sync_is_idempotent(empty_db):
    first = migration.db_sync()
    assert migration.db_sync() == first


def test_unknown_version_is_one_line(empty_db):
    with pytest.raises(exception.DBMigrationError) as info:
        migration.db_sync('46')
    assert 'unknown version 46' in str(info.value)
    assert '\n' not in str(info.value)


def test_sync_over_unversioned_tables_fails_cleanly(empty_db):
    models.register_models(session.get_engine())
    with pytest.raises(exception.DBMigrationError) as info:
        migration.db_sync()
    assert 'already exists' in str(info.value)


def test_migrations_ship_with_the_package():
    versions = os.path.join(migration.MIGRATIONS_DIR, 'versions')
    assert os.path.exists(os.path.join(versions, '001_diablo.py'))
    assert os.path.exists(os.path.join(migration.MIGRATIONS_DIR,
                                       'script.py.mako'))
    setup_py = os.path.join(os.path.dirname(migration.MIGRATIONS_DIR),
                            '..', '..', 'setup.py')
    with open(setup_py) as handle:
        text = handle.read()
    assert 'db/migrations/**/*.py' in text and '**/*.mako' in text
