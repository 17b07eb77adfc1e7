"""The dashboard in a real browser: headless Chromium (Debian's
``chromium`` + ``chromium-driver``) driven by selenium signs in, launches
an instance on the fake driver, watches it become ACTIVE without a page
reload, opens its console log and terminates it; an administrator walks
the admin pages.  Hostile input: a CSRF-less POST, another project's
instance id in a form and a script in an instance name.

Screenshots of every page go to ``$NOVA_TEST_ARTIFACTS/dashboard`` (a
temporary directory otherwise).
"""

import os
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.browser_support import CHROMEDRIVER
from tests.browser_support import CHROMIUM
from tests.browser_support import artifact_dir
from tests.browser_support import wait_until as _wait
from tests.functional.conftest import InProcessCloud
from tests.ports import free_port as _free_port

webdriver = pytest.importorskip('selenium.webdriver')
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason='needs Debian\'s chromium and chromium-driver packages')

BUILD_SECONDS = 4


@pytest.fixture(scope='module')
def dash(tmp_path_factory):
    """A cloud with the dashboard app (and its X-Auth-Key API) on a
    loopback port; spawning on the fake driver takes a few seconds."""
    from nova.virt import fake
    from nova.utils import concurrency
    original = fake.FakeConnection.spawn

    def slow_spawn(self, *args, **kwargs):
        concurrency.sleep(BUILD_SECONDS)
        return original(self, *args, **kwargs)

    fake.FakeConnection.spawn = slow_spawn
    port = _free_port()
    cloud = InProcessCloud(
        tmp_path_factory.mktemp('dashboard'), extra_flags={
            'osapi_rate_limits': 'none', 'allow_admin_api': True,
            'dashboard_listen': '127.0.0.1', 'dashboard_listen_port': port})
    cloud.start()

    def start():
        from nova import service
        api = service.WSGIService('dashboard', host='127.0.0.1', port=port)
        api.start()
        cloud.services.append(api)
        return api.port

    cloud.dashboard_url = 'http://127.0.0.1:%d' % cloud.call_in_cloud(start)
    cloud.register_image('cirros')
    try:
        yield cloud
    finally:
        cloud.stop()
        fake.FakeConnection.spawn = original


@pytest.fixture(scope='module')
def artifacts(tmp_path_factory):
    return artifact_dir(tmp_path_factory, 'dashboard')


def _key(access):
    return access.split(':', 1)[0]


def _sign_in(driver, dash, user, access):
    from selenium.webdriver.common.by import By
    driver.get(dash.dashboard_url + '/login')
    driver.find_element(By.ID, 'username').send_keys(user)
    driver.find_element(By.ID, 'access_key').send_keys(_key(access))
    driver.find_element(By.ID, 'sign-in').click()
    _wait(driver, lambda d: '/login' not in d.current_url)


def _shot(driver, artifacts, name):
    path = os.path.join(artifacts, name + '.png')
    assert driver.save_screenshot(path)
    assert os.path.getsize(path) > 1000


