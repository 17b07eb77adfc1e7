"""A failed build shows boto3 a short, stable reason; the details stay in
``instance_faults.details`` (the fake hypervisor fails the way a real one
does: with a command line, its stderr, a libvirt URI and paths)."""

import json

import pytest

from nova import context
from nova import db
from nova import exception
from nova.api.ec2 import ec2utils
from nova.virt import exceptions as virt_exceptions

pytestmark = pytest.mark.functional

COMMAND = ('sudo nova-rootwrap qemu-img convert -O raw '
           '/var/lib/nova/instances/_base/0a1b2c '
           '/var/lib/nova/instances/instance-00000001/disk')
STDERR = ("qemu-img: Could not open 'qemu+tcp://10.9.8.7/system': "
          "Permission denied")
INTERNAL = ('qemu-img', '/var/lib/nova', 'qemu+tcp://', 'rootwrap',
            'Permission denied', 'Traceback', 'instance-00000001')


@pytest.fixture(scope='module')
def user(cloud):
    access, secret = cloud.create_user('faulty', 'faults')
    return cloud.boto3_client(access, secret)


@pytest.fixture(scope='module')
def ami(cloud):
    return cloud.register_image('fault-image')


def _drivers(cloud):
    return [svc.manager.driver for svc in cloud.services
            if getattr(svc, 'binary', None) == 'nova-compute']


def _failing_spawn(cloud, monkeypatch, error):
    def spawn(*_args, **_kwargs):
        raise error
    for driver in _drivers(cloud):
        monkeypatch.setattr(driver, 'spawn', spawn)


def _launch_to_error(cloud, user, ami):
    iid = user.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                             InstanceType='m1.tiny')['Instances'][0][
        'InstanceId']

    def errored():
        found = user.describe_instances(InstanceIds=[iid])
        return found['Reservations'][0]['Instances'][0]['State'][
            'Name'] == 'error'
    assert cloud.wait_for(errored, timeout=30)
    answer = user.describe_instances(InstanceIds=[iid])
    return iid, answer


def _fault(iid):
    return db.instance_fault_get_latest(
        context.get_admin_context(), ec2utils.ec2_instance_id_to_id(iid))


def _assert_nothing_internal(answer):
    text = json.dumps(answer, default=str)
    for word in INTERNAL:
        assert word not in text, (word, text)


def test_a_command_failure_shows_only_the_short_reason(cloud, user, ami,
                                                       monkeypatch):
    _failing_spawn(cloud, monkeypatch, exception.ProcessExecutionError(
        cmd=COMMAND, exit_code=1, stdout='', stderr=STDERR,
        description='Unexpected error while running command.'))
    iid, answer = _launch_to_error(cloud, user, ami)
    item = answer['Reservations'][0]['Instances'][0]
    assert item['StateReason'] == {
        'Code': 'Server.InternalError',
        'Message': 'Server.InternalError: build failed on the host'}
    assert item['StateTransitionReason'] == \
        'Server.InternalError: build failed on the host'
    _assert_nothing_internal(answer)
    # The operator still has the whole story in the database.
    fault = _fault(iid)
    assert fault['message'] == item['StateReason']['Message']
    assert COMMAND in fault['details']
    assert 'qemu+tcp://10.9.8.7/system' in fault['details']
    assert 'spawning' in fault['details']
    assert 'Traceback' in fault['details']
    user.terminate_instances(InstanceIds=[iid])


def test_a_request_the_image_cannot_fit_is_a_client_error(cloud, user, ami,
                                                          monkeypatch):
    _failing_spawn(cloud, monkeypatch, virt_exceptions.FlavorTooSmall(
        image_id='/var/lib/nova/instances/_base/0a1b2c',
        reason='it needs 4096 MB of memory, the instance type has 512'))
    iid, answer = _launch_to_error(cloud, user, ami)
    item = answer['Reservations'][0]['Instances'][0]
    assert item['StateReason'] == {
        'Code': 'Client.InternalError',
        'Message': 'Client.InternalError: the instance type is too small '
                   'for the image'}
    _assert_nothing_internal(answer)
    assert '4096 MB' in _fault(iid)['details']
    user.terminate_instances(InstanceIds=[iid])


def test_no_valid_host_is_a_capacity_reason(cloud, user, ami):
    iid = user.run_instances(
        ImageId=ami, MinCount=1, MaxCount=1, InstanceType='m1.tiny',
        Placement={'AvailabilityZone': 'nowhere'})['Instances'][0][
        'InstanceId']
    assert cloud.wait_for(lambda: user.describe_instances(
        InstanceIds=[iid])['Reservations'][0]['Instances'][0]['State'][
        'Name'] == 'error')
    item = user.describe_instances(InstanceIds=[iid])['Reservations'][0][
        'Instances'][0]
    assert item['StateReason'] == {
        'Code': 'Server.InsufficientInstanceCapacity',
        'Message': 'Server.InsufficientInstanceCapacity: no valid host was '
                   'found'}
    assert 'nowhere' in _fault(iid)['details']
    user.terminate_instances(InstanceIds=[iid])
