"""``nova-manage network``, ``fixed`` and ``floating``, with the admin
manual's commands verbatim."""

import pytest

from nova import context
from nova import db
from nova import manage
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.session import session_scope
from nova.network import manager as _network_manager  # noqa: F401 - flags

FLAT = 'nova.network.manager.FlatManager'
FLATDHCP = 'nova.network.manager.FlatDHCPManager'
VLAN = 'nova.network.manager.VlanManager'


def run(capsys, *words):
    code = manage.main(['nova-manage'] + list(words))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ctxt(tmp_path, set_flags, capsys):
    """A database made by ``nova-manage db sync``, as an operator would.

    nova-manage monkey-patches (nova.cmd) before it builds the engine, so
    the engine is built by it, not before it.
    """
    from nova.db.sqlalchemy import session
    set_flags(state_path=str(tmp_path),
              sql_connection='sqlite:///%s/nova.sqlite' % tmp_path,
              flat_network_bridge=None, flat_interface=None,
              vlan_interface=None, network_manager=FLAT)
    session.reset()
    _reset_command_line_flags()
    assert run(capsys, 'db', 'sync')[0] == 0
    yield context.get_admin_context()
    session.reset()
    _reset_command_line_flags()


def _reset_command_line_flags():
    """Options that are also flags stay set after a command: unset them."""
    from nova import flags
    for name in ('network_size', 'num_networks', 'multi_host', 'flagfile'):
        if name in flags.FLAGS and flags.FLAGS.is_set(name):
            flags.FLAGS.reset(name)


def _networks(ctxt):
    return db.network_get_all(ctxt)


def _line(words):
    return ' '.join(words.split()).split(' ')


# -- the admin manual, verbatim -------------------------------------------------
def test_manual_novanet(ctxt, capsys, set_flags):
    # "nova-manage network create novanet 192.168.0.0/24 1 256"
    code, out, err = run(capsys, *_line(
        'network create novanet 192.168.0.0/24 1 256'))
    assert (code, err) == (0, '')
    [net] = _networks(ctxt)
    assert (net['label'], net['cidr'], net['gateway'], net['broadcast'],
            net['bridge'], net['dns1']) == (
        'novanet', '192.168.0.0/24', '192.168.0.1', '192.168.0.255',
        'br100', '8.8.4.4')
    ips = db.fixed_ip_get_all(ctxt)
    assert len(ips) == 256
    assert [ip['address'] for ip in ips if ip['reserved']] == [
        '192.168.0.0', '192.168.0.1', '192.168.0.255']


def test_manual_flat_with_bridge_flag(ctxt, capsys, set_flags):
    # the manual's nova.conf sets --flat_network_bridge=br100
    set_flags(flat_network_bridge='br100', network_manager=FLATDHCP)
    code, out, err = run(capsys, *_line(
        'network create public 192.168.0.0/24 1 255'))
    assert (code, out, err) == (0, '', '')
    assert _networks(ctxt)[0]['cidr'] == '192.168.0.0/24'


def test_manual_slash_12(ctxt, capsys):
    # "nova-manage network create public 192.168.3.0/12 1 256"
    code, out, err = run(capsys, *_line(
        'network create public 192.168.3.0/12 1 256'))
    assert code == 0, err
    assert 'not a network address' in out
    assert _networks(ctxt)[0]['cidr'] == '192.160.0.0/24'


def test_manual_ipv6_vlan_and_flatdhcp(ctxt, capsys, set_flags):
    # "nova-manage network create public 10.0.1.0/24 3 32 100 1000
    #  fd00:1::/48" (VlanManager, the pre-multi_host argument order)
    set_flags(network_manager=VLAN, vlan_interface='eth0')
    code, out, err = run(capsys, *_line(
        'network create public 10.0.1.0/24 3 32 100 1000 fd00:1::/48'))
    assert code == 0, err
    nets = _networks(ctxt)
    assert [(n['label'], n['cidr'], n['vlan'], n['vpn_public_port'],
             n['cidr_v6']) for n in nets] == [
        ('public_0', '10.0.1.0/27', 100, 1000, 'fd00:1::/64'),
        ('public_1', '10.0.1.32/27', 101, 1001, 'fd00:1:0:1::/64'),
        ('public_2', '10.0.1.64/27', 102, 1002, 'fd00:1:0:2::/64')]
    # "nova-manage network create public 10.0.2.0/24 3 32 0 0 fd00:1::/48"
    # (FlatDHCPManager) -- the v6 range is taken, use another one
    set_flags(network_manager=FLATDHCP, flat_network_bridge='br100')
    code, out, err = run(capsys, *_line(
        'network create public 10.0.2.0/24 3 32 0 0 fd00:2::/48'))
    assert code == 0, err
    flat = [n for n in _networks(ctxt) if n['cidr'].startswith('10.0.2.')]
    assert [(n['vlan'], n['bridge']) for n in flat] == [(None, 'br100')] * 3


