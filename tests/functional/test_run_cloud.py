"""First contact: README's commands on a fresh clone, as a new user runs them.

The repository (the committed HEAD of this checkout) is cloned into a
temporary directory and ``./run_cloud.sh`` runs there with a clean
environment whose ``PATH`` starts with ``/usr/bin`` (the system's
``python3``): it must create ``.venv`` and install Nova and the AWS CLI
into it -- not libvirt-python, which only ``--libvirt`` and the tests need
(pip's cache and the machine's pip configuration are reused) --, start the
cloud and print how to use it.  Then, each in a new shell:

* the EC2 API answers and ``aws ec2 describe-images`` (from the venv) lists
  the demo image ``$NOVA_IMAGE``;
* README's "Using the cloud" block runs line by line, verbatim;
* after Ctrl-C and ``./run_cloud.sh`` again, every instance is running or
  stopped, none in error, terminated ones still ``terminated``;
* nothing was written into the checkout outside ``.venv``/``.nova-state``.
"""

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request

import pytest

from tests.ports import free_port as _free_port

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
README = os.path.join(REPO, 'README.rst')

pytestmark = [pytest.mark.functional, pytest.mark.timeout(900)]

#: The fresh install, the cloud's start and README's block, on a busy machine.
INSTALL_SECONDS = 600
START_SECONDS = 120


def readme_block(section):
    """The lines of the first ``::`` block of README's ``section``."""
    with open(README) as handle:
        text = handle.read()
    start = text.index('\n%s\n%s\n' % (section, '=' * len(section)))
    body = text[start + 1:]
    body = body[body.index('::\n\n') + 4:]
    lines = []
    for line in body.splitlines():
        if line and not line.startswith('    '):
            break
        if line.strip():
            lines.append(line[4:])
    return lines


def _clean_env(home, ports):
    env = {'PATH': '/usr/bin:/bin:/usr/sbin:/sbin', 'HOME': home,
           'LANG': 'C.UTF-8', 'USER': os.environ.get('USER', 'root'),
           'NOVA_EC2_PORT': str(ports[0]), 'NOVA_OSAPI_PORT': str(ports[1]),
           'NOVA_S3_PORT': str(ports[2])}
    # This machine's pip configuration and cache (a mirror, wheels).
    env.update((k, v) for k, v in os.environ.items()
               if k.startswith('PIP_'))
    env.setdefault('PIP_CACHE_DIR', os.path.join(
        os.path.expanduser('~'), '.cache', 'pip'))
    return env


