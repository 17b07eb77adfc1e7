"""Handlers run again while the database is unreachable (nova.db.retry)."""

import pytest
from sqlalchemy import exc as sa_exc

from nova import exception
from nova.db import retry
from nova.db.sqlalchemy import session
from nova.rpc import common


def _operational(text):
    return sa_exc.OperationalError('SELECT 1', {}, Exception(text))


@pytest.mark.parametrize('error,expected', [
    (_operational('connection to server at "127.0.0.1", port 5433 failed: '
                  'Connection refused'), True),
    (_operational('terminating connection due to administrator command'),
     True),
    (_operational('FATAL:  the database system is starting up'), True),
    (_operational('(2006, MySQL server has gone away)'), True),
    (_operational('deadlock detected'), False),
    (sa_exc.IntegrityError('INSERT', {}, Exception('duplicate key')), False),
    (exception.DBUnavailable(url='x', attempts=3, reason='refused'), True),
    (common.RemoteError('OperationalError', 'server closed the connection '
                        'unexpectedly', None), True),
    (common.RemoteError('KeyError', 'connection refused', None), False),
    (ValueError('connection refused'), False),
])
def test_is_disconnect(error, expected):
    assert session.is_disconnect(error) is expected
    assert retry.is_disconnect(error) is expected


def test_call_retries_disconnects_then_succeeds(set_flags, monkeypatch):
    set_flags(sql_max_retries=5, sql_retry_interval=1)
    monkeypatch.setattr(retry, '_delay', lambda attempt: 0)
    attempts = []

    def work(value):
        attempts.append(value)
        if len(attempts) < 3:
            raise _operational('server closed the connection unexpectedly')
        return value * 2

    assert retry.call_with_db_retries(work, 21) == 42
    assert attempts == [21, 21, 21]


def test_call_gives_up_after_sql_max_retries(set_flags, monkeypatch):
    set_flags(sql_max_retries=2)
    monkeypatch.setattr(retry, '_delay', lambda attempt: 0)
    attempts = []

    def work():
        attempts.append(1)
        raise _operational('Connection refused')

    with pytest.raises(sa_exc.OperationalError):
        retry.call_with_db_retries(work)
    assert len(attempts) == 3


def test_other_errors_are_not_retried(set_flags):
    attempts = []

    def work():
        attempts.append(1)
        raise KeyError('nope')

    with pytest.raises(KeyError):
        retry.call_with_db_retries(work)
    assert attempts == [1]


def test_backoff_grows_to_sql_retry_interval(set_flags):
    set_flags(sql_retry_interval=4)
    delays = [retry._delay(n) for n in range(1, 8)]
    assert delays[0] <= 0.5 and max(delays) <= 4.0
    assert delays[-1] >= 3.0


def test_retrying_proxy_wraps_public_methods(set_flags, monkeypatch):
    monkeypatch.setattr(retry, '_delay', lambda attempt: 0)

    class Manager(object):
        flaky = 1

        def __init__(self):
            self.calls = 0

        def work(self, ctxt, value):
            self.calls += 1
            if self.calls == 1:
                raise _operational('Connection refused')
            return value

    manager = Manager()
    proxy = retry.RetryingProxy(manager)
    assert proxy.work(None, value=7) == 7
    assert manager.calls == 2
    assert proxy.flaky == 1
    assert common.dispatch(proxy, None, 'work', {'value': 3}) == 3
