"""Nova behind a real Keystone (PyPI's keystone 30, v3, SQLite).

One Keystone (tests/integration/keystone_server.py, tokens live 20 s so
that expiry is testable) and one in-process cloud whose api-paste.ini is
the shipped one with the Keystone pipelines switched on, as the manual
does: ``faultwrap authtoken keystonecontext ratelimit extensions
osapiapp11`` (authtoken = keystonemiddleware's auth_token, pointed at the
test Keystone with the ``nova`` service user; ``token_cache_time = -1`` so
a revocation is seen at once) and ``logrequest ec2limits ec2keystoneauth
cloudrequest authorizer ec2executor`` with ``--keystone_ec2_url``.
Skips, naming the reason, when Keystone or keystonemiddleware is absent.
"""

import time
import uuid

import pytest
import requests

from tests.functional.conftest import InProcessCloud
from tests.integration import keystone_server as ks
from tests.integration.private_services import free_port

pytest.importorskip('keystonemiddleware.auth_token',
                    reason='keystonemiddleware is not installed '
                    "(pip install 'nova[keystone]')")

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]
TOKEN_LIFE = 20


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    """Keystone with projects alpha/beta, users alice (member of alpha),
    root (admin of alpha) and a cloud behind it."""
    keystone = ks.start_keystone(tmp_path_factory, TOKEN_LIFE)
    admin = keystone.admin()
    service = admin.create('project', name='service')
    nova = admin.create('user', name='nova', password=ks.SERVICE_PASSWORD)
    admin.grant(nova, service, 'admin')
    ids = {'alpha': admin.create('project', name='alpha'),
           'beta': admin.create('project', name='beta')}
    admin.call('GET', '/roles?name=member')
    for name, role in (('alice', 'member'), ('root', 'admin')):
        ids[name] = admin.create('user', name=name, password=name + '-pw')
        admin.grant(ids[name], ids['alpha'], role)
    state = tmp_path_factory.mktemp('cloud')
    paste = ks.paste_config(str(state / 'api-paste.ini'), keystone)
    cloud = InProcessCloud(state, extra_flags={
        'api_paste_config': paste, 'osapi_rate_limits': 'none',
        'keystone_ec2_url': keystone.auth_url + '/ec2tokens'})
    cloud.start()

    def start():
        from nova import service as nova_service
        api = nova_service.WSGIService('osapi', host='127.0.0.1', port=0)
        api.start()
        cloud.services.append(api)
        return api.port

    cloud.osapi_port = cloud.call_in_cloud(start)
    cloud.keystone, cloud.admin, cloud.ids = keystone, admin, ids
    try:
        yield cloud
    finally:
        cloud.stop()
        keystone.stop()


def _token(world, user, project='alpha'):
    return ks.token(world.keystone.auth_url, user, user + '-pw', project)[0]


def _get(world, path, token=None):
    headers = {'Accept': 'application/json', 'Connection': 'close'}
    if token:
        headers['X-Auth-Token'] = token
    return requests.get('http://127.0.0.1:%d%s' % (world.osapi_port, path),
                        headers=headers, timeout=60)


def _nova(world, method, *args):
    """AuthManager().<method>(*args) in the cloud's thread."""
    def call():
        from nova.auth import manager
        return getattr(manager.AuthManager(), method)(*args)
    return world.call_in_cloud(call)


def test_valid_token_and_project_created_on_first_use(world):
    alpha = world.ids['alpha']
    assert _nova(world, 'get_project', alpha) is None
    resp = _get(world, '/v1.1/%s/servers' % alpha, _token(world, 'alice'))
    assert resp.status_code == 200, resp.text
    assert resp.json() == {'servers': []}
    project = _nova(world, 'get_project', alpha)
    assert project is not None
    assert world.ids['alice'] in project.member_ids
    user = _nova(world, 'get_user', world.ids['alice'])
    assert user is not None and not user.admin