def test_manual_vlan_ranges_with_flagfile(ctxt, capsys, set_flags, tmp_path):
    # "nova-manage --flagfile=/etc/nova/nova.conf network create private
    #  10.1.171.0/24 1 256" ... four times, one per VLAN
    conf = tmp_path / 'nova.conf'
    conf.write_text('--network_manager=nova.network.manager.VlanManager\n'
                    '--vlan_interface=eth0\n')
    for third in (171, 172, 173, 174):
        code, out, err = run(capsys, '--flagfile=%s' % conf, 'network',
                             'create', 'private', '10.1.%d.0/24' % third,
                             '1', '256')
        assert code == 0, err
    assert [(n['cidr'], n['vlan']) for n in _networks(ctxt)] == [
        ('10.1.171.0/24', 100), ('10.1.172.0/24', 101),
        ('10.1.173.0/24', 102), ('10.1.174.0/24', 103)]


def test_manual_floating_create(ctxt, capsys):
    # "nova-manage floating create my-hostname 68.99.26.170/31"
    code, out, err = run(capsys, *_line(
        'floating create my-hostname 68.99.26.170/31'))
    assert (code, out, err) == (0, '', '')
    code, out, err = run(capsys, 'floating', 'list')
    assert out == ('my-hostname\t68.99.26.170\tNone\n'
                   'my-hostname\t68.99.26.171\tNone\n')
    # "nova-manage floating destroy [hostname] [cidr]"
    code, out, err = run(capsys, *_line(
        'floating destroy my-hostname 68.99.26.170/31'))
    assert code == 0, err
    assert run(capsys, 'floating', 'list') == (0, '', '')


# -- options and listings -------------------------------------------------------
def test_create_with_options_and_list(ctxt, capsys):
    code, out, err = run(
        capsys, 'network', 'create', '--label=net', '--fixed_range_v4',
        '10.0.0.0/16', '--num_networks=2', '--network_size=256',
        '--bridge=br9', '--bridge_interface=eth3', '--multi_host=T',
        '--dns1=1.1.1.1', '--dns2=9.9.9.9', '--project_id=proj',
        '--priority=2')
    assert (code, out, err) == (0, '', '')
    nets = _networks(ctxt)
    assert [(n['label'], n['cidr'], n['bridge'], n['bridge_interface'],
             n['multi_host'], n['dns1'], n['dns2'], n['project_id'],
             n['priority']) for n in nets] == [
        ('net_0', '10.0.0.0/24', 'br9', 'eth3', True, '1.1.1.1', '9.9.9.9',
         'proj', 2),
        ('net_1', '10.0.1.0/24', 'br9', 'eth3', True, '1.1.1.1', '9.9.9.9',
         'proj', 2)]
    code, out, err = run(capsys, 'network', 'list')
    lines = out.splitlines()
    assert lines[0].split('\t') == [
        'id   ', 'IPv4              ', 'IPv6           ',
        'start address  ', 'DNS1           ', 'DNS2           ',
        'VlanID         ', 'project        ', 'uuid           ']
    assert [c.strip() for c in lines[1].split('\t')] == [
        str(nets[0]['id']), '10.0.0.0/24', 'None', '10.0.0.2', '1.1.1.1',
        '9.9.9.9', 'None', 'proj', nets[0]['uuid']]


def test_subnet_too_large_defaults_to_network_size(ctxt, capsys):
    code, out, err = run(capsys, 'network', 'create', 'big', '10.0.0.0/16')
    assert code == 0, err
    assert 'Subnet(s) too large, defaulting to /24.' in out
    assert _networks(ctxt)[0]['cidr'] == '10.0.0.0/24'


@pytest.mark.parametrize('words,message', [
    ('network create', '--label is required'),
    ('network create x', '--fixed_range_v4 or --fixed_range_v6'),
    ('network create x 10.0.0/24 1 256', 'Invalid CIDR'),
    ('network create x 10.0.0.0/24 1 512', 'does not fit'),
    ('network create x 10.0.0.0/24 3 128', 'not big enough'),
    ('network create x 10.0.0.0/24 one 256', 'num_networks'),
    ('network create x 10.0.0.0/24 1 lots', 'network_size'),
    ('network create x fd00::/48 1 256', 'not an IPv4 range'),
])
def test_bad_create(ctxt, capsys, words, message):
    code, out, err = run(capsys, *words.split())
    assert code != 0
    assert message in err and len(err.strip().splitlines()) == 1
    assert _networks(ctxt) == []


def test_overlap_and_delete(ctxt, capsys):
    assert run(capsys, *_line('network create a 10.0.0.0/24 1 256'))[0] == 0
    code, out, err = run(capsys, *_line('network create b 10.0.0.128/25'))
    assert code == 1 and 'overlaps network 10.0.0.0/24' in err
    with session_scope() as session:
        inst = models.Instance(project_id='p', user_id='u', host='c1',
                               hostname='vm1')
        session.add(inst)
        session.flush()
        inst_id = inst.id
    db.fixed_ip_associate(ctxt, '10.0.0.7', inst_id)
    code, out, err = run(capsys, 'network', 'delete', '10.0.0.0/24')
    assert code == 1 and '10.0.0.7' in err
    db.fixed_ip_disassociate(ctxt, '10.0.0.7')
    assert run(capsys, 'network', 'delete', '--network=10.0.0.0/24') == \
        (0, '', '')
    assert _networks(ctxt) == []
    code, out, err = run(capsys, 'network', 'delete', '10.9.0.0/24')
    assert code == 1 and '10.9.0.0/24' in err


