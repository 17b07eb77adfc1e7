"""The lock of an instance lives in nova.compute.api, as Diablo's lived in
the compute manager: every API (EC2 too) is refused reboot, stop, start,
rescue, terminate and volume attach of a locked instance by a
non-administrator; an administrator still acts."""

import pytest

from nova import context
from nova import db
from nova import exception


@pytest.fixture
def locked(user, admin, compute_api, casts):
    [inst] = compute_api.create(user, 'm1.tiny', 1)
    db.service_create(admin, {'host': 'host1', 'binary': 'nova-compute',
                              'topic': 'compute'})
    db.instance_update(admin, inst['id'], {'vm_state': 'active',
                                           'task_state': None,
                                           'host': 'host1'})
    compute_api.lock(admin, inst['id'])
    return inst


@pytest.mark.parametrize('method', ['reboot', 'stop', 'rescue', 'delete'])
def test_locked_refuses_a_user(user, compute_api, casts, locked, method):
    sent = len(casts.sent)
    with pytest.raises(exception.InstanceIsLocked):
        getattr(compute_api, method)(user, locked['id'])
    assert len(casts.sent) == sent
    instance = compute_api.get(user, locked['id'])
    assert instance['task_state'] is None
    assert instance['vm_state'] == 'active'


def test_locked_refuses_start_and_attach(user, admin, compute_api, casts,
                                         locked):
    db.instance_update(admin, locked['id'], {'vm_state': 'stopped'})
    with pytest.raises(exception.InstanceIsLocked):
        compute_api.start(user, locked['id'])
    db.instance_update(admin, locked['id'], {'vm_state': 'active'})
    with pytest.raises(exception.InstanceIsLocked):
        compute_api.attach_volume(user, locked['id'], 1, '/dev/vdb')


def test_admin_acts_and_unlock_frees(user, admin, compute_api, casts,
                                     locked):
    compute_api.reboot(admin, locked['id'])
    assert casts.sent[-1][:2] == ('compute.host1', 'reboot_instance')
    db.instance_update(admin, locked['id'], {'task_state': None})
    compute_api.unlock(admin, locked['id'])
    compute_api.reboot(user, locked['id'])
    compute_api.delete(user, locked['id'])
    assert casts.sent[-1][1] == 'terminate_instance'


def test_user_context_is_not_admin(user):
    assert isinstance(user, context.RequestContext)
    assert not user.is_admin
