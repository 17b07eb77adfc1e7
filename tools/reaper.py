"""Run a daemon (``libvirtd -d``, ``virtlogd -d``) under a child subreaper.

    python reaper.py libvirtd -d -p /path/libvirtd.pid

libvirtd starts QEMU with ``-daemonize``: the guest (and every capability
probe) is reparented away from libvirtd.  Where PID 1 of the machine is
slow to reap orphans (as in this sandbox), a killed QEMU stays a zombie
and libvirtd, which waits for the process to disappear, stalls for up to
~15 s per probe or destroy, and gives up caching the QEMU capabilities.
This process marks itself a child subreaper (``PR_SET_CHILD_SUBREAPER``),
runs the command and reaps every orphan of it at once, until none is left.
It returns to its caller at once (it forks into the background).
"""

import ctypes
import os
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36


def main(argv):
    """Fork a background subreaper running ``argv``; return at once."""
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    if os.fork():
        return 0
    os.setsid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.stderr.write('reaper: prctl failed: %s\n'
                         % os.strerror(ctypes.get_errno()))
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    subprocess.Popen(argv, close_fds=True)
    while True:
        try:
            os.wait()
        except ChildProcessError:
            os._exit(0)
        except InterruptedError:
            continue


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