def test_modify(ctxt, capsys):
    run(capsys, *_line('network create a 10.0.0.0/24 1 256'))
    # (--host would be taken by the --host flag: give it positionally)
    assert run(capsys, 'network', 'modify', '10.0.0.0/24', 'p1',
               'h1')[0] == 0
    net = _networks(ctxt)[0]
    assert (net['project_id'], net['host']) == ('p1', 'h1')
    run(capsys, 'network', 'modify', '10.0.0.0/24', '--disassociate-project',
        '--disassociate-host')
    net = _networks(ctxt)[0]
    assert (net['project_id'], net['host']) == (None, None)


# -- fixed ------------------------------------------------------------------------
def test_fixed_list_reserve_unreserve(ctxt, capsys):
    code, out, err = run(capsys, 'fixed', 'list')
    assert code == 2 and err.startswith('error: ')
    run(capsys, *_line('network create a 10.0.0.0/29 1 8'))
    with session_scope() as session:
        inst = models.Instance(project_id='p', user_id='u', host='c1',
                               hostname='vm1')
        session.add(inst)
        session.flush()
        inst_id = inst.id
    vif = db.virtual_interface_create(ctxt, {
        'address': '02:16:3e:00:00:01', 'instance_id': inst_id,
        'network_id': _networks(ctxt)[0]['id']})
    address = db.fixed_ip_associate_pool(ctxt, _networks(ctxt)[0]['id'],
                                         inst_id)
    db.fixed_ip_update(ctxt, address, {'virtual_interface_id': vif['id']})
    code, out, err = run(capsys, 'fixed', 'list')
    lines = out.splitlines()
    assert lines[0] == '%-18s\t%-15s\t%-17s\t%-15s\t%s' % (
        'network', 'IP address', 'MAC address', 'hostname', 'host')
    assert len(lines) == 9
    assert lines[3] == '%-18s\t%-15s\t%-17s\t%-15s\t%s' % (
        '10.0.0.0/29', '10.0.0.2', '02:16:3e:00:00:01', 'vm1', 'c1')
    code, out, err = run(capsys, 'fixed', 'list', 'c1')
    assert len(out.splitlines()) == 2
    assert run(capsys, 'fixed', 'list', 'nohost')[0] == 2
    assert run(capsys, 'fixed', 'reserve', '10.0.0.5') == (0, '', '')
    assert db.fixed_ip_get_by_address(ctxt, '10.0.0.5')['reserved']
    assert run(capsys, 'fixed', 'unreserve', '--address=10.0.0.5') == \
        (0, '', '')
    assert not db.fixed_ip_get_by_address(ctxt, '10.0.0.5')['reserved']
    code, out, err = run(capsys, 'fixed', 'reserve', '1.2.3.4')
    assert code == 2 and '1.2.3.4' in err


# -- floating -------------------------------------------------------------------------
def test_floating_errors(ctxt, capsys):
    assert run(capsys, 'floating', 'create', '--ip_range=4.4.4.0/30') == \
        (0, '', '')
    assert len(db.floating_ip_get_all(ctxt)) == 4
    code, out, err = run(capsys, 'floating', 'create', '4.4.4.2/31')
    assert code == 1 and 'already exists' in err
    code, out, err = run(capsys, 'floating', 'create', 'bogus')
    assert code == 1 and 'Invalid CIDR' in err
    code, out, err = run(capsys, 'floating', 'create', '10.0.0.0/8')
    assert code == 1 and 'at most' in err
    code, out, err = run(capsys, 'floating', 'delete', '4.4.4.0/29')
    assert code == 1 and 'not found' in err
    assert len(db.floating_ip_get_all(ctxt)) == 4
    assert run(capsys, 'floating', 'delete', '4.4.4.0/30')[0] == 0
    assert run(capsys, 'floating', 'create', '4.4.4.9') == (0, '', '')
    assert run(capsys, 'floating', 'list', 'nohost') == (0, '', '')


def test_project_scrub_frees_networks_and_groups(ctxt, capsys):
    """`project scrub` disassociates the project's networks and drops its
    security groups (Diablo's clean-up before deleting a project)."""
    from nova.auth import manager
    auth = manager.AuthManager()
    auth.create_user('scrubber')
    auth.create_project('scrubbed', 'scrubber')
    assert run(capsys, 'network', 'create', 'private', '10.9.0.0/24', '1',
               '256')[0] == 0
    network = db.network_get_all(ctxt)[0]
    db.network_update(ctxt, network['id'], {'project_id': 'scrubbed'})
    db.security_group_ensure_default(
        context.RequestContext('scrubber', 'scrubbed'))
    assert run(capsys, 'project', 'scrub', 'scrubbed')[0] == 0
    assert db.network_get(ctxt, network['id'])['project_id'] is None
    assert db.security_group_get_by_project(ctxt, 'scrubbed') == []
