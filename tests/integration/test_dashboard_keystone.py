"""The dashboard signing in through a real Keystone, in a real browser.

One Keystone (tests/integration/keystone_server.py; tokens live
``TOKEN_LIFE`` seconds so that expiry is testable), one in-process cloud
whose OpenStack API runs the manual's Keystone pipeline (``faultwrap
authtoken keystonecontext ratelimit extensions osapiapp11``), nova's
endpoints registered in Keystone's catalog by
tools/keystone/register_nova.py, and the dashboard with
``--dashboard_keystone_url``.  Headless Chromium (tests/browser_support.py)
signs in with Keystone user names, passwords and projects: a member
launches an instance on the fake driver, sees it ACTIVE and terminates
it; a wrong password is refused on the login page; only a Keystone admin
gets the admin pages; a changed password (tokens revoked) and an expired
token send the browser back to the login page; logging out revokes the
token in Keystone.  Keystone's fernet tokens
(``gAAAAA…``) never reach a URL, a cookie, a page or a log record.

Skips, naming the reason, when Keystone, keystonemiddleware, selenium or
Chromium is absent.
"""

import logging
import os
import subprocess
import sys
import time

import pytest
import requests

from nova.dashboard import app as dashboard_app  # noqa: F401 - its flags
from nova.dashboard import keystone as dashboard_keystone  # noqa: F401
from tests.browser_support import CHROMEDRIVER
from tests.browser_support import CHROMIUM
from tests.browser_support import artifact_dir
from tests.browser_support import wait_until as _wait
from tests.functional.conftest import InProcessCloud
from tests.integration import keystone_server as ks
from tests.integration.private_services import free_port

pytest.importorskip('keystonemiddleware.auth_token',
                    reason='keystonemiddleware is not installed '
                    "(pip install 'nova[keystone]')")
pytest.importorskip('selenium.webdriver')
pytestmark = [
    pytest.mark.integration, pytest.mark.timeout(900),
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                       reason="needs Debian's chromium and chromium-driver "
                       'packages')]

TOKEN_LIFE = 60
REGISTER = os.path.join(ks.REPO, 'tools', 'keystone', 'register_nova.py')
#: every Keystone fernet token starts so (version byte 0x80, base64url).
FERNET_PREFIX = 'gAAAAA'


class _Records(logging.Handler):
    """Every log record's formatted text (to look for tokens): nova's
    at every level, the libraries' as their loggers let through."""

    def __init__(self):
        super(_Records, self).__init__(logging.DEBUG)
        self.texts = []

    def emit(self, record):
        try:
            self.texts.append(self.format(record))
        except Exception:  # noqa: BLE001 - a record that cannot format
            self.texts.append(str(record.msg))


