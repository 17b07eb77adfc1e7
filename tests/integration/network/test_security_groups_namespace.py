"""Security groups enforced with iptables, proven with TCP in namespaces.

The network host namespace runs the FlatDHCP manager (agent ``nova-network``)
and a compute manager with the IptablesFirewallDriver (agent
``nova-compute``, its own chains).  Guests are namespaces on the bridge; an
"outside" namespace reaches them through the host's public interface.
Rules are changed in the database as the EC2 API does and the compute
manager's ``refresh_security_group_rules`` (the RPC the API casts) re-applies
them.
"""

import subprocess
import sys

import pytest

import netns
from nova import context
from nova import db
from test_flatdhcp_namespace import attach_guest, create_network, \
    make_instance

pytestmark = [pytest.mark.netns, pytest.mark.integration,
              pytest.mark.timeout(150)]

PORT = 8022
PROBE = ('import socket,sys\n'
         'try:\n'
         '    socket.create_connection((sys.argv[1], %d), timeout=1.5).close()\n'
         'except OSError:\n'
         '    sys.exit(1)\n' % PORT)


def reachable(lab, ns, address):
    """Whether a new TCP connection from ``ns`` to ``address`` succeeds."""
    return subprocess.run(['ip', 'netns', 'exec', ns, sys.executable, '-c',
                           PROBE, address], capture_output=True,
                          timeout=20).returncode == 0


def outside_world(lab, host):
    """An outside namespace linked to the host's public interface."""
    outside = lab.ns('o')
    lab.veth(host.ns, 'pub0', outside, 'eth0')
    lab.exec(host.ns, 'ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'pub0')
    lab.exec(outside, 'ip', 'addr', 'add', '192.0.2.2/24', 'dev', 'eth0')
    lab.exec(outside, 'ip', 'route', 'add', '10.0.0.0/24', 'via',
             '192.0.2.1')
    return outside


def boot_guest(lab, host, agent, role, hostname):
    """An instance row, its fixed IP, and a guest namespace using it."""
    instance_id = make_instance(hostname)
    nw_info = agent.call('manager', 'allocate_for_instance', instance_id,
                         host='nethost', project_id='proj')
    info = nw_info[0][1]
    address = info['ips'][0]['ip']
    guest = attach_guest(lab, host.ns, role, info['mac'])
    lab.exec(guest, 'ip', 'addr', 'add', '%s/24' % address, 'dev', 'eth0')
    lab.exec(guest, 'ip', 'route', 'add', 'default', 'via', '10.0.0.1')
    return {'id': instance_id, 'host': 'nethost', 'ns': guest,
            'address': address, 'nw_info': nw_info}


def compute_agent(lab, host):
    """nova-compute's firewall in the same host namespace."""
    flagfile = lab.write('nova-compute.conf', open(host.flagfile).read() +
                         '--iptables_binary_name=nova-compute\n'
                         '--allow_same_net_traffic=False\n')
    return lab.agent(host.ns, flagfile)


def group(ctxt, name):
    """A security group of project ``proj``."""
    return db.security_group_create(ctxt, {
        'name': name, 'description': name, 'project_id': 'proj',
        'user_id': 'user'})['id']


def test_ingress_rules_and_source_groups(lab, cloud_host):
    host = cloud_host('FlatDHCPManager')
    net = host.start_agent()
    create_network(net)
    outside = outside_world(lab, host)
    compute = compute_agent(lab, host)
    ctxt = context.get_admin_context()
    web, peer, stranger = (boot_guest(lab, host, net, role, role)
                           for role in ('web', 'peer', 'strg'))
    web_group, peers_group = group(ctxt, 'web'), group(ctxt, 'peers')
    db.instance_add_security_group(ctxt, web['id'], web_group)
    db.instance_add_security_group(ctxt, peer['id'], peers_group)
    lab.spawn(web['ns'], sys.executable, '-m', 'http.server', PORT,
              '--bind', '0.0.0.0')
    netns.wait_for(lambda: 'LISTEN' in lab.exec(web['ns'], 'ss', '-ltn'),
                   what='the guest server')
    # before any filter the port is open (so the checks below mean it)
    assert reachable(lab, outside, web['address'])
    for guest in (web, peer, stranger):
        compute.call('compute', 'apply_security_groups',
                     {'id': guest['id'], 'host': 'nethost'},
                     guest['nw_info'])
    # the web group has no rules: closed to everyone
    assert not reachable(lab, outside, web['address'])
    assert not reachable(lab, peer['ns'], web['address'])

    rule = db.security_group_rule_create(ctxt, {
        'parent_group_id': web_group, 'protocol': 'tcp', 'from_port': PORT,
        'to_port': PORT, 'cidr': '0.0.0.0/0'})
    compute.call('compute', 'refresh_security_group_rules', web_group)
    assert reachable(lab, outside, web['address'])
    filters = host.iptables('filter')
    assert '-A nova-compute-inst-%d -p tcp -m tcp --dport %d -j ACCEPT' % (
        web['id'], PORT) in filters
    assert 'nova-network-FORWARD' in filters  # the other binary's chains

    db.security_group_rule_destroy(ctxt, rule['id'])
    compute.call('compute', 'refresh_security_group_rules', web_group)
    assert not reachable(lab, outside, web['address'])

    # source-group rule: members of "peers" only
    db.security_group_rule_create(ctxt, {
        'parent_group_id': web_group, 'protocol': 'tcp', 'from_port': PORT,
        'to_port': PORT, 'group_id': peers_group})
    compute.call('compute', 'refresh_security_group_rules', web_group)
    assert reachable(lab, peer['ns'], web['address'])
    assert not reachable(lab, stranger['ns'], web['address'])
    assert not reachable(lab, outside, web['address'])
    # a new member of "peers" is admitted after the members refresh
    db.instance_add_security_group(ctxt, stranger['id'], peers_group)
    compute.call('compute', 'refresh_security_group_members', peers_group)
    assert reachable(lab, stranger['ns'], web['address'])

