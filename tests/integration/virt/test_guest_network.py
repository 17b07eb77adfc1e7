"""A real QEMU guest networked by nova-network, launched through EC2.

The joint test of the libvirt driver and nova-network's host plumbing
(``guestnet.NetCloud``): inside a host namespace ``nx-<tag>``, a private
libvirtd, nova-network (FlatDHCPManager: bridge, dnsmasq, nova-dhcpbridge,
the metadata DNAT) and nova-compute (libvirt, IptablesFirewallDriver); the
test guest takes its DHCP lease from dnsmasq, fetches its instance id from
http://169.254.169.254/ and prints both on its serial console.
"""

import os
import re
import time

import pytest

import guestnet
from tests.integration.virt.conftest import register_guest

pytestmark = [pytest.mark.integration, pytest.mark.libvirt,
              pytest.mark.netns, pytest.mark.timeout(240)]

MARKER_RE = re.compile(r'NOVA-TEST-GUEST ip=(\S+) id=(\S+)')


@pytest.fixture
def net_cloud(test_guest, set_flags):
    """A started :class:`guestnet.NetCloud` with a user and the guest."""
    missing = guestnet.missing_parts()
    if missing:
        pytest.skip(missing)
    import nova.compute.manager  # noqa: F401 - flags
    import nova.image.local  # noqa: F401 - flags
    import nova.legacy_flags  # noqa: F401 - flags
    from nova.db import migration
    from nova.db.sqlalchemy import session
    cloud = guestnet.NetCloud()
    try:
        cloud.write_flags()
        set_flags(state_path=cloud.dir,
                  sql_connection='sqlite:///%s' % cloud.db_path,
                  images_path=cloud.flags['images_path'],
                  image_service=cloud.flags['image_service'])
        session.reset()
        migration.db_sync()
        cloud.start_namespace()
        cloud.start_libvirtd()
        cloud.manage('network', 'create', '--label=private',
                     '--fixed_range_v4=10.0.0.0/24', '--num_networks=1',
                     '--network_size=256', '--bridge=br100')
        from nova.api.ec2 import ec2utils
        cloud.ids = register_guest(test_guest)
        cloud.ami = ec2utils.image_ec2_id(cloud.ids['ami'], 'ami')
        cloud.access, cloud.secret = _create_user()
        for binary, inside in (('nova-network', True),
                               ('nova-compute', True),
                               ('nova-scheduler', False),
                               ('nova-api', False)):
            cloud.start_daemon(binary, inside)
        cloud.start_metadata_path()
        guestnet.wait_for(cloud.api_up, 60, 'nova-api')
        guestnet.wait_for(_services_up, 60, 'nova-network and nova-compute '
                          'to report')
        cloud.client = _client(cloud)
        yield cloud
    finally:
        try:
            cloud.stop()
        finally:
            session.reset()


def _create_user():
    from nova.auth import manager
    auth = manager.AuthManager()
    access, secret = 'nxuser-acc', 'nxuser-secret'
    auth.create_user('nxuser', access, secret, admin=False)
    auth.create_project('nxproj', 'nxuser')
    for role in ('sysadmin', 'netadmin'):
        auth.add_role('nxuser', role)
        auth.add_role('nxuser', role, 'nxproj')
    return '%s:nxproj' % access, secret


def _services_up():
    from nova import context
    from nova import db
    ctxt = context.get_admin_context()
    topics = {svc['topic'] for svc in db.service_get_all(ctxt)
              if svc['report_count'] > 0}
    return {'network', 'compute', 'scheduler'} <= topics


def _client(cloud):
    import boto3
    import botocore.config
    return boto3.client(
        'ec2', endpoint_url='http://127.0.0.1:%d/services/Cloud' % cloud.port,
        region_name='nova', aws_access_key_id=cloud.access,
        aws_secret_access_key=cloud.secret,
        config=botocore.config.Config(retries={'max_attempts': 1}))


def _describe(cloud, ec2_id):
    res = cloud.client.describe_instances(InstanceIds=[ec2_id])
    return res['Reservations'][0]['Instances'][0]