def test_no_token_and_garbage_token_are_401_faults(world):
    for token in (None, 'garbage-' + uuid.uuid4().hex):
        resp = _get(world, '/v1.1/%s/servers' % world.ids['alpha'], token)
        assert resp.status_code == 401
        assert resp.json()['unauthorized']['code'] == 401
        assert resp.headers['WWW-Authenticate'] == (
            'Keystone uri="%s"' % world.keystone.auth_url)


def test_revoked_token_is_401(world):
    token = _token(world, 'alice')
    path = '/v1.1/%s/flavors' % world.ids['alpha']
    assert _get(world, path, token).status_code == 200
    status, _body = ks.request(
        world.keystone.auth_url + '/auth/tokens', 'DELETE',
        headers={'X-Auth-Token': world.admin.token,
                 'X-Subject-Token': token})
    assert status == 204
    resp = _get(world, path, token)
    assert resp.status_code == 401
    assert 'unauthorized' in resp.json()


def test_wrong_project_is_403(world):
    resp = _get(world, '/v1.1/%s/servers' % world.ids['beta'],
                _token(world, 'alice'))
    assert resp.status_code == 403
    # Diablo names every 403 fault "resizeNotAllowed".
    (fault,) = resp.json().values()
    assert fault['code'] == 403 and 'not scoped' in fault['message']


def test_roles_mapped(world):
    alpha, beta = world.ids['alpha'], world.ids['beta']
    usage = '/v1.1/%s/os-simple-tenant-usage/%s' % (alpha, beta)
    assert _get(world, usage, _token(world, 'alice')).status_code == 403
    resp = _get(world, usage, _token(world, 'root'))
    assert resp.status_code == 200, resp.text
    root = _nova(world, 'get_user', world.ids['root'])
    assert root.admin


def test_expired_token_is_401(world):
    token = _token(world, 'alice')
    path = '/v1.1/%s/flavors' % world.ids['alpha']
    assert _get(world, path, token).status_code == 200
    time.sleep(TOKEN_LIFE + 2)
    resp = _get(world, path, token)
    assert resp.status_code == 401
    assert 'unauthorized' in resp.json()


# -- EC2 through Keystone's ec2tokens ---------------------------------------

@pytest.fixture(scope='module')
def ec2_keys(world):
    """alice's EC2 credential in alpha, stored in Keystone only."""
    access, secret = 'ak-' + uuid.uuid4().hex[:10], uuid.uuid4().hex
    # A fresh admin: the world's token may have outlived TOKEN_LIFE.
    world.keystone.admin().ec2_credential(world.ids['alice'], world.ids['alpha'],
                               access, secret)
    return access, secret


def _ec2_status(exc):
    return exc.response['ResponseMetadata']['HTTPStatusCode'], \
        exc.response['Error']['Code']


def test_ec2_boto3_sigv4_and_boto2_sigv2(world, ec2_keys):
    access, secret = ec2_keys
    client = world.boto3_client(access, secret)
    assert client.describe_instances()['Reservations'] == []
    groups = client.describe_security_groups()['SecurityGroups']
    assert [g['OwnerId'] for g in groups] == [world.ids['alpha']]
    conn = world.boto2_connection(access, secret)
    assert conn.get_all_instances() == []
    assert [g.owner_id for g in conn.get_all_security_groups()] == [
        world.ids['alpha']]


def test_ec2_bad_secret_unknown_key_and_no_lockout(world, ec2_keys):
    import botocore.exceptions
    access, secret = ec2_keys
    for key, sec in ((access, 'wrong-secret'), ('no-such-key', secret)):
        for _ in range(8):
            with pytest.raises(botocore.exceptions.ClientError) as err:
                world.boto3_client(key, sec).describe_instances()
            assert _ec2_status(err.value) == (403, 'AuthFailure')
    # A third party's failures never lock the owner out.
    assert world.boto3_client(access, secret).describe_instances()


