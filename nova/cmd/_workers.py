"""API worker processes: N forked children serving one listening socket.

With ``--ec2_workers`` / ``--osapi_workers`` above 1, nova-api binds every
API's socket, then forks that many children per API; each child serves its
API's socket with its own hub, its own database engine and its own RPC
connections and outbox relay (all made after the fork, never inherited).
The parent only supervises: a child that dies is replaced, and SIGTERM or
SIGINT is passed to every child, which stops accepting, lets the requests
in flight finish and exits; the parent exits when they all have.
"""

import errno
import logging
import os
import signal
import time

from nova import exception
from nova import rpc
from nova import service
from nova.db.sqlalchemy import session as db_session
from nova.utils import concurrency

LOG = logging.getLogger('nova.workers')

# A child that dies sooner than this after its start is restarted no
# faster than once per RESPAWN_DELAY (a broken one must not spin the CPU).
MIN_CHILD_LIFE = 1.0
RESPAWN_DELAY = 1.0
# Seconds the children get to finish their requests after SIGTERM.
STOP_TIMEOUT = 60.0


def wanted(services):
    """Whether any API asks for worker processes (else: one process)."""
    for svc in services:
        workers = getattr(svc, 'workers', 1)
        if workers < 1:
            raise exception.NovaException(
                'invalid --%s_workers=%s: at least 1 process is needed'
                % (svc.name, workers))
    return any(getattr(svc, 'workers', 1) > 1 for svc in services)


def _child(svc, others):
    """The body of one worker process; never returns."""
    status = 0
    try:
        concurrency.reset_after_fork()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        for other in others:
            if other is not svc:
                other.stop()
        LOG.info('%s worker %d started', svc.name, os.getpid())
        svc.server.share_socket()
        service.serve(svc)
        concurrency.spawn_n(_watch_parent, os.getppid())
        service.wait()
        # Stopped accepting; the requests in flight finish before the exit.
        svc.wait()
    except BaseException:  # noqa: BLE001 - a child never returns
        LOG.exception('%s worker %d failed', svc.name, os.getpid())
        status = 1
    finally:
        logging.shutdown()
        os._exit(status)


def _watch_parent(parent):
    """Stop this worker gracefully once its parent is gone (SIGKILLed)."""
    while os.getppid() == parent:
        concurrency.sleep(1.0)
    LOG.warning('worker %d: parent %d is gone, stopping', os.getpid(),
                parent)
    os.kill(os.getpid(), signal.SIGTERM)


class Launcher(object):
    """Forks and supervises the worker processes of API services."""

    def __init__(self, services):
        self.services = list(services)
        self.children = {}      # pid -> (service, started_at)
        self.stopping = False

    def _fork(self, svc):
        pid = os.fork()
        if pid == 0:
            _child(svc, self.services)
        self.children[pid] = (svc, time.time())
        LOG.info('forked %s worker %d', svc.name, pid)
        return pid

    def start(self):
        """Fork every API's workers (its socket is already bound)."""
        # Nothing made before the fork may be shared by the children: a
        # pooled database connection (or SQLite handle), an RPC connection.
        db_session.reset()
        rpc.cleanup()
        for svc in self.services:
            for _ in range(svc.workers):
                self._fork(svc)

    def _handle_signal(self, signum, frame):
        LOG.info('Caught signal %d, stopping the workers', signum)
        self.stopping = True

    def _reap(self):
        """Collect dead children; returns [(service, started_at), ...]."""
        dead = []
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except OSError as exc:
                if exc.errno == errno.ECHILD:
                    self.children.clear()
                    break
                raise
            if pid == 0:
                break
            entry = self.children.pop(pid, None)
            if entry is not None:
                LOG.info('%s worker %d exited (status %d)', entry[0].name,
                         pid, status)
                dead.append(entry)
        return dead

    def wait(self):
        """Supervise until SIGTERM/SIGINT, then stop every child."""
        signal.signal(signal.SIGTERM, self._handle_signal)
        signal.signal(signal.SIGINT, self._handle_signal)
        while not self.stopping:
            for svc, started in self._reap():
                if self.stopping:
                    break
                if time.time() - started < MIN_CHILD_LIFE:
                    concurrency.sleep(RESPAWN_DELAY)
                self._fork(svc)
            concurrency.sleep(0.1)
        self._stop_children()

    def _stop_children(self):
        # The parent's copies of the sockets go first: once the workers
        # have closed theirs, no new connection is accepted into a backlog
        # that nobody serves.
        for svc in self.services:
            svc.stop()
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.time() + STOP_TIMEOUT
        while self.children and time.time() < deadline:
            self._reap()
            concurrency.sleep(0.1)
        for pid in list(self.children):
            LOG.warning('worker %d did not stop in %ds, killing it', pid,
                        STOP_TIMEOUT)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        while self.children:
            self._reap()
            concurrency.sleep(0.05)
        LOG.info('all API workers stopped')
