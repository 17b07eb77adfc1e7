"""nova.utils.concurrency.Batcher: requests that pile up run together."""

import pytest

from nova.utils import concurrency


def _doubler(calls, pause=0.05):
    def run_batch(items):
        calls.append(list(items))
        concurrency.sleep(pause)
        return [(True, item * 2) for item in items]
    return run_batch


def test_a_request_alone_runs_at_once_and_alone():
    calls = []
    batcher = concurrency.Batcher(_doubler(calls, pause=0))
    assert batcher.submit(4) == 8
    assert calls == [[4]]


def test_requests_made_during_a_batch_go_together_in_the_next():
    calls = []
    batcher = concurrency.Batcher(_doubler(calls))
    threads = [concurrency.spawn(batcher.submit, n) for n in range(10)]
    assert [thread.wait() for thread in threads] == [n * 2
                                                     for n in range(10)]
    # the first request alone, then the nine that waited for it
    assert calls == [[0], list(range(1, 10))]


def test_a_batch_holds_at_most_limit_items_and_keeps_their_order():
    calls = []
    batcher = concurrency.Batcher(_doubler(calls), limit=4)
    threads = [concurrency.spawn(batcher.submit, n) for n in range(10)]
    assert [thread.wait() for thread in threads] == [n * 2
                                                     for n in range(10)]
    assert calls == [[0], [1, 2, 3, 4], [5, 6, 7, 8], [9]]


def test_an_item_error_reaches_its_request_only():
    def run_batch(items):
        concurrency.sleep(0.02)
        return [(False, ValueError(item)) if item == 3 else (True, item)
                for item in items]
    batcher = concurrency.Batcher(run_batch)
    threads = [concurrency.spawn(batcher.submit, n) for n in range(5)]
    results = []
    for thread in threads:
        try:
            results.append(thread.wait())
        except ValueError as error:
            results.append('error %s' % error)
    assert results == [0, 1, 2, 'error 3', 4]


def test_a_failing_batch_is_run_again_item_by_item():
    calls = []

    def run_batch(items):
        calls.append(list(items))
        concurrency.sleep(0.02)
        if 3 in items:
            raise RuntimeError('item 3 spoils its batch')
        return [(True, item) for item in items]
    batcher = concurrency.Batcher(run_batch)
    threads = [concurrency.spawn(batcher.submit, n) for n in range(5)]
    outcomes = []
    for thread in threads:
        try:
            outcomes.append(thread.wait())
        except RuntimeError:
            outcomes.append('error')
    assert outcomes == [0, 1, 2, 'error', 4]
    assert calls == [[0], [1, 2, 3, 4], [1], [2], [3], [4]]


def test_an_error_of_a_batch_of_one_is_raised_as_is():
    def run_batch(items):
        raise KeyError('gone')
    with pytest.raises(KeyError):
        concurrency.Batcher(run_batch).submit(1)