def _register_catalog(keystone, osapi_port, ec2_port, home):
    env = {'PATH': '/usr/bin:/bin', 'HOME': str(home), 'LC_ALL': 'C.UTF-8'}
    proc = subprocess.run(
        [sys.executable, REGISTER, '--osapi-port', str(osapi_port),
         '--ec2-port', str(ec2_port), '--os-auth-url', keystone.auth_url,
         '--os-username', 'admin', '--os-password', ks.ADMIN_PASSWORD,
         '--os-project-name', 'admin', '--os-user-domain-name', 'Default',
         '--os-project-domain-name', 'Default', '--region', 'RegionOne'],
        env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    """Keystone (project ``alpha``: alice and bob members, root admin),
    the cloud behind it, the catalog, and the Keystone dashboard."""
    records = _Records()
    logging.getLogger().addHandler(records)
    nova_logger = logging.getLogger('nova')
    nova_level = nova_logger.level
    nova_logger.setLevel(logging.DEBUG)
    keystone = ks.start_keystone(tmp_path_factory, TOKEN_LIFE)
    cloud = None
    try:
        admin = keystone.admin()
        service = admin.create('project', name='service')
        nova = admin.create('user', name='nova',
                            password=ks.SERVICE_PASSWORD)
        admin.grant(nova, service, 'admin')
        ids = {'alpha': admin.create('project', name='alpha')}
        for name, role in (('alice', 'member'), ('bob', 'member'),
                           ('root', 'admin')):
            ids[name] = admin.create('user', name=name,
                                     password=name + '-pw')
            admin.grant(ids[name], ids['alpha'], role)
        state = tmp_path_factory.mktemp('cloud')
        port = free_port()
        cloud = InProcessCloud(state, extra_flags={
            'api_paste_config': ks.paste_config(
                str(state / 'api-paste.ini'), keystone),
            'osapi_rate_limits': 'none', 'allow_admin_api': True,
            'dashboard_listen': '127.0.0.1', 'dashboard_listen_port': port,
            'dashboard_keystone_url': keystone.auth_url})
        cloud.start()

        def start():
            from nova import service as nova_service
            ports = []
            for name, wanted in (('osapi', 0), ('dashboard', port)):
                api = nova_service.WSGIService(name, host='127.0.0.1',
                                               port=wanted)
                api.start()
                cloud.services.append(api)
                ports.append(api.port)
            return ports

        cloud.osapi_port, dash_port = cloud.call_in_cloud(start)
        cloud.dashboard_url = 'http://127.0.0.1:%d' % dash_port
        _register_catalog(keystone, cloud.osapi_port, cloud.port,
                          tmp_path_factory.mktemp('register'))
        cloud.register_image('cirros')
        cloud.keystone, cloud.ids, cloud.records = keystone, ids, records
        yield cloud
    finally:
        if cloud is not None:
            cloud.stop()
        keystone.stop()
        logging.getLogger().removeHandler(records)
        nova_logger.setLevel(nova_level)


@pytest.fixture(scope='module')
def artifacts(tmp_path_factory):
    return artifact_dir(tmp_path_factory, 'dashboard-keystone')


def _fill_login(driver, world, user, password, project='alpha'):
    from selenium.webdriver.common.by import By
    if '/login' not in driver.current_url:
        driver.get(world.dashboard_url + '/login')
    driver.find_element(By.ID, 'username').send_keys(user)
    driver.find_element(By.ID, 'password').send_keys(password)
    driver.find_element(By.ID, 'project').send_keys(project)
    driver.find_element(By.ID, 'sign-in').click()


def _sign_in(driver, world, user, project='alpha'):
    _fill_login(driver, world, user, user + '-pw', project)
    _wait(driver, lambda d: '/login' not in d.current_url)


def _shot(driver, artifacts, name):
    path = os.path.join(artifacts, name + '.png')
    assert driver.save_screenshot(path)


def _no_token_exposed(driver, world):
    assert FERNET_PREFIX not in driver.current_url
    assert FERNET_PREFIX not in driver.page_source
    for cookie in driver.get_cookies():
        assert FERNET_PREFIX not in cookie['value']
    assert not [t for t in world.records.texts if FERNET_PREFIX in t]


def _api_servers(world, user):
    """``{name: status}`` of alpha's servers, asked of the API with the
    user's own Keystone token."""
    token = ks.token(world.keystone.auth_url, user, user + '-pw',
                     'alpha')[0]
    resp = requests.get('http://127.0.0.1:%d/v1.1/%s/servers/detail' % (
        world.osapi_port, world.ids['alpha']), headers={
            'X-Auth-Token': token, 'Accept': 'application/json',
            'Connection': 'close'}, timeout=60)
    assert resp.status_code == 200, resp.text
    return {s['name']: s['status'] for s in resp.json()['servers']}


def test_member_launches_sees_it_running_and_terminates(world, browser,
                                                         artifacts):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    browser.get(world.dashboard_url + '/instances')
    assert '/login' in browser.current_url
    assert browser.find_elements(By.ID, 'password')
    assert not browser.find_elements(By.ID, 'access_key')
    _shot(browser, artifacts, '01-keystone-login')
    _sign_in(browser, world, 'alice')
    assert browser.current_url.endswith('/instances')
    assert 'alice @ alpha' in browser.page_source
    assert 'Admin:' not in browser.page_source
    cookie = browser.get_cookie('nova_dashboard_session')
    assert cookie['httpOnly'] and cookie['sameSite'] == 'Strict'
    _no_token_exposed(browser, world)

    browser.find_element(By.ID, 'launch-name').send_keys('ks-web1')
    Select(browser.find_element(By.ID, 'launch-image')) \
        .select_by_visible_text('cirros')
    Select(browser.find_element(By.ID, 'launch-flavor')).select_by_index(0)
    browser.find_element(By.ID, 'launch').click()
    _wait(browser, lambda d: 'Launched instance' in d.page_source)
    row = browser.find_element(By.CSS_SELECTOR, '#instances tr[data-id]')
    server_id = row.get_attribute('data-id')
    _wait(browser, lambda d: d.find_element(
        By.CSS_SELECTOR, '#server-%s .status' % server_id).text == 'ACTIVE')
    _shot(browser, artifacts, '02-keystone-instance-active')
    # The API saw the instance in Keystone's project alpha, through the
    # Keystone pipeline.
    assert _api_servers(world, 'alice') == {'ks-web1': 'ACTIVE'}

    browser.find_element(By.CSS_SELECTOR,
                         '#server-%s button.terminate' % server_id).click()
    _wait(browser, lambda d: 'Terminating instance' in d.page_source)
    _wait(browser, lambda d: not d.find_elements(
        By.CSS_SELECTOR, '#server-%s' % server_id) or d.find_element(
        By.CSS_SELECTOR, '#server-%s .status' % server_id).text
        == 'DELETED', timeout=90)
    deadline = time.time() + 30
    while _api_servers(world, 'alice'):
        assert time.time() < deadline, 'ks-web1 was not deleted'
        time.sleep(1)
    _shot(browser, artifacts, '03-keystone-terminated')

    # A member is no admin: no admin page.
    browser.get(world.dashboard_url + '/admin/services')
    assert 'This page is for administrators' in browser.page_source
    _no_token_exposed(browser, world)


def _login_post(world, **form):
    """The login page's status and text after a form POST (with the
    form's CSRF token and cookie)."""
    session = requests.Session()
    page = session.get(world.dashboard_url + '/login', timeout=60)
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"')[0]
    resp = session.post(world.dashboard_url + '/login',
                        data=dict(form, csrf_token=csrf), timeout=60,
                        allow_redirects=False)
    return resp.status_code, resp.text


def test_wrong_password_and_project_are_refused(world, browser):
    from selenium.webdriver.common.by import By
    browser.get(world.dashboard_url + '/login')
    _fill_login(browser, world, 'alice', 'not-her-password')
    error = _wait(browser, lambda d: d.find_element(By.ID, 'error')).text
    assert 'Invalid user name, password or project' in error
    assert '/login' in browser.current_url
    # The refusal is logged, the password is not.
    assert [t for t in world.records.texts
            if "Keystone sign-in of 'alice'" in t]
    assert not [t for t in world.records.texts if 'not-her-password' in t]
    for form, status in (
            ({'username': 'alice', 'password': 'wrong', 'project':
              'alpha'}, 401),
            ({'username': 'nobody', 'password': 'x', 'project': 'alpha'},
             401),
            ({'username': 'alice', 'password': 'alice-pw', 'project':
              'no-such-project'}, 401),
            ({'username': 'alice', 'password': '', 'project': 'alpha'},
             401)):
        got, text = _login_post(world, **form)
        assert got == status, (form, got)
        assert 'id="error"' in text and 'Traceback' not in text
    # Signed in only with the right password (303 to the next page).
    got, _text = _login_post(world, username='alice', password='alice-pw',
                             project='alpha')
    assert got == 303


def test_admin_gets_admin_pages(world, browser, artifacts):
    from selenium.webdriver.common.by import By
    _sign_in(browser, world, 'root')
    assert 'Admin:' in browser.page_source
    for page in ('services', 'instances', 'flavors', 'projects', 'quotas',
                 'usage'):
        browser.get(world.dashboard_url + '/admin/' + page)
        assert 'This page is for administrators' not in \
            browser.page_source, page
        assert not browser.find_elements(By.CSS_SELECTOR, 'div.error'), page
        _shot(browser, artifacts, '04-keystone-admin-%s' % page)
    browser.get(world.dashboard_url + '/admin/services')
    row = [r for r in browser.find_elements(By.CSS_SELECTOR,
                                            '#services tr')
           if 'compute' in r.text][0]
    assert 'up' in row.text
    _no_token_exposed(browser, world)


def test_changed_password_ends_the_session(world, browser):
    _sign_in(browser, world, 'bob')
    browser.get(world.dashboard_url + '/instances')
    assert '/login' not in browser.current_url
    # A new password revokes bob's tokens; the API (token_cache_time -1)
    # answers the dashboard 401.
    world.keystone.admin().call('PATCH', '/users/%s' % world.ids['bob'],
                                {'user': {'password': 'bob-pw2'}})
    # Keystone's revocation events count whole seconds.
    time.sleep(1.5)
    browser.get(world.dashboard_url + '/instances')
    assert '/login' in browser.current_url
    assert 'Your session has ended' in browser.page_source
    _fill_login(browser, world, 'bob', 'bob-pw')
    assert 'Invalid user name, password or project' in _wait(
        browser, lambda d: d.find_element('id', 'error')).text
    _fill_login(browser, world, 'bob', 'bob-pw2')
    _wait(browser, lambda d: '/login' not in d.current_url)


def _token_revocations(world):
    _s, data = world.keystone.admin().call('GET', '/OS-REVOKE/events')
    return [e['audit_id'] for e in data['events'] if e.get('audit_id')]


def test_logout_revokes_the_token(world, browser):
    from selenium.webdriver.common.by import By
    before = _token_revocations(world)
    _sign_in(browser, world, 'alice')
    browser.find_element(By.ID, 'logout').click()
    _wait(browser, lambda d: '/login' in d.current_url)
    after = _token_revocations(world)
    assert len(after) == len(before) + 1
    browser.get(world.dashboard_url + '/instances')
    assert '/login' in browser.current_url


def test_v2_auth_url_falls_back_to_v3(world, browser, set_flags):
    set_flags(dashboard_keystone_url=world.keystone.url + '/v2.0')
    _sign_in(browser, world, 'alice')
    assert 'alice @ alpha' in browser.page_source


def test_expired_token_sends_back_to_login(world, browser):
    signed_in = time.time()
    _sign_in(browser, world, 'alice')
    browser.get(world.dashboard_url + '/usage')
    assert 'Usage of alpha' in browser.page_source
    time.sleep(max(0, signed_in + TOKEN_LIFE + 2 - time.time()))
    browser.get(world.dashboard_url + '/usage')
    assert '/login' in browser.current_url
    assert 'Your session has ended' in browser.page_source
    _no_token_exposed(browser, world)


def test_unreachable_keystone_is_a_login_page_error(world, set_flags):
    set_flags(dashboard_keystone_url='http://127.0.0.1:%d/v3' % free_port())
    status, text = _login_post(world, username='alice', password='alice-pw',
                               project='alpha')
    assert status == 502
    assert 'id="error"' in text and 'cannot be reached' in text
