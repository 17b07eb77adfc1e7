"""DescribeInstancesV6, UpdateImage and RegisterImage's ``Name`` as the
location (Diablo's leniency for boto 2), through the EC2 paste app."""

import pytest

from nova import context
from nova import db
from nova.api.ec2.cloud import images as ec2_images
from nova.image import local

NS = '{http://ec2.amazonaws.com/doc/2016-11-15/}'


def _admin():
    return context.get_admin_context()


def _instance(project, mac=None, cidr_v6=None, cidr='10.0.0.0/24',
              address='10.0.0.3'):
    """An instance of ``project`` with a fixed IP on a network."""
    ctxt = _admin()
    inst = db.instance_create(ctxt, {
        'project_id': project, 'user_id': 'alice', 'vm_state': 'active',
        'reservation_id': 'r-%s' % project, 'image_ref': '1'})
    net = db.network_create_safe(ctxt, {'cidr': cidr, 'cidr_v6': cidr_v6,
                                        'label': 'net-%s' % cidr})
    values = {'address': address, 'network_id': net['id'],
              'instance_id': inst['id'], 'allocated': True}
    if mac:
        vif = db.virtual_interface_create(ctxt, {
            'address': mac, 'network_id': net['id'],
            'instance_id': inst['id'], 'uuid': 'vif-%s' % mac})
        values['virtual_interface_id'] = vif['id']
    db.fixed_ip_create(ctxt, values)
    return inst


def _instances(result):
    return result.xml.findall('.//%sinstancesSet/%sitem' % (NS, NS))


def _text(item, name):
    node = item.find(NS + name)
    return None if node is None else node.text


# -- DescribeInstancesV6 --------------------------------------------------------
def test_v6_gives_the_eui64_address_of_the_first_fixed_ip(ec2):
    inst = _instance('proj', mac='02:16:3e:00:00:01', cidr_v6='fd00:1::/64')
    result = ec2.call('DescribeInstancesV6')
    assert result.status == 200, result.body
    [item] = _instances(result)
    assert _text(item, 'instanceId') == 'i-%08x' % inst['id']
    # 02:16:3e:00:00:01 -> universal/local bit flipped, ff:fe in the middle
    assert _text(item, 'dnsNameV6') == 'fd00:1::16:3eff:fe00:1'
    assert _text(item, 'ipv6Address') == 'fd00:1::16:3eff:fe00:1'
    assert _text(item, 'privateIpAddress') == '10.0.0.3'
    # DescribeInstances itself carries no IPv6 field, as in Diablo.
    plain = ec2.call('DescribeInstances')
    assert b'dnsNameV6' not in plain.body


def test_v6_without_an_ipv6_range_has_no_v6_field(ec2):
    _instance('proj', mac='02:16:3e:00:00:02')
    result = ec2.call('DescribeInstancesV6')
    assert result.status == 200
    assert b'<instanceId>' in result.body
    assert b'dnsNameV6' not in result.body


def test_v6_keeps_describe_instances_scoping_and_ids(ec2):
    mine = _instance('proj', mac='02:16:3e:00:00:03', cidr_v6='fd00:3::/64')
    _instance('other', mac='02:16:3e:00:00:04', cidr_v6='fd00:4::/64',
              cidr='10.0.1.0/24', address='10.0.1.3')
    result = ec2.call('DescribeInstancesV6')
    assert b'fd00:4::' not in result.body
    assert ('i-%08x' % mine['id']).encode() in result.body
    one = ec2.call('DescribeInstancesV6',
                   {'InstanceId.1': 'i-%08x' % mine['id']})
    assert b'fd00:3::16:3eff:fe00:3' in one.body
    missing = ec2.call('DescribeInstancesV6', {'InstanceId.1': 'i-0000ffff'})
    assert missing.error_code == 'InvalidInstanceID.NotFound'
    admin = ec2.call('DescribeInstancesV6', user='admin', project='admin')
    assert b'fd00:4::16:3eff:fe00:4' in admin.body


def test_v6_source_query_is_project_scoped(sqlite_db):
    mine = _instance('proj', mac='02:16:3e:00:00:05', cidr_v6='fd00:5::/64')
    theirs = _instance('other', mac='02:16:3e:00:00:06',
                       cidr_v6='fd00:6::/64', cidr='10.0.2.0/24',
                       address='10.0.2.3')
    user = context.RequestContext('alice', 'proj')
    found = db.instance_ipv6_sources(user, [mine['id'], theirs['id']])
    assert found == {mine['id']: ('fd00:5::/64', '02:16:3e:00:00:05')}
    assert set(db.instance_ipv6_sources(
        _admin(), [mine['id'], theirs['id']])) == {mine['id'], theirs['id']}


# -- UpdateImage ------------------------------------------------------------------
@pytest.fixture
def images(ec2):
    service = local.LocalImageService()
    made = {}
    for project in ('proj', 'other'):
        image = service.create(_admin(), {
            'name': 'img-%s' % project, 'is_public': True,
            'container_format': 'ami', 'disk_format': 'ami',
            'status': 'active',
            'properties': {'project_id': project, 'kernel_id': '7'}})
        made[project] = (image['id'], 'ami-%08x' % image['id'])
    return service, made


