"""rootDeviceType, hypervisor, virtualizationType and the metadata
block-device-mapping tell what the machine is."""

import pytest

from nova import context
from nova import db
from nova.api.ec2 import metadatarequesthandler
from nova.api.ec2.cloud import images
from nova.api.ec2.cloud import instance_view
from nova.api.ec2.cloud import machine_facts as facts


@pytest.mark.parametrize('root, mappings, expected', [
    (None, [], 'instance-store'),
    (None, [{'device_name': '/dev/sda1', 'volume_id': 3}], 'ebs'),
    (None, [{'device_name': 'sda1', 'snapshot_id': 4}], 'ebs'),
    ('/dev/vda', [{'device_name': 'vda', 'volume_id': 3}], 'ebs'),
    ('/dev/vda', [{'device_name': '/dev/vdb', 'volume_id': 3}],
     'instance-store'),
    ('/dev/vda', [{'device_name': '/dev/vda', 'virtual_name': 'ephemeral0'}],
     'instance-store'),
    ('/dev/vda', [{'device_name': '/dev/vda', 'volume_id': 3,
                   'no_device': True}], 'instance-store'),
])
def test_root_device_type(root, mappings, expected):
    assert facts.root_device_type(root, mappings) == expected


@pytest.mark.parametrize('node_type, expected', [
    ('QEMU', 'qemu'), ('Xen', 'xen'), ('fake', 'fake'), ('LXC', 'lxc'),
    ('', None), (None, None)])
def test_hypervisor_is_the_nodes_own_word(node_type, expected):
    assert facts.hypervisor_name(node_type) == expected


@pytest.mark.parametrize('hypervisor, vm_mode, kernel, expected', [
    ('qemu', None, '5', 'hvm'),          # direct kernel boot is still HVM
    ('kvm', None, None, 'hvm'),
    ('xen', None, '5', 'paravirtual'),
    ('xen', None, None, 'hvm'),
    ('fake', None, '5', 'paravirtual'),
    ('fake', None, '', 'hvm'),
    (None, None, '5', 'paravirtual'),
    ('xen', 'hvm', '5', 'hvm'),
    ('qemu', 'pv', None, 'paravirtual'),
])
def test_instance_virtualization_type(hypervisor, vm_mode, kernel, expected):
    assert facts.instance_virtualization_type(hypervisor, vm_mode,
                                              kernel) == expected


@pytest.mark.parametrize('image, expected', [
    ({'container_format': 'ami', 'properties': {'kernel_id': 2}},
     'paravirtual'),
    ({'container_format': 'ami', 'properties': {}}, 'hvm'),
    ({'container_format': 'aki', 'properties': {}}, 'paravirtual'),
    ({'container_format': 'ari', 'properties': {}}, 'paravirtual'),
    ({'container_format': 'ami', 'properties': {'kernel_id': 2,
                                                'vm_mode': 'hvm'}}, 'hvm'),
])
def test_image_virtualization_type(image, expected):
    assert facts.image_virtualization_type(image) == expected


def _image(**props):
    base = {'image_state': 'available', 'project_id': 'p'}
    base.update(props)
    return {'id': 7, 'name': 'b/x.manifest.xml', 'status': 'active',
            'container_format': 'ami', 'is_public': True,
            'properties': base}


def test_describe_images_item_tells_the_machine():
    item = images.ImageActions().format_image(_image(kernel_id=2))
    assert item['rootDeviceType'] == 'instance-store'
    assert item['rootDeviceName'] == '/dev/sda1'
    assert item['virtualizationType'] == 'paravirtual'
    assert item['hypervisor'] is None
    item = images.ImageActions().format_image(_image(
        root_device_name='/dev/vda', hypervisor_type='QEMU',
        block_device_mapping=[{'device_name': '/dev/vda',
                               'snapshot_id': 9}]))
    assert item['rootDeviceType'] == 'ebs'
    assert item['virtualizationType'] == 'hvm'
    assert item['hypervisor'] == 'qemu'


@pytest.mark.parametrize('error, shown', [
    ('failed_decrypt: the bundle cannot be decrypted',
     'failed_decrypt: the bundle cannot be decrypted'),
    ("cannot decrypt /tmp/nova-image-x/image.encrypted: bad padding",
     'failed_decrypt: the image could not be registered'),
    ('failed_untar: two\nlines', 'failed_decrypt: the image could not be '
     'registered'),
])
def test_image_state_reason_shows_only_the_short_form(error, shown):
    item = images.ImageActions().format_image(_image(
        image_state='failed_decrypt', image_error=error))
    assert item['stateReason'] == {'code': 'failed_decrypt',
                                   'message': shown}


def test_no_state_reason_without_an_error():
    assert 'stateReason' not in images.ImageActions().format_image(_image())


