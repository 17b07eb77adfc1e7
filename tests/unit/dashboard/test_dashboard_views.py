"""Unit tests of the dashboard's views over a fake API client: sign-in,
sessions and cookies, CSRF, escaping, API faults shown (never a 500),
the one-time private key, admin pages and the listener guard."""

import re
import urllib.parse

import pytest
import webob

from nova import exception
from nova import flags
from nova.dashboard import app as web
from nova.dashboard import client as api_client

FLAGS = flags.FLAGS


class FakeClient(object):
    """Answers the dashboard's API calls from a dict; records writes."""

    def __init__(self, answers, admin=False):
        self.answers = answers
        self.admin = admin
        self.calls = []

    def request(self, method, path, body=None):
        self.calls.append((method, path, body))
        if path == '/os-services' and not self.admin:
            raise api_client.APIError(403, 'Only administrators')
        key = (method, path.split('?')[0])
        answer = self.answers.get(key)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def get(self, path):
        return self.request('GET', path)

    def post(self, path, body=None):
        return self.request('POST', path, body)

    def put(self, path, body):
        return self.request('PUT', path, body)

    def delete(self, path):
        return self.request('DELETE', path)

    def action(self, server_id, name, args=None):
        return self.post('/servers/%s/action' % server_id, {name: args})


SERVER = {'id': 7, 'name': '<script>alert(1)</script>', 'status': 'BUILD',
          'image': {'id': 3}, 'flavor': {'id': 1},
          'addresses': {'private': [{'addr': '10.0.0.2', 'version': 4}]},
          'security_groups': [{'name': 'default'}]}


def _answers():
    return {
        ('GET', '/os-create-server-ext/detail'): {'servers': [
            dict(SERVER)]},
        ('GET', '/images/detail'): {'images': [{'id': 3, 'name': 'cirros',
                                                'status': 'ACTIVE',
                                                'metadata': {}}]},
        ('GET', '/flavors/detail'): {'flavors': [{'id': 1, 'name':
                                                  'm1.tiny', 'vcpus': 1,
                                                  'ram': 512, 'disk': 0}]},
        ('GET', '/os-keypairs'): {'keypairs': []},
        ('GET', '/os-security-groups'): {'security_groups': []},
        ('POST', '/os-keypairs'): {'keypair': {
            'name': 'k1', 'private_key': '-----BEGIN RSA PRIVATE KEY-----'}},
        ('POST', '/servers/99/action'): api_client.APIError(
            404, 'Server 99 could not be found.'),
        ('DELETE', '/servers/99'): api_client.APIError(
            404, 'Server 99 could not be found.'),
        ('DELETE', '/servers/8'): api_client.APIError(
            500, 'The server has either erred'),
    }


class Harness(object):
    """A Dashboard whose API is a FakeClient; a browser-like cookie jar."""

    def __init__(self, monkeypatch, admin=False, checks_keys=True):
        self.fake = FakeClient(_answers(), admin=admin)
        self.dash = web.Dashboard(base_url='http://api.test/v1.1/')
        self.dash.client_for = lambda session: self.fake
        monkeypatch.setattr(api_client, 'api_checks_keys',
                            lambda url: checks_keys)
        monkeypatch.setattr(
            api_client, 'login',
            lambda url, user, key, project=None:
            ('tok', 'proj1') if key == 'right' else None)
        self.cookie = None

    def request(self, path, method='GET', post=None, scheme='http'):
        req = webob.Request.blank(path, method=method,
                                  base_url='%s://dash.test' % scheme)
        if post is not None:
            req.method = 'POST'
            req.content_type = 'application/x-www-form-urlencoded'
            req.body = urllib.parse.urlencode(post).encode()
        if self.cookie:
            req.headers['Cookie'] = 'nova_dashboard_session=%s' % self.cookie
        resp = req.get_response(self.dash)
        got = resp.headers.get('Set-Cookie', '')
        match = re.match(r'nova_dashboard_session=([^;]*)', got)
        if match:
            self.cookie = match.group(1) or None
        return resp

    def csrf(self, path='/login'):
        body = self.request(path).text
        return re.search(r'name="csrf_token" value="([^"]+)"',
                         body).group(1)

    def sign_in(self):
        token = self.csrf()
        resp = self.request('/login', post={
            'username': 'alice', 'access_key': 'right',
            'csrf_token': token})
        assert resp.status_int == 303
        return self.csrf('/instances')


