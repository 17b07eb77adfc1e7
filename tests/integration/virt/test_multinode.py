"""Guests on two compute nodes of the multi-node cloud, real packets.

``tools/multinode.py up --nodes 2``: a controller namespace and two
compute-node namespaces (each its own libvirtd, nova-compute and
multi_host nova-network), joined by a switch namespace, with an outside
namespace on the public side.  Three test guests: A1 (project A) on c1, A2
(project A) on c2 and B (project B) on c1.  Each guest's user data pings
every address of the fixed network's first dozen and the outside address
once per round and prints which answered (``MN-SEEN <round> <addrs>``) on
its console, so the test sees, from the guests themselves, who reaches
whom:

* the marker: each guest got its DHCP lease from its own node's dnsmasq
  and its instance id from its node's metadata DNAT;
* A1 and A2 (one security group, no rule yet) do not reach each other;
  once the group admits ICMP from its own members, both do (the rule took
  effect on both nodes) and keep doing so (rounds counted); after the
  revoke neither does;
* B (another project) never reaches A1 or A2;
* each guest reaches the outside address (SNAT: the outside namespace has
  no route to the fixed network);
* A1's floating IP answers pings from the outside namespace;
* each node's metadata relay gives each of its guests its own
  instance-id and local-ipv4; a request at a node's relay from the address
  of another node's guest, from a non-guest address (bare or naming A1 in
  X-Forwarded-For) is refused with none of A1's data, and A2 naming A1 in
  its own X-Forwarded-For gets A2's.

The second test live-migrates a guest that another pings (``nova-manage vm
live_migration``, c2 -> c1, shared instance directory; the rounds without
an answer are counted), then SIGKILLs c1's nova-compute and libvirtd with
both guests running and starts them again: the guests are reconciled
(running, one QEMU each, on c1 only, not rebooted) and still ping.
"""

import re
import time

import pytest

from tests.integration.virt import multinode_cloud

pytestmark = [pytest.mark.integration, pytest.mark.libvirt,
              pytest.mark.netns, pytest.mark.timeout(900)]

OUTSIDE = '203.0.113.254'
SCAN = ['10.0.0.%d' % i for i in range(2, 13)] + [OUTSIDE]
PINGER = multinode_cloud.pinger(SCAN)


@pytest.fixture(scope='module')
def cloud(test_guest):
    """A started two-node cloud (taken down at the end)."""
    missing = multinode_cloud.missing_parts()
    if missing:
        pytest.skip(missing)
    cloud = multinode_cloud.MultiNode(nodes=2)
    try:
        cloud.start(test_guest)
        yield cloud
    finally:
        cloud.stop()


def _wait_rounds(cloud, project, ec2_id, after, count, timeout=120):
    """At least ``count`` rounds after round ``after``; returns them."""
    def enough():
        later = [r for r in cloud.rounds(project, ec2_id) if r[0] > after]
        return later if len(later) >= count else None
    return multinode_cloud.wait_for(
        enough, timeout, '%d rounds of %s after #%d' % (count, ec2_id, after),
        interval=1)


