"""Fast body handling of nova-objectstore: the pipelined disk writer, body
chunks read into reused buffers, and GET bodies sent with sendfile."""

import hashlib
import io
import os
import socket
import threading

import eventlet.wsgi
import pytest

from nova.objectstore import body
from nova.objectstore import diskwriter
from nova.objectstore import s3server
from nova.objectstore import store
from nova.objectstore.errors import S3Error

MIB = 1 << 20


def _payload(size):
    block = os.urandom(MIB)
    return (block * (size // MIB + 1))[:size]


def _eventlet_input(data):
    """The request body object eventlet's WSGI server hands to the app."""
    return eventlet.wsgi.Input(io.BufferedReader(io.BytesIO(data)),
                               len(data), sock=None)


@pytest.mark.parametrize('threaded', [False, True])
def test_reused_buffers_through_the_pipeline_keep_every_byte(tmp_path,
                                                             threaded):
    data = _payload(3 * body.READ_SIZE + 12345)
    chunks = body.plain_chunks(_eventlet_input(data), len(data),
                               diskwriter.REUSED_BUFFERS)
    digests = store.Digests({'sha256': (hashlib.sha256(data).digest(),
                                        'XAmzContentSHA256Mismatch')})
    path = tmp_path / 'object'
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        size = diskwriter.write_body(fd, chunks, digests, threaded=threaded)
    finally:
        os.close(fd)
    digests.check()
    assert size == len(data)
    assert path.read_bytes() == data
    assert digests.md5.hexdigest() == hashlib.md5(data).hexdigest()


def test_small_chunks_are_batched_and_copied(tmp_path):
    data = _payload(5 * MIB + 7)
    pieces = [memoryview(data)[i:i + 65536]
              for i in range(0, len(data), 65536)]
    digests = store.Digests()
    path = tmp_path / 'object'
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        diskwriter.write_body(fd, iter(pieces), digests, threaded=True)
    finally:
        os.close(fd)
    assert path.read_bytes() == data


def test_a_body_ending_early_stops_the_pipeline(tmp_path):
    data = _payload(9 * MIB)
    stream = _eventlet_input(data)
    stream.content_length = len(data) + MIB  # the client promised more
    chunks = body.plain_chunks(stream, len(data) + MIB, 3)
    fd = os.open(tmp_path / 'object', os.O_WRONLY | os.O_CREAT)
    try:
        with pytest.raises(S3Error) as err:
            diskwriter.write_body(fd, chunks, store.Digests(),
                                  threaded=True)
    finally:
        os.close(fd)
    assert err.value.code == 'IncompleteBody'


def test_too_large_bodies_are_refused(tmp_path):
    fd = os.open(tmp_path / 'object', os.O_WRONLY | os.O_CREAT)
    try:
        with pytest.raises(S3Error) as err:
            diskwriter.write_body(fd, [b'x' * 10, b'y' * 10], store.Digests(),
                                  max_size=15, threaded=True)
    finally:
        os.close(fd)
    assert err.value.code == 'EntityTooLarge'


def test_the_input_position_follows_reused_reads():
    data = _payload(body.READ_SIZE + 5)
    stream = _eventlet_input(data)
    got = b''.join(bytes(c) for c in body.plain_chunks(stream, len(data), 3))
    assert got == data
    assert stream.position == len(data)
    assert stream.read() == b''


def test_file_iterator_sends_the_rest_with_sendfile(tmp_path):
    data = _payload(6 * MIB + 3)
    path = tmp_path / 'object'
    path.write_bytes(data)
    server, client = socket.socketpair()
    server.setblocking(False)
    received = []

    def drain():
        while True:
            piece = client.recv(1 << 20)
            if not piece:
                return
            received.append(piece)

    reader = threading.Thread(target=drain)
    reader.start()
    start, length = 100, len(data) - 200
    pieces = s3server.FileIterator(open(path, 'rb'), start, length, server)
    try:
        for piece in pieces:
            # What the WSGI server would write: the first piece only.
            server.setblocking(True)
            server.sendall(piece)
            server.setblocking(False)
    finally:
        pieces.close()
    server.shutdown(socket.SHUT_WR)
    reader.join(10)
    server.close()
    client.close()
    assert b''.join(received) == data[start:start + length]


def test_file_iterator_without_a_socket_reads_pieces(tmp_path):
    data = _payload(2 * MIB + 1)
    path = tmp_path / 'object'
    path.write_bytes(data)
    pieces = s3server.FileIterator(open(path, 'rb'), 1, len(data) - 1)
    try:
        assert b''.join(pieces) == data[1:]
    finally:
        pieces.close()


class _FailingDigests(store.Digests):
    def update(self, chunk):
        raise ValueError('hash failed')


@pytest.mark.parametrize('threaded', [False, True])
def test_a_failed_hash_or_write_is_raised(tmp_path, threaded):
    chunks = [_payload(diskwriter.BATCH)] * 2
    fd = os.open(tmp_path / 'object', os.O_WRONLY | os.O_CREAT)
    try:
        with pytest.raises(ValueError, match='hash failed'):
            diskwriter.write_body(fd, iter(chunks), _FailingDigests(),
                                  threaded=threaded)
    finally:
        os.close(fd)
    read_only = os.open(tmp_path / 'object', os.O_RDONLY)
    try:
        with pytest.raises(OSError):
            diskwriter.write_body(read_only, iter(chunks), store.Digests(),
                                  threaded=threaded)
    finally:
        os.close(read_only)
