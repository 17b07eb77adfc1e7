"""The manual's command-line clients through Keystone's service catalog.

One real Keystone (tests/integration/keystone_server.py), one real Glance
behind the same Keystone (tests/integration/glance_server.py with
keystonemiddleware's ``authtoken``: novaclient's ``--image`` and the
``openstack`` CLI look images up in the catalog's image service) and one
in-process cloud whose OpenStack API pipeline is the manual's Keystone
pipeline (``faultwrap authtoken keystonecontext ratelimit extensions
osapiapp11``) and whose image service is that Glance.
tools/keystone/register_nova.py registers nova's endpoints (and Glance's);
then python-novaclient's ``nova list`` / ``nova boot`` and python-
openstackclient's ``openstack server list`` from the Keystone venv
(tools/keystone/install_keystone.sh) run with nothing but the ``OS_*``
variables.  Skips, naming the reason, when Keystone, Glance or
keystonemiddleware cannot be had here.
"""

import json
import os
import subprocess
import sys
import time

import pytest
import requests

from nova.image import glance_v2
from tests.functional.conftest import InProcessCloud
from tests.integration import glance_server
from tests.integration import keystone_server as ks

pytest.importorskip('keystonemiddleware.auth_token',
                    reason='keystonemiddleware is not installed '
                    "(pip install 'nova[keystone]')")

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]
REGISTER = os.path.join(ks.REPO, 'tools', 'keystone', 'register_nova.py')
DEMO_PW = 'demo-secret'


def _glance(tmp_path_factory, keystone):
    venv, _took, reason = glance_server.install()
    if venv is None:
        pytest.skip(reason)
    return glance_server.GlanceServer(
        venv, tmp_path_factory.mktemp('glance'), authtoken={
            'www_authenticate_uri': keystone.auth_url,
            'auth_url': keystone.auth_url, 'auth_type': 'password',
            'username': 'nova', 'password': ks.SERVICE_PASSWORD,
            'project_name': 'service', 'user_domain_name': 'Default',
            'project_domain_name': 'Default'}).start()


def _upload_image(glance, token):
    """A public image uploaded to Glance as Keystone's admin; its id."""
    url = 'http://%s/v2/images' % glance.address
    headers = {'X-Auth-Token': token, 'Connection': 'close'}
    resp = requests.post(url, json={
        'name': 'cirros', 'visibility': 'public', 'container_format': 'ami',
        'disk_format': 'ami'}, headers=headers, timeout=60)
    assert resp.status_code == 201, resp.text
    image_id = resp.json()['id']
    resp = requests.put(
        '%s/%s/file' % (url, image_id), data=b'\0' * 4096,
        headers=dict(headers, **{'Content-Type': 'application/octet-stream'}),
        timeout=60)
    assert resp.status_code == 204, resp.text
    return image_id


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    """Keystone (project/user ``demo``, member), Glance, the cloud, and
    the catalog registered by register_nova.py."""
    keystone = ks.start_keystone(tmp_path_factory)
    glance = cloud = None
    try:
        admin = keystone.admin()
        service = admin.create('project', name='service')
        nova = admin.create('user', name='nova', password=ks.SERVICE_PASSWORD)
        admin.grant(nova, service, 'admin')
        demo = admin.create('project', name='demo')
        admin.grant(admin.create('user', name='demo', password=DEMO_PW),
                    demo, 'member')
        glance = _glance(tmp_path_factory, keystone)
        state = tmp_path_factory.mktemp('cloud')
        cloud = InProcessCloud(state, extra_flags={
            'api_paste_config': ks.paste_config(
                str(state / 'api-paste.ini'), keystone),
            'osapi_rate_limits': 'none',
            'image_service': 'nova.image.glance.GlanceImageService',
            'glance_api_servers': [glance.address],
            'glance_api_version': 'auto'})
        cloud.start()

        def start():
            from nova import service as nova_service
            api = nova_service.WSGIService('osapi', host='127.0.0.1',
                                           port=0)
            api.start()
            cloud.services.append(api)
            return api.port

        cloud.osapi_port = cloud.call_in_cloud(start)
        cloud.keystone, cloud.glance, cloud.demo = keystone, glance, demo
        cloud.image_id = _upload_image(glance, admin.token)
        yield cloud
    finally:
        if cloud is not None:
            cloud.stop()
        if glance is not None:
            glance.stop()
        keystone.stop()