def test_user_launches_watches_reads_console_terminates(dash, browser,
                                                        artifacts):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    access, _secret = dash.create_user('alice', 'aliceproj')
    browser.get(dash.dashboard_url + '/')
    assert '/login' in browser.current_url
    _shot(browser, artifacts, '01-login')
    _sign_in(browser, dash, 'alice', access)
    assert 'Usage of aliceproj' in browser.page_source
    assert _key(access) not in browser.current_url
    _shot(browser, artifacts, '02-usage')

    browser.get(dash.dashboard_url + '/instances')
    name = '<script>alert(1)</script>web1'
    browser.find_element(By.ID, 'launch-name').send_keys(name)
    Select(browser.find_element(By.ID, 'launch-image')) \
        .select_by_visible_text('cirros')
    Select(browser.find_element(By.ID, 'launch-flavor')) \
        .select_by_index(0)
    browser.find_element(By.ID, 'launch').click()
    _wait(browser, lambda d: 'Launched instance' in d.page_source)
    row = browser.find_element(By.CSS_SELECTOR, '#instances tr[data-id]')
    server_id = row.get_attribute('data-id')
    # The name is text, not markup: no alert, the tags shown escaped.
    assert row.find_element(By.CLASS_NAME, 'name').text == name
    assert '&lt;script&gt;alert(1)&lt;/script&gt;web1' in \
        browser.page_source
    status = row.find_element(By.CLASS_NAME, 'status')
    assert status.text == 'BUILD'
    _shot(browser, artifacts, '03-instances-building')
    browser.execute_script('window.noReload = 42;')
    _wait(browser, lambda d: d.find_element(
        By.CSS_SELECTOR, '#server-%s .status' % server_id).text == 'ACTIVE')
    assert browser.execute_script('return window.noReload;') == 42
    ips = browser.find_element(By.CSS_SELECTOR,
                               '#server-%s .ips' % server_id).text
    assert ips.startswith('10.0.')
    _shot(browser, artifacts, '04-instances-active')

    browser.find_element(By.CSS_SELECTOR,
                         '#server-%s a.console' % server_id).click()
    output = _wait(browser, lambda d: d.find_element(
        By.ID, 'console-output')).text
    assert output.strip()
    _shot(browser, artifacts, '05-console-log')

    for page in ('images', 'keypairs', 'security_groups', 'floating_ips',
                 'volumes'):
        browser.get(dash.dashboard_url + '/' + page)
        assert 'Not done' not in browser.page_source, page
        _shot(browser, artifacts, '06-%s' % page)

    browser.get(dash.dashboard_url + '/instances')
    browser.find_element(By.CSS_SELECTOR,
                         '#server-%s button.terminate' % server_id).click()
    _wait(browser, lambda d: 'Terminating instance' in d.page_source)
    _wait(browser, lambda d: not d.find_elements(
        By.CSS_SELECTOR, '#server-%s' % server_id) or d.find_element(
        By.CSS_SELECTOR, '#server-%s .status' % server_id).text
        in ('DELETED',), timeout=30)
    _shot(browser, artifacts, '07-terminated')


def test_keypair_private_key_is_given_once(dash, browser, artifacts):
    from selenium.webdriver.common.by import By
    access, _secret = dash.create_user('kate', 'kateproj')
    _sign_in(browser, dash, 'kate', access)
    browser.get(dash.dashboard_url + '/keypairs')
    browser.find_element(By.ID, 'keypair-name').send_keys('k1')
    browser.find_element(By.ID, 'keypair-create').click()
    link = _wait(browser, lambda d: d.find_element(By.ID, 'download-key'))
    href = link.get_attribute('href')
    cookie = browser.get_cookie('nova_dashboard_session')
    assert cookie['httpOnly'] and cookie['sameSite'] == 'Strict'
    _shot(browser, artifacts, '08-keypair-created')
    opener = urllib.request.build_opener()
    opener.addheaders = [('Cookie', 'nova_dashboard_session=%s'
                          % cookie['value'])]
    body = opener.open(href).read().decode()
    assert 'PRIVATE KEY' in body
    with pytest.raises(urllib.error.HTTPError) as exc:
        opener.open(href)
    assert exc.value.code == 404


def test_admin_pages(dash, browser, artifacts):
    from selenium.webdriver.common.by import By
    access, _secret = dash.create_user('root', 'rootproj', admin=True)
    _sign_in(browser, dash, 'root', access)
    for page in ('services', 'instances', 'flavors', 'projects', 'quotas',
                 'usage'):
        browser.get(dash.dashboard_url + '/admin/' + page)
        assert 'Not done' not in browser.page_source, page
        _shot(browser, artifacts, '10-admin-%s' % page)
    browser.get(dash.dashboard_url + '/admin/services')
    row = [r for r in browser.find_elements(By.CSS_SELECTOR,
                                            '#services tr')
           if 'compute' in r.text][0]
    assert 'up' in row.text and 'enabled' in row.text
    row.find_element(By.CLASS_NAME, 'toggle').click()
    _wait(browser, lambda d: 'disabled.' in d.page_source)
    row = [r for r in browser.find_elements(By.CSS_SELECTOR,
                                            '#services tr')
           if 'compute' in r.text][0]
    assert 'disabled' in row.find_element(By.CLASS_NAME, 'status').text
    row.find_element(By.CLASS_NAME, 'toggle').click()
    _wait(browser, lambda d: 'enabled.' in d.page_source)
    _shot(browser, artifacts, '11-admin-services-toggled')
    browser.get(dash.dashboard_url + '/admin/projects')
    assert access.split(':')[0] not in browser.page_source


