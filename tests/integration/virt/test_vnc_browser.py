"""The VNC console in a real browser against a real QEMU display.

QEMU (TCG) boots the test guest's kernel and ramdisk with ``console=tty0``
and its VNC server on a loopback port; the guest prints its
``NOVA-TEST-GUEST`` marker on the VGA text console.  An in-process cloud
(fake hypervisor, whose ``set_vnc_display`` hook points the instance at
that QEMU display) runs the dashboard and nova-vncproxy.  Headless
Chromium signs in to the dashboard, presses the instance's "VNC" button
(the OpenStack API's ``os-getVNCConsole`` action), and the new tab's noVNC
(Debian's package, served by the proxy) says it is connected; its canvas
is compared, cell by cell, with QEMU's own ``screendump`` of the same
screen.  A forged token in the same page: noVNC reports the failure and
QEMU sees no VNC client.

Here QEMU is started by the test; test_run_cloud_libvirt_vnc.py does the
same with the guest libvirtd runs in a ``run_cloud.sh --libvirt`` cloud.
Screenshots go to ``$NOVA_TEST_ARTIFACTS/vnc`` (a temporary directory
otherwise).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from urllib import parse

import pytest

from tests.browser_support import CHROMEDRIVER
from tests.browser_support import CHROMIUM
from tests.browser_support import artifact_dir
from tests.browser_support import headless_chrome
from tests.functional.conftest import InProcessCloud
from tests.integration.virt.conftest import REPO
from tests.vnc_screen import canvas
from tests.vnc_screen import cell_mask
from tests.vnc_screen import read_ppm
from tests.vnc_screen import rgba_to_rgb
from tests.vnc_screen import wait
from tests.vnc_screen import wait_same_screen
from tests.vnc_screen import write_png

webdriver = pytest.importorskip('selenium.webdriver')
NOVNC = '/usr/share/novnc'
QEMU = shutil.which('qemu-system-x86_64')
pytestmark = [
    pytest.mark.integration, pytest.mark.timeout(300),
    pytest.mark.skipif(not (QEMU and CHROMIUM and CHROMEDRIVER),
                       reason='needs qemu-system-x86, chromium and '
                              'chromium-driver (Debian)'),
    pytest.mark.skipif(not os.path.isfile(os.path.join(NOVNC, 'vnc.html')),
                       reason='needs Debian\'s novnc package')]


def _free_port(low=0, high=0):
    for port in range(low, high) if low else [0]:
        sock = socket.socket()
        try:
            sock.bind(('127.0.0.1', port))
        except OSError:
            continue
        else:
            return sock.getsockname()[1]
        finally:
            sock.close()
    raise AssertionError('no free port in %d..%d' % (low, high))


class QemuDisplay(object):
    """The test guest under QEMU with its VNC server on 127.0.0.1."""

    def __init__(self, guest, workdir):
        self.port = _free_port(5900, 5999)
        self.monitor = os.path.join(workdir, 'monitor.sock')
        self.workdir = workdir
        self.dumps = 0
        self.log = open(os.path.join(workdir, 'qemu.log'), 'w')
        self.proc = subprocess.Popen(
            [QEMU, '-machine', 'accel=tcg', '-m', '256', '-nodefaults',
             '-vga', 'std', '-nic', 'none', '-display', 'none',
             '-kernel', guest['kernel'], '-initrd', guest['ramdisk'],
             '-append', 'console=tty0 quiet',
             '-vnc', '127.0.0.1:%d' % (self.port - 5900),
             '-monitor', 'unix:%s,server,nowait' % self.monitor],
            stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT)

    def hmp(self, command, timeout=10):
        """One human-monitor command; its output."""
        deadline = time.time() + timeout
        while not os.path.exists(self.monitor):
            assert self.proc.poll() is None, 'qemu exited'
            assert time.time() < deadline, 'no QEMU monitor'
            time.sleep(0.1)
        sock = socket.socket(socket.AF_UNIX)
        sock.settimeout(timeout)
        sock.connect(self.monitor)
        try:
            data = b''
            while not data.endswith(b'(qemu) '):
                data += sock.recv(4096)
            sock.sendall(command.encode() + b'\n')
            data = b''
            while not data.endswith(b'(qemu) '):
                data += sock.recv(65536)
        finally:
            sock.close()
        return data.decode('latin-1').replace('\r', '')

    def screendump(self, name):
        """(width, height, rgb bytes) of the screen, QEMU's own view."""
        self.dumps += 1
        path = os.path.join(self.workdir, '%s-%d.ppm' % (name, self.dumps))
        self.hmp('screendump %s' % path)
        # (the file may still be being written when the monitor answers)
        return read_ppm(path)

    def clients(self):
        """The VNC client lines of ``info vnc``."""
        return [line for line in self.hmp('info vnc').splitlines()
                if line.strip().startswith('Client:')]

    def stop(self):
        self.proc.kill()
        self.proc.wait(timeout=30)
        self.log.close()


