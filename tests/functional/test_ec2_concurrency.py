"""Fifty RunInstances at once over HTTP: no 500s, exact quota, unique IPs."""

import concurrent.futures

import botocore.exceptions
import pytest

pytestmark = [pytest.mark.functional, pytest.mark.timeout(180)]


def test_fifty_concurrent_run_instances(cloud):
    access, secret = cloud.create_user('crowd', 'crowded')
    ami = cloud.register_image('crowd-image')
    clients = [cloud.boto3_client(access, secret) for _ in range(10)]

    def launch(index):
        client = clients[index % len(clients)]
        try:
            reply = client.run_instances(ImageId=ami, MinCount=1,
                                         MaxCount=1, InstanceType='m1.tiny')
            return reply['Instances'][0]['InstanceId']
        except botocore.exceptions.ClientError as error:
            return error.response['Error']['Code']

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(launch, range(50)))

    launched = [r for r in results if r.startswith('i-')]
    refused = [r for r in results if not r.startswith('i-')]
    # The project's default quota is 10 instances: exactly that many start,
    # every other request is refused with EC2's quota code, none fails.
    assert len(launched) == 10, results
    assert set(refused) == {'InstanceLimitExceeded'}, results

    client = clients[0]

    def described():
        return [i for r in client.describe_instances(
            InstanceIds=launched)['Reservations'] for i in r['Instances']]

    assert cloud.wait_for(lambda: all(
        i['State']['Name'] == 'running' for i in described()), 60)
    addresses = [i['PrivateIpAddress'] for i in described()]
    assert len(set(addresses)) == 10

    client.terminate_instances(InstanceIds=launched)
    assert cloud.wait_for(lambda: not [
        i for r in client.describe_instances()['Reservations']
        for i in r['Instances'] if i['State']['Name'] != 'terminated'], 60)
