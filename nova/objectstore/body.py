"""Request bodies as streams of chunks (constant memory).

:func:`plain_chunks` reads a body of a known length (or a chunked
transfer-encoded one); :func:`aws_chunked` decodes the
``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` framing::

    <hex size>;chunk-signature=<sig>\\r\\n<data>\\r\\n ... 0;chunk-signature=<sig>\\r\\n\\r\\n

checking every chunk's signature before its last byte is handed on, so
that a tampered chunk stops the upload before the object is stored.
"""

import hashlib

from nova.objectstore.errors import S3Error
from nova.utils import concurrency

READ_SIZE = 4 << 20
MAX_CHUNK_HEADER = 4096
#: pieces at least this large are hashed in a native thread (daemon only)
OFFLOAD_SIZE = 256 << 10


def plain_chunks(stream, length, buffers=0):
    """Yield ``length`` bytes of ``stream`` (None: read until EOF).

    With ``buffers`` > 0 and a known length, the body is read into that
    many reused buffers of :data:`READ_SIZE` bytes, and the chunks are
    memoryviews of them: each stays valid only until ``buffers - 1`` more
    chunks have been taken (no allocation, no page faults per chunk).
    """
    readinto = _readinto(stream) if buffers and length is not None \
        else None
    if readinto is not None:
        yield from _reused_chunks(readinto, length, buffers)
        return
    remaining = length
    while remaining is None or remaining > 0:
        want = READ_SIZE if remaining is None else min(READ_SIZE, remaining)
        try:
            data = stream.read(want)
        except (OSError, ValueError):
            data = b''
        if not data:
            if remaining:
                raise S3Error('IncompleteBody')
            return
        if remaining is not None:
            remaining -= len(data)
        yield data


def _readinto(stream):
    """A ``readinto(view)`` reading the body of ``stream``, or None.

    eventlet's request input has no ``readinto``; its buffered socket
    file has, and the input's position is kept up to date so that the
    server knows the body was consumed.
    """
    rfile = getattr(stream, 'rfile', None)
    if rfile is not None and hasattr(rfile, 'readinto') and \
            hasattr(stream, 'position') and \
            getattr(stream, 'content_length', None) is not None and \
            not getattr(stream, 'chunked_input', True):
        stream.read(0)  # sends "100 Continue" if the client waits for it

        def readinto(view):
            want = min(len(view), stream.content_length - stream.position)
            if want <= 0:
                return 0
            count = rfile.readinto(view[:want])
            stream.position += count or 0
            return count or 0
        return readinto
    if hasattr(stream, 'readinto'):
        return stream.readinto
    return None


def _reused_chunks(readinto, length, count):
    buffers = [memoryview(bytearray(READ_SIZE)) for _i in range(count)]
    remaining, index = length, 0
    while remaining > 0:
        view = buffers[index % count][:min(READ_SIZE, remaining)]
        index += 1
        filled = 0
        while filled < len(view):
            try:
                got = readinto(view[filled:])
            except (OSError, ValueError):
                got = 0
            if not got:
                raise S3Error('IncompleteBody')
            filled += got
        remaining -= filled
        yield view


def _read_exact(stream, size):
    data = b''
    while len(data) < size:
        piece = stream.read(size - len(data))
        if not piece:
            raise S3Error('IncompleteBody')
        data += piece
    return data


def _hash(digest, data):
    """``digest.update(data)``; in the (green) daemon a large piece is
    hashed in a native thread, so that the hub goes on serving and the
    previous batch's MD5 (:mod:`.diskwriter`) runs beside it."""
    if len(data) >= OFFLOAD_SIZE and concurrency.is_monkey_patched():
        concurrency.run_in_os_thread(digest.update, data)
    else:
        digest.update(data)


def aws_chunked(stream, chunk_signer):
    """Yield the payload of an aws-chunked body, checking signatures."""
    while True:
        line = stream.readline(MAX_CHUNK_HEADER)
        if not line:
            raise S3Error('IncompleteBody', 'The chunked body ended early')
        if not line.endswith(b'\r\n'):
            if len(line) < MAX_CHUNK_HEADER:
                raise S3Error('IncompleteBody', 'The chunked body ended '
                              'inside a chunk header')
            raise S3Error('InvalidRequest', 'Malformed chunk header')
        header = line[:-2].decode('latin-1')
        size_text, _sep, extension = header.partition(';')
        name, _eq, signature = extension.partition('=')
        try:
            size = int(size_text, 16)
        except ValueError:
            raise S3Error('InvalidRequest', 'Malformed chunk size')
        if name.strip() != 'chunk-signature' or not signature:
            raise S3Error('SignatureDoesNotMatch',
                          'A chunk carries no chunk-signature')
        digest = hashlib.sha256()
        remaining = size
        held = None
        while remaining > 0:
            data = stream.read(min(READ_SIZE, remaining))
            if not data:
                raise S3Error('IncompleteBody')
            remaining -= len(data)
            _hash(digest, data)
            # Hand on everything but the chunk's last piece before its
            # signature is checked: the store discards the temp file if the
            # check then fails.
            if held is not None:
                yield held
            held = data
        chunk_signer.verify(digest.hexdigest(), signature.strip())
        if held is not None:
            yield held
        if _read_exact(stream, 2) != b'\r\n':
            raise S3Error('InvalidRequest', 'Malformed chunk trailer')
        if size == 0:
            return