def _wait_running(cloud, ec2_id):
    item = guestnet.wait_for(
        lambda: (lambda i: i if i['State']['Name'] in ('running', 'error')
                 else None)(_describe(cloud, ec2_id)),
        120, '%s to run' % ec2_id)
    assert item['State']['Name'] == 'running', (
        item.get('StateReason'), cloud.log_tail('nova-compute'))
    return item


def _marker(cloud, ec2_id):
    def found():
        out = cloud.client.get_console_output(InstanceId=ec2_id)
        match = MARKER_RE.search(out.get('Output') or '')
        return match.groups() if match else None
    try:
        return guestnet.wait_for(found, 120, 'the marker of %s' % ec2_id,
                                 interval=1)
    except AssertionError:
        out = cloud.client.get_console_output(InstanceId=ec2_id)
        raise AssertionError('no marker; console tail: %s\nnsproxy: %s' % (
            (out.get('Output') or '')[-2500:], cloud.log_tail('nsproxy')))


def _wait_terminated(cloud, ec2_id):
    import botocore.exceptions

    def gone():
        try:
            return _describe(cloud, ec2_id)['State']['Name'] == 'terminated'
        except botocore.exceptions.ClientError as exc:
            return 'NotFound' in exc.response['Error']['Code']
    guestnet.wait_for(gone, 90, '%s to terminate' % ec2_id)


def _fixed_ip(address):
    from nova import context
    from nova import db
    return db.fixed_ip_get_by_address(context.get_admin_context(), address)


def _domains(cloud):
    import libvirt
    conn = libvirt.open(cloud.libvirt_uri)
    try:
        return [d.name() for d in conn.listAllDomains(0)]
    finally:
        conn.close()


def _instance_chain(ec2_id):
    return 'nova-compute-inst-%d' % int(ec2_id[2:], 16)


def test_guest_gets_dhcp_lease_and_metadata_then_terminate_cleans(net_cloud):
    cloud = net_cloud
    started = time.time()
    res = cloud.client.run_instances(ImageId=cloud.ami, MinCount=1,
                                     MaxCount=1, InstanceType='m1.tiny')
    ec2_id = res['Instances'][0]['InstanceId']
    item = _wait_running(cloud, ec2_id)
    fixed = item['PrivateIpAddress']
    assert fixed.startswith('10.0.0.')
    running = time.time() - started

    # nova-network's plumbing in the host namespace
    addrs = cloud.ns('ip', '-o', '-4', 'addr', 'show', 'dev', 'br100')
    assert '10.0.0.1/24' in addrs
    nat = cloud.ns('iptables-save', '-t', 'nat')
    assert re.search(r'-d 169\.254\.169\.254/32 -p tcp -m tcp --dport 80 '
                     r'-j DNAT --to-destination 10\.0\.0\.1:8773', nat), nat
    hosts = open(os.path.join(cloud.dir, 'networks',
                              'nova-br100.conf')).read()
    assert ',%s' % fixed in hosts
    # the guest's tap is on the namespace's bridge; its chain exists
    assert 'master br100' in cloud.ns('ip', '-o', 'link', 'show', 'vnet0')
    chain = _instance_chain(ec2_id)
    assert ':%s ' % chain in cloud.ns('iptables-save', '-t', 'filter')

    # the guest: DHCP lease from dnsmasq, instance id through the DNAT
    ip, instance_id = _marker(cloud, ec2_id)
    assert (ip, instance_id) == (fixed, ec2_id)
    marker = time.time() - started
    guestnet.wait_for(lambda: _fixed_ip(fixed)['leased'], 30,
                      'nova-dhcpbridge to mark %s leased' % fixed)
    directory = os.path.join(cloud.flags['instances_path'],
                             'instance-%s-%08x' % (cloud.prefix,
                                                   int(ec2_id[2:], 16)))
    assert os.path.isdir(directory)
    assert os.path.basename(directory) in _domains(cloud)

    cloud.client.terminate_instances(InstanceIds=[ec2_id])
    _wait_terminated(cloud, ec2_id)
    guestnet.wait_for(lambda: not os.path.exists(directory), 30,
                      'the instance directory to go')
    assert os.path.basename(directory) not in _domains(cloud)
    guestnet.wait_for(
        lambda: chain not in cloud.ns('iptables-save', '-t', 'filter'), 30,
        'the firewall chain %s to go' % chain)
    guestnet.wait_for(
        lambda: not _fixed_ip(fixed)['leased'] and
        _fixed_ip(fixed)['instance_id'] is None, 60,
        'the release of %s' % fixed)
    hosts = open(os.path.join(cloud.dir, 'networks',
                              'nova-br100.conf')).read()
    assert ',%s' % fixed not in hosts
    print('running after %.1fs, marker after %.1fs' % (running, marker))