def _post(url, data, cookie=None):
    req = urllib.request.Request(
        url, data=urllib.parse.urlencode(data).encode(), method='POST')
    if cookie:
        req.add_header('Cookie', 'nova_dashboard_session=%s' % cookie)
    try:
        resp = urllib.request.urlopen(req)
        return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_hostile_posts_are_refused(dash, browser):
    from selenium.webdriver.common.by import By
    # Bob's instance, then Alice tries to terminate it through her form.
    bob, _s = dash.create_user('bob', 'bobproj')
    _sign_in(browser, dash, 'bob', bob)
    browser.get(dash.dashboard_url + '/instances')
    browser.find_element(By.ID, 'launch-name').send_keys('bobs')
    browser.find_element(By.ID, 'launch').click()
    row = _wait(browser, lambda d: d.find_element(
        By.CSS_SELECTOR, '#instances tr[data-id]'))
    bobs_id = row.get_attribute('data-id')
    browser.delete_all_cookies()

    eve, _s = dash.create_user('eve', 'eveproj')
    _sign_in(browser, dash, 'eve', eve)
    cookie = browser.get_cookie('nova_dashboard_session')['value']
    browser.get(dash.dashboard_url + '/instances')
    csrf = browser.find_element(
        By.CSS_SELECTOR, '#launch-form input[name=csrf_token]') \
        .get_attribute('value')
    base = dash.dashboard_url
    # No CSRF token (or a wrong one): refused, nothing done.
    status, body = _post(base + '/instances/%s/terminate' % bobs_id, {},
                         cookie)
    assert status == 403 and 'did not come from this dashboard' in body
    status, _b = _post(base + '/keypairs', {'name': 'x',
                                            'csrf_token': 'forged'}, cookie)
    assert status == 403
    # Another project's instance id with a valid token: the API's 404.
    for action in ('terminate', 'reboot', 'snapshot'):
        status, body = _post(base + '/instances/%s/%s' % (bobs_id, action),
                             {'csrf_token': csrf}, cookie)
        assert status == 404, (action, status)
        assert 'could not be found' in body
    status, _b = _post(base + '/floating_ips/associate', {
        'csrf_token': csrf, 'server': bobs_id, 'address': '10.9.9.9'},
        cookie)
    assert 400 <= status < 500
    status, _b = _post(base + '/instances/not-a-number/terminate',
                       {'csrf_token': csrf}, cookie)
    assert 400 <= status < 500
    # Bob's instance is still there.
    browser.delete_all_cookies()
    _sign_in(browser, dash, 'bob', bob)
    browser.get(dash.dashboard_url + '/instances')
    assert browser.find_elements(By.ID, 'server-%s' % bobs_id)
    # Signing in needs the login form's CSRF token too, and a wrong key
    # is refused.
    status, _b = _post(base + '/login', {'username': 'bob',
                                         'access_key': _key(bob)})
    assert status == 403
    browser.delete_all_cookies()
    browser.get(base + '/login')
    browser.find_element(By.ID, 'username').send_keys('bob')
    browser.find_element(By.ID, 'access_key').send_keys('wrong-key')
    browser.find_element(By.ID, 'sign-in').click()
    assert 'Invalid user name' in _wait(
        browser, lambda d: d.find_element(By.ID, 'error')).text
