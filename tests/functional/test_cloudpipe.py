"""Cloudpipe as the admin manual runs it: ``nova-manage vpn run <project>``.

An in-process cloud (fake hypervisor) on the file-system message transport;
``nova-manage`` runs as a separate process on the same state path, database
and transport, as an operator's would.  Then the VPN instance must exist
(the ``--vpn_image_id`` image, the ``<project>-vpn`` key pair and security
group, the payload zip as user data), ``vpn list`` must show it, and a
second ``run``, EC2 ``StartVpn`` and ``vpn spawn`` must not launch another.
"""

import base64
import io
import os
import subprocess
import sys
import zipfile

import pytest

from tests.functional.conftest import REPO, InProcessCloud

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope='module')
def vpncloud(tmp_path_factory):
    state = tmp_path_factory.mktemp('cpcloud')
    cloud = InProcessCloud(state, extra_flags={
        'fake_rabbit_transport': 'filesystem',
        'use_project_ca': True,
    })
    cloud.start()
    ami = cloud.register_image('cloudpipe')
    cloud.vpn_ami = ami
    # The cloud's own flagfile would name it too (compute, StartVpn).
    cloud._set_flag('vpn_image_id', ami)
    cloud._set_flag('cnt_vpn_clients', 5)
    yield cloud
    cloud.stop()


def manage(cloud, *words, expect=0):
    """Run ``nova-manage`` in its own process against ``cloud``."""
    state = cloud.state_path
    cmd = [sys.executable, '-m', 'nova.manage',
           '--state_path=%s' % state,
           '--sql_connection=sqlite:///%s/nova.sqlite' % state,
           '--fake_rabbit', '--fake_rabbit_transport=filesystem',
           '--connection_type=fake',
           '--network_manager=nova.network.manager.FlatManager',
           '--image_service=nova.image.local.LocalImageService',
           '--images_path=%s' % os.path.join(state, 'images'),
           '--lock_path=%s' % os.path.join(state, 'locks'),
           '--use_project_ca', '--cnt_vpn_clients=5',
           '--vpn_image_id=%s' % cloud.vpn_ami] + list(words)
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=state,
                          env=dict(os.environ, PYTHONPATH=REPO),
                          timeout=120)
    if expect is not None:
        assert proc.returncode == expect, (words, proc.stdout, proc.stderr)
    return proc


def _vpn_lines(out, project):
    return [line for line in out.splitlines() if line.startswith(project)]


def test_vpn_run_launches_the_cloudpipe(vpncloud):
    cloud = vpncloud
    access, secret = cloud.create_user('vpnadmin', 'vpnproj', admin=True)
    # Bad input first: one line, non-zero, nothing launched.
    proc = manage(cloud, 'vpn', 'run', 'nosuchproject', expect=1)
    assert proc.stderr.strip() == \
        'ERROR: Project nosuchproject could not be found.'
    proc = manage(cloud, 'vpn', 'run', 'vpnproj', '--vpn_image_id=0',
                  expect=1)
    assert proc.stderr.startswith('ERROR: --vpn_image_id is not set')
    proc = manage(cloud, 'vpn', 'run', 'vpnproj',
                  '--vpn_image_id=ami-0000ffff', expect=1)
    assert 'cloudpipe image 65535' in proc.stderr
    assert 'Traceback' not in proc.stderr

    proc = manage(cloud, 'vpn', 'run', 'vpnproj')
    assert 'Launched VPN instance i-' in proc.stdout
    ec2_id = proc.stdout.split('Launched VPN instance ')[1].split()[0]

    client = cloud.boto3_client(access, secret)

    def running():
        found = client.describe_instances(InstanceIds=[ec2_id])
        inst = found['Reservations'][0]['Instances'][0]
        return inst if inst['State']['Name'] == 'running' else None

    assert cloud.wait_for(running, timeout=60), 'VPN instance not running'
    inst = running()
    assert inst['ImageId'] == cloud.vpn_ami
    # An admin sees Diablo's "key (project, host)" form.
    assert inst['KeyName'].split()[0] == 'vpnproj-vpn'
    assert inst['InstanceType'] == 'm1.tiny'
    groups = [g['GroupName'] for g in inst.get('SecurityGroups', [])]
    assert groups == ['vpnproj-vpn'], inst

    # The key pair and the group, with their rules.
    keys = [k['KeyName'] for k in client.describe_key_pairs()['KeyPairs']]
    assert 'vpnproj-vpn' in keys        # an admin sees -vpn keys
    group = client.describe_security_groups(
        GroupNames=['vpnproj-vpn'])['SecurityGroups'][0]
    rules = sorted((p['IpProtocol'], p.get('FromPort'), p.get('ToPort'),
                    p['IpRanges'][0]['CidrIp'])
                   for p in group['IpPermissions'])
    assert rules == [('icmp', -1, -1, '0.0.0.0/0'),
                     ('udp', 1194, 1194, '0.0.0.0/0')]
    pem = os.path.join(cloud.state_path, 'keys', 'vpnadmin',
                       'vpnproj-vpn.pem')
    with open(pem) as handle:
        assert 'PRIVATE KEY' in handle.read()

    # The user data: what the metadata service serves is base64 of the zip.
    attr = client.describe_instance_attribute(InstanceId=ec2_id,
                                              Attribute='userData')
    served = base64.b64decode(attr['UserData']['Value'])
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(served)))
    assert sorted(archive.namelist()) == ['autorun.sh', 'ca.crt', 'crl.pem',
                                          'server.crt', 'server.key']
    assert b'export NUM_VPN=5' in archive.read('autorun.sh')
    assert b'project-ca-vpnproj' in subprocess.run(
        ['openssl', 'x509', '-noout', '-subject'],
        input=archive.read('ca.crt'), capture_output=True).stdout

    # vpn list shows the instance.
    proc = manage(cloud, 'vpn', 'list')
    line, = _vpn_lines(proc.stdout, 'vpnproj')
    assert '%s active' % ec2_id in line and line.endswith('down'), line
    assert line.split('\t')[3].split()[0].startswith('10.0.'), line

    # Another run is refused; StartVpn and spawn answer the same instance.
    proc = manage(cloud, 'vpn', 'run', 'vpnproj', expect=1)
    assert ('already has a VPN instance: %s' % ec2_id) in proc.stderr
    admin = cloud.boto2_connection(access, secret, path='/services/Admin')
    resp = admin.make_request('StartVpn', {'Project': 'vpnproj'})
    body = resp.read().decode()
    assert resp.status == 200, body
    assert '<instanceId>%s</instanceId>' % ec2_id in body
    resp = admin.make_request('DescribeVpns')
    body = resp.read().decode()
    assert resp.status == 200 and ec2_id in body, body
    # spawn launches for the projects without a VPN only.
    cloud.create_user('boss2', 'vpnproj2')
    proc = manage(cloud, 'vpn', 'spawn')
    assert 'of project vpnproj2' in proc.stdout, proc.stdout
    assert 'of project vpnproj ' not in proc.stdout
    proc = manage(cloud, 'vpn', 'spawn')
    assert 'Every project already has a VPN instance' in proc.stdout
    found = client.describe_instances(Filters=[
        {'Name': 'image-id', 'Values': [cloud.vpn_ami]}])
    owners = sorted((i['InstanceId'] == ec2_id, r['OwnerId'])
                    for r in found['Reservations'] for i in r['Instances'])
    assert owners == [(False, 'vpnproj2'), (True, 'vpnproj')]
    proc = manage(cloud, 'vpn', 'list')
    assert len(_vpn_lines(proc.stdout, 'vpnproj2')) == 1
