"""Fixtures shared by every test package.

``set_flags`` changes flags for one test and restores them afterwards;
``sqlite_db`` gives a test its own SQLite database under ``tmp_path``,
synced to the newest schema, with the engine reset before and after.
"""

import os

import pytest

from nova import flags

FLAGS = flags.FLAGS


@pytest.fixture
def set_flags():
    """``set_flags(name=value, ...)``; the old values return at teardown."""
    import nova.db.api  # noqa: F401 - defines the db flags
    saved = {}

    def setter(**values):
        for name, value in values.items():
            if name not in saved:
                saved[name] = (FLAGS.is_set(name), FLAGS.raw(name))
            FLAGS.set(name, value)

    yield setter
    for name, (was_set, value) in saved.items():
        if was_set:
            FLAGS.set(name, value)
        else:
            FLAGS.reset(name)


@pytest.fixture
def sqlite_db(tmp_path, set_flags):
    """A fresh, synced SQLite database; yields its path."""
    from nova.db import migration
    from nova.db.sqlalchemy import session
    path = os.path.join(str(tmp_path), 'nova.sqlite')
    set_flags(state_path=str(tmp_path), sql_connection='sqlite:///' + path)
    session.reset()
    migration.db_sync()
    yield path
    session.reset()
