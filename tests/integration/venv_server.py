"""What the real-server fixtures (Keystone, Glance) share: an installer
script that makes the server's own venv, and a server process from that
venv under gunicorn on 127.0.0.1 and a free port, its state in one
temporary directory, waited for until it answers."""

import os
import signal
import subprocess
import time

from tests.integration.private_services import free_port


def run_installer(installer, timeout, what):
    """``(venv, seconds, None)`` once *installer* made its venv (the last
    line it prints), or ``(None, seconds, reason)`` when it cannot."""
    start = time.time()
    try:
        proc = subprocess.run(['bash', installer], capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, time.time() - start, (
            '%s did not finish in %ss' % (installer, timeout))
    took = time.time() - start
    if proc.returncode != 0:
        return None, took, '%s cannot be installed here: %s' % (
            what, proc.stderr.strip()[-800:] or 'exit %d' % proc.returncode)
    return proc.stdout.strip().splitlines()[-1], took, None


class VenvServer(object):
    """A server of ``venv`` with its state under ``root``; subclasses name
    it (``name``), list its log files (``logs``) and say whether it
    answers (:meth:`answers`)."""

    name = 'server'
    logs = ()

    def __init__(self, venv, root):
        self.venv = venv
        self.root = str(root)
        self.port = free_port()
        self.proc = None

    def bin(self, name):
        """A command of the server's venv."""
        return os.path.join(self.venv, 'bin', name)

    def log(self, lines=40):
        """The end of the server's and gunicorn's logs (for failures)."""
        text = []
        for name in tuple(self.logs) + ('gunicorn.log',):
            path = os.path.join(self.root, name)
            if os.path.exists(path):
                with open(path, errors='replace') as handle:
                    text.append('== %s\n' % name
                                + ''.join(handle.readlines()[-lines:]))
        return '\n'.join(text)

    def answers(self):
        """Whether the server answers (a subclass says how)."""
        raise NotImplementedError()

    def serve(self, app, env, threads=1, timeout=90, extra=()):
        """Run gunicorn (one worker, *threads* threads) serving *app* on
        127.0.0.1 and this port, in its own session; returns once it
        answers, raises (with the logs) if it exits or stays silent."""
        with open(os.path.join(self.root, 'gunicorn.log'), 'w') as out:
            self.proc = subprocess.Popen(
                [self.bin('gunicorn'),
                 '--bind', '127.0.0.1:%d' % self.port, '--workers', '1',
                 '--threads', str(threads), '--timeout', '120',
                 '--control-socket', os.path.join(self.root, 'gunicorn.ctl')]
                + list(extra) + [app],
                stdout=out, stderr=subprocess.STDOUT, env=env,
                cwd=self.root, start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('%s exited with %s:\n%s'
                                   % (self.name, self.proc.returncode,
                                      self.log()))
            if self.answers():
                return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError('%s did not answer in %ss:\n%s'
                           % (self.name, timeout, self.log()))

    def stop(self):
        """Stop gunicorn and its worker (their own process group)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
