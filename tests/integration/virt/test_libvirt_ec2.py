"""Real QEMU guests launched through EC2 (boto3) on the libvirt driver.

The test guest boots from its kernel and ramdisk with its root disk built
by the driver; its address is the fixed IP nova injected into that disk
(``--flat_injected``), its instance id comes from the metadata service.
"""

import json
import os
import re
import time

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.libvirt,
              pytest.mark.netns, pytest.mark.timeout(300)]

MARKER_RE = re.compile(r'NOVA-TEST-GUEST ip=(\S+) id=(\S+)')


def _domain_names(prefix):
    import libvirt
    conn = libvirt.open('qemu:///system')
    try:
        return [d.name() for d in conn.listAllDomains(0)
                if d.name().startswith(prefix)]
    finally:
        conn.close()


def test_compute_node_row_describes_this_host(virt_cloud):
    from nova import context
    from nova import db
    ctxt = context.get_admin_context()
    service = db.service_get_by_args(ctxt, 'compute0', 'nova-compute')
    deadline = time.time() + 30
    while True:
        try:
            node = db.compute_node_get_by_service(ctxt, service['id'])
            break
        except Exception:  # noqa: BLE001 - not reported yet
            assert time.time() < deadline, 'no compute_nodes row'
            time.sleep(0.5)
    assert node['hypervisor_type'] == 'QEMU'
    assert node['hypervisor_version'] > 1000000
    assert node['vcpus'] == os.cpu_count()
    assert node['memory_mb'] > 0 and node['local_gb'] > 0
    cpu = json.loads(node['cpu_info'])
    assert cpu['arch'] == 'x86_64' and set(cpu['topology']) == {
        'sockets', 'cores', 'threads'}


def test_run_reboot_stop_start_terminate(virt_cloud):
    cloud = virt_cloud
    started = time.time()
    steps = {}
    res = cloud.client.run_instances(ImageId=cloud.ami, MinCount=1,
                                     MaxCount=1, InstanceType='m1.tiny')
    ec2_id = res['Instances'][0]['InstanceId']
    item = cloud.wait_state(ec2_id, ('running', 'error'))
    assert item['State']['Name'] == 'running', item.get('StateReason')
    fixed_ip = item['PrivateIpAddress']
    directory = cloud.instance_dir(ec2_id)
    assert sorted(f for f in os.listdir(directory)) == [
        'console.log', 'disk', 'kernel', 'libvirt.xml', 'ramdisk']
    name = os.path.basename(directory)
    assert name in _domain_names(name)

    steps['running'] = round(time.time() - started, 1)
    first = cloud.wait_markers(ec2_id, 1)
    ip, instance_id = MARKER_RE.search(first[0]).groups()
    assert ip == fixed_ip
    assert instance_id == ec2_id

    cloud.client.reboot_instances(InstanceIds=[ec2_id])
    steps['marker1'] = round(time.time() - started, 1)
    markers = cloud.wait_markers(ec2_id, 2)
    assert MARKER_RE.search(markers[1]).groups() == (fixed_ip, ec2_id)
    assert cloud.wait_state(ec2_id, ('running',))

    steps['rebooted'] = round(time.time() - started, 1)
    cloud.client.stop_instances(InstanceIds=[ec2_id])
    cloud.wait_state(ec2_id, ('stopped',))
    steps['stopped'] = round(time.time() - started, 1)
    cloud.client.start_instances(InstanceIds=[ec2_id])
    cloud.wait_state(ec2_id, ('running',))
    cloud.wait_markers(ec2_id, 3)

    steps['started'] = round(time.time() - started, 1)
    cloud.client.terminate_instances(InstanceIds=[ec2_id])
    cloud.wait_gone(ec2_id)
    assert not os.path.exists(directory)
    assert _domain_names(name) == []
    steps['terminated'] = round(time.time() - started, 1)
    print('timeline (s):', steps)


def test_create_image_snapshots_and_the_copy_boots(virt_cloud):
    """EC2 CreateImage of a running guest: a real snapshot of its disk,
    ``pending`` -> ``available``, and an instance of it boots."""
    cloud = virt_cloud
    res = cloud.client.run_instances(ImageId=cloud.ami, MinCount=1,
                                     MaxCount=1, InstanceType='m1.tiny')
    ec2_id = res['Instances'][0]['InstanceId']
    item = cloud.wait_state(ec2_id, ('running', 'error'))
    assert item['State']['Name'] == 'running', item.get('StateReason')
    cloud.wait_markers(ec2_id, 1)
    ami = cloud.client.create_image(InstanceId=ec2_id, Name='snap-of-web',
                                    Description='the web server')['ImageId']
    assert ami.startswith('ami-')
    deadline = time.time() + 120
    while True:
        [image] = cloud.client.describe_images(ImageIds=[ami])['Images']
        if image['State'] != 'pending':
            break
        assert time.time() < deadline, image
        time.sleep(1)
    assert image['State'] == 'available', image
    assert image['Name'] == 'snap-of-web'
    assert image['KernelId'] == item['KernelId']
    [again] = cloud.client.describe_instances(
        InstanceIds=[ec2_id])['Reservations'][0]['Instances']
    assert again['State']['Name'] == 'running'   # the source is untouched
    copy = cloud.client.run_instances(ImageId=ami, MinCount=1, MaxCount=1,
                                      InstanceType='m1.tiny')
    copy_id = copy['Instances'][0]['InstanceId']
    item = cloud.wait_state(copy_id, ('running', 'error'))
    assert item['State']['Name'] == 'running', item.get('StateReason')
    ip, instance_id = MARKER_RE.search(
        cloud.wait_markers(copy_id, 1)[0]).groups()
    assert instance_id == copy_id
    cloud.client.terminate_instances(InstanceIds=[ec2_id, copy_id])
    cloud.wait_gone(ec2_id)
    cloud.wait_gone(copy_id)
