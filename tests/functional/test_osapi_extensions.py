"""The OpenStack API's contrib extensions driven by python-novaclient
6.0.2 (v1.1, deprecated X-Auth-Key auth): key pairs, security groups and
rules, floating IPs (allocate, associate, disassociate, release), volumes
(create, attach, detach), quotas and usage, each confined to its
project."""

import pytest

from tests.functional.osapi_support import floating_pool
from tests.functional.osapi_support import osapi_cloud
from tests.functional.osapi_support import user_client

pytest.importorskip('novaclient.client')
nova_exc = pytest.importorskip('novaclient.exceptions')

POOL = ['198.51.100.%d' % n for n in range(1, 4)]


@pytest.fixture(scope='module')
def osapi(tmp_path_factory):
    """A cloud (FlatDHCP, a floating pool, one volume host) and the
    ``osapi`` paste app on a loopback port."""
    import nova.quota  # noqa: F401 - quota flags
    cloud = osapi_cloud(
        tmp_path_factory.mktemp('osapi-ext'), volume_hosts=1,
        extra_flags={
            'osapi_rate_limits': 'none',
            'network_manager': 'nova.network.manager.FlatDHCPManager',
            'fake_network': True,
            'volume_driver': 'nova.volume.driver.FakeISCSIDriver',
            'iscsi_num_targets': 10, 'quota_floating_ips': 2},
        prepare=floating_pool(POOL))
    yield cloud
    cloud.stop()


def _boot(cloud, client, name):
    cloud.register_image('img-' + name)
    image = [i for i in client.images.list() if i.name == 'img-' + name][0]
    flavor = [f for f in client.flavors.list() if f.name == 'm1.tiny'][0]
    server = client.servers.create(name, image.id, flavor.id)
    assert cloud.wait_for(
        lambda: client.servers.get(server.id).status == 'ACTIVE', 60)
    return client.servers.get(server.id)


def test_extensions_are_listed(osapi):
    client = user_client(osapi, 'lister', 'listproj')
    resp, body = client.client.get('/extensions')
    aliases = [e['alias'] for e in body['extensions']]
    for alias in ('os-keypairs', 'security_groups', 'os-floating-ips',
                  'os-quota-sets', 'os-volumes'):
        assert alias in aliases


def test_keypairs(osapi):
    client = user_client(osapi, 'kp', 'kpproj')
    key = client.keypairs.create('mykey')
    assert 'PRIVATE KEY' in key.private_key
    assert [k.name for k in client.keypairs.list()] == ['mykey']
    assert client.keypairs.get('mykey').fingerprint == key.fingerprint
    with pytest.raises(nova_exc.Conflict):
        client.keypairs.create('mykey')
    other = user_client(osapi, 'kp2', 'kpproj2')
    assert other.keypairs.list() == []
    client.keypairs.delete('mykey')
    assert client.keypairs.list() == []


def test_security_groups_and_rules(osapi):
    client = user_client(osapi, 'sg', 'sgproj')
    group = client.security_groups.create('web', 'web servers')
    rule = client.security_group_rules.create(group.id, 'tcp', 80, 80,
                                              '0.0.0.0/0')
    assert rule.ip_range == {'cidr': '0.0.0.0/0'}
    shown = client.security_groups.get(group.id)
    assert [(r['ip_protocol'], r['from_port']) for r in shown.rules] == [
        ('tcp', 80)]
    names = sorted(g.name for g in client.security_groups.list())
    assert names == ['default', 'web']
    with pytest.raises(nova_exc.BadRequest):
        client.security_group_rules.create(group.id, 'tcp', 90, 80,
                                           '0.0.0.0/0')
    other = user_client(osapi, 'sg2', 'sgproj2')
    with pytest.raises(nova_exc.NotFound):
        other.security_groups.get(group.id)
    client.security_group_rules.delete(rule.id)
    assert client.security_groups.get(group.id).rules == []
    server = _boot(osapi, client, 'sgvm')
    server.add_security_group('web')
    with pytest.raises(nova_exc.BadRequest):
        client.security_groups.delete(group.id)
    server.remove_security_group('web')
    client.security_groups.delete(group.id)
    assert [g.name for g in client.security_groups.list()] == ['default']
    client.servers.delete(server.id)


