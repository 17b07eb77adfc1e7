"""Finding 7 of issue 8: one tenant cannot break another tenant's responses.

Over real HTTP with boto3: a control character is refused on input, and rows
that hold one anyway (written before the check, or behind the API's back)
still give every client a listing it can parse.
"""

import botocore.exceptions
import pytest

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]


@pytest.fixture(scope='module')
def tenants(cloud):
    alice = cloud.boto3_client(*cloud.create_user('alice7', 'alpha7'))
    bob = cloud.boto3_client(*cloud.create_user('bob7', 'beta7'))
    admin = cloud.boto3_client(*cloud.create_user('root7', 'admin7',
                                                  admin=True))
    return alice, bob, admin


def test_control_characters_are_refused_on_input(tenants):
    _alice, bob, _admin = tenants
    for name in ('bob-key\x01', 'bob\x1b[2Jkey'):
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            bob.create_key_pair(KeyName=name)
        error = excinfo.value.response['Error']
        assert error['Code'] == 'InvalidParameterValue'
        assert '\x01' not in error['Message']
        assert '\x1b' not in error['Message']
    assert bob.describe_key_pairs()['KeyPairs'] == []


def test_poisoned_public_image_does_not_break_others(cloud, tenants):
    alice, _bob, _admin = tenants
    ami = cloud.register_image('bob-img\x01\x0b', project='beta7',
                               public=True)
    images = {i['ImageId']: i for i in alice.describe_images()['Images']}
    assert images[ami]['Name'] == 'bob-img\ufffd\ufffd'


def test_poisoned_display_name_does_not_break_admin_listing(cloud, tenants):
    alice, _bob, admin = tenants
    ami = cloud.register_image('plain-img', project='alpha7', public=True)
    reservation = alice.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                                      InstanceType='m1.tiny')
    instance_id = reservation['Instances'][0]['InstanceId']

    def poison():
        from nova import context
        from nova import db
        from nova.api.ec2 import ec2utils
        db.instance_update(context.get_admin_context(),
                           ec2utils.ec2_instance_id_to_id(instance_id),
                           {'display_name': 'evil\x02name\x00',
                            'display_description': 'x\x1fy'})
    cloud.call_in_cloud(poison)
    listed = [i['InstanceId']
              for r in admin.describe_instances()['Reservations']
              for i in r['Instances']]
    assert instance_id in listed
    mine = [i['InstanceId']
            for r in alice.describe_instances()['Reservations']
            for i in r['Instances']]
    assert mine == [instance_id]
    alice.terminate_instances(InstanceIds=[instance_id])


def test_version_with_a_quote_is_refused(cloud, tenants):
    import urllib.error
    import urllib.request
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    alice, _bob, _admin = tenants
    body = 'Action=DescribeRegions&Version=2016-11-15%22%20foo%3D%22bar'
    req = AWSRequest(method='POST', url=cloud.endpoint, data=body,
                     headers={'Content-Type':
                              'application/x-www-form-urlencoded'})
    SigV4Auth(alice._request_signer._credentials, 'ec2',
              'nova').add_auth(req)
    prepared = req.prepare()
    http = urllib.request.Request(prepared.url, data=body.encode(),
                                  headers=dict(prepared.headers),
                                  method='POST')
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(http, timeout=30)
    assert excinfo.value.code == 400
    text = excinfo.value.read()
    assert b'foo="bar"' not in text
    assert b'<Code>InvalidParameterValue</Code>' in text