def test_ec2_hostile_requests_are_auth_failures(world, ec2_keys):
    access, _secret = ec2_keys
    url = world.endpoint
    bad = [
        {'Action': 'DescribeInstances'},
        {'Action': 'DescribeInstances', 'AWSAccessKeyId': access},
        {'Action': 'DescribeInstances', 'AWSAccessKeyId': access,
         'Signature': 'x', 'SignatureVersion': '2',
         'SignatureMethod': 'HmacSHA256', 'Timestamp': 'not-a-time'},
    ]
    for form in bad:
        resp = requests.post(url, data=form, timeout=30)
        assert resp.status_code == 403, resp.text
        assert '<Code>AuthFailure</Code>' in resp.text
    # SigV4 whose date is outside its credential scope.
    headers = {'X-Amz-Date': '20200101T000000Z', 'Authorization':
               'AWS4-HMAC-SHA256 Credential=%s/20300101/nova/ec2/'
               'aws4_request, SignedHeaders=host;x-amz-date, '
               'Signature=%s' % (access, '0' * 64)}
    resp = requests.post(url, data={'Action': 'DescribeInstances'},
                         headers=headers, timeout=30)
    assert resp.status_code == 403 and 'AuthFailure' in resp.text


def test_ec2_manual_v2_url_and_keystone_outages(world, ec2_keys, set_flags):
    import socket

    import botocore.exceptions
    access, secret = ec2_keys
    set_flags(keystone_ec2_url=world.keystone.url + '/v2.0/ec2tokens')
    assert world.boto3_client(access, secret).describe_instances()
    silent = socket.socket()
    silent.bind(('127.0.0.1', 0))
    silent.listen(1)
    try:
        for url in ('http://127.0.0.1:%d/v3/ec2tokens'
                    % free_port(),
                    'http://127.0.0.1:%d/v3/ec2tokens'
                    % silent.getsockname()[1]):
            set_flags(keystone_ec2_url=url, keystone_ec2_timeout=2)
            start = time.time()
            with pytest.raises(botocore.exceptions.ClientError) as err:
                world.boto3_client(access, secret).describe_instances()
            assert _ec2_status(err.value) == (503, 'ServiceUnavailable')
            assert time.time() - start < 15
    finally:
        silent.close()


# -- nova-manage shell export --format=openstack -----------------------------

def test_shell_export_into_keystone_keeps_old_ec2_keys(world, set_flags,
                                                       tmp_path):
    import subprocess

    def make_and_export():
        from nova.auth import manager
        from nova.manage import shell
        auth = manager.AuthManager()
        user = auth.create_user('dave', 'dave-ak', 'dave-secret')
        auth.create_project('dave', user)
        auth.create_project('daveproj', user)
        auth.add_role(user, 'sysadmin', 'daveproj')
        return shell.openstack_export_lines()

    script = tmp_path / 'nova_export.sh'
    script.write_text('\n'.join(_call(world, make_and_export)))
    env = {'PATH': '%s:/usr/bin:/bin' % world.keystone.bin(''),
           'HOME': str(tmp_path), 'OS_AUTH_URL': world.keystone.auth_url,
           'OS_USERNAME': 'admin', 'OS_PASSWORD': ks.ADMIN_PASSWORD,
           'OS_PROJECT_NAME': 'admin', 'OS_USER_DOMAIN_NAME': 'Default',
           'OS_PROJECT_DOMAIN_NAME': 'Default',
           'OS_IDENTITY_API_VERSION': '3'}
    proc = subprocess.run(['sh', str(script)], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    set_flags(keystone_use_names=True)
    for access, project in (('dave-ak:daveproj', 'daveproj'),
                            ('dave-ak', 'dave')):
        client = world.boto3_client(access, 'dave-secret')
        groups = client.describe_security_groups()['SecurityGroups']
        assert [g['OwnerId'] for g in groups] == [project]
    conn = world.boto2_connection('dave-ak:daveproj', 'dave-secret')
    assert conn.get_all_instances() == []


def _call(world, func):
    return world.call_in_cloud(func)
