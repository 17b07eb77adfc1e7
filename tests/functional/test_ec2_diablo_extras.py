"""Diablo's Nova EC2 extensions DescribeInstancesV6 and UpdateImage, driven
over HTTP by boto 2.49 and boto3 against an in-process cloud whose network
has an IPv6 range.

boto3 knows neither action: its EC2 model is extended here by the two
operations (DescribeInstancesV6 shaped as DescribeInstances, UpdateImage
as ModifyImageAttribute's boolean answer) in a private data path.
"""

import copy
import ipaddress
import json
import os

import pytest

from tests import boto2
from tests.functional.conftest import InProcessCloud

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]

CIDR_V6 = 'fd00:db1a:b10::/64'


class V6Cloud(InProcessCloud):
    """The in-process cloud with a dual-stack flat network."""

    def _create_network(self):
        from nova import context
        from nova import utils
        from nova import flags
        manager = utils.import_object(flags.FLAGS.network_manager)
        manager.create_networks(context.get_admin_context(), 'private',
                                self.network_cidr, num_networks=1,
                                network_size=self.network_size,
                                bridge='br100', cidr_v6=CIDR_V6)


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    instance = V6Cloud(tmp_path_factory.mktemp('cloud'))
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture(scope='module')
def users(cloud):
    return {'dora': cloud.create_user('dora', 'dproj'),
            'eve': cloud.create_user('eve', 'eproj')}


@pytest.fixture(scope='module')
def boto3_nova(cloud, users, tmp_path_factory):
    """A boto3 EC2 client whose model also has Nova's two extensions."""
    import boto3
    import botocore.config
    import botocore.session
    session = botocore.session.get_session()
    loader = session.get_component('data_loader')
    version = loader.list_api_versions('ec2', 'service-2')[-1]
    model = copy.deepcopy(loader.load_service_model('ec2', 'service-2',
                                                    version))
    ops = model['operations']
    ops['DescribeInstancesV6'] = dict(ops['DescribeInstances'],
                                      name='DescribeInstancesV6')
    shapes = model['shapes']
    shapes['UpdateImageRequest'] = {
        'type': 'structure', 'required': ['ImageId'],
        'members': {'ImageId': {'shape': 'String'},
                    'DisplayName': {'shape': 'String'},
                    'DisplayDescription': {'shape': 'String'}}}
    shapes['UpdateImageResult'] = {
        'type': 'structure',
        'members': {'Return': {'shape': 'Boolean',
                               'locationName': 'return'}}}
    ops['UpdateImage'] = {
        'name': 'UpdateImage',
        'http': {'method': 'POST', 'requestUri': '/'},
        'input': {'shape': 'UpdateImageRequest'},
        'output': {'shape': 'UpdateImageResult'}}
    path = tmp_path_factory.mktemp('models')
    target = os.path.join(str(path), 'ec2', version)
    os.makedirs(target)
    with open(os.path.join(target, 'service-2.json'), 'w') as out:
        json.dump(model, out)
    nova_session = botocore.session.get_session()
    nova_session.set_config_variable('data_path', str(path))
    access, secret = users['dora']
    return boto3.Session(botocore_session=nova_session).client(
        'ec2', endpoint_url=cloud.endpoint, region_name='nova',
        aws_access_key_id=access, aws_secret_access_key=secret,
        config=botocore.config.Config(retries={'max_attempts': 1}))


def _eui64(mac):
    octets = [int(part, 16) for part in mac.split(':')]
    octets[0] ^= 2
    eui = octets[:3] + [0xff, 0xfe] + octets[3:]
    prefix = ipaddress.ip_network(CIDR_V6)
    return str(prefix[int.from_bytes(bytes(eui), 'big')])


def _mac_of(instance_ec2_id):
    from nova import context
    from nova import db
    from nova.api.ec2 import ec2utils
    number = ec2utils.ec2_instance_id_to_id(instance_ec2_id)
    [vif] = db.virtual_interface_get_by_instance(
        context.get_admin_context(), number)
    return vif['address']


