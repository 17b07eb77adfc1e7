"""The EC2 API driven by the AWS CLI (``aws ec2 ... --endpoint-url``)."""

import json

import pytest

from tests.functional.conftest import aws_cli_available

pytestmark = [
    pytest.mark.functional, pytest.mark.timeout(600),
    pytest.mark.skipif(not aws_cli_available(),
                       reason='the aws command (awscli) is not installed'),
]


def test_manual_flow_awscli(cloud):
    access, secret = cloud.create_user('carol', 'cproj')
    ami = cloud.register_image('cli-image')

    def aws(*args, check=True):
        proc = cloud.aws_cli(access, secret, *args, check=check)
        if not check:
            return proc
        return json.loads(proc.stdout) if proc.stdout.strip() else {}

    key = aws('create-key-pair', '--key-name', 'clikey')
    assert key['KeyName'] == 'clikey'
    res = aws('run-instances', '--image-id', ami, '--count', '3',
              '--instance-type', 'm1.tiny', '--key-name', 'clikey')
    ids = [i['InstanceId'] for i in res['Instances']]
    assert len(ids) == 3

    def states():
        out = aws('describe-instances', '--instance-ids', *ids)
        return {i['InstanceId']: i['State']['Name']
                for r in out['Reservations'] for i in r['Instances']}

    assert cloud.wait_for(lambda: set(states().values()) == {'running'},
                          timeout=60, interval=0.5)
    out = aws('describe-instances', '--filters',
              'Name=instance-state-name,Values=running',
              'Name=key-name,Values=clikey')
    assert sorted(i['InstanceId'] for r in out['Reservations']
                  for i in r['Instances']) == sorted(ids)
    console = aws('get-console-output', '--instance-id', ids[0])
    assert console['InstanceId'] == ids[0]
    assert console.get('Output')
    aws('reboot-instances', '--instance-ids', *ids)
    out = aws('terminate-instances', '--instance-ids', *ids)
    assert len(out['TerminatingInstances']) == 3
    assert cloud.wait_for(
        lambda: [i for r in aws('describe-instances')['Reservations']
                 for i in r['Instances']
                 if i['State']['Name'] != 'terminated'] == [],
        timeout=60, interval=0.5)

    bad = aws('terminate-instances', '--instance-ids', 'i-0000beef',
              check=False)
    assert bad.returncode != 0
    assert 'InvalidInstanceID.NotFound' in bad.stderr
    bad = aws('run-instances', '--image-id', ami, '--count', '1',
              '--instance-type', 'm9.nope', check=False)
    assert 'InvalidParameterValue' in bad.stderr
    bad = aws('create-key-pair', '--key-name', 'clikey', check=False)
    assert 'InvalidKeyPair.Duplicate' in bad.stderr
    zones = aws('describe-availability-zones')['AvailabilityZones']
    assert zones[0]['ZoneName'] == 'nova'
