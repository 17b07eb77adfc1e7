"""The VNC console of a real guest of ``./run_cloud.sh --libvirt``, in a
real browser.

The real script starts the cloud (libvirtd, nova-all with nova-vncproxy in
its namespace; the APIs, the dashboard and the proxy relayed to the root
namespace's loopback, the ports the user is told).  One test guest boots
through EC2 (boto3 on 127.0.0.1); its QEMU's VNC server listens on the
namespace's 127.0.0.1, as the domain's XML says.  A console URL comes
from EC2 GetVncConsole, one from the OpenStack API's ``os-getVNCConsole``
and one from the ``nova get-vnc-console`` command the banner shows: each
is noVNC's page on the printed proxy address with a token of its own.
Headless Chromium (in the root namespace, through the relay) opens the
EC2 URL: noVNC says it is connected to the domain, and its canvas holds
what ``virsh screenshot`` of the same domain shows, text cell by text
cell, with the guest's marker line.  The OpenStack API's token opens a
websocket on which QEMU's RFB greeting arrives.  A forged token is a 403
(the browser's noVNC reports the failure, QEMU sees no client), and the
token of the instance once it is terminated is a 403 too.  Screenshots go
to ``$NOVA_TEST_ARTIFACTS/vnc-libvirt``.
"""

import http.client
import json
import os
import subprocess
import time
from urllib import parse

import pytest

from tests import vnc_support
from tests.browser_support import CHROMEDRIVER
from tests.browser_support import CHROMIUM
from tests.browser_support import artifact_dir
from tests.browser_support import headless_chrome
from tests.integration.virt.runcloud import boot_test_guest
from tests.integration.virt.runcloud import libvirt_cloud  # noqa: F401
from tests.integration.virt.runcloud import libvirt_uri
from tests.integration.virt.runcloud import novarc
from tests.vnc_screen import canvas
from tests.vnc_screen import cell_mask
from tests.vnc_screen import connected
from tests.vnc_screen import read_png
from tests.vnc_screen import read_ppm
from tests.vnc_screen import rgba_to_rgb
from tests.vnc_screen import wait
from tests.vnc_screen import wait_same_screen
from tests.vnc_screen import write_png

NOVNC = '/usr/share/novnc'
pytestmark = [
    pytest.mark.integration, pytest.mark.libvirt, pytest.mark.netns,
    pytest.mark.timeout(900),
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                       reason='needs chromium and chromium-driver (Debian)'),
    pytest.mark.skipif(not os.path.isfile(os.path.join(NOVNC, 'vnc.html')),
                       reason='needs Debian\'s novnc package')]


@pytest.fixture
def artifacts(tmp_path_factory):
    return artifact_dir(tmp_path_factory, 'vnc-libvirt')