def test_update_image_sets_name_and_description(ec2, images):
    service, made = images
    number, ec2_id = made['proj']
    result = ec2.call('UpdateImage', {'ImageId': ec2_id,
                                      'DisplayName': 'c00l 1m4g3',
                                      'DisplayDescription': 'my image'})
    assert result.status == 200, result.body
    assert b'<return>true</return>' in result.body
    image = service.show(_admin(), number)
    assert image['name'] == 'c00l 1m4g3'
    assert image['properties']['description'] == 'my image'
    # Other properties stay; DescribeImages shows the new values.
    assert image['properties']['kernel_id'] == '7'
    described = ec2.call('DescribeImages', {'ImageId.1': ec2_id}).parsed
    [shown] = described['Images']
    assert (shown['Name'], shown['Description']) == ('c00l 1m4g3',
                                                     'my image')


def test_update_image_takes_name_and_description_too(ec2, images):
    service, made = images
    number, ec2_id = made['proj']
    assert ec2.call('UpdateImage', {'ImageId': ec2_id,
                                    'Description': 'only this'}).status == 200
    image = service.show(_admin(), number)
    assert (image['name'], image['properties']['description']) == (
        'img-proj', 'only this')


def test_update_image_changes_nothing_private(ec2, images):
    service, made = images
    number, ec2_id = made['proj']
    result = ec2.call('UpdateImage', {'ImageId': ec2_id, 'IsPublic': 'false',
                                      'Name': 'renamed'})
    assert result.status == 200
    image = service.show(_admin(), number)
    assert image['is_public'] is True and image['name'] == 'renamed'


def test_update_image_of_another_project_is_auth_failure(ec2, images):
    service, made = images
    number, ec2_id = made['other']
    result = ec2.call('UpdateImage', {'ImageId': ec2_id,
                                      'DisplayName': 'stolen'})
    assert result.error_code == 'AuthFailure'
    assert service.show(_admin(), number)['name'] == 'img-other'


def test_update_image_unknown_or_missing_id(ec2, images):
    assert ec2.call('UpdateImage', {'ImageId': 'ami-0000ffff',
                                    'DisplayName': 'x'}).error_code == \
        'InvalidAMIID.NotFound'
    assert ec2.call('UpdateImage', {'DisplayName': 'x'}).error_code == \
        'MissingParameter'


def test_update_image_by_admin_of_any_project(ec2, images):
    service, made = images
    number, ec2_id = made['other']
    result = ec2.call('UpdateImage', {'ImageId': ec2_id,
                                      'DisplayName': 'by admin'},
                      user='admin', project='admin')
    assert result.status == 200
    assert service.show(_admin(), number)['name'] == 'by admin'


# -- RegisterImage: Name as the location ------------------------------------------
@pytest.mark.parametrize('value, expected', [
    ('bucket/image.manifest.xml', True),
    ('bucket/dir/image.manifest.xml', True),
    ('mine', False),
    ('bucket/.manifest.xml', False),
    ('/image.manifest.xml', False),
    ('bucket/image.img', False),
    (None, False),
])
def test_bundle_location_shape(value, expected):
    assert ec2_images.is_bundle_location(value) is expected


def test_register_name_as_location_reaches_the_bundle(ec2, monkeypatch):
    seen = []

    def register(image_service, ctxt, location, props):
        seen.append(location)
        return {'id': 9, 'container_format': 'ami'}
    monkeypatch.setattr(ec2_images.bundles, 'register_bundle', register)
    result = ec2.call('RegisterImage', {'Name': 'bucket/x.manifest.xml'},
                      api_version='2014-10-01')
    assert result.status == 200, result.body
    assert seen == ['bucket/x.manifest.xml']
    assert b'<imageId>ami-00000009</imageId>' in result.body


def test_register_without_a_location_is_still_missing_parameter(ec2):
    for params in ({}, {'Name': 'mine', 'Architecture': 'x86_64'}):
        result = ec2.call('RegisterImage', params)
        assert result.error_code == 'MissingParameter', params


def test_v6_arguments_have_describe_instances_shapes(ec2):
    _instance('proj', mac='02:16:3e:00:00:07', cidr_v6='fd00:7::/64')
    ok = ec2.call('DescribeInstancesV6', {
        'Filter.1.Name': 'instance-state-name',
        'Filter.1.Value.1': 'running'})
    assert ok.status == 200, ok.body
    bad = ec2.call('DescribeInstancesV6', {'Filter.1.Name.Deep': 'x'})
    assert (bad.status, bad.error_code) == (400, 'InvalidParameterValue')
    bad = ec2.call('DescribeInstancesV6', {'MaxResults.1.X': '5'})
    assert (bad.status, bad.error_code) == (400, 'InvalidParameterValue')
