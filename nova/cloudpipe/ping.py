"""Whether a project's OpenVPN server answers (Diablo's ``utils.vpn_ping``)."""

import os
import socket
import struct
import time


def vpn_ping(address, port, timeout=0.05):
    """Whether an OpenVPN server answers a client's hard-reset packet.

    Sends 0x38 + a random 64-bit session id (+ 5 zero bytes, as Diablo);
    a server replies with 0x40, its own session id, and ours echoed.
    """
    session_id = struct.unpack('!Q', os.urandom(8))[0]
    packet = struct.pack('!BQxxxxx', 0x38, session_id)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.settimeout(timeout)
        sock.sendto(packet, (address, int(port)))
        time.sleep(timeout)
        reply = sock.recv(2048)
    except (OSError, ValueError):
        return False
    finally:
        sock.close()
    if len(reply) != 26:
        return False
    kind, _server_id, echoed = struct.unpack('!BQxxxxxQxxxx', reply)
    return kind == 0x40 and echoed == session_id
