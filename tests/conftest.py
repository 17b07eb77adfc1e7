"""Fixtures shared by every test package.

``set_flags`` changes flags for one test and restores them afterwards;
``sqlite_db`` gives a test its own SQLite database under ``tmp_path``,
synced to the newest schema (a copy of one synced once per run), with the
engine reset before and after.
"""

import os

import pytest

from nova import flags

FLAGS = flags.FLAGS


@pytest.fixture(autouse=True, scope='session')
def _never_touch_the_host_network():
    """Network drivers in the test process only log (``--fake_network``).

    Tests that change bridges, addresses or iptables run the driver in a
    subprocess inside a network namespace they created.
    """
    FLAGS.set('fake_network', True)
    yield


def _in_process_embedded_transport():
    """In-process tests share one process: the in-memory transport serves
    them and leaves no files.  Tests of the cross-process transport (and
    every daemon a test starts) use the default, ``filesystem``.
    """
    from nova.rpc import embedded  # noqa: F401 - defines the flag
    from nova.virt import fake_store  # noqa: F401 - defines the flag
    FLAGS.set('fake_rabbit_transport', 'memory')
    # Nor do fake hypervisors of in-process tests keep their guests in files
    # (tests of that turn it on with their own --state_path).
    FLAGS.set('fake_hypervisor_state', False)


_in_process_embedded_transport()


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


_SYNCED_TEMPLATE = {}


def _synced_template(directory, set_flags):
    """This run's SQLite database synced once to the newest schema."""
    from nova.db import migration
    from nova.db.sqlalchemy import session
    if 'path' not in _SYNCED_TEMPLATE:
        path = os.path.join(str(directory), 'synced-template.sqlite')
        set_flags(sql_connection='sqlite:///' + path)
        session.reset()
        migration.db_sync()
        session.reset()      # closed: the WAL is checkpointed into the file
        _SYNCED_TEMPLATE['path'] = path
    return _SYNCED_TEMPLATE['path']


@pytest.fixture
def sqlite_db(tmp_path, tmp_path_factory, set_flags):
    """A fresh, synced SQLite database; yields its path.

    Each test gets a copy of one database synced at the first use (the
    migrations run once per test run, not once per test).
    """
    import sqlite3

    from nova.db.sqlalchemy import session
    template = _synced_template(tmp_path_factory.getbasetemp(), set_flags)
    path = os.path.join(str(tmp_path), 'nova.sqlite')
    source, target = sqlite3.connect(template), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    set_flags(state_path=str(tmp_path), sql_connection='sqlite:///' + path)
    session.reset()
    yield path
    session.reset()


@pytest.fixture(autouse=True)
def _no_outbox_relay_left():
    """A test that started this process's outbox relay has it stopped."""
    yield
    import eventlet.hubs
    from nova.rpc import outbox
    thread = getattr(outbox._relay, '_thread', None)
    if thread is not None and \
            thread.parent is not eventlet.hubs.get_hub().greenlet:
        # Started by an in-process cloud in its own OS thread (its hub):
        # a green thread cannot be killed from another thread's hub; its
        # loop ends on the flag, and the next test gets a relay of its own.
        outbox._relay._stopped = True
        outbox._relay = None
        return
    outbox.stop_relay()
    outbox._relay = None


@pytest.fixture
def browser():
    """A headless Chromium (1400x1000, tests/browser_support.py) for one
    test, quit afterwards."""
    from tests.browser_support import headless_chrome
    driver = headless_chrome('1400,1000')
    try:
        yield driver
    finally:
        driver.quit()
