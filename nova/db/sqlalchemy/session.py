"""Engine and sessions for ``--sql_connection``.

``session_scope()`` is the way to talk to the database::

    with session_scope() as session:
        session.add(ref)

It commits when the block ends, rolls back on an exception, and joins the
enclosing scope when nested in the same (green) thread, so helper functions
can open their own scope without starting a second transaction.  Objects
stay usable after the scope closes (``expire_on_commit=False``); relations a
caller will need must be eager-loaded inside the scope.

The engine is built on first use from the flags and rebuilt when
``--sql_connection`` changes; :func:`reset` disposes it (tests).  The first
connection is retried ``--sql_max_retries`` times, ``--sql_retry_interval``
seconds apart, before :class:`nova.exception.DBUnavailable` is raised.

SQLite gets WAL journaling, a busy timeout and, within one process, one
transaction at a time (a green-thread-aware lock), so concurrent writers
queue instead of failing with ``database is locked``.
"""

import contextlib
import contextvars
import functools
import logging
import os
import threading
import time

import sqlalchemy
from sqlalchemy import event, exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from nova import exception
from nova import flags

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.db.sqlalchemy.session')

SQLITE_BUSY_TIMEOUT = 30  # seconds another process may hold the write lock
DEADLOCK_RETRIES = 5
# A pooled connection idle longer than this is pinged before it is used.
PING_IDLE_SECONDS = 1.0

# Diablo-style URLs name no driver; pick the ones Nova ships with.
_DRIVER_FOR = {
    'mysql': 'mysql+pymysql',
    'postgresql': 'postgresql+psycopg',
    'postgres': 'postgresql+psycopg',
}

_state_lock = threading.Lock()
_engine = None
_engine_key = None
_maker = None
_serialize = None          # RLock for SQLite, None for server databases
_current = contextvars.ContextVar('nova_db_session', default=None)


# -- URLs ---------------------------------------------------------------------
def normalize_url(url):
    """The SQLAlchemy URL for a ``--sql_connection`` value.

    ``mysql://`` and ``postgresql://`` (Diablo's spellings) get the PyMySQL
    and psycopg 3 drivers; MySQL connections default to ``utf8mb4``.
    """
    parsed = make_url(url)
    driver = _DRIVER_FOR.get(parsed.drivername)
    if driver:
        parsed = parsed.set(drivername=driver)
    if parsed.get_backend_name() == 'mysql' and 'charset' not in parsed.query:
        parsed = parsed.update_query_dict({'charset': 'utf8mb4'})
    return parsed


