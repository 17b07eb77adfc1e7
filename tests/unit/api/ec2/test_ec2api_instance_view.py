"""The EC2 view of an instance: admin keyName, error state and reason."""

import pytest

from nova import context
from nova.api.ec2.cloud import instance_view

INSTANCE = {'id': 3, 'key_name': 'testkey', 'project_id': 'project',
            'host': 'HostB', 'vm_state': 'active', 'task_state': None,
            'reservation_id': 'r-1', 'availability_zone': 'nova',
            'instance_type': {'name': 'm1.tiny'}, 'image_ref': '1'}


@pytest.fixture(autouse=True)
def _database(sqlite_db):
    """The view looks up attached volumes and zones in the database."""


def _view(is_admin):
    ctxt = context.RequestContext('user', 'project', is_admin=is_admin)
    return instance_view.InstanceView(ctxt)


def test_admin_sees_key_owner_and_host_as_diablo():
    item = _view(True).format(INSTANCE)
    assert item['keyName'] == 'testkey (project, HostB)'


def test_user_sees_the_plain_key_name():
    assert _view(False).format(INSTANCE)['keyName'] == 'testkey'


def test_key_name_filter_matches_the_admin_form():
    reservations = _view(True).reservations([INSTANCE])
    kept = instance_view.filter_reservations(reservations,
                                             {'key-name': ['testkey']})
    assert kept and kept[0]['instancesSet'][0]['instanceId'] == 'i-00000003'


def test_error_state_is_not_pending_and_carries_the_fault():
    broken = dict(INSTANCE, vm_state='error')
    reason = 'Server.InsufficientInstanceCapacity: no valid host was found'
    item = _view(False).format(broken, {'message': reason})
    assert item['instanceState'] == {'code': 336, 'name': 'error'}
    assert item['instanceState']['code'] & 0xff == 80
    assert item['stateReason'] == {
        'code': 'Server.InsufficientInstanceCapacity', 'message': reason}
    assert item['reason'] == reason


def test_a_fault_message_not_in_the_reason_form_is_never_shown():
    broken = dict(INSTANCE, vm_state='error')
    item = _view(False).format(broken, {
        'message': "Build failed: Command: qemu-img info /var/lib/nova/x "
                   "Exit code: 1 Stderr: 'qemu:///system unreachable'"})
    assert item['stateReason'] == {
        'code': 'Server.InternalError',
        'message': 'Server.InternalError: the instance failed on the host'}
    assert item['reason'] == item['stateReason']['message']
