"""instance_block_devices_exist: the one query nova-compute makes at build
and delete to learn whether an instance has block devices at all."""


from nova import context
from nova import db


def _instance(ctxt):
    return db.instance_create(ctxt, {
        'user_id': 'alice', 'project_id': 'proj1', 'vm_state': 'building',
        'instance_type_id': 1})


def test_an_instance_without_block_devices_has_neither(admin):
    inst = _instance(admin)
    assert db.instance_block_devices_exist(admin, inst.id) == (False, False)


def test_mappings_and_attached_volumes_are_told_apart(admin):
    inst, other = _instance(admin), _instance(admin)
    bdm = db.block_device_mapping_create(admin, {
        'instance_id': inst.id, 'device_name': '/dev/vdb',
        'volume_size': 1, 'delete_on_termination': True})
    assert db.instance_block_devices_exist(admin, inst.id) == (True, False)
    volume = db.volume_create(admin, {
        'size': 1, 'user_id': 'alice', 'project_id': 'proj1',
        'instance_id': inst.id, 'status': 'in-use'})
    assert db.instance_block_devices_exist(admin, inst.id) == (True, True)
    assert db.instance_block_devices_exist(admin, other.id) == (
        False, False)
    # deleted rows do not count
    db.block_device_mapping_destroy(admin, bdm['id'])
    assert db.instance_block_devices_exist(admin, inst.id) == (False, True)
    db.volume_destroy(admin, volume['id'])
    assert db.instance_block_devices_exist(admin, inst.id) == (False, False)


def test_a_user_counts_only_its_project_s_volumes(admin):
    inst = _instance(admin)
    db.volume_create(admin, {'size': 1, 'user_id': 'bob',
                             'project_id': 'proj2', 'instance_id': inst.id})
    owner = context.RequestContext('alice', 'proj1')
    assert db.instance_block_devices_exist(owner, inst.id) == (False, False)
    assert db.instance_block_devices_exist(admin, inst.id) == (False, True)


def test_the_instance_read_for_its_host_carries_the_same_answer(admin):
    inst = _instance(admin)
    assert db.instance_get_for_host(admin, inst.id).block_devices == (
        False, False)
    db.block_device_mapping_create(admin, {
        'instance_id': inst.id, 'device_name': '/dev/vdb',
        'volume_size': 1})
    db.volume_create(admin, {'size': 1, 'user_id': 'bob',
                             'project_id': 'proj2', 'instance_id': inst.id})
    assert db.instance_get_for_host(admin, inst.id).block_devices == (
        True, True)
    owner = context.RequestContext('alice', 'proj1')
    assert db.instance_get_for_host(owner, inst.id).block_devices == (
        True, False)