def _env(world, home, user='demo', password=DEMO_PW, project='demo'):
    return {'PATH': '%s:/usr/bin:/bin' % world.keystone.bin(''),
            'HOME': str(home), 'LC_ALL': 'C.UTF-8',
            'OS_AUTH_URL': world.keystone.auth_url, 'OS_USERNAME': user,
            'OS_PASSWORD': password, 'OS_PROJECT_NAME': project,
            'OS_USER_DOMAIN_NAME': 'Default',
            'OS_PROJECT_DOMAIN_NAME': 'Default',
            'OS_IDENTITY_API_VERSION': '3', 'OS_REGION_NAME': 'RegionOne'}


def _run(world, home, *argv, **env):
    proc = subprocess.run(list(argv), env=_env(world, home, **env),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, '%s: %s%s' % (
        ' '.join(argv[:3]), proc.stdout[-1500:], proc.stderr[-1500:])
    return proc.stdout


def _register(world, home):
    return _run(world, home, sys.executable, REGISTER,
                '--osapi-port', str(world.osapi_port),
                '--ec2-port', str(world.port), '--s3-port', '3333',
                '--image-url', 'http://%s' % world.glance.address,
                user='admin', password=ks.ADMIN_PASSWORD, project='admin')


@pytest.fixture(scope='module')
def catalog(world, tmp_path_factory):
    """register_nova.py run twice; the outputs."""
    home = tmp_path_factory.mktemp('register')
    return _register(world, home), _register(world, home)


def test_register_nova_is_idempotent_and_fills_the_catalog(world, catalog):
    first, second = catalog
    assert first.count('created ') == 15, first
    assert second.count('unchanged ') == 15 and 'created' not in second
    _tok, body = ks.token(world.keystone.auth_url, 'demo', DEMO_PW, 'demo')
    urls = {(svc['type'], ep['interface']): ep['url']
            for svc in body['token']['catalog'] for ep in svc['endpoints']}
    osapi = 'http://127.0.0.1:%d' % world.osapi_port
    assert urls[('compute', 'public')] == '%s/v2/%s' % (osapi, world.demo)
    assert urls[('compute_legacy', 'internal')] == '%s/v1.1/%s' % (
        osapi, world.demo)
    assert urls[('ec2', 'public')] == world.endpoint
    assert urls[('ec2', 'admin')].endswith(':%d/services/Admin' % world.port)
    assert urls[('s3', 'public')] == 'http://127.0.0.1:3333'


def _status(world, name):
    token = ks.token(world.keystone.auth_url, 'demo', DEMO_PW, 'demo')[0]
    resp = requests.get('http://127.0.0.1:%d/v2/%s/servers/detail' % (
        world.osapi_port, world.demo), headers={
            'X-Auth-Token': token, 'Accept': 'application/json',
            'Connection': 'close'}, timeout=60)
    assert resp.status_code == 200, resp.text
    return {s['name']: s['status'] for s in resp.json()['servers']}.get(name)


def test_nova_cli_and_openstack_cli_through_the_catalog(world, catalog,
                                                        tmp_path):
    assert 'vm1' not in _run(world, tmp_path, 'nova', 'list')
    booted = _run(world, tmp_path, 'nova', 'boot', '--flavor', 'm1.tiny',
                  '--image', world.image_id, 'vm1')
    assert 'vm1' in booted and 'adminPass' in booted
    deadline = time.time() + 120
    while _status(world, 'vm1') != 'ACTIVE':
        assert _status(world, 'vm1') in ('BUILD', 'ACTIVE')
        assert time.time() < deadline, 'vm1 did not become ACTIVE'
        time.sleep(1)
    listed = _run(world, tmp_path, 'nova', 'list')
    assert [line for line in listed.splitlines()
            if 'vm1' in line and 'ACTIVE' in line], listed
    # The Image column stays empty: nova names images by Diablo's integer
    # ids (nova/image/glance_v2.py), which the openstack CLI cannot find
    # in Glance; --no-name-lookup shows that id.
    servers = json.loads(_run(world, tmp_path, 'openstack', 'server',
                              'list', '-f', 'json'))
    assert [(s['Name'], s['Status']) for s in servers] == [('vm1', 'ACTIVE')]
    servers = json.loads(_run(world, tmp_path, 'openstack', 'server',
                              'list', '--no-name-lookup', '-f', 'json'))
    assert [s['Image'] for s in servers] == [
        str(glance_v2.int_of(world.image_id))]
