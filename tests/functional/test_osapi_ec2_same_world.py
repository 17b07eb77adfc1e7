"""The EC2 and OpenStack APIs see the same world (issue 18).

One in-process cloud serves both APIs.  An instance run through EC2
(boto3) is listed, shown, rebooted and deleted through the OpenStack API
(python-novaclient 6.0.2); a server booted through the OpenStack API is
described, rebooted and terminated through EC2.  Both sides agree on the
id (EC2 ``i-%08x`` of the OpenStack id), the image (``ami-%08x`` of the
image id), the flavor/instance type, the name, the state and the fixed
address, and a third project sees neither.
"""

import pytest

from tests.functional.osapi_support import novaclient_for
from tests.functional.osapi_support import osapi_cloud

pytest.importorskip('novaclient.client')
nova_exc = pytest.importorskip('novaclient.exceptions')

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]

#: EC2 state name of each OpenStack status both sides show when settled.
SETTLED = {'ACTIVE': 'running', 'BUILD': 'pending'}


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    """A cloud with the ``ec2`` and the ``osapi`` apps, and one user."""
    cloud = osapi_cloud(tmp_path_factory.mktemp('same-world'),
                        extra_flags={'osapi_rate_limits': 'none'})
    access, secret = cloud.create_user('wanda', 'worldproj')
    cloud.ec2 = cloud.boto3_client(access, secret)
    cloud.nova = novaclient_for(cloud, 'wanda', access.split(':', 1)[0],
                                'worldproj')
    cloud.ami = cloud.register_image('cirros')
    yield cloud
    cloud.stop()


def _ec2_id(server_id):
    return 'i-%08x' % int(server_id)


def _os_id(ec2_id):
    return int(ec2_id.split('-', 1)[1], 16)


def _described(client, ec2_id):
    """The EC2 description of one instance (None once gone)."""
    for reservation in client.describe_instances(
            InstanceIds=[ec2_id])['Reservations']:
        for inst in reservation['Instances']:
            return inst
    return None


def _ec2_state(client, ec2_id):
    inst = _described(client, ec2_id)
    return inst['State']['Name'] if inst else None


def _os_status(nova, server_id):
    try:
        return nova.servers.get(server_id).status
    except nova_exc.NotFound:
        return None


def _reboots(cloud, server_id):
    """How often the fake hypervisor restarted the guest (None: no guest)."""
    def count():
        name = 'instance-%08x' % int(server_id)
        for svc in cloud.services:
            if getattr(svc, 'binary', None) == 'nova-compute':
                guest = svc.manager.driver.guests.get(name)
                if guest is not None:
                    return guest.console.count('Restarting system.')
        return None
    return cloud.call_in_cloud(count)


def _assert_same(world, server, inst):
    """One instance as both APIs show it: the same facts."""
    assert inst['InstanceId'] == _ec2_id(server.id)
    assert inst['ImageId'] == 'ami-%08x' % int(server.image['id'])
    flavor = world.nova.flavors.get(server.flavor['id'])
    assert inst['InstanceType'] == flavor.name
    fixed = [ip['addr'] for ips in server.addresses.values() for ip in ips]
    assert inst['PrivateIpAddress'] in fixed
    assert SETTLED[server.status] == inst['State']['Name']


