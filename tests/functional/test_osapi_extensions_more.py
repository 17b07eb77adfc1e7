"""More contrib extensions of the OpenStack API v1.1 driven by
python-novaclient 6.0.2: ``os-hosts`` (list, disable/enable a compute
host so that the scheduler skips it, power actions) and ``NMN`` multinic
(``addFixedIp``/``removeFixedIp``, seen in the server's ``ips`` and in
what its guest was handed)."""

import pytest

from tests.functional.osapi_support import find_guest
from tests.functional.osapi_support import osapi_cloud
from tests.functional.osapi_support import user_client

pytest.importorskip('novaclient.client')
nova_exc = pytest.importorskip('novaclient.exceptions')


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    """Two compute hosts, the admin API on, and the ``osapi`` app."""
    import nova.api.openstack.admin_actions  # noqa: F401 - its flags
    import nova.api.openstack.ratelimit  # noqa: F401
    cloud = osapi_cloud(tmp_path_factory.mktemp('osapi-ext-more'),
                        compute_hosts=2,
                        extra_flags={'osapi_rate_limits': 'none',
                                     'allow_admin_api': True})
    cloud.register_image('cirros')
    yield cloud
    cloud.stop()


@pytest.fixture(scope='module')
def admin(cloud):
    return user_client(cloud, 'root', 'rootproj', admin=True)


def _boot(cloud, client, name):
    image = [i for i in client.images.list() if i.name == 'cirros'][0]
    flavor = [f for f in client.flavors.list() if f.name == 'm1.tiny'][0]
    server = client.servers.create(name, image.id, flavor.id)
    assert cloud.wait_for(
        lambda: client.servers.get(server.id).status == 'ACTIVE', 60)
    return client.servers.get(server.id)


def test_hosts_are_listed(admin):
    hosts = admin.hosts.list()
    pairs = sorted((h.host_name, h.service) for h in hosts)
    assert ('compute0', 'compute') in pairs
    assert ('compute1', 'compute') in pairs
    assert any(service == 'network' for _h, service in pairs)


def test_a_disabled_host_gets_no_new_server(cloud, admin):
    answer = admin.hosts.update('compute0', {'status': 'disable'})
    assert (answer.host, answer.status) == ('compute0', 'disabled')
    try:
        servers = [_boot(cloud, admin, 'skip%d' % n) for n in range(3)]
        hosts = [find_guest(cloud, s.id)[0] for s in servers]
        assert hosts == ['compute1'] * 3
        # the driver heard it too (the fake driver records it)
        assert cloud.wait_for(lambda: cloud.call_in_cloud(
            lambda: [svc.manager.driver.host_enabled
                     for svc in cloud.services
                     if getattr(svc, 'host', None) == 'compute0' and
                     getattr(svc, 'binary', None) == 'nova-compute']) ==
            [False], 10)
    finally:
        answer = admin.hosts.update('compute0', {'status': 'enable'})
    assert answer.status == 'enabled'
    for server in servers:
        server.delete()


def test_host_power_actions(admin):
    # the fake hypervisor acts (and says which action it took)
    resp, body = admin.hosts.host_action('compute1', 'reboot')
    assert body == {'host': 'compute1', 'power_action': 'reboot'}
    with pytest.raises(nova_exc.NotFound):
        admin.hosts.host_action('no-such-host', 'reboot')
    with pytest.raises(nova_exc.BadRequest):
        admin.hosts.update('compute1', {'status': 'asleep'})


def test_hosts_need_an_administrator(cloud):
    user = user_client(cloud, 'plain', 'plainproj')
    with pytest.raises(nova_exc.Forbidden):
        user.hosts.list()
    with pytest.raises(nova_exc.Forbidden):
        user.hosts.update('compute0', {'status': 'disable'})


def _guest_ips(cloud, server):
    """The fixed IPs in the network settings the guest was handed."""
    return [ip['ip'] for _network, info in
            find_guest(cloud, server.id)[1].network_info for ip in info['ips']]


def _second_network(cloud):
    def create():
        from nova import context
        from nova import db
        from nova import flags
        from nova import utils
        manager = utils.import_object(flags.FLAGS.network_manager)
        admin = context.get_admin_context()
        existing = [n for n in db.network_get_all(admin)
                    if n['label'] == 'second']
        if existing:
            return existing[0]['id']
        [net] = manager.create_networks(admin, 'second', '10.1.0.0/24',
                                        num_networks=1, network_size=256)
        return net['id']
    return cloud.call_in_cloud(create)


def test_add_and_remove_a_fixed_ip(cloud):
    client = user_client(cloud, 'multi', 'multiproj')
    server = _boot(cloud, client, 'multinic')
    assert list(client.servers.ips(server)) == ['private']
    network_id = _second_network(cloud)
    client.servers.add_fixed_ip(server, network_id)
    assert cloud.wait_for(
        lambda: 'second' in client.servers.ips(server), 30)
    [entry] = client.servers.ips(server)['second']
    address = entry['addr']
    assert address.startswith('10.1.0.')
    # the guest was handed its new settings and reset its network
    assert cloud.wait_for(lambda: address in _guest_ips(cloud, server), 10)
    assert find_guest(cloud, server.id)[1].network_resets >= 1
    client.servers.remove_fixed_ip(server, address)
    assert cloud.wait_for(
        lambda: 'second' not in client.servers.ips(server), 30)
    assert cloud.wait_for(lambda: address not in _guest_ips(cloud, server),
                          10), _guest_ips(cloud, server)
    # an address it does not have, a network nobody has
    with pytest.raises(nova_exc.NotFound):
        client.servers.remove_fixed_ip(server, address)
    with pytest.raises(nova_exc.NotFound):
        client.servers.add_fixed_ip(server, 9999)
    # another project cannot touch the server
    other = user_client(cloud, 'intruder', 'otherproj')
    with pytest.raises(nova_exc.NotFound):
        other.servers.add_fixed_ip(server.id, network_id)
    server.delete()


def test_volume_types(cloud, admin):
    # novaclient has no volume-type manager: its HTTP client, as a user
    # of the extension would
    http = admin.client
    resp, body = http.post('/os-volume-types', body={'volume_type': {
        'name': 'fast', 'extra_specs': {'backend': 'ssd'}}})
    fast = body['volume_type']
    assert (fast['name'], fast['extra_specs']) == ('fast',
                                                   {'backend': 'ssd'})
    resp, body = http.get('/os-volume-types')
    assert body['fast']['id'] == fast['id']
    base = '/os-volume-types/%d/extra_specs' % fast['id']
    http.post(base, body={'extra_specs': {'iops': '1000'}})
    resp, body = http.get('/os-volume-types/%d' % fast['id'])
    assert body['volume_type']['extra_specs'] == {'backend': 'ssd',
                                                  'iops': '1000'}
    user = user_client(cloud, 'typereader', 'typeproj')
    resp, body = user.client.get(base + '/iops')
    assert body == {'iops': '1000'}
    with pytest.raises(nova_exc.Forbidden):
        user.client.delete('/os-volume-types/%d' % fast['id'])
    with pytest.raises(nova_exc.Conflict):
        http.post('/os-volume-types', body={'volume_type': {'name': 'fast'}})
    resp, _body = http.delete('/os-volume-types/%d' % fast['id'])
    assert resp.status_code == 200
    with pytest.raises(nova_exc.NotFound):
        http.get('/os-volume-types/%d' % fast['id'])