def test_guests_on_two_nodes_reach_each_other_under_their_group(cloud):
    a = cloud.client('proja')
    a.create_security_group(GroupName='mn-a', Description='project A')
    started = time.time()
    a2 = cloud.run('proja', 'c2', PINGER, group='mn-a')
    a1 = cloud.run('proja', 'c1', PINGER, group='mn-a')
    b = cloud.run('projb', 'c1', PINGER)
    guests = {'a1': ('proja', a1), 'a2': ('proja', a2), 'b': ('projb', b)}
    ips = {}
    for name, (project, ec2_id) in guests.items():
        ips[name] = cloud.wait_running(project, ec2_id)['PrivateIpAddress']
    # each where it was put: A1 and B on c1, A2 on c2
    assert {name: cloud.host_of(ec2_id) for name, (_p, ec2_id)
            in guests.items()} == {'a1': 'c1', 'a2': 'c2', 'b': 'c1'}
    # DHCP from the node's own dnsmasq, metadata through its DNAT
    for name, (project, ec2_id) in guests.items():
        assert cloud.marker(project, ec2_id) == (ips[name], ec2_id)
    booted = time.time() - started
    # each node serves the network at its own address of it
    for node in ('c1', 'c2'):
        out = cloud.ns(node, 'ip', '-o', '-4', 'addr', 'show', 'dev',
                       'br100').stdout
        assert '10.0.0.' in out, out
    # no rule in mn-a yet: A1 and A2 do not reach each other
    first = {name: _wait_rounds(cloud, project, ec2_id, 0, 3)
             for name, (project, ec2_id) in guests.items()}
    for peer_a, peer_b in (('a1', 'a2'), ('a2', 'a1')):
        assert not any(ips[peer_b] in seen for _n, seen in first[peer_a])
    # SNAT: every guest reaches the outside address (which has no route
    # to the fixed network, so only a translated source can be answered)
    for project, ec2_id in guests.values():
        cloud.first_round(project, ec2_id, 0,
                     lambda seen: OUTSIDE in seen)

    # the group admits ICMP from its members: both nodes apply it
    marks = {name: cloud.last_round(project, ec2_id)
             for name, (project, ec2_id) in guests.items()}
    icmp_group = [{'IpProtocol': 'icmp', 'FromPort': -1, 'ToPort': -1,
                   'UserIdGroupPairs': [{'GroupName': 'mn-a'}]}]
    authorized = time.time()
    a.authorize_security_group_ingress(GroupName='mn-a',
                                       IpPermissions=icmp_group)
    opened = {}
    for name, peer in (('a1', 'a2'), ('a2', 'a1')):
        project, ec2_id = guests[name]
        opened[name] = cloud.first_round(project, ec2_id, marks[name],
                                    lambda seen, p=peer: ips[p] in seen)
    took = time.time() - authorized
    counted = {}
    for name, peer in (('a1', 'a2'), ('a2', 'a1')):
        project, ec2_id = guests[name]
        later = _wait_rounds(cloud, project, ec2_id, opened[name], 10)[:10]
        counted[name] = sum(ips[peer] in seen for _n, seen in later)
        assert counted[name] >= 9, (name, later)
    # B, of another project, never reached A1 or A2
    rounds_b = cloud.rounds('projb', b)
    assert rounds_b and not any(
        ips['a1'] in seen or ips['a2'] in seen for _n, seen in rounds_b)

    # a floating IP of A1, answering the outside namespace
    public = a.allocate_address()['PublicIp']
    a.associate_address(InstanceId=a1, PublicIp=public)
    a.authorize_security_group_ingress(GroupName='mn-a', IpPermissions=[
        {'IpProtocol': 'icmp', 'FromPort': -1, 'ToPort': -1,
         'IpRanges': [{'CidrIp': OUTSIDE + '/32'}]}])
    multinode_cloud.wait_for(
        lambda: cloud.ns('out', 'busybox', 'ping', '-c', '1', '-W', '1',
                         public, check=False).returncode == 0, 60,
        'the floating IP %s to answer the outside' % public)
    # (busybox's ping: the machine may have no iputils)
    out = cloud.ns('out', 'busybox', 'ping', '-c', '20', '-i', '0.2', '-W',
                   '1', public, check=False).stdout
    floating_ok = int(re.search(r'(\d+) (?:packets )?received', out)
                      .group(1))
    assert floating_ok >= 19, out
    # the address is on A1's node only
    assert public in cloud.ns('c1', 'ip', '-o', 'addr', 'show', 'dev',
                              'eth2').stdout
    assert public not in cloud.ns('c2', 'ip', '-o', 'addr', 'show', 'dev',
                                  'eth2').stdout

    # revoked: neither node admits the other guest any more
    marks = {name: cloud.last_round(*guests[name]) for name in guests}
    revoked = time.time()
    a.revoke_security_group_ingress(GroupName='mn-a',
                                    IpPermissions=icmp_group)
    for name, peer in (('a1', 'a2'), ('a2', 'a1')):
        project, ec2_id = guests[name]
        closed = cloud.first_round(project, ec2_id, marks[name],
                              lambda seen, p=peer: ips[p] not in seen)
        later = _wait_rounds(cloud, project, ec2_id, closed, 3)[:3]
        assert not any(ips[peer] in seen for _n, seen in later), later
    closed_after = time.time() - revoked
    rounds_b = cloud.rounds('projb', b)
    assert not any(ips['a1'] in seen or ips['a2'] in seen
                   for _n, seen in rounds_b)

    # metadata: each node's relay answers for its own guests only
    checked = time.time()
    nodes = {'a1': 'c1', 'a2': 'c2', 'b': 'c1'}
    for name, (_project, ec2_id) in guests.items():
        assert cloud.metadata(nodes[name], ips[name],
                              '/latest/meta-data/instance-id') == (200,
                                                                   ec2_id)
        assert cloud.metadata(nodes[name], ips[name],
                              '/latest/meta-data/local-ipv4') == (200,
                                                                  ips[name])
    refused = {}
    # A1's address at c2's relay, A2's at c1's: not theirs to answer
    for name, other in (('a1', 'c2'), ('a2', 'c1')):
        refused[name] = cloud.metadata(other, ips[name],
                                       '/latest/meta-data/instance-id')
    # c2's own bridge address (no guest's), bare and naming A1
    node_ip = re.search(r'inet (10\.0\.0\.\d+)', cloud.ns(
        'c2', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'br100').stdout)[1]
    refused['bare'] = cloud.metadata('c2', node_ip,
                                     '/latest/meta-data/instance-id')
    refused['named'] = cloud.metadata('c2', node_ip,
                                      '/latest/meta-data/instance-id',
                                      forwarded=ips['a1'])
    for name, (status, body) in refused.items():
        assert status in (403, 404), (name, status, body)
        assert a1 not in body and a2 not in body, (name, body)
    # A2 naming A1 in its own X-Forwarded-For: still only A2's data
    assert cloud.metadata('c2', ips['a2'], '/latest/meta-data/instance-id',
                          forwarded=ips['a1']) == (200, a2)
    assert cloud.metadata('c2', ips['a2'], '/latest/meta-data/local-ipv4',
                          forwarded=ips['a1']) == (200, ips['a2'])
    metadata_took = time.time() - checked

    a.disassociate_address(PublicIp=public)
    a.release_address(PublicIp=public)
    cloud.terminate('proja', [a1, a2])
    cloud.terminate('projb', [b])
    print('\nmulti-node (2 compute nodes): up %.1fs; 3 guests running with '
          'markers %.1fs; group rule on both nodes after %.1fs; A1->A2 '
          '%d/10, A2->A1 %d/10 rounds answered across hosts; B reached A '
          'in 0/%d rounds; floating IP %d/20 pings from outside; revoke '
          'effective after %.1fs; metadata: 3/3 guests got their own '
          'instance-id and local-ipv4 from their node, the other node and '
          'non-guest/forged requests refused (%s) in %.1fs' % (
              cloud.up_seconds, booted, took, counted['a1'], counted['a2'],
              len(rounds_b), floating_ok, closed_after,
              ', '.join('%s %d' % (k, v[0]) for k, v in refused.items()),
              metadata_took))