def test_floating_ips_allocate_associate_release(osapi):
    client = user_client(osapi, 'fip', 'fipproj')
    server = _boot(osapi, client, 'fipvm')
    first = client.floating_ips.create()
    assert first.ip in POOL and first.instance_id is None
    client.floating_ips.create()
    with pytest.raises(nova_exc.OverLimit):
        client.floating_ips.create()
    server.add_floating_ip(first.ip)
    shown = client.floating_ips.get(first.id)
    assert shown.instance_id == server.id and shown.fixed_ip
    addresses = [ip['addr'] for ips in
                 client.servers.get(server.id).addresses.values()
                 for ip in ips]
    assert first.ip in addresses
    other = user_client(osapi, 'fip2', 'fipproj2')
    with pytest.raises(nova_exc.NotFound):
        other.floating_ips.get(first.id)
    server.remove_floating_ip(first.ip)
    assert client.floating_ips.get(first.id).instance_id is None
    for floating_ip in client.floating_ips.list():
        client.floating_ips.delete(floating_ip.id)
    assert client.floating_ips.list() == []
    client.servers.delete(server.id)


def test_volumes_create_attach_detach(osapi):
    client = user_client(osapi, 'vol', 'volproj')
    server = _boot(osapi, client, 'volvm')
    resp, body = client.client.post('/os-volumes', body={
        'volume': {'size': 1, 'display_name': 'data'}})
    volume_id = body['volume']['id']

    def status():
        return client.client.get('/os-volumes/%s' % volume_id)[1][
            'volume']['status']
    assert osapi.wait_for(lambda: status() == 'available', 30)
    attachment = client.volumes.create_server_volume(server.id, volume_id,
                                                     '/dev/vdb')
    assert attachment.device == '/dev/vdb'
    assert osapi.wait_for(lambda: status() == 'in-use', 30)
    listed = client.volumes.get_server_volumes(server.id)
    assert [a.volumeId for a in listed] == [volume_id]
    other = user_client(osapi, 'vol2', 'volproj2')
    with pytest.raises(nova_exc.NotFound):
        other.client.get('/os-volumes/%s' % volume_id)
    client.volumes.delete_server_volume(server.id, volume_id)
    assert osapi.wait_for(lambda: status() == 'available', 30)
    assert client.volumes.get_server_volumes(server.id) == []
    client.client.delete('/os-volumes/%s' % volume_id)
    client.servers.delete(server.id)


def test_quotas(osapi):
    admin = user_client(osapi, 'qadmin', 'qproj', admin=True)
    quotas = admin.quotas.get('qproj')
    assert quotas.floating_ips == 2
    admin.quotas.update('qproj', instances=3)
    assert admin.quotas.get('qproj').instances == 3
    assert admin.quotas.defaults('qproj').instances == 10
    user = user_client(osapi, 'quser', 'qproj2')
    assert user.quotas.get('qproj2').instances == 10
    with pytest.raises(nova_exc.Forbidden):
        user.quotas.get('qproj')
    with pytest.raises(nova_exc.Forbidden):
        user.quotas.update('qproj2', instances=100)


def test_usage(osapi):
    import datetime
    client = user_client(osapi, 'usage', 'usageproj')
    server = _boot(osapi, client, 'usagevm')
    now = datetime.datetime.utcnow()
    usage = client.usage.get('usageproj', now - datetime.timedelta(hours=1),
                             now + datetime.timedelta(hours=1))
    assert usage.tenant_id == 'usageproj'
    assert [s['name'] for s in usage.server_usages] == ['usagevm']
    assert usage.total_hours > 0
    other = user_client(osapi, 'usage2', 'usageproj2')
    with pytest.raises(nova_exc.Forbidden):
        other.usage.get('usageproj', now, now)
    client.servers.delete(server.id)
