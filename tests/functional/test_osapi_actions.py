"""Server actions of the OpenStack API v1.1 driven by python-novaclient
6.0.2: rebuild, resize + confirm, resize + revert, changePassword and the
admin actions (``--allow_admin_api``): pause/unpause, lock, diagnostics.
Each test checks the change on the hypervisor (the fake driver's guests)
and in the API's view, not only the 202."""

import pytest

from tests.functional.osapi_support import find_guest
from tests.functional.osapi_support import osapi_cloud
from tests.functional.osapi_support import user_client

pytest.importorskip('novaclient.client')
nova_exc = pytest.importorskip('novaclient.exceptions')


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    """Two compute hosts, the admin API on, and the ``osapi`` app."""
    # The modules of the flags set below, so that the cloud can set them.
    import nova.api.openstack.admin_actions  # noqa: F401
    import nova.api.openstack.ratelimit  # noqa: F401
    cloud = osapi_cloud(tmp_path_factory.mktemp('osapi-actions'),
                        compute_hosts=2,
                        extra_flags={'osapi_rate_limits': 'none',
                                     'allow_admin_api': True})
    cloud.register_image('cirros')
    cloud.register_image('fedora')
    yield cloud
    cloud.stop()


@pytest.fixture(scope='module')
def client(cloud):
    return user_client(cloud, 'bob', 'bobproj')


def _flavor(client, name):
    return [f for f in client.flavors.list() if f.name == name][0]


def _image(client, name):
    return [i for i in client.images.list() if i.name == name][0]


def _boot(cloud, client, name):
    server = client.servers.create(name, _image(client, 'cirros').id,
                                   _flavor(client, 'm1.tiny').id)
    assert cloud.wait_for(
        lambda: client.servers.get(server.id).status == 'ACTIVE', 60)
    return client.servers.get(server.id)


def _wait_status(cloud, client, server, status, timeout=60):
    assert cloud.wait_for(
        lambda: client.servers.get(server.id).status == status, timeout), \
        client.servers.get(server.id).status


def test_rebuild(cloud, client):
    server = _boot(cloud, client, 'rb')
    fedora = _image(client, 'fedora')
    rebuilt = client.servers.rebuild(server, fedora.id, password='s3cret',
                                     name='rb2', meta={'tier': 'db'})
    assert rebuilt.adminPass == 's3cret'
    _wait_status(cloud, client, server, 'ACTIVE')
    shown = client.servers.get(server.id)
    assert shown.image['id'] == str(fedora.id)
    assert shown.name == 'rb2'
    assert shown.metadata == {'tier': 'db'}
    _host, guest = find_guest(cloud, server.id)
    assert guest.image_ref == str(fedora.id)
    assert guest.admin_password == 's3cret'


def test_resize_and_confirm(cloud, client):
    server = _boot(cloud, client, 'rz')
    source, _guest_before = find_guest(cloud, server.id)
    small = _flavor(client, 'm1.small')
    client.servers.resize(server, small.id)
    _wait_status(cloud, client, server, 'VERIFY_RESIZE')
    assert client.servers.get(server.id).flavor['id'] == str(small.id)
    client.servers.confirm_resize(server)
    _wait_status(cloud, client, server, 'ACTIVE')

    def moved():
        found = find_guest(cloud, server.id)
        return found and found[0] != source and \
            found[1].memory_mb == small.ram
    assert cloud.wait_for(moved, 30)
    # The original is gone from the source host.
    assert cloud.wait_for(
        lambda: [h for h, _g in [find_guest(cloud, server.id)]] != [source],
        30)
    assert client.servers.get(server.id).flavor['id'] == str(small.id)


def test_resize_and_revert(cloud, client):
    server = _boot(cloud, client, 'rv')
    source, _g = find_guest(cloud, server.id)
    tiny = _flavor(client, 'm1.tiny')
    client.servers.resize(server, _flavor(client, 'm1.small').id)
    _wait_status(cloud, client, server, 'VERIFY_RESIZE')
    client.servers.revert_resize(server)
    assert cloud.wait_for(
        lambda: client.servers.get(server.id).flavor['id'] == str(tiny.id),
        30)
    _wait_status(cloud, client, server, 'ACTIVE')
    host, guest = find_guest(cloud, server.id)
    assert host == source
    assert guest.memory_mb == tiny.ram
    from nova.virt import power_state
    assert guest.state == power_state.RUNNING


def test_resize_refusals(cloud, client):
    server = _boot(cloud, client, 'rf')
    with pytest.raises(nova_exc.BadRequest):
        client.servers.resize(server, _flavor(client, 'm1.tiny').id)
    with pytest.raises(nova_exc.BadRequest):
        client.servers.confirm_resize(server)
    assert client.servers.get(server.id).status == 'ACTIVE'


def test_change_password(cloud, client):
    server = _boot(cloud, client, 'pw')
    client.servers.change_password(server, 'n3w-pass')
    assert cloud.wait_for(
        lambda: find_guest(cloud, server.id)[1].admin_password == 'n3w-pass',
        30)
    _wait_status(cloud, client, server, 'ACTIVE')


def test_pause_unpause(cloud, client):
    from nova.virt import power_state
    server = _boot(cloud, client, 'pa')
    client.servers.pause(server)
    _wait_status(cloud, client, server, 'PAUSED')
    assert find_guest(cloud, server.id)[1].state == power_state.PAUSED
    client.servers.unpause(server)
    _wait_status(cloud, client, server, 'ACTIVE')
    assert find_guest(cloud, server.id)[1].state == power_state.RUNNING


def test_lock(cloud, client):
    admin = user_client(cloud, 'root', 'bobproj', admin=True)
    server = _boot(cloud, client, 'lk')
    with pytest.raises(nova_exc.Forbidden):
        client.servers.lock(server)
    admin.servers.lock(server)
    with pytest.raises(nova_exc.Conflict):
        client.servers.reboot(server)
    with pytest.raises(nova_exc.Conflict):
        client.servers.delete(server)
    admin.servers.unlock(server)
    client.servers.delete(server)
    assert cloud.wait_for(lambda: find_guest(cloud, server.id) is None, 30)


def test_diagnostics(cloud, client):
    server = _boot(cloud, client, 'dg')
    _resp, body = client.servers.diagnostics(server)
    assert body['memory'] == _flavor(client, 'm1.tiny').ram * 1024
    assert 'cpu0_time' in body