def masked_url(url):
    """The URL as text with its password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa_exc.ArgumentError:
        return '<invalid URL>'


def _is_sqlite(url):
    return url.get_backend_name() == 'sqlite'


def _sqlite_path(url):
    database = url.database
    if not database or database == ':memory:' or \
            database.startswith('file:'):
        return None
    return database


# -- engine -------------------------------------------------------------------
def _engine_args(url):
    if _is_sqlite(url):
        args = {'connect_args': {'timeout': SQLITE_BUSY_TIMEOUT,
                                 'check_same_thread': False}}
        if _sqlite_path(url) is None:
            args['poolclass'] = StaticPool
        else:
            # Reuse the most recently used connection: its page cache is
            # warm, where rotating through the pool reads cold pages.
            args['pool_use_lifo'] = True
        return args
    min_size = max(1, FLAGS.sql_min_pool_size)
    max_size = max(min_size, FLAGS.sql_max_pool_size)
    return {
        'pool_recycle': FLAGS.sql_idle_timeout,
        'pool_size': min_size,
        'max_overflow': max_size - min_size,
        'pool_timeout': FLAGS.sql_pool_timeout,
    }


def _on_sqlite_connect(dbapi_conn, _record):
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute('PRAGMA busy_timeout = %d' % (SQLITE_BUSY_TIMEOUT * 1000))
        cursor.execute('PRAGMA journal_mode = WAL')
        cursor.execute('PRAGMA synchronous = NORMAL')
        # A larger page cache (64 MiB) keeps listings of thousands of rows
        # in memory.
        cursor.execute('PRAGMA cache_size = -65536')
        # Diablo ran SQLite without foreign key enforcement.
        cursor.execute('PRAGMA foreign_keys = OFF')
    finally:
        cursor.close()


def _on_checkin(_dbapi_conn, record):
    record.info['nova_idle_since'] = time.monotonic()


def _ping_if_idle(engine):
    """A pool ``checkout`` listener: ping a connection that sat idle.

    SQLAlchemy's ``pool_pre_ping`` pings before every transaction: one more
    round trip each time, a third of a busy daemon's statements.  A
    connection handed back less than :data:`PING_IDLE_SECONDS` ago was
    working then; one idle longer may have been closed by a restart of the
    server, a failover or a firewall, and is pinged.  A failed ping makes
    the pool drop it and connect anew (``DisconnectionError``); an error on
    a connection that died within the second is a disconnect as before
    (:func:`is_disconnect`, retried by ``nova.db.retry``).
    """
    dialect = engine.dialect

    def checkout(dbapi_conn, record, _proxy):
        since = record.info.get('nova_idle_since')
        if since is not None and \
                time.monotonic() - since < PING_IDLE_SECONDS:
            return
        try:
            alive = dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as error:
            if not dialect.is_disconnect(error, dbapi_conn, None):
                raise
            alive = False
        if not alive:
            raise sa_exc.DisconnectionError('connection lost while idle')
    return checkout


def _one_line(error):
    orig = getattr(error, 'orig', None) or error
    text = ' '.join(str(orig).split())
    return text or type(orig).__name__


def _connect_with_retries(engine, url, shown):
    """Open the first connection, retrying while the server is away."""
    if _is_sqlite(url):
        total = 1
    else:
        total = FLAGS.sql_max_retries
        total = None if total < 0 else max(1, total)
    interval = max(0, FLAGS.sql_retry_interval)
    attempt = 0
    while True:
        attempt += 1
        try:
            with engine.connect():
                return
        except sa_exc.DBAPIError as error:
            reason = _one_line(error)
        of_total = ' of %d' % total if total else ''
        if total is not None and attempt >= total:
            LOG.error('SQL connection to %s failed (attempt %d%s): %s; '
                      'giving up', shown, attempt, of_total, reason)
            raise exception.DBUnavailable(url=shown, attempts=attempt,
                                          reason=reason) from None
        LOG.warning('SQL connection to %s failed (attempt %d%s): %s; '
                    'retrying in %ds', shown, attempt, of_total, reason,
                    interval)
        time.sleep(interval)


def _cooperative_psycopg():
    """Make psycopg 3 wait through select() once eventlet has patched it.

    psycopg waits for the server in C unless it detects gevent; under
    eventlet that would stall every green thread during each query.
    """
    from nova.utils import concurrency
    if concurrency.is_monkey_patched():
        from psycopg import waiting
        waiting.wait = waiting.wait_select


def _build_engine(text):
    url = normalize_url(text)
    if url.get_backend_name() == 'postgresql' and url.get_driver_name() == \
            'psycopg':
        _cooperative_psycopg()
    path = _sqlite_path(url) if _is_sqlite(url) else None
    if path:
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
    engine = sqlalchemy.create_engine(url, **_engine_args(url))
    if _is_sqlite(url):
        event.listen(engine, 'connect', _on_sqlite_connect)
    else:
        event.listen(engine, 'checkin', _on_checkin)
        event.listen(engine, 'checkout', _ping_if_idle(engine))
    try:
        _connect_with_retries(engine, url, masked_url(text))
    except BaseException:
        engine.dispose()
        raise
    return engine


def get_engine():
    """The engine for the current ``--sql_connection`` (built on demand)."""
    global _engine, _engine_key, _maker, _serialize
    key = FLAGS.sql_connection
    engine = _engine
    if engine is not None and _engine_key == key:
        return engine
    with _state_lock:
        if _engine is not None and _engine_key == key:
            return _engine
        if _engine is not None:
            _engine.dispose()
            _engine = _maker = None
        engine = _build_engine(key)
        _maker = sessionmaker(bind=engine, expire_on_commit=False)
        # Created here, not at import, so that it is green-thread aware
        # once the daemons have monkey-patched threading.
        _serialize = threading.RLock() \
            if engine.dialect.name == 'sqlite' else None
        _engine, _engine_key = engine, key
        return engine


def reset():
    """Dispose of the engine; the next use builds one from the flags."""
    global _engine, _engine_key, _maker, _serialize
    with _state_lock:
        if _engine is not None:
            _engine.dispose()
        _engine = _engine_key = _maker = _serialize = None


# -- sessions -------------------------------------------------------------------
def get_session(autocommit=True, expire_on_commit=False):
    """A new session (Diablo's signature; the arguments are kept for it).

    Prefer :func:`session_scope`, which also commits, rolls back, closes and
    serializes SQLite writers.
    """
    get_engine()
    return _maker(expire_on_commit=expire_on_commit)


@contextlib.contextmanager
def session_scope(session=None):
    """A transaction: commit at the end, roll back on error, then close.

    Given ``session`` (a caller's), or when already inside a scope of this
    thread, the block joins that transaction instead of opening one.
    """
    outer = session if session is not None else _current.get()
    if outer is not None:
        yield outer
        return
    get_engine()
    lock = _serialize
    if lock is not None:
        lock.acquire()
    session = _maker()
    token = _current.set(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.info.pop('on_commit', None)
        session.rollback()
        raise
    finally:
        _current.reset(token)
        session.close()
        if lock is not None:
            lock.release()
    for callback in session.info.pop('on_commit', []):
        callback()


def _autocommit_ok(engine):
    """Whether statements may run in autocommit mode: on PostgreSQL (at
    READ COMMITTED, where each statement reads its own snapshot anyway);
    the switch costs a round trip of its own on MySQL, and SQLite writes
    are serialized anyway: both keep the transaction."""
    return engine.dialect.name == 'postgresql'


@contextlib.contextmanager
def connection_scope(single_statement=False):
    """A Core connection for statements that need no ORM session.

    Inside a :func:`session_scope`, the current transaction's connection;
    otherwise a transaction of its own, committed at the end (rolled back
    on error), without the cost of a session.  ``single_statement`` says
    the block runs one statement, or only reads: where autocommit is fine
    (PostgreSQL) the block then runs in autocommit mode, one round trip
    per statement instead of BEGIN and COMMIT around them, with the same
    outcome.
    """
    outer = _current.get()
    if outer is not None:
        yield outer.connection()
        return
    engine = get_engine()
    lock = _serialize
    if lock is not None:
        lock.acquire()
    try:
        if single_statement and _autocommit_ok(engine):
            with engine.connect() as conn:
                conn = conn.execution_options(isolation_level='AUTOCOMMIT')
                yield conn
        else:
            with engine.begin() as conn:
                yield conn
    finally:
        if lock is not None:
            lock.release()


@contextlib.contextmanager
def read_scope():
    """An ORM session for a block that only reads.

    Inside a :func:`session_scope`, that session; otherwise a session on a
    connection of :func:`connection_scope` (``single_statement``: no BEGIN
    and COMMIT round trips on PostgreSQL), closed at the end.  Objects read
    stay usable after the block, as with :func:`session_scope`.
    """
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    with connection_scope(single_statement=True) as conn:
        session = _maker(bind=conn)
        try:
            yield session
        finally:
            session.close()


def transaction_info():
    """The ``info`` dict of the current transaction's session, or None."""
    session = _current.get()
    return None if session is None else session.info


def on_commit(callback):
    """Run ``callback()`` once the current transaction has committed (at
    once outside a transaction); never if it rolls back."""
    session = _current.get()
    if session is None:
        callback()
    else:
        session.info.setdefault('on_commit', []).append(callback)


def in_transaction():
    """Whether this (green) thread is inside a :func:`session_scope`."""
    return _current.get() is not None


_RETRY_WORDS = ('deadlock', 'database is locked', 'lock wait timeout',
                'could not serialize', 'serialization failure')


def _is_retryable(error):
    text = str(getattr(error, 'orig', error)).lower()
    return any(word in text for word in _RETRY_WORDS)


def retry_on_deadlock(func):
    """Run a write function again when the database reports a deadlock.

    Only the outermost call retries (an inner one cannot replay the
    enclosing transaction).
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if in_transaction() or kwargs.get('session') is not None:
            return func(*args, **kwargs)
        for attempt in range(1, DEADLOCK_RETRIES + 1):
            try:
                return func(*args, **kwargs)
            except sa_exc.DBAPIError as error:
                if attempt == DEADLOCK_RETRIES or not _is_retryable(error):
                    raise
                LOG.debug('%s: %s; retrying (%d)', func.__name__,
                          _one_line(error), attempt)
                time.sleep(0.05 * attempt)
    return wrapper


_DISCONNECT_WORDS = (
    'connection refused', 'could not connect', 'server closed the '
    'connection', 'terminating connection', 'connection is closed',
    'connection already closed', 'connection reset', 'connection timed out',
    'lost connection', 'server has gone away', 'broken pipe',
    'the database system is starting up', 'the database system is shutting '
    'down', 'the database system is in recovery mode', 'consuming input '
    'failed', 'no connection to the server', "can't connect to",
    'connection to server', 'ssl syscall error', 'cannot connect now',
    'the connection is lost')

_DISCONNECT_TYPES = ('OperationalError', 'InterfaceError', 'DBUnavailable',
                     'DBConnectionError')


def is_disconnect(error):
    """Whether ``error`` means the database is unreachable (for now).

    True for :class:`nova.exception.DBUnavailable`, SQLAlchemy errors whose
    connection was invalidated, driver errors saying the server went away
    or refused us, and such an error raised on the far side of an RPC call
    (a ``RemoteError`` naming it).
    """
    if isinstance(error, exception.DBUnavailable):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        text = str(getattr(error, 'orig', None) or error).lower()
        return any(word in text for word in _DISCONNECT_WORDS)
    if type(error).__name__ == 'RemoteError':
        if getattr(error, 'exc_type', None) not in _DISCONNECT_TYPES:
            return False
        if error.exc_type == 'DBUnavailable':
            return True
        text = str(getattr(error, 'value', '') or '').lower()
        return any(word in text for word in _DISCONNECT_WORDS)
    return False