def _virsh(cloud, *args):
    proc = subprocess.run(['virsh', '-c', libvirt_uri(cloud)] + list(args),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _screenshot(cloud, domain, path):
    """``(width, height, rgb)`` of ``virsh screenshot`` of the domain (a
    PNG from libvirt 9 on, a PPM before)."""
    _virsh(cloud, 'screenshot', domain, '--file', path)
    with open(path, 'rb') as source:
        png = source.read(4) == b'\x89PNG'
    return read_png(path) if png else read_ppm(path)


def _vnc_clients(cloud, domain):
    """The VNC client lines of QEMU's ``info vnc``."""
    out = _virsh(cloud, 'qemu-monitor-command', domain, '--hmp', 'info vnc')
    return [line for line in out.splitlines()
            if line.strip().startswith('Client:')]


def _osapi_console(cloud, server_id):
    """``os-getVNCConsole`` through the OpenStack API as novarc's user."""
    rc = novarc(cloud['novarc'], ('NOVA_USERNAME', 'NOVA_API_KEY',
                                  'NOVA_PROJECT_ID'))
    conn = http.client.HTTPConnection(
        '127.0.0.1', int(cloud['env']['NOVA_OSAPI_PORT']), timeout=60)
    try:
        conn.request('GET', '/v1.1/', headers={
            'X-Auth-User': rc['NOVA_USERNAME'],
            'X-Auth-Key': rc['NOVA_API_KEY'],
            'X-Auth-Project-Id': rc['NOVA_PROJECT_ID']})
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 204, answer.status
        token = answer.getheader('X-Auth-Token')
        base = parse.urlsplit(answer.getheader('X-Server-Management-Url'))
        conn.request('POST', '%s/servers/%d/action' % (
            base.path.rstrip('/'), server_id),
            body=json.dumps({'os-getVNCConsole': {'type': 'novnc'}}),
            headers={'X-Auth-Token': token, 'Accept': 'application/json',
                     'Content-Type': 'application/json'})
        answer = conn.getresponse()
        body = answer.read()
        assert answer.status == 200, body
        return json.loads(body)['console']
    finally:
        conn.close()


def _nova_cli_console(cloud, ec2_id):
    """The URL ``nova get-vnc-console`` prints, as the banner says it."""
    proc = subprocess.run(
        ['bash', '-c', '. "$1" && nova get-vnc-console $((16#${2#i-})) '
         'novnc', 'sh', cloud['novarc'], ec2_id],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    urls = [word for word in proc.stdout.split()
            if word.startswith('http://')]
    assert len(urls) == 1, proc.stdout
    return urls[0]


def _token_and_ws(url, proxy_port):
    """Check the URL's shape; ``(token, websocket path)``."""
    parts = parse.urlsplit(url)
    assert (parts.scheme, parts.hostname, parts.port, parts.path) == \
        ('http', '127.0.0.1', proxy_port, '/vnc.html'), url
    query = parse.parse_qs(parts.query)
    assert query['autoconnect'] == ['1'], url
    ws_path = '/' + query['path'][0]
    token = parse.parse_qs(parse.urlsplit(ws_path).query)['token'][0]
    return token, ws_path


def _ws_status(proxy_port, ws_path):
    """The status of a websocket handshake through the relay; with a 101,
    the RFB greeting read off it."""
    status, _headers, client = vnc_support.ws_connect(
        proxy_port, ws_path, origin='http://127.0.0.1:%d' % proxy_port,
        timeout=30)
    if client is None:
        return status, None
    try:
        return status, client.recv_exactly(12)
    finally:
        client.close()


def _wait_no_clients(cloud, domain, timeout=30):
    deadline = time.time() + timeout
    while _vnc_clients(cloud, domain):
        assert time.time() < deadline, 'the proxy kept the VNC connection' \
            + _debug(cloud)
        time.sleep(0.5)


def _debug(cloud):
    """The sockets of the proxy's port (both namespaces), for a failure."""
    port = ':%s ' % cloud['env']['NOVA_VNCPROXY_PORT']
    found = []
    for prefix in ([], ['ip', 'netns', 'exec', cloud['netns']]):
        out = subprocess.run(prefix + ['ss', '-tnp'], capture_output=True,
                             text=True).stdout
        found += [line for line in out.splitlines() if port in line]
    return '\nsockets of the proxy port:\n' + '\n'.join(found)


def test_vnc_console_of_a_real_guest_in_the_browser(libvirt_cloud,  # noqa: F811,E501
                                                    artifacts, tmp_path):
    from selenium.webdriver.common.by import By
    cloud = libvirt_cloud
    proxy_port = int(cloud['env']['NOVA_VNCPROXY_PORT'])
    banner = cloud['text']()
    # run_cloud.sh tells the user where noVNC is, on the relayed port.
    assert 'http://127.0.0.1:%d/vnc.html' % proxy_port in banner
    assert 'nova get-vnc-console' in banner
    client, image = cloud['client']()
    ec2_id, console = boot_test_guest(client, image)
    server_id = int(ec2_id[2:], 16)
    domain = 'instance-%08x' % server_id
    marker = [line for line in console.splitlines()
              if 'NOVA-TEST-GUEST ip=' in line][0]

    # QEMU's VNC server listens on the namespace's loopback only.
    xml = _virsh(cloud, 'dumpxml', domain)
    assert "<graphics type='vnc' port='59" in xml, xml
    assert "listen='127.0.0.1'" in xml, xml

    rc = novarc(cloud['novarc'])
    ec2 = vnc_support.console_ec2_client(
        str(tmp_path / 'models'),
        'http://127.0.0.1:%s/services/Cloud' % cloud['env']['NOVA_EC2_PORT'],
        rc['AWS_ACCESS_KEY_ID'], rc['AWS_SECRET_ACCESS_KEY'])
    ec2_url = ec2.get_vnc_console(InstanceId=ec2_id)['Url']
    ec2_token, _ws = _token_and_ws(ec2_url, proxy_port)
    osapi = _osapi_console(cloud, server_id)
    assert osapi['type'] == 'novnc'
    os_token, os_ws = _token_and_ws(osapi['url'], proxy_port)
    cli_token, _ws = _token_and_ws(_nova_cli_console(cloud, ec2_id),
                                   proxy_port)
    assert len({ec2_token, os_token, cli_token}) == 3

    # noVNC's page, from the proxy through the relay.
    conn = http.client.HTTPConnection('127.0.0.1', proxy_port, timeout=30)
    conn.request('GET', '/vnc.html')
    page = conn.getresponse()
    assert page.status == 200 and b'noVNC' in page.read()
    conn.close()

    assert _vnc_clients(cloud, domain) == []
    browser = headless_chrome('1200,900')
    try:
        # The console in a tab of its own, as the dashboard opens it.
        first_tab = browser.current_window_handle
        browser.switch_to.new_window('tab')
        browser.get(ec2_url)
        wait(browser, connected, timeout=60)
        status = browser.find_element(By.ID, 'noVNC_status')
        text = status.get_attribute('textContent')
        assert 'Connected (unencrypted) to' in text, text
        assert domain in text, text
        assert len(_vnc_clients(cloud, domain)) == 1

        # The canvas shows what libvirt's screenshot shows.
        width, height, shot = _screenshot(
            cloud, domain, os.path.join(str(tmp_path), 'screenshot'))
        expected = cell_mask(width, height, shot)
        got = wait_same_screen(browser, width, height, expected)
        # The guest's marker line is on its screen, and in the canvas: its
        # characters and spaces, cell for cell, on one row.
        line = marker[marker.index('NOVA-TEST-GUEST'):].strip()
        pattern = ''.join('.' if char == ' ' else '#' for char in line)
        assert any(pattern in row for row in got), '%s\n%s' % (
            pattern, '\n'.join(got))
        browser.save_screenshot(os.path.join(artifacts,
                                             'libvirt-novnc.png'))
        write_png(os.path.join(artifacts, 'libvirt-virsh-screenshot.png'),
                  width, height, shot)
        _w, _h, rgba = canvas(browser)
        write_png(os.path.join(artifacts, 'libvirt-canvas.png'), width,
                  height, rgba_to_rgb(rgba))

        # Closing the tab ends the VNC connection.
        browser.close()
        browser.switch_to.window(first_tab)
        _wait_no_clients(cloud, domain)

        # The OpenStack API's token reaches the same display.
        status_code, greeting = _ws_status(proxy_port, os_ws)
        assert status_code == 101
        assert greeting.startswith(b'RFB 003.')
        _wait_no_clients(cloud, domain)

        # A forged token: 403, nothing reaches QEMU.
        forged = '/websockify?token=' + 'f' * 36
        assert _ws_status(proxy_port, forged) == (403, None)
        browser.get('http://127.0.0.1:%d/vnc.html?%s' % (
            proxy_port, parse.urlencode({'autoconnect': '1',
                                         'reconnect': '0',
                                         'path': forged[1:]})))
        status = browser.find_element(By.ID, 'noVNC_status')
        wait(browser, lambda d: 'noVNC_status_error' in
             status.get_attribute('class'), timeout=30)
        assert 'Failed to connect' in status.get_attribute('textContent')
        assert not connected(browser)
        time.sleep(1)  # (noVNC's panels slide in: a still screenshot)
        browser.save_screenshot(os.path.join(artifacts,
                                             'libvirt-forged.png'))
        assert _vnc_clients(cloud, domain) == []
    finally:
        browser.quit()

    # A token of an instance that is gone is refused.
    unused = ec2.get_vnc_console(InstanceId=ec2_id)['Url']
    _token, unused_ws = _token_and_ws(unused, proxy_port)
    client.terminate_instances(InstanceIds=[ec2_id])
    deadline = time.time() + 120
    while domain in _virsh(cloud, 'list', '--all', '--name').split():
        assert time.time() < deadline, 'the domain stays'
        time.sleep(1)
    assert _ws_status(proxy_port, unused_ws) == (403, None)

