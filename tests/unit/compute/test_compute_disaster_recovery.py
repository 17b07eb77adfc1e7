"""What the admin manual's disaster recovery asks of the compute API.

After a host's power loss its instances are shut off (``stopped``): the
manual's ``euca-reboot-instances`` boots them (Diablo's reboot checked no
state).  Its ``euca-attach-volume`` then re-attaches the volumes: zones are
compared by name, an instance an administrator placed with ``zone:host``
(Diablo's forced host) being in ``zone``; another zone's volume is refused.
"""

import pytest

from nova import db
from nova import exception


@pytest.fixture
def placed(user, admin, compute_api, casts):
    [inst] = compute_api.create(user, 'm1.tiny', 1)
    db.instance_update(admin, inst['id'], {
        'vm_state': 'active', 'task_state': None, 'host': 'host1',
        'availability_zone': 'nova:host1'})
    return inst


def _volume(admin, zone):
    return db.volume_create(admin, {
        'size': 1, 'status': 'available', 'attach_status': 'detached',
        'project_id': 'proj1', 'user_id': 'alice', 'host': 'vh',
        'availability_zone': zone})


def test_volume_of_the_zone_attaches_to_a_forced_host(user, admin,
                                                      compute_api, casts,
                                                      placed):
    volume = _volume(admin, 'nova')
    attached = compute_api.attach_volume(user, placed['id'], volume['id'],
                                         '/dev/vdb')
    assert attached['status'] == 'attaching'
    assert casts.sent[-1][1] == 'attach_volume'


def test_volume_of_another_zone_is_refused(user, admin, compute_api, casts,
                                           placed):
    volume = _volume(admin, 'other')
    with pytest.raises(exception.VolumeZoneMismatch):
        compute_api.attach_volume(user, placed['id'], volume['id'],
                                  '/dev/vdb')


def test_reboot_boots_a_stopped_instance(user, admin, compute_api, casts,
                                         placed):
    db.instance_update(admin, placed['id'], {'vm_state': 'stopped'})
    compute_api.reboot(user, placed['id'])
    assert casts.sent[-1][:2] == ('compute.host1', 'reboot_instance')
    assert compute_api.get(user, placed['id'])['task_state'] == 'rebooting'
    db.instance_update(admin, placed['id'], {'vm_state': 'error',
                                             'task_state': None})
    with pytest.raises(exception.InstanceInvalidState):
        compute_api.reboot(user, placed['id'])