class RunCloud(object):
    """``./run_cloud.sh`` in a fresh clone."""

    def __init__(self, root):
        self.clone = os.path.join(root, 'nova')
        self.home = os.path.join(root, 'home')
        os.makedirs(self.home)
        self.ports = (_free_port(), _free_port(), _free_port())
        self.env = _clean_env(self.home, self.ports)
        self.proc = None
        self.output = os.path.join(root, 'run_cloud.out')

    def clone_repo(self):
        """``git clone`` of this checkout's HEAD."""
        subprocess.run(['git', 'clone', '-q', REPO, self.clone], check=True,
                       timeout=120, env=self.env)

    def start(self, seconds):
        """Run ./run_cloud.sh until the cloud answers; returns its text."""
        out = open(self.output, 'ab')
        self.proc = subprocess.Popen(
            ['./run_cloud.sh'], cwd=self.clone, env=self.env,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError('run_cloud.sh exited %s:\n%s' % (
                    self.proc.returncode, self.text()[-3000:]))
            if 'nova-all is running' in self.text() and self.answers():
                return self.text()
            time.sleep(1)
        raise AssertionError('the cloud did not start in %ds:\n%s' % (
            seconds, self.text()[-3000:]))

    def text(self):
        """What run_cloud.sh printed so far."""
        with open(self.output, errors='replace') as handle:
            return handle.read()

    def answers(self):
        """Whether the EC2 API answers."""
        try:
            urllib.request.urlopen('http://127.0.0.1:%d/' % self.ports[0],
                                   timeout=5).read()
            return True
        except OSError:
            return False

    def interrupt(self):
        """Ctrl-C, as in the terminal; waits for the cloud to end."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def shell(self, script, timeout=300):
        """Run ``script`` in a new bash (clean environment, in the clone)."""
        return subprocess.run(
            ['bash', '-e', '-x', '-c', script], cwd=self.clone, env=self.env,
            capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope='module')
def run_cloud(tmp_path_factory):
    if not shutil.which('git'):
        pytest.skip('git is not installed')
    cloud = RunCloud(str(tmp_path_factory.mktemp('fresh')))
    cloud.clone_repo()
    try:
        cloud.banner = cloud.start(INSTALL_SECONDS)
        yield cloud
    finally:
        cloud.interrupt()


def test_run_cloud_answers_and_aws_cli_works(run_cloud):
    banner = run_cloud.banner
    novarc = os.path.join(run_cloud.clone, '.nova-state', 'creds', 'novarc')
    assert '. %s' % novarc in banner
    assert os.path.exists(os.path.join(run_cloud.clone, '.venv', 'bin',
                                       'python'))
    got = run_cloud.shell(
        '. %s\ncommand -v aws nova-manage\n'
        'aws ec2 describe-images --query "Images[].ImageId" --output text\n'
        'echo "image=$NOVA_IMAGE"\n' % novarc)
    assert got.returncode == 0, got.stderr
    venv_bin = os.path.join(run_cloud.clone, '.venv', 'bin')
    assert got.stdout.splitlines()[:2] == [
        os.path.join(venv_bin, 'aws'), os.path.join(venv_bin, 'nova-manage')]
    image = re.search(r'image=(ami-[0-9a-f]{8})', got.stdout).group(1)
    assert image in got.stdout.splitlines()[2].split()


def test_run_cloud_installs_only_the_cloud_extra(run_cloud):
    venv = os.path.join(run_cloud.clone, '.venv')
    with open(os.path.join(venv, '.nova-requirements')) as handle:
        stamp = handle.read().split()
    # setup.py's hash, then the extras installed: ``cloud`` (awscli) only.
    assert stamp[1:] == ['cloud']
    got = subprocess.run(
        [os.path.join(venv, 'bin', 'python'), '-c', 'import libvirt'],
        capture_output=True, text=True, env=run_cloud.env, timeout=60)
    assert got.returncode == 1
    assert "No module named 'libvirt'" in got.stderr
    assert 'Traceback' not in run_cloud.banner


def test_readme_using_the_cloud_runs_verbatim(run_cloud):
    lines = readme_block('Using the cloud')
    assert lines[0].startswith('. .nova-state/creds/novarc')
    got = run_cloud.shell('\n'.join(lines) + '\n', timeout=600)
    assert got.returncode == 0, '%s\n%s' % (got.stdout[-2000:],
                                            got.stderr[-4000:])
    rows = [r.split() for r in got.stdout.splitlines() if ':-)' in r]
    # nova-all runs nova-vncproxy too where Debian's novnc is installed.
    vncproxy = ['nova-vncproxy'] if os.path.isfile(
        '/usr/share/novnc/vnc.html') else []
    assert sorted(r[1] for r in rows) == sorted(
        ['nova-compute', 'nova-network', 'nova-scheduler', 'nova-volume'] +
        vncproxy)


def test_restart_keeps_instances(run_cloud):
    novarc = '. .nova-state/creds/novarc\n'
    query = ('aws ec2 describe-instances --query '
             '"Reservations[].Instances[].[InstanceId,State.Code]" '
             '--output text\n')
    before = run_cloud.shell(novarc + query)
    assert before.returncode == 0, before.stderr
    states = dict(line.split() for line in before.stdout.splitlines())
    assert '16' in states.values()
    run_cloud.interrupt()
    run_cloud.start(START_SECONDS)
    deadline = time.time() + 60
    while True:
        after = run_cloud.shell(novarc + query)
        assert after.returncode == 0, after.stderr
        again = dict(line.split() for line in after.stdout.splitlines())
        if again == states or time.time() > deadline:
            break
        time.sleep(2)
    # Running ones run again (--resume_guests_state_on_host_boot), the
    # terminated one is still terminated, none is in error.
    assert again == states


def test_nothing_stray_in_the_checkout(run_cloud):
    status = subprocess.run(
        ['git', 'status', '--porcelain', '--ignored'], cwd=run_cloud.clone,
        capture_output=True, text=True, check=True).stdout.split('\n')
    ignored = sorted(line[3:].rstrip('/') for line in status
                     if line and '__pycache__' not in line)
    assert ignored == ['.nova-state', '.venv', 'nova.egg-info'], ignored
