"""More resources of the OpenStack API driven by python-novaclient 6.0.2:
image metadata (v1.1) within the metadata quota, v1.0's
``backup_schedule``/``shared_ip_groups`` answered 501 as Diablo did, and
the lock an administrator puts on a server through this API obeyed by the
EC2 API too (boto3)."""

import json
import urllib.error
import urllib.request

import pytest

from tests.functional.osapi_support import osapi_cloud
from tests.functional.osapi_support import user_client

pytest.importorskip('novaclient.client')
nova_exc = pytest.importorskip('novaclient.exceptions')


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    """The admin API on, no rate limits, a small metadata quota."""
    cloud = osapi_cloud(tmp_path_factory.mktemp('osapi-resources'),
                        extra_flags={'osapi_rate_limits': 'none',
                                     'allow_admin_api': True,
                                     'quota_metadata_items': 8})
    cloud.ami = cloud.register_image('cirros')
    cloud.register_image('own', project='bobproj', public=False,
                         kernel=False)
    yield cloud
    cloud.stop()


@pytest.fixture(scope='module')
def client(cloud):
    return user_client(cloud, 'bob', 'bobproj')


def _image(client, name):
    return [i for i in client.images.list() if i.name == name][0]


def test_image_metadata_set_read_delete_and_quota(cloud, client):
    image = _image(client, 'own')
    client.images.set_meta(image, {'distro': 'cirros', 'tier': 'gold'})
    shown = client.images.get(image.id).metadata
    assert shown['distro'] == 'cirros' and shown['tier'] == 'gold'
    assert shown['image_state'] == 'available'
    client.images.delete_meta(image, ['tier'])
    shown = client.images.get(image.id).metadata
    assert 'tier' not in shown and shown['distro'] == 'cirros'
    # The image service holds the change (what the EC2 side sees too).
    from nova import image as image_module
    stored = image_module.get_default_image_service().show(None, image.id)
    assert stored['properties']['distro'] == 'cirros'
    assert 'tier' not in stored['properties']
    too_many = dict(('k%d' % i, 'v') for i in range(8))
    with pytest.raises(nova_exc.OverLimit):
        client.images.set_meta(image, too_many)
    assert 'k0' not in client.images.get(image.id).metadata


def test_image_metadata_of_an_image_not_ours(cloud, client):
    public = _image(client, 'cirros')
    with pytest.raises(nova_exc.Forbidden):
        client.images.set_meta(public, {'mine': 'no'})
    assert 'mine' not in client.images.get(public.id).metadata
    other = user_client(cloud, 'eve', 'eveproj')
    with pytest.raises(nova_exc.NotFound):
        other.images.set_meta(_image(client, 'own'), {'x': 'y'})


def _v10_token(cloud):
    """An X-Auth-Key login at ``/v1.0`` (the deprecated ``auth``)."""
    access, _secret = cloud.create_user('ten', 'tenproj')
    req = urllib.request.Request(
        'http://127.0.0.1:%d/v1.0/' % cloud.osapi_port, headers={
            'X-Auth-User': 'ten', 'X-Auth-Key': access.split(':', 1)[0]})
    with urllib.request.urlopen(req, timeout=30) as res:
        return res.headers['X-Auth-Token']


def _v10(cloud, token, path, method='GET', body=None):
    url = 'http://127.0.0.1:%d/v1.0%s' % (cloud.osapi_port, path)
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        'X-Auth-Token': token, 'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, json.loads(res.read() or b'null')
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_v10_backup_schedule_and_shared_ip_groups_are_501(cloud):
    token = _v10_token(cloud)
    for path, method, body in (
            ('/shared_ip_groups', 'GET', None),
            ('/shared_ip_groups', 'POST', {'sharedIpGroup': {'name': 'g'}}),
            ('/servers/1/backup_schedule', 'GET', None),
            ('/servers/1/backup_schedule', 'POST',
             {'backupSchedule': {'enabled': True}})):
        status, fault = _v10(cloud, token, path, method, body)
        assert status == 501, path
        assert fault['notImplemented']['code'] == 501