def test_pages_need_a_session(monkeypatch):
    h = Harness(monkeypatch)
    resp = h.request('/instances')
    assert resp.status_int == 303
    assert resp.location.endswith('/login?next=/instances')


def test_sign_in_sets_a_new_safe_cookie_and_keeps_the_key_out(monkeypatch):
    h = Harness(monkeypatch)
    token = h.csrf()
    anonymous = h.cookie
    resp = h.request('/login', post={'username': 'alice',
                                     'access_key': 'right',
                                     'csrf_token': token})
    cookie = resp.headers['Set-Cookie']
    assert 'HttpOnly' in cookie and 'samesite=strict' in cookie.lower()
    assert 'secure' not in cookie.lower()
    assert h.cookie != anonymous
    assert 'right' not in cookie and 'tok' not in cookie
    assert 'right' not in resp.location
    assert h.request('/instances').status_int == 200


def test_secure_cookie_over_https(monkeypatch):
    h = Harness(monkeypatch)
    resp = h.request('/login', scheme='https')
    assert 'secure' in resp.headers['Set-Cookie'].lower()


def test_wrong_key_and_noauth_api_are_refused(monkeypatch):
    h = Harness(monkeypatch)
    resp = h.request('/login', post={'username': 'a', 'access_key': 'bad',
                                     'csrf_token': h.csrf()})
    assert resp.status_int == 401 and 'Invalid user name' in resp.text
    h = Harness(monkeypatch, checks_keys=False)
    resp = h.request('/login', post={'username': 'a', 'access_key': 'right',
                                     'csrf_token': h.csrf()})
    assert resp.status_int == 401 and 'does not check' in resp.text


def test_post_without_csrf_is_refused(monkeypatch):
    h = Harness(monkeypatch)
    h.sign_in()
    for form in ({}, {'csrf_token': 'forged'}):
        resp = h.request('/instances/7/terminate', post=form)
        assert resp.status_int == 403
    assert not [c for c in h.fake.calls if c[0] != 'GET']


def test_login_post_without_csrf_is_refused(monkeypatch):
    h = Harness(monkeypatch)
    resp = h.request('/login', post={'username': 'alice',
                                     'access_key': 'right'})
    assert resp.status_int == 403


def test_names_are_escaped(monkeypatch):
    h = Harness(monkeypatch)
    h.sign_in()
    body = h.request('/instances').text
    assert '<script>alert(1)</script>' not in body
    assert '&lt;script&gt;alert(1)&lt;/script&gt;' in body
    assert "default-src 'self'" in \
        h.request('/instances').headers['Content-Security-Policy']


def test_another_projects_id_shows_the_api_404(monkeypatch):
    h = Harness(monkeypatch)
    csrf = h.sign_in()
    for action in ('terminate', 'reboot', 'snapshot'):
        resp = h.request('/instances/99/%s' % action,
                         post={'csrf_token': csrf})
        assert resp.status_int == 404
        assert 'Server 99 could not be found.' in resp.text


def test_api_failure_is_a_502_page_not_a_500(monkeypatch):
    h = Harness(monkeypatch)
    csrf = h.sign_in()
    resp = h.request('/instances/8/terminate', post={'csrf_token': csrf})
    assert resp.status_int == 502
    assert 'Traceback' not in resp.text


def test_unexpected_error_is_logged_not_shown(monkeypatch):
    h = Harness(monkeypatch)
    h.sign_in()
    h.fake.answers[('GET', '/images/detail')] = {'unexpected': 1}
    resp = h.request('/images')
    assert resp.status_int == 502 and 'KeyError' not in resp.text