@pytest.fixture(scope='module')
def running(cloud, users):
    """One running instance of dora's (launched with boto 2)."""
    conn = cloud.boto2_connection(*users['dora'])
    ami = cloud.register_image('v6-image')
    res = conn.run_instances(ami, instance_type='m1.tiny')
    iid = res.instances[0].id

    def up():
        return [i.state for r in conn.get_all_reservations([iid])
                for i in r.instances] == ['running']
    assert cloud.wait_for(up, timeout=60)
    return iid


def test_describe_instances_v6_boto2(cloud, users, running):
    boto2.require()
    import boto.ec2.instance
    conn = cloud.boto2_connection(*users['dora'])
    reservations = conn.get_list('DescribeInstancesV6', {},
                                 [('item', boto.ec2.instance.Reservation)],
                                 verb='POST')
    [instance] = [i for r in reservations for i in r.instances]
    assert instance.id == running
    assert instance.private_ip_address
    expected = _eui64(_mac_of(running))
    assert ipaddress.ip_address(expected) in ipaddress.ip_network(CIDR_V6)
    assert instance.dnsNameV6 == expected
    # Another project sees none of it.
    other = cloud.boto2_connection(*users['eve'])
    assert other.get_list('DescribeInstancesV6', {},
                          [('item', boto.ec2.instance.Reservation)],
                          verb='POST') == []


def test_describe_instances_v6_boto3(boto3_nova, running):
    out = boto3_nova.describe_instances_v6(InstanceIds=[running])
    [instance] = out['Reservations'][0]['Instances']
    expected = _eui64(_mac_of(running))
    assert instance['Ipv6Address'] == expected
    filtered = boto3_nova.describe_instances_v6(Filters=[
        {'Name': 'instance-state-name', 'Values': ['running']}])
    assert [i['InstanceId'] for r in filtered['Reservations']
            for i in r['Instances']] == [running]
    with pytest.raises(boto3_nova.exceptions.ClientError) as err:
        boto3_nova.describe_instances_v6(InstanceIds=['i-0000beef'])
    assert err.value.response['Error']['Code'] == \
        'InvalidInstanceID.NotFound'


def test_update_image_boto2(cloud, users):
    boto2.require()
    import boto.exception
    mine = cloud.register_image('dora-own', project='dproj', kernel=False)
    theirs = cloud.register_image('eve-own', project='eproj', kernel=False)
    conn = cloud.boto2_connection(*users['dora'])
    assert conn.get_status('UpdateImage', {
        'ImageId': mine, 'DisplayName': 'c00l 1m4g3',
        'DisplayDescription': 'renamed by boto 2'}, verb='POST') is True
    [image] = conn.get_all_images([mine])
    assert (image.name, image.description) == ('c00l 1m4g3',
                                               'renamed by boto 2')
    with pytest.raises(boto.exception.EC2ResponseError) as info:
        conn.get_status('UpdateImage', {'ImageId': theirs,
                                        'DisplayName': 'stolen'},
                        verb='POST')
    assert info.value.error_code == 'AuthFailure'
    with pytest.raises(boto.exception.EC2ResponseError) as info:
        conn.get_status('UpdateImage', {'ImageId': 'ami-0000beef',
                                        'DisplayName': 'x'}, verb='POST')
    assert info.value.error_code == 'InvalidAMIID.NotFound'


def test_update_image_boto3(cloud, boto3_nova):
    mine = cloud.register_image('dora-second', project='dproj',
                                kernel=False)
    theirs = cloud.register_image('eve-second', project='eproj',
                                  kernel=False)
    assert boto3_nova.update_image(ImageId=mine, DisplayName='new name',
                                   DisplayDescription='new text')['Return']
    [image] = boto3_nova.describe_images(ImageIds=[mine])['Images']
    assert (image['Name'], image['Description']) == ('new name', 'new text')
    with pytest.raises(boto3_nova.exceptions.ClientError) as err:
        boto3_nova.update_image(ImageId=theirs, DisplayName='stolen')
    assert err.value.response['Error']['Code'] == 'AuthFailure'
    [image] = boto3_nova.describe_images(ImageIds=[theirs])['Images']
    assert image['Name'] == 'eve-second'
