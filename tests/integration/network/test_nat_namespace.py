"""Floating IPs (DNAT/SNAT) and the metadata DNAT, proven with packets.

Host namespace: FlatDHCP network manager (agent) after ``init_host``, its
public interface ``pub0`` (192.0.2.1) linked to an "outside" namespace
(192.0.2.2) that has no route to the fixed range; a guest namespace holds
the instance's fixed IP.  A floating IP makes the guest reachable from
outside and its outbound traffic leave with the floating address;
disassociating undoes both.  nova-api runs in the host namespace on the
gateway address (``--ec2_dmz_host``), and the guest reads its own
instance-id from http://169.254.169.254/.
"""

import os
import subprocess
import sys

import pytest

import netns
from nova import context
from nova import db
from test_flatdhcp_namespace import create_network
from test_security_groups_namespace import boot_guest

pytestmark = [pytest.mark.netns, pytest.mark.integration,
              pytest.mark.timeout(150)]

FLOATING = '192.0.2.50'
ECHO_SERVER = '''
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 7000))
s.listen(5)
while True:
    c, peer = s.accept()
    c.sendall(peer[0].encode())
    c.close()
'''
CLIENT = '''
import socket, sys
try:
    c = socket.create_connection((sys.argv[1], 7000), timeout=2)
    print(c.recv(100).decode())
except OSError:
    sys.exit(1)
'''
UDP_ECHO = '''
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', 1194))
while True:
    data, peer = s.recvfrom(100)
    s.sendto(b'vpn:' + data, peer)
'''
UDP_ASK = '''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(b'hello', (sys.argv[1], int(sys.argv[2])))
print(s.recv(100).decode())
'''
FETCH = '''
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=30).read().decode())
'''


def ask(ns, address):
    """Connect from ``ns`` to the echo server at ``address``: the source
    address it saw, or None when the connection fails."""
    proc = subprocess.run(['ip', 'netns', 'exec', ns, sys.executable, '-c',
                           CLIENT, address], capture_output=True, text=True,
                          timeout=20)
    return proc.stdout.strip() if proc.returncode == 0 else None


def test_floating_ip_and_metadata(lab, cloud_host):
    host = cloud_host('FlatDHCPManager')
    agent = host.start_agent()
    create_network(agent)
    outside = lab.ns('o')
    lab.veth(host.ns, 'pub0', outside, 'eth0')
    lab.exec(host.ns, 'ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'pub0')
    lab.exec(outside, 'ip', 'addr', 'add', '192.0.2.2/24', 'dev', 'eth0')
    agent.call('manager', 'init_host', context=False)
    nat = host.iptables('nat')
    assert '-A nova-network-snat -s 10.0.0.0/24 -j SNAT --to-source ' \
        '192.0.2.1' in nat
    assert '-d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j DNAT ' \
        '--to-destination 10.0.0.1:8773' in nat

    guest = boot_guest(lab, host, agent, 'g1', 'server-1')
    lab.spawn(outside, sys.executable, '-c', ECHO_SERVER)
    lab.spawn(guest['ns'], sys.executable, '-c', ECHO_SERVER)
    for ns in (outside, guest['ns']):
        netns.wait_for(lambda ns=ns: ':7000' in lab.exec(ns, 'ss', '-ltn'),
                       what='echo server')
    # without a floating IP: outbound is SNATed to routing_source_ip,
    # inbound has no way in
    assert ask(guest['ns'], '192.0.2.2') == '192.0.2.1'
    assert ask(outside, FLOATING) is None

    ctxt = context.get_admin_context()
    db.floating_ip_bulk_create(ctxt, [{'address': FLOATING}])
    address = agent.call('manager', 'allocate_floating_ip', 'proj')
    assert address == FLOATING
    agent.call('manager', 'associate_floating_ip', FLOATING,
               guest['address'])
    assert FLOATING in lab.exec(host.ns, 'ip', '-o', 'addr', 'show', 'dev',
                                'pub0')
    # the failed attempt above left an unresolved neighbour entry outside
    # (a real deployment sends a gratuitous ARP: --send_arp_for_ha)
    lab.exec(outside, 'ip', 'neigh', 'flush', 'dev', 'eth0')
    assert ask(outside, FLOATING) == '192.0.2.2'       # DNAT to the guest
    assert ask(guest['ns'], '192.0.2.2') == FLOATING   # SNAT to floating
    # a restart of the driver (new process, same database) keeps them once
    agent.stop()
    agent = host.start_agent()
    agent.call('manager', 'init_host', context=False)
    agent.call('manager', 'init_host', context=False)
    nat = host.iptables('nat')
    assert nat.count('-j DNAT --to-destination %s' % guest['address']) == 2
    assert ask(outside, FLOATING) == '192.0.2.2'

    agent.call('manager', 'disassociate_floating_ip', FLOATING)
    assert FLOATING not in lab.exec(host.ns, 'ip', '-o', 'addr', 'show',
                                    'dev', 'pub0')
    assert ask(outside, FLOATING) is None
    assert ask(guest['ns'], '192.0.2.2') == '192.0.2.1'
    assert FLOATING not in host.iptables('nat')

    # the cloudpipe forward: UDP <vpn_ip>:<port> -> <vpn private>:1194
    lab.spawn(guest['ns'], sys.executable, '-c', UDP_ECHO)
    netns.wait_for(lambda: ':1194' in lab.exec(guest['ns'], 'ss', '-lun'),
                   what='the VPN stand-in')
    agent.call('driver', 'ensure_vpn_forward', '192.0.2.1', 1000,
               guest['address'], context=False)
    got = lab.exec(outside, sys.executable, '-c', UDP_ASK, '192.0.2.1',
                   '1000')
    assert got.strip() == 'vpn:hello'

    # metadata: nova-api on the gateway address, reached through the DNAT
    lab.spawn(host.ns, sys.executable,
              os.path.join(netns.REPO, 'bin', 'nova-api'),
              '--flagfile=%s' % host.flagfile, '--enabled_apis=ec2',
              '--ec2_listen=10.0.0.1', '--ec2_listen_port=8773',
              '--api_paste_config=%s' % os.path.join(
                  netns.REPO, 'etc', 'nova', 'api-paste.ini'))
    netns.wait_for(lambda: '10.0.0.1:8773' in lab.exec(host.ns, 'ss',
                                                        '-ltn'),
                   timeout=30, what='nova-api')
    got = lab.exec(guest['ns'], sys.executable, '-c', FETCH,
                   'http://169.254.169.254/latest/meta-data/instance-id',
                   timeout=60)
    assert got.strip() == 'i-%08x' % guest['id']