def test_locked_server_refuses_ec2_terminate_and_reboot(cloud):
    from botocore.exceptions import ClientError
    access, secret = cloud.create_user('lu', 'lockproj')
    ec2 = cloud.boto3_client(access, secret)
    admin = user_client(cloud, 'lockadmin', 'lockproj', admin=True)
    res = ec2.run_instances(ImageId=cloud.ami, MinCount=1, MaxCount=1,
                            InstanceType='m1.tiny')
    ec2_id = res['Instances'][0]['InstanceId']
    server_id = int(ec2_id.split('-')[1], 16)

    def state():
        found = ec2.describe_instances(InstanceIds=[ec2_id])
        return found['Reservations'][0]['Instances'][0]['State']['Name']

    assert cloud.wait_for(lambda: state() == 'running', 60)
    admin.servers.lock(server_id)
    for call in (ec2.terminate_instances, ec2.reboot_instances):
        with pytest.raises(ClientError) as err:
            call(InstanceIds=[ec2_id])
        assert err.value.response['Error']['Code'] == \
            'IncorrectInstanceState'
        assert 'locked' in err.value.response['Error']['Message']
    assert state() == 'running'
    assert admin.servers.get(server_id).status == 'ACTIVE'
    admin.servers.unlock(server_id)
    ec2.terminate_instances(InstanceIds=[ec2_id])
    assert cloud.wait_for(lambda: admin.servers.list() == [], 60)


def _boot(cloud, client, name):
    flavor = [f for f in client.flavors.list() if f.name == 'm1.tiny'][0]
    server = client.servers.create(name, _image(client, 'cirros').id,
                                   flavor.id)
    assert cloud.wait_for(
        lambda: client.servers.get(server.id).status == 'ACTIVE', 60)
    return client.servers.get(server.id)


def test_create_backup_rotates_and_actions_lists_them(cloud):
    client = user_client(cloud, 'bu', 'buproj')
    admin = user_client(cloud, 'buadmin', 'buproj', admin=True)
    server = _boot(cloud, client, 'backed-up')

    def backups():
        return sorted(int(i.id) for i in client.images.list()
                      if i.metadata.get('backup_type') == 'daily')

    def idle():
        return getattr(client.servers.get(server.id),
                       'OS-EXT-STS:task_state', None) is None and \
            client.servers.get(server.id).status == 'ACTIVE'

    made = []
    for number in range(3):
        assert cloud.wait_for(idle, 30)
        client.servers.backup(server, 'nightly-%d' % number, 'daily', 2)
        made.append(max(int(i.id) for i in client.images.list()
                        if i.name == 'nightly-%d' % number))
        assert cloud.wait_for(lambda: backups() == made[-2:], 30), \
            (backups(), made)
    image = client.images.get(made[-1])
    assert image.metadata['image_type'] == 'backup'
    assert image.metadata['instance_ref'].endswith('/servers/%s'
                                                   % server.id)
    _resp, body = admin.client.get('/servers/%s/actions' % server.id)
    assert [a['action'] for a in body['actions']] == ['backup'] * 3
    assert all(a['error'] is None for a in body['actions'])
    with pytest.raises(nova_exc.Forbidden):
        client.client.get('/servers/%s/actions' % server.id)
    with pytest.raises(nova_exc.BadRequest):
        client.servers.backup(server, 'never', 'daily', 0)
    client.servers.delete(server)


def test_zones_consoles_and_accounts_over_http(cloud, client):
    admin = user_client(cloud, 'zadmin', 'bobproj', admin=True)
    _resp, body = admin.client.post('/zones', body={'zone': {
        'api_url': 'http://child.example:8774/v1.1/', 'username': 'u',
        'password': 'secret'}})
    zone_id = body['zone']['id']
    assert 'password' not in body['zone']
    _resp, body = admin.client.get('/zones/detail')
    assert [z['id'] for z in body['zones']] == [zone_id]
    # info: --zone_name, --zone_capabilities and (asked over RPC of the
    # running scheduler) the capability ranges its hosts reported
    _resp, body = admin.client.get('/zones/info')
    assert body['zone']['name'] == 'nova'
    assert body['zone']['hypervisor'] == 'xenserver;kvm'
    with pytest.raises(nova_exc.Forbidden):
        client.client.get('/zones')
    admin.client.delete('/zones/%s' % zone_id)
    with pytest.raises(nova_exc.NotFound):
        admin.client.get('/zones/%s' % zone_id)
    server = _boot(cloud, client, 'consoled')
    _resp, body = client.client.get('/servers/%s/consoles' % server.id)
    assert body == {'consoles': []}
    with pytest.raises(nova_exc.ClientException) as err:
        client.client.post('/servers/%s/consoles' % server.id, body={})
    assert err.value.code == 501
    _resp, body = admin.client.get('/accounts/bobproj')
    assert body['account']['manager'] == 'bob'
    client.servers.delete(server)
