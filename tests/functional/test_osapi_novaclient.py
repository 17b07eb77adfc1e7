"""The OpenStack API v1.1 driven by python-novaclient 6.0.2 (deprecated
X-Auth-Key auth: the pipeline's noauth falls back to it because the API
listens on a non-loopback --osapi_listen by default)."""

import pytest
import requests

from tests.functional.osapi_support import osapi_cloud
from tests.functional.osapi_support import novaclient_for

pytest.importorskip('novaclient.client')
nova_exc = pytest.importorskip('novaclient.exceptions')


@pytest.fixture(scope='module')
def osapi(tmp_path_factory):
    """A cloud plus the ``osapi`` paste app on a loopback port."""
    cloud = osapi_cloud(tmp_path_factory.mktemp('osapi'),
                        extra_flags={'osapi_rate_limits': 'none'})
    yield cloud
    cloud.stop()


def _user(cloud, name, project):
    access, _secret = cloud.create_user(name, project)
    return access.split(':', 1)[0]


def test_versions_and_unknown_paths(osapi):
    base = 'http://127.0.0.1:%d' % osapi.osapi_port
    root = requests.get(base + '/')
    assert root.status_code == 200
    ids = [v['id'] for v in root.json()['versions']]
    assert ids == ['v1.0', 'v1.1', 'v2.0', 'v2.1']
    assert requests.get(base + '/whatever').status_code == 300
    # No token: the deprecated auth refuses, never a 200 document.
    res = requests.post(base + '/v1.1/p/servers', json={'server': {}})
    assert res.status_code == 401
    assert 'unauthorized' in res.json()


def test_bad_key_is_refused(osapi):
    _user(osapi, 'mallory', 'malproj')
    client = novaclient_for(osapi, 'mallory', 'not-the-key', 'malproj')
    with pytest.raises(nova_exc.Unauthorized):
        client.flavors.list()


def test_novaclient_flow(osapi):
    key = _user(osapi, 'alice', 'aliceproj')
    osapi.register_image('cirros')
    client = novaclient_for(osapi, 'alice', key, 'aliceproj')
    flavors = client.flavors.list()
    assert 'm1.tiny' in [f.name for f in flavors]
    tiny = [f for f in flavors if f.name == 'm1.tiny'][0]
    assert tiny.ram == 512
    images = client.images.list()
    machine = [i for i in images if i.name == 'cirros'][0]
    assert machine.status == 'ACTIVE'
    server = client.servers.create('vm1', machine.id, tiny.id,
                                   meta={'role': 'web'})
    assert server.adminPass
    assert osapi.wait_for(
        lambda: client.servers.get(server.id).status == 'ACTIVE', 60)
    shown = client.servers.get(server.id)
    assert shown.name == 'vm1'
    assert shown.metadata == {'role': 'web'}
    assert shown.image['id'] == str(machine.id)
    assert shown.flavor['id'] == str(tiny.id)
    assert any(ip['version'] == 4 for ips in shown.addresses.values()
               for ip in ips)
    assert [s.id for s in client.servers.list()] == [server.id]
    shown.update(name='vm1-renamed')
    assert client.servers.get(server.id).name == 'vm1-renamed'
    client.servers.set_meta(server.id, {'tier': 'front'})
    client.servers.delete_meta(server.id, ['role'])
    assert client.servers.get(server.id).metadata == {'tier': 'front'}
    client.servers.reboot(server.id, 'HARD')
    assert client.servers.get(server.id).status in ('REBOOT', 'ACTIVE')
    limits = client.limits.get()
    absolute = dict((a.name, a.value) for a in limits.absolute)
    assert absolute['maxTotalInstances'] == 10

    # Another project never sees alice's server.
    bob_key = _user(osapi, 'bob', 'bobproj')
    bob = novaclient_for(osapi, 'bob', bob_key, 'bobproj')
    assert bob.servers.list() == []
    with pytest.raises(nova_exc.NotFound):
        bob.servers.get(server.id)
    with pytest.raises(nova_exc.NotFound):
        bob.servers.delete(server.id)

    client.servers.delete(server.id)
    assert osapi.wait_for(lambda: client.servers.list() == [], 60)


def test_create_faults(osapi):
    key = _user(osapi, 'carol', 'carolproj')
    client = novaclient_for(osapi, 'carol', key, 'carolproj')
    with pytest.raises(nova_exc.BadRequest):
        client.servers.create('x', '1', 'no-such-flavor')
    with pytest.raises(nova_exc.NotFound):
        client.servers.get(999999)
    assert client.servers.list() == []
