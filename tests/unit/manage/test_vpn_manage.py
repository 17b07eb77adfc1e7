"""``nova-manage vpn list|change|run|spawn`` (cloudpipe endpoints), with a
fake OpenVPN server on loopback answering the client hello."""

import socket
import struct
import threading

import pytest

from nova import context
from nova import db
from nova import manage
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.session import session_scope
from nova.manage import vpn


def run(capsys, *words):
    code = manage.main(['nova-manage'] + list(words))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ctxt(tmp_path, set_flags, capsys):
    from nova.db.sqlalchemy import session
    set_flags(state_path=str(tmp_path), vpn_image_id='7',
              sql_connection='sqlite:///%s/nova.sqlite' % tmp_path)
    session.reset()
    assert run(capsys, 'db', 'sync')[0] == 0
    yield context.get_admin_context()
    session.reset()


def fake_openvpn():
    """A UDP server answering like OpenVPN; returns (port, stop)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(('127.0.0.1', 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(64)
            except OSError:
                continue
            _kind, session_id = struct.unpack('!BQ', data[:9])
            sock.sendto(struct.pack('!BQxxxxxQxxxx', 0x40, 99, session_id),
                        peer)
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return sock.getsockname()[1], lambda: (stop.set(), thread.join(),
                                           sock.close())


def test_vpn_ping():
    port, stop = fake_openvpn()
    try:
        assert vpn.vpn_ping('127.0.0.1', port, timeout=0.2)
    finally:
        stop()
    assert not vpn.vpn_ping('127.0.0.1', port, timeout=0.05)


def test_change_and_list(ctxt, capsys):
    from nova.auth import manager
    auth = manager.AuthManager()
    auth.create_user('vpnuser')
    auth.create_project('vpnproj', 'vpnuser')
    assert run(capsys, 'network', 'create', 'private', '10.9.0.0/24', '1',
               '256')[0] == 0
    network = db.network_get_all(ctxt)[0]
    db.network_update(ctxt, network['id'], {'project_id': 'vpnproj',
                                            'vpn_private_address':
                                            '10.9.0.2'})
    code, _out, err = run(capsys, 'vpn', 'change', 'vpnproj', 'nope', '1')
    assert code != 0 and 'not an IPv4 address' in err
    code, _out, err = run(capsys, 'vpn', 'change', 'nobody', '127.0.0.1',
                          '1194')
    assert code != 0 and 'has no networks' in err
    port, stop = fake_openvpn()
    try:
        assert run(capsys, 'vpn', 'change', 'vpnproj', '127.0.0.1',
                   str(port))[0] == 0
        with session_scope() as session:
            session.add(models.Instance(
                project_id='vpnproj', user_id='vpnuser', image_ref='7',
                hostname='cloudpipe', host='h1', vm_state='active'))
        code, out, _err = run(capsys, 'vpn', 'list')
    finally:
        stop()
    assert code == 0
    line = [li for li in out.splitlines() if li.startswith('vpnproj')][0]
    assert '127.0.0.1:%d' % port in line and '10.9.0.2' in line
    # No fixed IP yet: the address column says None.
    assert line.endswith('up') and 'None h1 i-00000001 active' in line
    with session_scope() as session:
        session.add(models.FixedIp(address='10.9.0.2', instance_id=1,
                                   network_id=network['id'],
                                   allocated=True))
    code, out, _err = run(capsys, 'vpn', 'list', '--project', 'vpnproj')
    line = [li for li in out.splitlines() if li.startswith('vpnproj')][0]
    assert '10.9.0.2 h1 i-00000001 active down' in line


def test_run_errors_are_one_line(ctxt, capsys, set_flags):
    from nova.auth import manager
    auth = manager.AuthManager()
    auth.create_user('vpnuser')
    auth.create_project('vpnproj', 'vpnuser')
    capsys.readouterr()     # the log lines of the set-up
    code, _out, err = run(capsys, 'vpn', 'run', 'nosuch')
    assert code == 1 and err.startswith('ERROR: ') and 'nosuch' in err
    assert len(err.splitlines()) == 1
    code, _out, err = run(capsys, 'vpn', 'run', 'vpnproj')
    # image 7 is not registered in this cloud
    assert code == 1 and 'cloudpipe image 7' in err
    set_flags(vpn_image_id='0')
    code, _out, err = run(capsys, 'vpn', 'run', 'vpnproj')
    assert code == 1 and '--vpn_image_id is not set' in err
    code, _out, err = run(capsys, 'vpn', 'spawn')
    assert code == 1 and '--vpn_image_id is not set' in err
    set_flags(vpn_image_id='7')
    with session_scope() as session:
        session.add(models.Instance(
            project_id='vpnproj', user_id='vpnuser', image_ref='7',
            vm_state='active'))
    code, _out, err = run(capsys, 'vpn', 'run', '--project', 'vpnproj')
    assert code == 1 and 'already has a VPN instance: i-00000001' in err
    # spawn skips a project that has its VPN.
    code, out, err = run(capsys, 'vpn', 'spawn')
    assert code == 0 and 'Every project already has a VPN instance' in out
