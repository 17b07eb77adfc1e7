"""nova-all: the whole cloud in one process on the embedded default."""

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.ports import free_port as _free_port

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

pytestmark = [pytest.mark.functional, pytest.mark.timeout(120)]


NOVNC_PAGE = '/usr/share/novnc/vnc.html'


def test_nova_all_serves_and_registers_every_service(tmp_path):
    ec2_port, os_port = _free_port(), _free_port()
    vnc_port, dash_port = _free_port(), _free_port()
    flags = ['--state_path=%s' % tmp_path, '--ec2_listen=127.0.0.1',
             '--ec2_listen_port=%d' % ec2_port, '--osapi_listen=127.0.0.1',
             '--osapi_listen_port=%d' % os_port, '--report_interval=1',
             '--enabled_apis=ec2,osapi,dashboard',
             '--dashboard_listen_port=%d' % dash_port,
             '--vncproxy_host=127.0.0.1', '--vncproxy_port=%d' % vnc_port,
             '--logdir=%s' % tmp_path]
    novnc = os.path.isfile(NOVNC_PAGE)
    proc = subprocess.Popen(
        [sys.executable, os.path.join(REPO, 'bin', 'nova-all')] + flags,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        cwd=REPO)
    try:
        banner = proc.stdout.readline()
        assert banner.startswith('nova-all is running'), banner
        lines = [proc.stdout.readline() for _ in range(8 + novnc)]
        assert '  dashboard      http://127.0.0.1:%d/\n' % dash_port in lines
        body = urllib.request.urlopen(
            'http://127.0.0.1:%d/login' % dash_port, timeout=10).read()
        assert b'access_key' in body
        if novnc:
            assert '  vncproxy       http://127.0.0.1:%d/vnc.html\n' \
                % vnc_port in lines
            page = urllib.request.urlopen(
                'http://127.0.0.1:%d/vnc.html' % vnc_port, timeout=10)
            assert b'noVNC' in page.read()
        body = urllib.request.urlopen(
            'http://127.0.0.1:%d/' % ec2_port, timeout=10).read().decode()
        assert body.split() == ['1.0', '2007-01-19', '2007-03-01',
                                '2007-08-29', '2007-10-10', '2007-12-15',
                                '2008-02-01', '2008-09-01', '2009-04-04']
        expected = ['nova-compute', 'nova-network', 'nova-scheduler',
                    'nova-volume'] + (['nova-vncproxy'] if novnc else [])
        deadline = time.time() + 30
        while True:
            listing = subprocess.run(
                [sys.executable, os.path.join(REPO, 'bin', 'nova-manage'),
                 '--state_path=%s' % tmp_path, 'service', 'list'],
                capture_output=True, text=True, cwd=REPO, timeout=60).stdout
            alive = [line.split()[1] for line in listing.splitlines()
                     if ':-)' in line]
            if sorted(alive) == sorted(expected):
                break
            assert time.time() < deadline, listing
            time.sleep(1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