@pytest.fixture(scope='module')
def guest_display(tmp_path_factory):
    proc = subprocess.run(
        [sys.executable, os.path.join(REPO, 'tools', 'build_test_guest.py')],
        capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail('cannot build the test guest: %s' % proc.stderr)
    guest = json.loads(proc.stdout)
    display = QemuDisplay(guest, str(tmp_path_factory.mktemp('qemu')))
    try:
        deadline = time.time() + 120
        while True:
            _w, _h, rgb = display.screendump('boot')
            mask = cell_mask(_w, _h, rgb)
            if mask[2].count('#') > 30:
                break
            assert time.time() < deadline, 'the guest printed nothing'
            time.sleep(1)
        yield display
    finally:
        display.stop()


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    """An in-process cloud with the dashboard and nova-vncproxy on
    loopback ports."""
    dash_port = _free_port()
    instance = InProcessCloud(
        tmp_path_factory.mktemp('cloud'), extra_flags={
            'osapi_rate_limits': 'none',
            'dashboard_listen': '127.0.0.1',
            'dashboard_listen_port': dash_port})
    instance.start()

    def start():
        from nova import flags
        from nova import service
        from nova.vnc import server as vncproxy
        rpc_side = service.Service.create(binary='nova-vncproxy',
                                          topic='vncproxy')
        rpc_side.start()
        web = vncproxy.VNCProxyService(host='127.0.0.1', port=0)
        web.start()
        flags.FLAGS.set('vnc_console_proxy_url',
                        'http://127.0.0.1:%d' % web.port)
        dash = service.WSGIService('dashboard', host='127.0.0.1',
                                   port=dash_port)
        dash.start()
        instance.services[:0] = [rpc_side, web, dash]
        return web.port, dash.port
    proxy_port, dash_port = instance.call_in_cloud(start)
    instance.proxy_port = proxy_port
    instance.dashboard_url = 'http://127.0.0.1:%d' % dash_port
    instance.register_image('vnc-guest')
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture(scope='module')
def artifacts(tmp_path_factory):
    return artifact_dir(tmp_path_factory, 'vnc')


@pytest.fixture
def browser():
    driver = headless_chrome('1200,900')
    try:
        yield driver
    finally:
        driver.quit()


def _give_display(cloud, server_id, port):
    from nova.virt import driver
    name = driver.instance_name({'id': int(server_id)})
    for svc in cloud.services:
        conn = getattr(getattr(svc, 'manager', None), 'driver', None)
        if name in getattr(conn, 'guests', {}):
            conn.set_vnc_display(name, '127.0.0.1', port)
            return
    raise AssertionError('no compute host has %s' % name)


def _signed_in_with_instance(browser, cloud):
    from selenium.webdriver.common.by import By
    access, _secret = cloud.create_user('vic', 'vicproj')
    browser.get(cloud.dashboard_url + '/login')
    browser.find_element(By.ID, 'username').send_keys('vic')
    browser.find_element(By.ID, 'access_key').send_keys(
        access.split(':', 1)[0])
    browser.find_element(By.ID, 'sign-in').click()
    wait(browser, lambda d: '/login' not in d.current_url)
    browser.get(cloud.dashboard_url + '/instances')
    browser.find_element(By.ID, 'launch-name').send_keys('console-guest')
    browser.find_element(By.ID, 'launch').click()
    row = wait(browser, lambda d: d.find_elements(
        By.CSS_SELECTOR, '#instances tr[data-id]'))[0]
    server_id = row.get_attribute('data-id')
    wait(browser, lambda d: d.find_element(
        By.CSS_SELECTOR, '#server-%s .status' % server_id).text == 'ACTIVE')
    return server_id


def test_dashboard_vnc_button_shows_the_guest_screen(cloud, guest_display,
                                                     browser, artifacts):
    from selenium.webdriver.common.by import By
    server_id = _signed_in_with_instance(browser, cloud)
    _give_display(cloud, server_id, guest_display.port)
    assert guest_display.clients() == []
    dashboard_tab = browser.current_window_handle
    browser.find_element(By.CSS_SELECTOR,
                         '#server-%s button.vnc' % server_id).click()
    wait(browser, lambda d: len(d.window_handles) == 2, timeout=20)
    browser.switch_to.window([h for h in browser.window_handles
                              if h != dashboard_tab][0])
    wait(browser, lambda d: d.current_url.startswith(
        'http://127.0.0.1:%d/vnc.html?' % cloud.proxy_port), timeout=20)
    # The token rides in the websocket path, never the dashboard's URL.
    assert 'token' in parse.parse_qs(
        parse.urlsplit(browser.current_url).query)['path'][0]
    wait(browser, lambda d: d.execute_script(
        'return document.documentElement.classList.contains('
        '"noVNC_connected");'), timeout=30)
    status = browser.find_element(By.ID, 'noVNC_status')
    assert 'Connected (unencrypted) to QEMU' in \
        status.get_attribute('textContent')
    assert len(guest_display.clients()) == 1

    # The canvas shows what QEMU shows: compare text cells.
    width, height, qemu_rgb = guest_display.screendump('reference')
    expected = cell_mask(width, height, qemu_rgb)

    got = wait_same_screen(browser, width, height, expected)
    # Row 2, under SeaBIOS' two lines: the guest's marker line.
    assert got[2].count('#') > 30, '\n'.join(got)
    browser.save_screenshot(os.path.join(artifacts, 'vnc-novnc.png'))
    write_png(os.path.join(artifacts, 'vnc-qemu-screendump.png'), width,
              height, qemu_rgb)
    _w, _h, rgba = canvas(browser)
    write_png(os.path.join(artifacts, 'vnc-canvas.png'), width, height,
              rgba_to_rgb(rgba))
    browser.close()
    browser.switch_to.window(dashboard_tab)
    deadline = time.time() + 20
    while guest_display.clients():
        assert time.time() < deadline, 'the proxy kept the VNC connection'
        time.sleep(0.2)


def test_forged_token_fails_in_novnc_and_reaches_nothing(cloud,
                                                         guest_display,
                                                         browser,
                                                         artifacts):
    from selenium.webdriver.common.by import By
    from nova import vnc
    assert guest_display.clients() == []
    browser.get(vnc.console_url('f' * 36, 'http://127.0.0.1:%d'
                                % cloud.proxy_port))
    status = browser.find_element(By.ID, 'noVNC_status')
    wait(browser, lambda d: 'noVNC_status_error' in
         status.get_attribute('class'), timeout=30)
    assert 'Failed to connect' in status.get_attribute('textContent')
    assert not browser.execute_script(
        'return document.documentElement.classList.contains('
        '"noVNC_connected");')
    browser.save_screenshot(os.path.join(artifacts, 'vnc-forged.png'))
    assert guest_display.clients() == []
