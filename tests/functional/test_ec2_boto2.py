"""The EC2 API driven by boto 2.49 (SigV4 with its host-derived scope,
POSTs to ``/services/Cloud/``) against an in-process cloud."""

import pytest

from tests import boto2

boto2.require()    # this module skips where boto 2 cannot load
import boto.exception  # noqa: E402

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]


@pytest.fixture(scope='module')
def conn(cloud):
    access, secret = cloud.create_user('bert', 'bproj')
    return cloud.boto2_connection(access, secret)


def _states(conn, ids):
    return {i.id: i.state
            for r in conn.get_all_reservations(instance_ids=ids)
            for i in r.instances}


def test_manual_flow_boto2(cloud, conn):
    ami = cloud.register_image('boto2-image')
    key = conn.create_key_pair('bkey')
    assert key.material.startswith('-----BEGIN')
    assert [k.name for k in conn.get_all_key_pairs()] == ['bkey']
    assert [z.name for z in conn.get_all_zones()] == ['nova']
    assert ami in [i.id for i in conn.get_all_images()]

    res = conn.run_instances(ami, min_count=3, max_count=3,
                             instance_type='m1.tiny', key_name='bkey',
                             user_data='#!/bin/sh\n')
    ids = [i.id for i in res.instances]
    assert len(ids) == 3
    assert cloud.wait_for(lambda: set(_states(conn, ids).values()) ==
                          {'running'})
    instances = [i for r in conn.get_all_reservations(
        filters={'instance-state-name': 'running', 'key-name': 'bkey'})
        for i in r.instances]
    assert sorted(i.id for i in instances) == sorted(ids)
    assert all(i.instance_type == 'm1.tiny' for i in instances)
    assert all(i.private_ip_address for i in instances)
    assert all(i.placement == 'nova' for i in instances)

    output = conn.get_console_output(ids[0])
    assert output.instance_id == ids[0]
    assert output.output
    assert conn.reboot_instances(ids) is True
    terminated = conn.terminate_instances(ids)
    assert sorted(i.id for i in terminated) == sorted(ids)
    assert cloud.wait_for(lambda: all(
        i.state == 'terminated' for r in conn.get_all_reservations()
        for i in r.instances))


def test_errors_boto2(cloud, conn):
    with pytest.raises(boto.exception.EC2ResponseError) as info:
        conn.terminate_instances(['i-0000abcd'])
    assert info.value.error_code == 'InvalidInstanceID.NotFound'
    assert info.value.status == 400
    with pytest.raises(boto.exception.EC2ResponseError) as info:
        conn.get_all_reservations(filters={'frobnication': 'x'})
    assert info.value.error_code == 'InvalidParameterValue'
    conn.create_key_pair('twice')
    with pytest.raises(boto.exception.EC2ResponseError) as info:
        conn.create_key_pair('twice')
    assert info.value.error_code == 'InvalidKeyPair.Duplicate'


def test_bad_credentials_boto2(cloud, conn):
    bad = cloud.boto2_connection(conn.aws_access_key_id, 'wrong-secret')
    with pytest.raises(boto.exception.EC2ResponseError) as info:
        bad.get_all_zones()
    assert info.value.status == 403
    assert info.value.error_code == 'AuthFailure'


def test_security_groups_boto2(conn):
    group = conn.create_security_group('bweb', 'web servers')
    assert group.name == 'bweb'
    assert conn.authorize_security_group(group_name='bweb', ip_protocol='tcp',
                                         from_port=22, to_port=22,
                                         cidr_ip='10.0.0.0/8')
    found = conn.get_all_security_groups(groupnames=['bweb'])[0]
    assert [(r.ip_protocol, r.from_port, r.to_port) for r in found.rules] \
        == [('tcp', '22', '22')]
    assert conn.revoke_security_group(group_name='bweb', ip_protocol='tcp',
                                      from_port=22, to_port=22,
                                      cidr_ip='10.0.0.0/8')
    assert conn.delete_security_group('bweb')


def test_admin_controller_boto2(cloud):
    access, secret = cloud.create_user('root', 'rootproj', admin=True,
                                       roles=())
    admin = cloud.boto2_connection(access, secret, path='/services/Admin')
    resp = admin.make_request('DescribeInstanceTypes')
    body = resp.read()
    assert resp.status == 200, body
    assert b'm1.tiny' in body
    resp = admin.make_request('DescribeHosts')
    body = resp.read()
    assert resp.status == 200 and b'compute0' in body
    cloud_admin = cloud.boto2_connection(access, secret)
    zones = cloud_admin.get_all_zones(['verbose'])
    names = [z.name for z in zones]
    assert '|- compute0' in names
    assert any(':-)' in (z.state or '') for z in zones)
