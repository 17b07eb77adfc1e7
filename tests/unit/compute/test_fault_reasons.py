"""Every failure maps to a short, stable reason; the text stays inside."""

import pytest

from nova import context
from nova import db
from nova import exception
from nova.compute import fault_reasons
from nova.virt import exceptions as virt_exceptions

LEAKY = exception.ProcessExecutionError(
    cmd='sudo qemu-img info /var/lib/nova/instances/instance-00000001/disk',
    exit_code=1, stdout='', stderr="error: failed to connect to "
    "'qemu:///system': No such file or directory",
    description='Unexpected error while running command.')


@pytest.mark.parametrize('step, error, reason', [
    ('spawning it', LEAKY, fault_reasons.BUILD_FAILED),
    ('spawning it', RuntimeError('/tmp/x: no space'),
     fault_reasons.BUILD_FAILED),
    ('allocating its network', LEAKY, fault_reasons.NETWORK_FAILED),
    ('setting up its block devices', LEAKY,
     fault_reasons.BLOCK_DEVICES_FAILED),
    ('applying its security groups', LEAKY, fault_reasons.BUILD_FAILED),
    ('spawning it', virt_exceptions.FlavorTooSmall(
        image_id=1, reason='it needs 4096 MB of memory'),
     fault_reasons.FLAVOR_TOO_SMALL),
    ('spawning it', virt_exceptions.ImageUnacceptable(
        image_id=1, reason='qemu-img cannot read /var/lib/nova/_base/x'),
     fault_reasons.IMAGE_UNACCEPTABLE),
    ('spawning it', virt_exceptions.HypervisorUnavailable(
        uri='qemu:///system', reason='Failed to connect socket'),
     fault_reasons.HYPERVISOR_UNAVAILABLE),
    ('spawning it', exception.NoValidHost(reason='no host'),
     fault_reasons.NO_VALID_HOST),
])
def test_build_failures_map_to_stable_reasons(step, error, reason):
    assert fault_reasons.build_failed(step, error) == reason
    for word in ('/var', '/tmp', 'qemu', 'Command', 'Stderr', '4096'):
        assert word not in reason


def test_a_subclass_of_a_client_error_is_a_client_error_too():
    class Smaller(virt_exceptions.FlavorTooSmall):
        pass
    error = Smaller(image_id=1, reason='tiny')
    assert fault_reasons.build_failed('spawning it', error) == \
        fault_reasons.FLAVOR_TOO_SMALL


@pytest.mark.parametrize('action', ['reboot', 'stop', 'start', 'rescue',
                                    'unrescue', 'Reboot'])
def test_actions_name_themselves(action):
    assert fault_reasons.action_failed(action) == \
        'Server.InternalError: %s failed on the host' % action.lower()


def test_an_unknown_action_word_is_not_echoed():
    assert fault_reasons.action_failed('rm -rf /var/lib/nova') == \
        fault_reasons.FAILED


@pytest.mark.parametrize('reason', [
    fault_reasons.FAILED, fault_reasons.BUILD_FAILED,
    fault_reasons.BUILD_TIMED_OUT, fault_reasons.HYPERVISOR_UNAVAILABLE,
    fault_reasons.NETWORK_FAILED, fault_reasons.BLOCK_DEVICES_FAILED,
    fault_reasons.LOST, fault_reasons.TERMINATE_FAILED,
    fault_reasons.LIVE_MIGRATION_FAILED, fault_reasons.NO_VALID_HOST,
    fault_reasons.SCHEDULING_FAILED, fault_reasons.SCHEDULING_TIMED_OUT,
    fault_reasons.FLAVOR_TOO_SMALL, fault_reasons.IMAGE_UNACCEPTABLE,
])
def test_every_reason_splits_into_its_aws_code(reason):
    code, message = fault_reasons.split(reason)
    assert message == reason
    assert reason.startswith(code + ': ')
    assert code in ('Server.InternalError',
                    'Server.InsufficientInstanceCapacity',
                    'Client.InternalError')
    assert len(reason) < 255


@pytest.mark.parametrize('stored', [
    None, '', 'Build failed while spawning it: RuntimeError: boom',
    str(LEAKY), 'Build retried (1 of 3): Build timed out',
    'Server.InternalError:', 'Server.InternalError: ' + 'x' * 300,
])
def test_anything_else_is_shown_as_the_generic_reason(stored):
    assert fault_reasons.split(stored) == ('Server.InternalError',
                                           fault_reasons.FAILED)


def test_record_keeps_the_message_and_traceback_in_details(sqlite_db):
    admin = context.get_admin_context()
    instance = db.instance_create(admin, {'project_id': 'p',
                                          'user_id': 'u'})
    fault_reasons.record(admin, instance['id'], fault_reasons.BUILD_FAILED,
                         'Build failed while spawning it: %s' % LEAKY,
                         'Traceback (most recent call last): ...', code=500)
    fault = db.instance_fault_get_latest(admin, instance['id'])
    assert fault['message'] == fault_reasons.BUILD_FAILED
    assert 'qemu-img info /var/lib/nova' in fault['details']
    assert "qemu:///system" in fault['details']
    assert fault['details'].endswith('Traceback (most recent call last): ...')
    assert fault['code'] == 500


def test_record_refuses_free_text_as_the_user_message(sqlite_db):
    admin = context.get_admin_context()
    instance = db.instance_create(admin, {'project_id': 'p',
                                          'user_id': 'u'})
    fault_reasons.record(admin, instance['id'], str(LEAKY))
    fault = db.instance_fault_get_latest(admin, instance['id'])
    assert fault['message'] == fault_reasons.FAILED
    assert fault['details'] is None
