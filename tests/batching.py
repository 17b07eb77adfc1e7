"""Calls made together through a :class:`nova.utils.concurrency.Batcher`,
for tests: deterministic batches, without timing."""

from nova.utils import concurrency


def as_one_batch(batcher, call, args_list):
    """``call(*args)`` for each of ``args_list`` from green threads of their
    own, queued behind ``batcher``'s lock, then released: they run as one
    batch.  Their results (what ``call`` returns), in order."""
    batcher._lock.acquire()
    try:
        threads = [concurrency.spawn(call, *args) for args in args_list]
        for _ in range(100):
            if len(batcher._pending) == len(args_list):
                break
            concurrency.sleep(0)
    finally:
        batcher._lock.release()
    return [thread.wait() for thread in threads]
