"""``./run_cloud.sh --libvirt``: one command, a real guest boots.

From this checkout, with the running virtualenv (``NOVA_VENV``), a state
directory, ports and a namespace name of the test's own: run_cloud.sh
builds and registers the test guest, creates the namespace with its bridge,
starts a private libvirtd and nova-all in it and relays the APIs to the
root namespace's loopback.  boto3 (on 127.0.0.1) runs the registered image
and waits for the guest's marker, with its instance id from the metadata
service, in GetConsoleOutput.  ``./run_cloud.sh --stop`` then removes the
domain, the daemons and the namespace; no bridge ever appears in the root
namespace.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

from tests.integration.virt.conftest import MARKER, REPO

pytestmark = [pytest.mark.integration, pytest.mark.libvirt,
              pytest.mark.netns, pytest.mark.timeout(600)]


def _free_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _novarc(path):
    """AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, NOVA_IMAGE of novarc."""
    names = ('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'NOVA_IMAGE')
    out = subprocess.run(
        ['bash', '-c', '. "$1" && printf "%s\\n" ' +
         ' '.join('"$%s"' % name for name in names), 'sh', path],
        capture_output=True, text=True, check=True).stdout
    return dict(zip(names, out.splitlines()))


def _root_bridges():
    out = subprocess.run(['ip', '-o', 'link', 'show', 'type', 'bridge'],
                         capture_output=True, text=True).stdout
    return sorted(line.split(':')[1].strip() for line in out.splitlines())


@pytest.fixture
def libvirt_cloud(test_guest):
    top = tempfile.mkdtemp(prefix='n11-rc-')
    os.chmod(top, 0o755)
    state = os.path.join(top, 'state')
    netns = 'n11rc-%s' % uuid.uuid4().hex[:6]
    env = dict(os.environ, NOVA_VENV=sys.prefix, NOVA_STATE=state,
               NOVA_NETNS=netns, NOVA_EC2_PORT=str(_free_port()),
               NOVA_OSAPI_PORT=str(_free_port()),
               NOVA_S3_PORT=str(_free_port()))
    out_path = os.path.join(top, 'run_cloud.out')
    bridges = _root_bridges()
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
             'text': text, 'stop': stop, 'bridges': bridges}
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


def test_run_cloud_libvirt_boots_the_test_guest(libvirt_cloud):
    import boto3
    import libvirt
    cloud = libvirt_cloud
    banner = cloud['text']()
    assert 'aws ec2 get-console-output' in banner
    assert cloud['netns'] in banner
    # Nothing of the cloud's network in the root namespace.
    assert _root_bridges() == cloud['bridges']
    rc = _novarc(os.path.join(cloud['state'], 'creds', 'novarc'))
    client = boto3.client(
        'ec2', region_name='nova',
        endpoint_url='http://127.0.0.1:%s/services/Cloud'
        % cloud['env']['NOVA_EC2_PORT'],
        aws_access_key_id=rc['AWS_ACCESS_KEY_ID'],
        aws_secret_access_key=rc['AWS_SECRET_ACCESS_KEY'])
    image = rc['NOVA_IMAGE']
    assert image in [i['ImageId'] for i in
                     client.describe_images()['Images']]
    ec2_id = client.run_instances(ImageId=image, MinCount=1, MaxCount=1,
                                  InstanceType='m1.tiny')[
        'Instances'][0]['InstanceId']
    deadline = time.time() + 240
    console = ''
    while MARKER not in console:
        item = client.describe_instances(InstanceIds=[ec2_id])[
            'Reservations'][0]['Instances'][0]
        assert item['State']['Name'] in ('pending', 'running'), item
        assert time.time() < deadline, console[-2000:]
        time.sleep(2)
        console = client.get_console_output(
            InstanceId=ec2_id).get('Output') or ''
    marker = [line for line in console.splitlines() if MARKER in line][0]
    assert 'id=%s' % ec2_id in marker
    uri = 'qemu+unix:///system?socket=%s' % os.path.join(
        cloud['state'], 'lv', 'run', 'libvirt-sock')
    conn = libvirt.open(uri)
    names = [d.name() for d in conn.listAllDomains(0)]
    conn.close()
    assert names == ['instance-%08x' % int(ec2_id[2:], 16)]
    assert _root_bridges() == cloud['bridges']

    stopped = cloud['stop']()
    assert stopped.returncode == 0, stopped.stderr
    cloud['proc'].wait(60)
    netns = subprocess.run(['ip', 'netns', 'list'], capture_output=True,
                           text=True).stdout
    assert cloud['netns'] not in netns
    # No QEMU (its command line names the instance directory), libvirtd,
    # relay or nova-all of this cloud is left.
    left = subprocess.run(['pgrep', '-f', cloud['state']],
                          capture_output=True, text=True).stdout
    assert left == '', left
    assert not os.path.exists(os.path.join(cloud['state'], 'nova-all.pid'))
