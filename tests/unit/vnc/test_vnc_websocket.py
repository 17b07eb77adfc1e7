"""RFC 6455 handshake and framing (nova.vnc.websocket)."""

import struct

import pytest

from nova.vnc import websocket as ws


def _reader(data, require_mask=True, **kwargs):
    chunks = [data[i:i + 7] for i in range(0, len(data), 7)]

    def recv(_n):
        return chunks.pop(0) if chunks else b''
    return ws.FrameReader(recv, require_mask=require_mask, **kwargs)


def test_accept_key_is_rfc_6455_example():
    assert ws.accept_key('dGhlIHNhbXBsZSBub25jZQ==') == \
        's3pPLMBiTxaQ9kYGzzhZRbK+xOo='


@pytest.mark.parametrize('size', [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_masked_frames_round_trip_at_every_length_form(size):
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    frame = ws.encode_frame(ws.OP_BINARY, payload, mask=b'\x01\x02\x03\x04')
    assert frame[0] == 0x82 and frame[1] & 0x80
    assert _reader(frame).read_message() == (ws.OP_BINARY, payload)


def test_server_frames_are_unmasked_with_the_right_header():
    assert ws.encode_frame(ws.OP_BINARY, b'RFB') == b'\x82\x03RFB'
    assert ws.encode_frame(ws.OP_BINARY, b'x' * 126)[:4] == \
        b'\x82\x7e\x00\x7e'
    big = ws.encode_frame(ws.OP_BINARY, b'x' * 65536)
    assert big[:2] == b'\x82\x7f' and \
        struct.unpack('!Q', big[2:10])[0] == 65536


def test_unmasked_client_frame_is_a_protocol_error():
    with pytest.raises(ws.ProtocolError) as err:
        _reader(ws.encode_frame(ws.OP_BINARY, b'abc')).read_message()
    assert err.value.code == ws.CLOSE_PROTOCOL_ERROR


def test_fragments_join_and_pings_between_are_answered():
    pings = []
    data = (ws.encode_frame(ws.OP_BINARY, b'ab', fin=False, mask=True) +
            ws.encode_frame(ws.OP_PING, b'p1', mask=True) +
            ws.encode_frame(ws.OP_CONTINUATION, b'cd', fin=False,
                            mask=True) +
            ws.encode_frame(ws.OP_PONG, b'', mask=True) +
            ws.encode_frame(ws.OP_CONTINUATION, b'ef', mask=True))
    assert _reader(data).read_message(on_ping=pings.append) == \
        (ws.OP_BINARY, b'abcdef')
    assert pings == [b'p1']


def test_close_frame_carries_its_code():
    data = ws.encode_frame(ws.OP_CLOSE, ws.close_payload(1001, 'bye'),
                           mask=True)
    with pytest.raises(ws.ConnectionClosed) as closed:
        _reader(data).read_message()
    assert closed.value.code == 1001


def test_end_of_stream_is_connection_closed_without_code():
    with pytest.raises(ws.ConnectionClosed) as closed:
        _reader(b'\x82').read_message()
    assert closed.value.code is None


@pytest.mark.parametrize('frame', [
    b'\xc2\x80abcd',                                   # RSV1 set
    b'\x83\x80abcd',                                   # opcode 3
    b'\x09\x80abcd',                                   # fragmented ping
    b'\x89\xfe\x00\x7e' + b'abcd' + b'x' * 126,        # ping over 125
    b'\x80\x80abcd',                                   # lone continuation
])
def test_malformed_frames_are_protocol_errors(frame):
    with pytest.raises(ws.ProtocolError):
        _reader(frame).read_message()


def test_new_message_inside_a_fragmented_one_is_refused():
    data = (ws.encode_frame(ws.OP_BINARY, b'a', fin=False, mask=True) +
            ws.encode_frame(ws.OP_BINARY, b'b', mask=True))
    with pytest.raises(ws.ProtocolError):
        _reader(data).read_message()


def test_too_big_frames_and_messages_are_refused_before_reading():
    frame = b'\x82\xff' + struct.pack('!Q', 1 << 40) + b'abcd'
    with pytest.raises(ws.ProtocolError) as err:
        _reader(frame).read_message()
    assert err.value.code == ws.CLOSE_TOO_BIG
    parts = b''.join(ws.encode_frame(ws.OP_BINARY if i == 0 else
                                     ws.OP_CONTINUATION, b'x' * 600,
                                     fin=False, mask=True) for i in range(3))
    with pytest.raises(ws.ProtocolError) as err:
        _reader(parts, max_message=1000).read_message()
    assert err.value.code == ws.CLOSE_TOO_BIG


def _environ(**headers):
    environ = {'REQUEST_METHOD': 'GET', 'HTTP_UPGRADE': 'websocket',
               'HTTP_CONNECTION': 'keep-alive, Upgrade',
               'HTTP_SEC_WEBSOCKET_VERSION': '13',
               'HTTP_SEC_WEBSOCKET_KEY': 'dGhlIHNhbXBsZSBub25jZQ=='}
    environ.update(headers)
    return {k: v for k, v in environ.items() if v is not None}


def test_upgrade_accepted_with_binary_subprotocol_when_offered():
    assert ws.check_upgrade(_environ()) == \
        ('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=', None)
    offered = _environ(HTTP_SEC_WEBSOCKET_PROTOCOL='base64, binary')
    assert ws.check_upgrade(offered)[1] == 'binary'
    response = ws.handshake_response('abc', 'binary')
    assert response.startswith(b'HTTP/1.1 101 Switching Protocols\r\n')
    assert b'Sec-WebSocket-Accept: abc\r\n' in response
    assert response.endswith(b'Sec-WebSocket-Protocol: binary\r\n\r\n')


@pytest.mark.parametrize('change', [
    {'REQUEST_METHOD': 'POST'}, {'HTTP_UPGRADE': None},
    {'HTTP_CONNECTION': 'keep-alive'}, {'HTTP_SEC_WEBSOCKET_VERSION': '8'},
    {'HTTP_SEC_WEBSOCKET_KEY': 'not base64!'},
    {'HTTP_SEC_WEBSOCKET_KEY': 'c2hvcnQ='},
    {'HTTP_SEC_WEBSOCKET_KEY': 'ü'},
])
def test_bad_upgrades_are_refused(change):
    with pytest.raises(ws.HandshakeError):
        ws.check_upgrade(_environ(**change))
