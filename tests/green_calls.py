"""Green services in a native thread of their own, driven by the test
thread: the call queue both sides share, and stopping the services."""

import queue

from nova.utils import concurrency


def serve_calls(calls, stopping):
    """Run the ``(func, args, box)`` items put on *calls* until *stopping*
    is set, yielding to the green threads between them; each answer goes
    into its box as ``(True, value)`` or ``(False, exception)``."""
    from nova.utils import concurrency
    while not stopping.is_set():
        try:
            func, args, box = calls.get_nowait()
        except queue.Empty:
            concurrency.sleep(0.01)
            continue
        try:
            box.put((True, func(*args)))
        except BaseException as exc:  # noqa: BLE001 - handed back
            box.put((False, exc))


def call_through(calls, func, args, timeout):
    """Hand ``func(*args)`` to the thread serving *calls*; its value, or
    its exception raised here."""
    box = queue.Queue()
    calls.put((func, args, box))
    ok, value = box.get(timeout=timeout)
    if not ok:
        raise value
    return value


def stop_all(services):
    """Stop *services* last first; one failing does not keep the others
    running.  Then the native-thread pool is released: it answers through
    this thread's hub, which ends with the cloud, and the next cloud's
    thread must start it afresh."""
    for svc in reversed(list(services or [])):
        try:
            svc.stop()
        except Exception:  # noqa: BLE001 - stop the others too
            pass
    concurrency.release_os_threads()
