"""nova-dhcpbridge: lease events run by dnsmasq leave dnsmasq free at once.

dnsmasq waits for its ``--dhcp-script`` to exit before it runs the next
lease event (renewals included), so a bridge that did its seconds of work
in the process dnsmasq waits for kept other leases' news waiting for
minutes on a busy host.  Run by dnsmasq, an ``add``/``old``/``del`` forks
and the process dnsmasq waits for exits at once; the child does the work.
"""

import os
import subprocess
import sys
import time

import pytest

from nova import context
from nova import db
from nova.cmd import dhcpbridge

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
MAC = '02:16:3e:00:00:01'


@pytest.mark.parametrize('argv, event', [
    (['b', 'add', MAC, '10.0.0.5', 'vm'], True),
    (['b', 'old', MAC, '10.0.0.5'], True),
    (['b', '--flagfile=/f', 'del', MAC, '10.0.0.5'], True),
    (['b', 'init'], False),
    (['b'], False),
    (['b', 'add', MAC], False),
])
def test_which_arguments_are_lease_events(argv, event):
    assert dhcpbridge._lease_event(argv) is event


def _record(monkeypatch, detached):
    """Calls of _detach / add_lease / del_lease / init_leases."""
    calls = []
    monkeypatch.setattr(dhcpbridge, '_detach',
                        lambda: calls.append('detach') or detached)
    monkeypatch.setattr(dhcpbridge, 'add_lease',
                        lambda mac, ip: calls.append(('add', mac, ip)))
    monkeypatch.setattr(dhcpbridge, 'del_lease',
                        lambda mac, ip: calls.append(('del', mac, ip)))
    monkeypatch.setattr(dhcpbridge, 'init_leases',
                        lambda nid: calls.append(('init', nid)) or '')
    monkeypatch.delenv('FLAGFILE', raising=False)
    monkeypatch.setattr(dhcpbridge.common, 'parse_args', lambda argv, b: [
        a for a in argv if not a.startswith('--')])
    return calls


def test_run_by_dnsmasq_the_parent_returns_without_the_work(monkeypatch):
    calls = _record(monkeypatch, detached=True)
    monkeypatch.setenv('DNSMASQ_INTERFACE', 'br100')
    assert dhcpbridge.main(['nova-dhcpbridge', 'old', MAC, '10.0.0.5',
                            'vm']) == 0
    assert calls == ['detach']


def test_run_by_dnsmasq_the_child_does_the_work(monkeypatch):
    calls = _record(monkeypatch, detached=False)
    monkeypatch.setenv('DNSMASQ_INTERFACE', 'br100')
    assert dhcpbridge.main(['nova-dhcpbridge', 'add', MAC, '10.0.0.5',
                            'vm']) == 0
    assert dhcpbridge.main(['nova-dhcpbridge', 'del', MAC, '10.0.0.5']) == 0
    assert calls == ['detach', ('add', MAC, '10.0.0.5'),
                     'detach', ('del', MAC, '10.0.0.5')]


def test_init_and_hand_runs_stay_in_the_foreground(monkeypatch):
    calls = _record(monkeypatch, detached=True)
    monkeypatch.setenv('DNSMASQ_INTERFACE', 'br100')
    monkeypatch.setenv('NETWORK_ID', '3')
    dhcpbridge.main(['nova-dhcpbridge', 'init'])
    for name in [n for n in os.environ if n.startswith('DNSMASQ_')]:
        monkeypatch.delenv(name)
    dhcpbridge.main(['nova-dhcpbridge', 'add', MAC, '10.0.0.5'])
    assert calls == [('init', 3), ('add', MAC, '10.0.0.5')]


def test_dnsmasq_is_not_kept_waiting_and_the_lease_still_lands(
        sqlite_db, tmp_path, instance_factory):
    """The real program as dnsmasq runs it (its output a pipe dnsmasq
    reads): the process dnsmasq waits for exits, and its child (another
    pid in the log) marks the fixed IP leased."""
    admin = context.get_admin_context()
    network = db.network_create_safe(admin, {
        'cidr': '10.0.0.0/24', 'bridge': 'br100', 'label': 'n'})
    instance_id = instance_factory()
    db.fixed_ip_create(admin, {'address': '10.0.0.5',
                               'network_id': network['id'],
                               'instance_id': instance_id,
                               'allocated': True})
    flagfile = tmp_path / 'dhcpbridge.conf'
    flagfile.write_text('\n'.join([
        '--sql_connection=sqlite:///%s' % sqlite_db,
        '--state_path=%s' % tmp_path, '--logdir=%s' % tmp_path,
        '--host=net1', '--fake_rabbit', '--verbose',
        '--network_manager=nova.network.manager.FlatManager', '']))
    env = dict(os.environ, FLAGFILE=str(flagfile),
               DNSMASQ_INTERFACE='br100')
    proc = subprocess.Popen(
        [sys.executable, os.path.join(REPO, 'bin', 'nova-dhcpbridge'),
         'add', MAC, '10.0.0.5', 'vm'], env=env, cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and out == '', err[-2000:]
    # the child's work comes (waited for, not timed)
    for _ in range(600):
        if db.fixed_ip_get_by_address(admin, '10.0.0.5')['leased']:
            break
        time.sleep(0.1)
    log = tmp_path / 'nova-dhcpbridge.log'
    text = log.read_text() if log.exists() else 'no log'
    assert db.fixed_ip_get_by_address(admin, '10.0.0.5')['leased'], text
    assert '(pid=' in text and '(pid=%d)' % proc.pid not in text, text