def test_metadata_defaults_name_only_the_disks_the_guest_has():
    assert facts.metadata_mappings(None, [], local_gb=0, swap_mb=0) == {
        'ami': 'sda1', 'root': '/dev/sda1'}
    assert facts.metadata_mappings(None, [], local_gb=10, swap_mb=512) == {
        'ami': 'sda1', 'root': '/dev/sda1', 'ephemeral0': 'sda2',
        'swap': 'sda3'}


def test_metadata_tree_from_the_mappings_as_diablo():
    rows = [{'device_name': '/dev/vdc', 'volume_id': 3},
            {'device_name': '/dev/vdb', 'snapshot_id': 4},
            {'device_name': '/dev/vdd', 'virtual_name': 'ephemeral1'},
            {'device_name': '/dev/vde', 'virtual_name': 'swap'},
            {'device_name': '/dev/vdf', 'virtual_name': 'bogus'},
            {'device_name': '/dev/vdg', 'volume_id': 5, 'no_device': True}]
    tree = facts.metadata_mappings('/dev/vda', rows, local_gb=10,
                                   default_local_device='/dev/vdh')
    assert tree == {'ami': 'vda', 'root': '/dev/vda',
                    'ephemeral0': '/dev/vdh', 'ephemeral1': '/dev/vdd',
                    'swap': '/dev/vde', 'ebs0': '/dev/vdb',
                    'ebs1': '/dev/vdc'}


@pytest.fixture
def admin(sqlite_db):
    return context.get_admin_context()


def _instance(admin, **values):
    base = {'project_id': 'p', 'user_id': 'u', 'vm_state': 'active',
            'local_gb': 0}
    base.update(values)
    return db.instance_create(admin, base)


def test_instance_view_reads_the_rows_and_the_host(admin):
    service = db.service_create(admin, {'host': 'kvm1',
                                        'binary': 'nova-compute',
                                        'topic': 'compute'})
    db.compute_node_create(admin, {'service_id': service['id'], 'vcpus': 1,
                                   'memory_mb': 512, 'local_gb': 1,
                                   'vcpus_used': 0, 'memory_mb_used': 0,
                                   'local_gb_used': 0,
                                   'hypervisor_type': 'QEMU',
                                   'hypervisor_version': 1,
                                   'cpu_info': '{}'})
    ebs = _instance(admin, host='kvm1', kernel_id='2')
    db.block_device_mapping_create(admin, {
        'instance_id': ebs['id'], 'device_name': '/dev/sda1',
        'volume_id': None, 'snapshot_id': None, 'volume_size': 1})
    plain = _instance(admin, host=None, kernel_id='2')
    view = instance_view.InstanceView(admin)
    [reservation] = view.reservations([db.instance_get(admin, ebs['id']),
                                       db.instance_get(admin, plain['id'])])
    first, second = reservation['instancesSet']
    # A mapping at the root with no volume or snapshot is not EBS.
    assert first['rootDeviceType'] == 'instance-store'
    assert first['hypervisor'] == 'qemu'
    assert first['virtualizationType'] == 'hvm'
    assert second['hypervisor'] is None
    assert second['virtualizationType'] == 'paravirtual'
    [row] = db.block_device_mapping_get_all_by_instance(admin, ebs['id'])
    db.block_device_mapping_update(admin, row['id'], {'snapshot_id': 1})
    view = instance_view.InstanceView(admin)
    assert view.format(db.instance_get(admin, ebs['id']))[
        'rootDeviceType'] == 'ebs'
    tree = metadatarequesthandler.block_device_mapping(
        view, db.instance_get(admin, ebs['id']))
    assert tree == {'ami': 'sda1', 'root': '/dev/sda1', 'ebs0': '/dev/sda1'}


def test_bulk_mappings_query_groups_by_instance(admin):
    one, two, three = (_instance(admin) for _ in range(3))
    for inst, device in ((one, '/dev/vdc'), (one, '/dev/vdb'),
                         (two, '/dev/vdb')):
        db.block_device_mapping_create(admin, {'instance_id': inst['id'],
                                               'device_name': device})
    found = db.block_device_mapping_get_all_by_instances(
        admin, [one['id'], two['id'], three['id']])
    assert [m['device_name'] for m in found[one['id']]] == ['/dev/vdb',
                                                           '/dev/vdc']
    assert [m['device_name'] for m in found[two['id']]] == ['/dev/vdb']
    assert found[three['id']] == []
    assert db.block_device_mapping_get_all_by_instances(admin, []) == {}


def test_metadata_swap_comes_from_the_instance_type(admin):
    inst = _instance(admin, local_gb=10)
    view = instance_view.InstanceView(admin)
    with_swap = {'id': inst['id'], 'local_gb': 10, 'root_device_name': None,
                 'instance_type': {'swap': 512}}
    assert metadatarequesthandler.block_device_mapping(view, with_swap) == {
        'ami': 'sda1', 'root': '/dev/sda1', 'ephemeral0': 'sda2',
        'swap': 'sda3'}
    no_swap = dict(with_swap, instance_type={'swap': 0})
    assert 'swap' not in metadatarequesthandler.block_device_mapping(
        view, no_swap)
