"""Personality files through the OpenStack API v1.1, driven by
python-novaclient 6.0.2 (``files={'/etc/motd': 'hi'}``): create and
rebuild hand them to the hypervisor (the fake driver keeps what it was
given); bad paths, bad Base64 and the injected-file quotas are refused
with 400/413 before any server exists."""

import pytest

from tests.functional.osapi_support import osapi_cloud
from tests.functional.osapi_support import user_client

pytest.importorskip('novaclient.client')
nova_exc = pytest.importorskip('novaclient.exceptions')


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    """One compute host and the ``osapi`` app, rate limits off."""
    import nova.api.openstack.ratelimit  # noqa: F401 - osapi_rate_limits
    cloud = osapi_cloud(tmp_path_factory.mktemp('osapi-personality'),
                        extra_flags={'osapi_rate_limits': 'none'})
    cloud.register_image('cirros')
    yield cloud
    cloud.stop()


@pytest.fixture(scope='module')
def client(cloud):
    return user_client(cloud, 'pers', 'persproj')


def _injected(cloud, server_id):
    """What the fake hypervisor was given for the server's guest."""
    name = 'instance-%08x' % int(server_id)

    def find():
        for svc in cloud.services:
            if getattr(svc, 'binary', None) == 'nova-compute' and \
                    name in svc.manager.driver.guests:
                return svc.manager.driver.get_injected_files(name)
        return None
    return cloud.call_in_cloud(find)


def _ids(client):
    image = [i for i in client.images.list() if i.name == 'cirros'][0]
    flavor = [f for f in client.flavors.list() if f.name == 'm1.tiny'][0]
    return image.id, flavor.id


def _active(cloud, client, server_id):
    assert cloud.wait_for(
        lambda: client.servers.get(server_id).status == 'ACTIVE', 60)


def test_create_and_rebuild_inject_the_files(cloud, client):
    image, flavor = _ids(client)
    server = client.servers.create('with-motd', image, flavor,
                                   files={'/etc/motd': 'hi',
                                          '/root/notes/a.txt': 'é\n'})
    _active(cloud, client, server.id)
    assert _injected(cloud, server.id) == {
        '/etc/motd': b'hi', '/root/notes/a.txt': 'é\n'.encode('utf-8')}
    with pytest.raises(nova_exc.BadRequest):
        client.servers.rebuild(server, image, files={'etc/motd': 'x'})
    with pytest.raises(nova_exc.OverLimit):
        client.servers.rebuild(server, image, files={'/big': 'x' * 10241})
    assert client.servers.get(server.id).status == 'ACTIVE'
    client.servers.rebuild(server, image, files={'/etc/motd': 'again'})
    assert cloud.wait_for(
        lambda: _injected(cloud, server.id) == {'/etc/motd': b'again'}, 60)
    _active(cloud, client, server.id)
    server.delete()


def test_a_server_without_personality_gets_no_files(cloud, client):
    image, flavor = _ids(client)
    server = client.servers.create('plain', image, flavor)
    _active(cloud, client, server.id)
    assert _injected(cloud, server.id) == {}
    server.delete()


@pytest.mark.parametrize('files,error', [
    ({'etc/motd': 'x'}, nova_exc.BadRequest),
    ({'/etc/../shadow': 'x'}, nova_exc.BadRequest),
    (dict(('/f%d' % i, 'x') for i in range(6)), nova_exc.OverLimit),
    ({'/big': 'x' * 10241}, nova_exc.OverLimit),
    ({'/' + 'p' * 255: 'x'}, nova_exc.OverLimit),
])
def test_refusals_create_nothing(cloud, client, files, error):
    image, flavor = _ids(client)
    with pytest.raises(error):
        client.servers.create('refused', image, flavor, files=files)
    assert client.servers.list(search_opts={'name': 'refused'}) == []


def test_bad_base64_is_a_400(cloud, client):
    image, flavor = _ids(client)
    with pytest.raises(nova_exc.BadRequest) as info:
        client.client.post('/servers', body={'server': {
            'name': 'b64', 'imageRef': image, 'flavorRef': flavor,
            'personality': [{'path': '/etc/motd',
                             'contents': '@@not base64@@'}]}})
    assert 'decoded' in str(info.value)
    with pytest.raises(nova_exc.BadRequest):
        client.client.post('/servers', body={'server': {
            'name': 'b64', 'imageRef': image, 'flavorRef': flavor,
            'personality': {'path': '/etc/motd'}}})
    assert client.servers.list(search_opts={'name': 'b64'}) == []
