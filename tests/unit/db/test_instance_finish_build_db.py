"""instance_update_if_building: a build ends with one conditional UPDATE
that never overwrites a delete or an error that came meanwhile."""

import pytest

from nova import context
from nova import db


def _instance(ctxt, **values):
    base = {'user_id': 'alice', 'project_id': 'proj1',
            'vm_state': 'building', 'task_state': 'spawning',
            'instance_type_id': 1}
    base.update(values)
    return db.instance_create(ctxt, base)['id']


ACTIVE = {'vm_state': 'active', 'task_state': None, 'power_state': 1}


def test_a_build_still_going_ends_active(admin):
    inst = _instance(admin)
    assert db.instance_update_if_building(admin, inst, ACTIVE) is True
    assert db.instance_get_states(admin, inst) == ('active', None)


@pytest.mark.parametrize('vm_state,task_state', [
    ('building', 'deleting'), ('error', None), ('active', None)])
def test_a_change_made_meanwhile_is_kept(admin, vm_state, task_state):
    inst = _instance(admin, vm_state=vm_state, task_state=task_state)
    assert db.instance_update_if_building(admin, inst, ACTIVE) is False
    assert db.instance_get_states(admin, inst) == (vm_state, task_state)


def test_a_deleted_or_foreign_instance_is_not_touched(admin):
    inst = _instance(admin)
    stranger = context.RequestContext('bob', 'proj2')
    assert db.instance_update_if_building(stranger, inst, ACTIVE) is False
    db.instance_destroy(admin, inst)
    assert db.instance_update_if_building(admin, inst, ACTIVE) is False
