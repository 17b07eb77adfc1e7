"""A metadata relay run inside a test host namespace.

Listens on ``--listen`` (``169.254.169.254:80``) in the namespace, adds
``X-Forwarded-For: <guest address>`` to each request and relays it to the
UNIX socket ``--unix``, where the test process hands it to nova-api on
loopback.  It stands in for nova-network's metadata DNAT (which needs the
API reachable from the namespace) so the guest can fetch its instance id.
"""

import argparse
import socket
import threading


def _pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _handle(client, peer, unix_path):
    head = b''
    while b'\r\n\r\n' not in head and len(head) < 65536:
        chunk = client.recv(4096)
        if not chunk:
            client.close()
            return
        head += chunk
    first, _sep, rest = head.partition(b'\r\n')
    head = first + b'\r\nX-Forwarded-For: ' + peer.encode() + b'\r\n' + rest
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(unix_path)
    except OSError:
        client.close()
        return
    upstream.sendall(head)
    threading.Thread(target=_pipe, args=(client, upstream),
                     daemon=True).start()
    _pipe(upstream, client)
    client.close()
    upstream.close()


def main():
    """Serve until killed."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--listen', default='169.254.169.254:80')
    parser.add_argument('--unix', required=True)
    args = parser.parse_args()
    address, _sep, port = args.listen.rpartition(':')
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((address, int(port)))
    server.listen(64)
    while True:
        client, (peer, _port) = server.accept()
        threading.Thread(target=_handle, args=(client, peer, args.unix),
                         daemon=True).start()


if __name__ == '__main__':
    main()