PORT = 7777
LISTENER = '''#!/bin/sh
( while :; do nc -l -p %d -e /bin/echo NX-HELLO; done ) >/dev/null 2>&1 &
''' % PORT
PROBER = '''#!/bin/sh
( n=0
  while [ $n -lt 300 ]; do
    n=$((n+1))
    if timeout 4 nc -w 2 %%s %d </dev/null 2>/dev/null | grep -q NX-HELLO
    then r=open; else r=closed; fi
    echo "NX-PROBE $n $r" >/dev/ttyS0
    sleep 1
  done ) >/dev/null 2>&1 &
''' % PORT
PROBE_RE = re.compile(r'NX-PROBE (\d+) (open|closed)')


def _probes(cloud, ec2_id):
    out = cloud.client.get_console_output(InstanceId=ec2_id)
    return [(int(n), state) for n, state in
            PROBE_RE.findall(out.get('Output') or '')]


def _wait_probe(cloud, ec2_id, state, after=0, timeout=60):
    """The number of the first probe after ``after`` that saw ``state``."""
    def seen():
        return next((n for n, s in _probes(cloud, ec2_id)
                     if n > after and s == state), None)
    return guestnet.wait_for(seen, timeout, 'a probe from %s seeing the '
                             'port %s after #%d' % (ec2_id, state, after),
                             interval=1)


def _run_guest(cloud, user_data):
    res = cloud.client.run_instances(
        ImageId=cloud.ami, MinCount=1, MaxCount=1, InstanceType='m1.tiny',
        SecurityGroups=['nx-peers'], UserData=user_data)
    return res['Instances'][0]['InstanceId']


def test_source_group_rule_admits_traffic_between_members(net_cloud):
    cloud = net_cloud
    cloud.client.create_security_group(GroupName='nx-peers',
                                       Description='two guests')
    server = _run_guest(cloud, LISTENER)
    server_ip = _wait_running(cloud, server)['PrivateIpAddress']
    assert _marker(cloud, server) == (server_ip, server)
    client = _run_guest(cloud, PROBER % server_ip)
    client_ip = _wait_running(cloud, client)['PrivateIpAddress']
    assert _marker(cloud, client) == (client_ip, client)

    # no rule in the group: the member's connections are dropped
    closed = _wait_probe(cloud, client, 'closed')
    assert all(state == 'closed' for _n, state in _probes(cloud, client))

    permission = [{'IpProtocol': 'tcp', 'FromPort': PORT, 'ToPort': PORT,
                   'UserIdGroupPairs': [{'GroupName': 'nx-peers'}]}]
    cloud.client.authorize_security_group_ingress(
        GroupName='nx-peers', IpPermissions=permission)
    opened = _wait_probe(cloud, client, 'open', after=closed)
    rules = cloud.ns('iptables-save', '-t', 'filter')
    assert '-A %s -s %s/32 -p tcp -m tcp --dport %d -j ACCEPT' % (
        _instance_chain(server), client_ip, PORT) in rules, rules

    cloud.client.revoke_security_group_ingress(
        GroupName='nx-peers', IpPermissions=permission)
    _wait_probe(cloud, client, 'closed', after=opened)

    cloud.client.terminate_instances(InstanceIds=[server, client])
    for ec2_id in (server, client):
        _wait_terminated(cloud, ec2_id)
    guestnet.wait_for(lambda: _domains(cloud) == [], 30,
                      'the domains to go')
