"""Writing a request body to an open file, fast and in constant memory.

The body arrives as an iterable of byte chunks (:mod:`.body`).  Chunks are
gathered into batches of :data:`BATCH` bytes; each batch is hashed
(:class:`store.Digests`: MD5 for the ETag, the SHA-256 of a signed payload,
declared checksums) in one native thread and written in another while the
green thread already reads the next batch from the socket, so that
receiving, hashing and writing overlap (hashlib and ``os.write`` release
the GIL).  At most two batches are in memory at once.

Every :data:`WRITEBACK` bytes the kernel is asked to start writing the
pages out (``sync_file_range(SYNC_FILE_RANGE_WRITE)``, which waits for
nothing), so the disk works while the body still streams and the one
``fsync`` before the rename (done by the store) finds little left to do.
That request is only a hint: durability still rests on that fsync.
"""

import ctypes
import ctypes.util
import os

from nova.objectstore.errors import S3Error
from nova.utils import concurrency

BATCH = 4 << 20
#: chunks that are views of reused buffers (:func:`body.plain_chunks`)
#: must stay valid while one batch is hashed and written and the next
#: read: three buffers leave a margin of one.
REUSED_BUFFERS = 3
WRITEBACK = 32 << 20
SYNC_FILE_RANGE_WRITE = 2


def _load_sync_file_range():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or None,
                           use_errno=True)
        func = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64,
                     ctypes.c_uint]
    func.restype = ctypes.c_int
    return func


_sync_file_range = _load_sync_file_range()


def start_writeback(fd, offset, length):
    """Ask the kernel to start writing ``length`` bytes at ``offset`` of
    ``fd`` to disk, without waiting (a no-op where unsupported)."""
    if _sync_file_range is not None:
        _sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE)


class _Sink(object):
    """Writes batches at the end of a file, asking for writeback as it
    goes."""

    def __init__(self, fd):
        self.fd = fd
        self.written = 0
        self.started = 0

    def write(self, data):
        """Write one batch at the end of the file."""
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]
        self.written += len(data)
        if self.written - self.started >= WRITEBACK:
            start_writeback(self.fd, self.started,
                            self.written - self.started)
            self.started = self.written


def _caught(step, data):
    """``step(data)`` in a native thread: its exception is returned, not
    raised (the green thread that waits re-raises it)."""
    try:
        step(data)
    except Exception as exc:  # noqa: BLE001 - handed to the waiter
        return exc
    return None


class _Pipeline(object):
    """One batch hashed and written while the caller gathers the next.

    Threaded, the hashing and the writing of a batch each run in a native
    thread of their own, side by side (both only read the batch), so that
    a PUT costs about as long as the MD5 of its body.
    """

    def __init__(self, steps, threaded):
        self.steps = steps
        self.threaded = threaded
        self.pending = ()

    def submit(self, data):
        """Hand on a batch once the previous one is done."""
        self.finish()
        if self.threaded:
            self.pending = tuple(
                concurrency.spawn(concurrency.run_in_os_thread, _caught,
                                  step, data)
                for step in self.steps)
        else:
            for step in self.steps:
                step(data)

    def finish(self):
        """Wait for the batch in progress; raise its error if it failed."""
        for error in self.wait():
            if error is not None:
                raise error

    def wait(self):
        """Wait for the batch in progress; its steps' errors (or None)."""
        pending, self.pending = self.pending, ()
        return [step.wait() for step in pending]


def write_body(fd, chunks, digests, max_size=None, threaded=None):
    """Hash (into ``digests``) and write every chunk to ``fd``.

    Returns the number of bytes written; EntityTooLarge past ``max_size``.
    ``threaded`` (default: when the process is green, i.e. the daemon)
    overlaps hashing and writing with reading.  Nothing is still being
    written to ``fd`` once this returns or raises.
    """
    if threaded is None:
        threaded = concurrency.is_monkey_patched()
    pipeline = _Pipeline((digests.update, _Sink(fd).write), threaded)
    batch, gathered, size = [], 0, 0
    try:
        for chunk in chunks:
            if not chunk:
                continue
            size += len(chunk)
            if max_size is not None and size > max_size:
                raise S3Error('EntityTooLarge', MaxSizeAllowed=max_size)
            if not batch and len(chunk) >= BATCH:
                pipeline.submit(chunk)
                continue
            # A chunk kept for a later batch may be a view of a buffer
            # that is about to be reused: keep a copy.
            batch.append(bytes(chunk) if isinstance(chunk, memoryview)
                         else chunk)
            gathered += len(chunk)
            if gathered >= BATCH:
                pipeline.submit(batch[0] if len(batch) == 1
                                else b''.join(batch))
                batch, gathered = [], 0
        if batch:
            pipeline.submit(b''.join(batch))
        pipeline.finish()
    finally:
        # An error while reading: let the batch in flight land before the
        # caller closes (and unlinks) the file.
        pipeline.wait()
    return size
