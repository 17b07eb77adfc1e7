"""``./run_cloud.sh --libvirt`` as a fixture for the integration tests.

``libvirt_cloud`` runs the real script from this checkout with the running
virtualenv (``NOVA_VENV``) and a state directory, ports and namespace name
of the test's own (the API, S3, VNC proxy and dashboard ports are free
ones, in ``env``), waits until nova-all runs and yields a dict: ``proc``
(run_cloud.sh), ``env``, ``state``, ``netns``, ``text()`` (its output so
far), ``novarc`` (its credentials file), ``stop()`` (``./run_cloud.sh
--stop``), ``bridges`` (the root namespace's bridges before the start) and
``client()`` (a boto3 EC2 client with the cloud's admin credentials on
127.0.0.1).  Whatever happens, the cloud is stopped, the namespace deleted
and the state removed.
"""

import os
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

from tests.integration.virt.conftest import MARKER
from tests.integration.virt.conftest import REPO
from tests.ports import free_port


def novarc(path, names=('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY',
                         'NOVA_IMAGE')):
    """The variables ``names`` of novarc (by default the EC2 keys and the
    test guest's image)."""
    out = subprocess.run(
        ['bash', '-c', '. "$1" && printf "%s\\n" ' +
         ' '.join('"$%s"' % name for name in names), 'sh', path],
        capture_output=True, text=True, check=True).stdout
    return dict(zip(names, out.splitlines()))


def root_bridges():
    """The names of the bridges in the root namespace."""
    out = subprocess.run(['ip', '-o', 'link', 'show', 'type', 'bridge'],
                         capture_output=True, text=True).stdout
    return sorted(line.split(':')[1].strip() for line in out.splitlines())


def _client(cloud):
    import boto3
    rc = novarc(cloud['novarc'])
    client = boto3.client(
        'ec2', region_name='nova',
        endpoint_url='http://127.0.0.1:%s/services/Cloud'
        % cloud['env']['NOVA_EC2_PORT'],
        aws_access_key_id=rc['AWS_ACCESS_KEY_ID'],
        aws_secret_access_key=rc['AWS_SECRET_ACCESS_KEY'])
    return client, rc['NOVA_IMAGE']


def libvirt_uri(cloud):
    """The URI of the cloud's private libvirtd (virsh -c, libvirt.open)."""
    return 'qemu+unix:///system?socket=%s' % os.path.join(
        cloud['state'], 'lv', 'run', 'libvirt-sock')


def boot_test_guest(client, image, timeout=300):
    """Run one test guest through EC2 and wait for its marker in
    GetConsoleOutput; ``(instance id, console text)``."""
    ec2_id = client.run_instances(ImageId=image, MinCount=1, MaxCount=1,
                                  InstanceType='m1.tiny')[
        'Instances'][0]['InstanceId']
    deadline = time.time() + timeout
    console = ''
    while MARKER not in console:
        item = client.describe_instances(InstanceIds=[ec2_id])[
            'Reservations'][0]['Instances'][0]
        assert item['State']['Name'] in ('pending', 'running'), item
        assert time.time() < deadline, console[-2000:]
        time.sleep(2)
        console = client.get_console_output(
            InstanceId=ec2_id).get('Output') or ''
    return ec2_id, console


@pytest.fixture
def libvirt_cloud(test_guest):
    """The running ``run_cloud.sh --libvirt`` cloud (see the docstring)."""
    top = tempfile.mkdtemp(prefix='n11-rc-')
    os.chmod(top, 0o755)
    state = os.path.join(top, 'state')
    netns = 'n11rc-%s' % uuid.uuid4().hex[:6]
    env = dict(os.environ, NOVA_VENV=sys.prefix, NOVA_STATE=state,
               NOVA_NETNS=netns, NOVA_EC2_PORT=str(free_port()),
               NOVA_OSAPI_PORT=str(free_port()),
               NOVA_S3_PORT=str(free_port()),
               NOVA_VNCPROXY_PORT=str(free_port()),
               NOVA_DASHBOARD_PORT=str(free_port()))
    out_path = os.path.join(top, 'run_cloud.out')
    bridges = root_bridges()
    with open(out_path, 'wb') as out:
        proc = subprocess.Popen(
            ['nice', '-n', '10', './run_cloud.sh', '--libvirt'], cwd=REPO,
            env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)

    def text():
        with open(out_path, errors='replace') as source:
            return source.read()

    def stop():
        return subprocess.run(['./run_cloud.sh', '--stop'], cwd=REPO,
                              env=env, capture_output=True, text=True,
                              timeout=120)

    cloud = {'proc': proc, 'env': env, 'state': state, 'netns': netns,
             'text': text, 'stop': stop, 'bridges': bridges,
             'novarc': os.path.join(state, 'creds', 'novarc')}
    cloud['client'] = lambda: _client(cloud)
    try:
        deadline = time.time() + 300
        while 'nova-all is running' not in text():
            assert proc.poll() is None, 'run_cloud.sh exited %s:\n%s' % (
                proc.returncode, text()[-3000:])
            assert time.time() < deadline, text()[-3000:]
            time.sleep(1)
        yield cloud
    finally:
        stop()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
        subprocess.run(['ip', 'netns', 'del', netns], capture_output=True)
        subprocess.run(['rm', '-rf', top])