def test_instances_json_for_the_poll(monkeypatch):
    h = Harness(monkeypatch)
    h.sign_in()
    data = h.request('/instances.json').json
    assert data == {'servers': [{'id': 7, 'status': 'BUILD',
                                 'ips': ['10.0.0.2'], 'settled': False}]}


def test_launch_sends_user_data_base64_and_groups(monkeypatch):
    h = Harness(monkeypatch)
    csrf = h.sign_in()
    h.fake.answers[('POST', '/os-create-server-ext')] = {'server': {
        'name': 'web'}}
    resp = h.request('/instances', post={
        'csrf_token': csrf, 'name': 'web', 'image': '3', 'flavor': '1',
        'keypair': 'k1', 'security_groups': 'default', 'user_data': 'hi'})
    assert resp.status_int == 303
    body = [c[2] for c in h.fake.calls
            if c[:2] == ('POST', '/os-create-server-ext')][0]['server']
    assert body == {'name': 'web', 'imageRef': '3', 'flavorRef': '1',
                    'key_name': 'k1', 'security_groups': [{'name':
                                                           'default'}],
                    'user_data': 'aGk='}


def test_private_key_is_downloadable_once(monkeypatch):
    h = Harness(monkeypatch)
    csrf = h.sign_in()
    h.request('/keypairs', post={'csrf_token': csrf, 'name': 'k1'})
    first = h.request('/keypairs/k1/download')
    assert first.status_int == 200 and 'PRIVATE KEY' in first.text
    assert first.headers['Content-Disposition'].startswith('attachment')
    assert first.headers['Cache-Control'] == 'no-store'
    assert h.request('/keypairs/k1/download').status_int == 404


def test_admin_pages_need_an_admin(monkeypatch):
    h = Harness(monkeypatch)
    h.sign_in()
    assert h.request('/admin/services').status_int == 403
    h = Harness(monkeypatch, admin=True)
    h.sign_in()
    h.fake.answers[('GET', '/os-services')] = {'services': [{
        'host': 'h1', 'binary': 'nova-compute', 'zone': 'nova',
        'status': 'enabled', 'state': 'up', 'updated_at': 'now'}]}
    h.fake.admin = True
    h.fake.answers[('GET', '/users')] = {'users': [{
        'id': 'u', 'name': 'u', 'admin': False, 'access': 'AKEY',
        'secret': 'SKEY'}]}
    h.fake.answers[('GET', '/os-simple-tenant-usage')] = {
        'tenant_usages': []}
    assert 'nova-compute' in h.request('/admin/services').text
    body = h.request('/admin/projects').text
    assert 'AKEY' not in body and 'SKEY' not in body


def test_vnc_shows_the_api_fault(monkeypatch):
    h = Harness(monkeypatch)
    csrf = h.sign_in()
    h.fake.answers[('POST', '/servers/7/action')] = api_client.APIError(
        400, 'There is no VNC console here.')
    resp = h.request('/instances/7/vnc', post={'csrf_token': csrf})
    assert resp.status_int == 400 and 'no VNC console' in resp.text
    h.fake.answers[('POST', '/servers/7/action')] = {'console': {
        'type': 'novnc', 'url': 'http://vnc.test:6080/vnc.html?token=t'}}
    resp = h.request('/instances/7/vnc', post={'csrf_token': csrf})
    assert resp.status_int == 303 and resp.location.startswith(
        'http://vnc.test:6080/')


def test_off_on_a_non_loopback_listener(monkeypatch):
    saved = FLAGS.dashboard_listen
    FLAGS.set('dashboard_listen', '0.0.0.0')
    try:
        with pytest.raises(exception.NovaException):
            web.app_factory({})
        FLAGS.set('dashboard_any_address', True)
        assert isinstance(web.app_factory({}), web.Dashboard)
    finally:
        FLAGS.set('dashboard_listen', saved)
        FLAGS.reset('dashboard_any_address')
