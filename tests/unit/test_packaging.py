"""What an operator installs: systemd units, log rotation, install_host.sh."""

import configparser
import os
import shutil
import stat
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
UNITS = os.path.join(REPO, 'etc', 'systemd')
#: bin/ scripts that are not long-running services of their own.
NOT_DAEMONS = {'nova-all', 'nova-manage', 'nova-dhcpbridge', 'stack'}


def _daemons():
    return sorted(name for name in os.listdir(os.path.join(REPO, 'bin'))
                  if name not in NOT_DAEMONS)


def _unit(path):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(path)
    return parser


@pytest.mark.parametrize('daemon', _daemons())
def test_every_daemon_has_a_unit(daemon):
    unit = _unit(os.path.join(UNITS, '%s.service' % daemon))
    service = unit['Service']
    assert service['User'] == 'nova' and service['Group'] == 'nova'
    assert service['ExecStart'] == (
        '/opt/nova/bin/%s --flagfile=/etc/nova/nova.conf' % daemon)
    assert service['KillSignal'] == 'SIGTERM'
    assert unit['Install']['WantedBy'] == 'multi-user.target'


@pytest.fixture
def staged(tmp_path):
    """tools/install_host.sh staged under DESTDIR (no venv, no user)."""
    dest = tmp_path / 'root'
    got = subprocess.run(
        [os.path.join(REPO, 'tools', 'install_host.sh'), '--no-venv'],
        env=dict(os.environ, DESTDIR=str(dest)), capture_output=True,
        text=True, timeout=60)
    assert got.returncode == 0, got.stderr
    return dest


def test_install_host_lays_out_the_host(staged):
    for path in ('etc/nova/nova.conf', 'etc/nova/api-paste.ini',
                 'etc/logrotate.d/nova', 'etc/sudoers.d/nova',
                 'opt/nova/share/doc/nova/operations.rst'):
        assert (staged / path).is_file(), path
    for path in ('var/lib/nova', 'var/log/nova', 'etc/nova'):
        assert stat.S_IMODE((staged / path).stat().st_mode) == 0o750, path
    assert stat.S_IMODE((staged / 'etc/sudoers.d/nova').stat().st_mode) == \
        0o440
    with open(os.path.join(REPO, 'etc', 'nova', 'nova.conf.sample')) as f:
        assert (staged / 'etc/nova/nova.conf').read_text() == f.read()
    installed = sorted(p.name for p in
                       (staged / 'etc/systemd/system').iterdir())
    assert installed == ['%s.service' % d for d in _daemons()]
    rotate = (staged / 'etc/logrotate.d/nova').read_text()
    assert rotate.startswith('#') and '/var/log/nova/*.log {' in rotate


def test_install_host_keeps_an_existing_nova_conf(tmp_path):
    dest = tmp_path / 'root'
    (dest / 'etc' / 'nova').mkdir(parents=True)
    (dest / 'etc' / 'nova' / 'nova.conf').write_text('--verbose\n')
    got = subprocess.run(
        [os.path.join(REPO, 'tools', 'install_host.sh'), '--no-venv',
         '--prefix', '/srv/nova'],
        env=dict(os.environ, DESTDIR=str(dest)), capture_output=True,
        text=True, timeout=60)
    assert got.returncode == 0, got.stderr
    assert (dest / 'etc/nova/nova.conf').read_text() == '--verbose\n'
    unit = (dest / 'etc/systemd/system/nova-api.service').read_text()
    assert 'ExecStart=/srv/nova/bin/nova-api ' in unit


@pytest.mark.skipif(shutil.which('systemd-analyze') is None,
                    reason='systemd-analyze is not installed')
def test_units_pass_systemd_analyze_verify(staged, tmp_path):
    # verify checks that ExecStart's program exists; it is not installed
    # here (no venv), so it is pointed at a stand-in -- nothing else changes.
    stand_in = tmp_path / 'bin'
    stand_in.mkdir()
    units = tmp_path / 'units'
    units.mkdir()
    for daemon in _daemons():
        program = stand_in / daemon
        program.write_text('#!/bin/sh\nexit 0\n')
        program.chmod(0o755)
        text = (staged / 'etc/systemd/system' /
                ('%s.service' % daemon)).read_text()
        text = text.replace('/opt/nova/bin/%s' % daemon, str(program))
        (units / ('%s.service' % daemon)).write_text(text)
    got = subprocess.run(
        ['systemd-analyze', 'verify'] + sorted(
            str(p) for p in units.iterdir()),
        capture_output=True, text=True, timeout=120)
    problems = [line for line in (got.stdout + got.stderr).splitlines()
                if line.strip()]
    assert got.returncode == 0 and problems == [], problems
