"""A raw TCP relay run inside a test host namespace.

Listens on ``--listen`` (e.g. ``127.0.0.1:3260``) in the namespace and
relays every connection, byte for byte, to the UNIX socket ``--unix``,
where the test process relays it on to the same port on the root
namespace's loopback.  It lets QEMU inside the namespace reach the tgtd
that listens on the host's 127.0.0.1 without any route or address outside
the test's namespace.
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
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def _handle(client, unix_path):
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(unix_path)
    except OSError:
        client.close()
        return
    thread = threading.Thread(target=_pipe, args=(client, upstream),
                              daemon=True)
    thread.start()
    _pipe(upstream, client)
    thread.join()
    client.close()
    upstream.close()


def main():
    """Serve until killed."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--listen', required=True)
    parser.add_argument('--unix', required=True)
    args = parser.parse_args()
    address, _sep, port = args.listen.rpartition(':')
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((address, int(port)))
    server.listen(64)
    while True:
        client, _peer = server.accept()
        threading.Thread(target=_handle, args=(client, args.unix),
                         daemon=True).start()


if __name__ == '__main__':
    main()