def test_ec2_instance_is_an_openstack_server(world):
    ec2, nova = world.ec2, world.nova
    res = ec2.run_instances(ImageId=world.ami, MinCount=1, MaxCount=1,
                            InstanceType='m1.small')
    ec2_id = res['Instances'][0]['InstanceId']
    server_id = _os_id(ec2_id)
    assert world.wait_for(lambda: _ec2_state(ec2, ec2_id) == 'running', 60)
    assert world.wait_for(
        lambda: _os_status(nova, server_id) == 'ACTIVE', 60)

    listed = nova.servers.list()
    assert [s.id for s in listed] == [server_id]
    server = nova.servers.get(server_id)
    assert server.tenant_id == 'worldproj'
    # EC2 names no instance: Diablo's default name, also as a filter.
    assert server.name == 'Server %d' % server_id
    assert [s.id for s in nova.servers.list(
        search_opts={'name': 'Server %d' % server_id})] == [server_id]
    assert server.flavor['id'] == str(nova.flavors.find(
        name='m1.small').id)
    _assert_same(world, server, _described(ec2, ec2_id))

    assert _reboots(world, server_id) == 0
    nova.servers.reboot(server_id, 'SOFT')
    assert world.wait_for(
        lambda: _os_status(nova, server_id) == 'ACTIVE' and
        _ec2_state(ec2, ec2_id) == 'running', 60)
    assert world.wait_for(lambda: _reboots(world, server_id) == 1, 30)

    nova.servers.delete(server_id)
    assert world.wait_for(lambda: _os_status(nova, server_id) is None, 60)
    assert world.wait_for(
        lambda: _ec2_state(ec2, ec2_id) in (None, 'terminated'), 60)
    assert server_id not in [s.id for s in nova.servers.list()]


def test_openstack_server_is_an_ec2_instance(world):
    ec2, nova = world.ec2, world.nova
    image_id = _os_id(world.ami)
    tiny = nova.flavors.find(name='m1.tiny')
    server = nova.servers.create('from-osapi', image_id, tiny.id,
                                 meta={'origin': 'osapi'})
    ec2_id = _ec2_id(server.id)
    assert world.wait_for(
        lambda: _os_status(nova, server.id) == 'ACTIVE', 60)
    assert world.wait_for(lambda: _ec2_state(ec2, ec2_id) == 'running', 60)

    inst = _described(ec2, ec2_id)
    assert inst['ImageId'] == world.ami
    assert inst['InstanceType'] == 'm1.tiny'
    all_ids = [i['InstanceId'] for r in ec2.describe_instances()[
        'Reservations'] for i in r['Instances']
        if i['State']['Name'] != 'terminated']
    assert ec2_id in all_ids
    _assert_same(world, nova.servers.get(server.id), inst)

    assert _reboots(world, server.id) == 0
    ec2.reboot_instances(InstanceIds=[ec2_id])
    assert world.wait_for(lambda: _reboots(world, server.id) == 1, 30)
    assert world.wait_for(
        lambda: _ec2_state(ec2, ec2_id) == 'running' and
        _os_status(nova, server.id) == 'ACTIVE', 60)

    ec2.terminate_instances(InstanceIds=[ec2_id])
    assert world.wait_for(
        lambda: _os_status(nova, server.id) is None, 60)
    assert world.wait_for(
        lambda: _ec2_state(ec2, ec2_id) in (None, 'terminated'), 60)


def test_another_project_sees_neither(world):
    ec2, nova = world.ec2, world.nova
    res = ec2.run_instances(ImageId=world.ami, MinCount=1, MaxCount=1,
                            InstanceType='m1.tiny')
    ec2_id = res['Instances'][0]['InstanceId']
    tiny = nova.flavors.find(name='m1.tiny')
    server = nova.servers.create('mine', _os_id(world.ami), tiny.id)
    access, secret = world.create_user('eve', 'eveproj')
    eve_ec2 = world.boto3_client(access, secret)
    eve = novaclient_for(world, 'eve', access.split(':', 1)[0], 'eveproj')
    assert eve.servers.list() == []
    for server_id in (_os_id(ec2_id), server.id):
        with pytest.raises(nova_exc.NotFound):
            eve.servers.get(server_id)
        with pytest.raises(nova_exc.NotFound):
            eve.servers.reboot(server_id, 'HARD')
    assert eve_ec2.describe_instances()['Reservations'] == []
    ec2.terminate_instances(InstanceIds=[ec2_id, _ec2_id(server.id)])
    assert world.wait_for(lambda: nova.servers.list() == [], 60)
