"""Free TCP ports on loopback for the servers a test starts."""

import socket


def free_port():
    """A TCP port nobody listens on now (on 127.0.0.1)."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port
