"""Fixtures of the host-networking tests (namespaces ``n10-...``).

``cloud_host`` gives a test a "network host" namespace with a SQLite
database shared with the test process, a flagfile for nova-network, the
nova-dhcpbridge wrapper dnsmasq calls, and an agent (agent.py) running the
network manager inside the namespace.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import netns  # noqa: E402

@pytest.fixture
def lab():
    """A :class:`netns.Lab`, torn down after the test."""
    reason = netns.missing_tools()
    if reason:
        pytest.skip(reason)
    lab = netns.Lab()
    try:
        yield lab
    finally:
        lab.cleanup()


class CloudHost(object):
    """The network host namespace of a test and its nova configuration."""

    def __init__(self, lab, set_flags, manager, **extra):
        from nova.db import migration
        from nova.db.sqlalchemy import session
        self.lab = lab
        self.ns = lab.ns('h')
        self.db_path = os.path.join(lab.dir, 'nova.sqlite')
        bridge_script = lab.write(
            'nova-dhcpbridge', '#!/bin/sh\nexec %s %s "$@" >>%s/dhcpbridge.log '
            '2>&1\n' % (sys.executable, os.path.join(netns.REPO, 'bin',
                                                       'nova-dhcpbridge'),
                        lab.dir), mode=0o755)
        values = {
            'state_path': lab.dir,
            'sql_connection': 'sqlite:///%s' % self.db_path,
            'fake_rabbit': 'True',
            'network_manager': 'nova.network.manager.%s' % manager,
            'host': 'nethost',
            'fixed_range': '10.0.0.0/24',
            'routing_source_ip': '192.0.2.1',
            'public_interface': 'pub0',
            'dhcpbridge': bridge_script,
            'networks_path': os.path.join(lab.dir, 'networks'),
            'lock_path': lab.dir,
            'ec2_dmz_host': '10.0.0.1',
            'ec2_port': '8773',
            'flat_network_bridge': 'br100',
            'iptables_binary_name': 'nova-network',
            'force_dhcp_release': 'True',
            'logdir': lab.dir,
        }
        values.update(extra)
        self.flagfile = lab.flagfile('nova.conf', **values)
        lab.write('nova.conf', open(self.flagfile).read() +
                  '--dhcpbridge_flagfile=%s\n' % self.flagfile)
        set_flags(state_path=lab.dir,
                  sql_connection='sqlite:///%s' % self.db_path)
        session.reset()
        migration.db_sync()
        lab.exec(self.ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1')
        self.agent = None

    def start_agent(self):
        """The network manager inside the host namespace."""
        self.agent = self.lab.agent(self.ns, self.flagfile)
        return self.agent

    def iptables(self, table):
        """``iptables-save -t table`` of the host namespace."""
        return self.lab.exec(self.ns, 'iptables-save', '-t', table)


@pytest.fixture
def cloud_host(lab, set_flags):
    """``cloud_host(manager='FlatDHCPManager', **flags)`` -> CloudHost."""
    from nova.db.sqlalchemy import session
    made = []

    def make(manager='FlatDHCPManager', **extra):
        host = CloudHost(lab, set_flags, manager, **extra)
        made.append(host)
        return host

    yield make
    session.reset()