def _lost(rounds, after, peer, until):
    """Rounds in (after, until] where ``peer`` did not answer."""
    return [n for n, seen in rounds if after < n <= until and
            peer not in seen]


def test_live_migration_of_a_pinged_guest_then_a_node_crash(cloud):
    a = cloud.client('proja')
    a.create_security_group(GroupName='mn-m', Description='migration')
    a.authorize_security_group_ingress(GroupName='mn-m', IpPermissions=[
        {'IpProtocol': 'icmp', 'FromPort': -1, 'ToPort': -1,
         'UserIdGroupPairs': [{'GroupName': 'mn-m'}]}])
    m1 = cloud.run('proja', 'c1', PINGER, group='mn-m')
    m2 = cloud.run('proja', 'c2', PINGER, group='mn-m')
    ips = {}
    for ec2_id in (m1, m2):
        ips[ec2_id] = cloud.wait_running('proja', ec2_id)['PrivateIpAddress']
        assert cloud.marker('proja', ec2_id)[1] == ec2_id
    names = {ec2_id: 'instance-%s-%08x' % (cloud.prefix, int(ec2_id[2:], 16))
             for ec2_id in (m1, m2)}
    before = cloud.first_round('proja', m1, 0,
                          lambda seen: ips[m2] in seen)

    # live-migrate M2 (c2 -> c1) while M1 pings it every second
    asked = cloud.last_round('proja', m1)
    migrated = cloud.migrate('live_migration', m2, 'c1', 180)
    done = cloud.last_round('proja', m1)
    back = cloud.first_round('proja', m1, done,
                        lambda seen: ips[m2] in seen)
    rounds = cloud.rounds('proja', m1)
    lost_migration = _lost(rounds, asked, ips[m2], back)
    assert cloud.domains('c1').get(names[m2]) is True
    assert names[m2] not in cloud.domains('c2')
    assert multinode_cloud.qemu_count(names[m2]) == 1
    # the same guest: not booted again
    assert len(multinode_cloud.MARKER_RE.findall(
        cloud.console('proja', m2))) == 1

    # c1 (both guests now) loses nova-compute and libvirtd to SIGKILL
    mark = cloud.last_round('proja', m1)
    cloud.tool('kill', 'c1')
    time.sleep(3)
    restarted = time.time()
    cloud.tool('restart', 'c1')

    cloud.wait_reported('c1', 90)
    # reconciled: both still running, each once, on c1 only, not rebooted
    domains = cloud.domains('c1')
    for ec2_id in (m1, m2):
        assert domains.get(names[ec2_id]) is True, domains
        assert names[ec2_id] not in cloud.domains('c2')
        assert multinode_cloud.qemu_count(names[ec2_id]) == 1
        assert cloud.describe('proja', ec2_id)['State']['Name'] == 'running'
        assert cloud.host_of(ec2_id) == 'c1'
        assert len(multinode_cloud.MARKER_RE.findall(
            cloud.console('proja', ec2_id))) == 1
    assert cloud.query("SELECT count(*) FROM instances WHERE deleted = "
                       "false AND project_id = 'proja' AND vm_state = "
                       "'active'")[0][0] == 2
    after = cloud.first_round('proja', m1, mark,
                         lambda seen: ips[m2] in seen)
    reconciled = time.time() - restarted
    lost_crash = _lost(cloud.rounds('proja', m1), mark, ips[m2], after)

    cloud.terminate('proja', [m1, m2])
    assert cloud.domains('c1') == {} and cloud.domains('c2') == {}
    print('\nlive migration c2 -> c1 of a pinged guest: %.1fs, %d of %d '
          'ping rounds lost (1 round/s; pings answered from round #%d); c1 '
          'nova-compute + libvirtd SIGKILLed and restarted: reporting and '
          'reconciled after %.1fs, 2 guests running once each, %d ping '
          'rounds lost' % (migrated, len(lost_migration), back - asked,
                           before, reconciled, len(lost_crash)))
