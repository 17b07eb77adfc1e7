"""nova.utils.concurrency.Coalescer: one refresh for a burst of requests."""

import pytest

from nova.utils import concurrency


def test_requests_arriving_during_a_call_share_the_next_one():
    coalescer = concurrency.Coalescer()
    calls = []

    def refresh():
        calls.append(len(calls) + 1)
        concurrency.sleep(0.05)
        return len(calls)

    threads = [concurrency.spawn(coalescer.run, refresh) for _ in range(10)]
    results = [thread.wait() for thread in threads]
    # the first request's call, then one call for the nine that waited
    assert len(calls) == 2
    assert results == [1] + [2] * 9


def test_a_request_is_answered_by_a_call_that_started_after_it():
    coalescer = concurrency.Coalescer()
    state = {'value': 0}
    seen = []

    def refresh():
        value = state['value']
        concurrency.sleep(0.05)
        return value

    def ask(value):
        state['value'] = value          # the caller's change, then its ask
        seen.append((value, coalescer.run(refresh)))

    first = concurrency.spawn(ask, 1)
    concurrency.sleep(0.01)             # the first call is running
    second = concurrency.spawn(ask, 2)
    first.wait()
    second.wait()
    assert sorted(seen) == [(1, 1), (2, 2)]
    assert coalescer.run(refresh) == 2  # alone: a call of its own


def test_an_error_reaches_every_request_the_call_covered():
    coalescer = concurrency.Coalescer()
    calls = []

    def refresh():
        calls.append(1)
        concurrency.sleep(0.02)
        if len(calls) == 2:
            raise RuntimeError('dnsmasq failed')
        return 'ok'

    threads = [concurrency.spawn(coalescer.run, refresh) for _ in range(4)]
    outcomes = []
    for thread in threads:
        try:
            outcomes.append(thread.wait())
        except RuntimeError as error:
            outcomes.append(str(error))
    assert outcomes == ['ok'] + ['dnsmasq failed'] * 3
    assert coalescer.run(refresh) == 'ok'   # the next request runs again
    with pytest.raises(TypeError):
        coalescer.run(None)
