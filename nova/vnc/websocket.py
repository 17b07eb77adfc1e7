"""RFC 6455 websockets: the server handshake and the frame format.

Only what a VNC relay needs: binary messages (what noVNC speaks), ping,
pong and close; text messages are refused with close code 1003.  Frames
from a client must be masked (RFC 6455 5.1); frames from the server are
not.  :func:`encode_frame` also masks, for clients (the tests).
"""

import base64
import hashlib
import os
import struct

#: RFC 6455 1.3: appended to the client's key before hashing.
GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA
_CONTROL = (OP_CLOSE, OP_PING, OP_PONG)
_KNOWN = (OP_CONTINUATION, OP_TEXT, OP_BINARY) + _CONTROL

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_UNSUPPORTED_DATA = 1003
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL_ERROR = 1011

#: the largest message accepted from a client (RFB client messages are
#: tiny; a clipboard paste is the largest).
MAX_MESSAGE = 1 << 20


class HandshakeError(Exception):
    """The request is not a websocket upgrade this server accepts."""


class ProtocolError(Exception):
    """The peer broke RFC 6455; ``code`` is the close code to send."""

    def __init__(self, message, code=CLOSE_PROTOCOL_ERROR):
        super(ProtocolError, self).__init__(message)
        self.code = code


class ConnectionClosed(Exception):
    """The peer closed the websocket (``code`` it sent, or None)."""

    def __init__(self, code=None):
        super(ConnectionClosed, self).__init__('websocket closed (%s)' % code)
        self.code = code


def accept_key(key):
    """``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key``."""
    digest = hashlib.sha1((key + GUID).encode('ascii')).digest()
    return base64.b64encode(digest).decode('ascii')


def _header_tokens(value):
    return [part.strip().lower() for part in (value or '').split(',')
            if part.strip()]


def check_upgrade(environ):
    """Validate a WSGI ``environ`` as a version 13 websocket upgrade.

    Returns ``(accept, protocol)``: the ``Sec-WebSocket-Accept`` value and
    the subprotocol to answer (``binary`` when offered, else None).
    Raises :class:`HandshakeError` otherwise.
    """
    if environ.get('REQUEST_METHOD') != 'GET':
        raise HandshakeError('a websocket upgrade is a GET')
    if 'websocket' not in _header_tokens(environ.get('HTTP_UPGRADE')):
        raise HandshakeError('no Upgrade: websocket header')
    if 'upgrade' not in _header_tokens(environ.get('HTTP_CONNECTION')):
        raise HandshakeError('no Connection: Upgrade header')
    if environ.get('HTTP_SEC_WEBSOCKET_VERSION', '').strip() != '13':
        raise HandshakeError('only websocket version 13 is spoken')
    key = environ.get('HTTP_SEC_WEBSOCKET_KEY', '').strip()
    try:
        if len(base64.b64decode(key.encode('ascii'), validate=True)) != 16:
            raise ValueError(key)
    except (ValueError, UnicodeEncodeError):
        raise HandshakeError('bad Sec-WebSocket-Key')
    offered = _header_tokens(environ.get('HTTP_SEC_WEBSOCKET_PROTOCOL'))
    return accept_key(key), ('binary' if 'binary' in offered else None)


def handshake_response(accept, protocol=None):
    """The ``101 Switching Protocols`` answer, as bytes."""
    lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket',
             'Connection: Upgrade', 'Sec-WebSocket-Accept: %s' % accept]
    if protocol:
        lines.append('Sec-WebSocket-Protocol: %s' % protocol)
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('ascii')


def _apply_mask(mask, data):
    if not data:
        return data
    repeated = (mask * (len(data) // 4 + 1))[:len(data)]
    value = int.from_bytes(data, 'big') ^ int.from_bytes(repeated, 'big')
    return value.to_bytes(len(data), 'big')


def encode_frame(opcode, payload=b'', fin=True, mask=False):
    """One frame; ``mask`` True (or 4 bytes) masks it as a client must."""
    payload = bytes(payload)
    first = (0x80 if fin else 0) | opcode
    length = len(payload)
    mask_bit = 0x80 if mask else 0
    if length < 126:
        header = struct.pack('!BB', first, mask_bit | length)
    elif length < 1 << 16:
        header = struct.pack('!BBH', first, mask_bit | 126, length)
    else:
        header = struct.pack('!BBQ', first, mask_bit | 127, length)
    if not mask:
        return header + payload
    key = mask if isinstance(mask, bytes) else os.urandom(4)
    return header + key + _apply_mask(key, payload)


def close_payload(code, reason=''):
    """The body of a close frame."""
    return struct.pack('!H', code) + reason.encode('utf-8')[:123]


class FrameReader(object):
    """Reads frames and whole messages from ``recv(n) -> bytes``.

    ``require_mask``: frames must be masked (a server reading a client).
    """

    def __init__(self, recv, require_mask=True, max_message=MAX_MESSAGE):
        self._recv = recv
        self._buffer = bytearray()
        self.require_mask = require_mask
        self.max_message = max_message

    def feed(self, data):
        """Add bytes already read (e.g. after an HTTP handshake)."""
        self._buffer += data

    def _read_exact(self, count):
        while len(self._buffer) < count:
            chunk = self._recv(max(count - len(self._buffer), 4096))
            if not chunk:
                raise ConnectionClosed(None)
            self._buffer += chunk
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data

    def read_frame(self):
        """``(fin, opcode, payload)`` of the next frame."""
        first, second = self._read_exact(2)
        if first & 0x70:
            raise ProtocolError('reserved bits set')
        opcode = first & 0x0F
        fin = bool(first & 0x80)
        if opcode not in _KNOWN:
            raise ProtocolError('unknown opcode %#x' % opcode)
        masked = bool(second & 0x80)
        if self.require_mask and not masked:
            raise ProtocolError('client frames must be masked')
        length = second & 0x7F
        if opcode in _CONTROL and (length > 125 or not fin):
            raise ProtocolError('bad control frame')
        if length == 126:
            length = struct.unpack('!H', self._read_exact(2))[0]
        elif length == 127:
            length = struct.unpack('!Q', self._read_exact(8))[0]
        if length > self.max_message:
            raise ProtocolError('frame too big', CLOSE_TOO_BIG)
        key = self._read_exact(4) if masked else None
        payload = self._read_exact(length)
        if key:
            payload = _apply_mask(key, payload)
        return fin, opcode, payload

    def read_message(self, on_ping=None):
        """``(opcode, payload)`` of the next data message; control frames
        between are handled: ping -> ``on_ping(payload)``, close ->
        :class:`ConnectionClosed`, pong ignored."""
        opcode, parts, size = None, [], 0
        while True:
            fin, op, payload = self.read_frame()
            if op == OP_CLOSE:
                code = None
                if len(payload) >= 2:
                    code = struct.unpack('!H', payload[:2])[0]
                raise ConnectionClosed(code)
            if op == OP_PING:
                if on_ping is not None:
                    on_ping(payload)
                continue
            if op == OP_PONG:
                continue
            if op == OP_CONTINUATION:
                if opcode is None:
                    raise ProtocolError('continuation without a message')
            elif opcode is not None:
                raise ProtocolError('new message inside a fragmented one')
            else:
                opcode = op
            size += len(payload)
            if size > self.max_message:
                raise ProtocolError('message too big', CLOSE_TOO_BIG)
            parts.append(payload)
            if fin:
                return opcode, b''.join(parts)
