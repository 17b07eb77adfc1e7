"""Bad input to the libvirt driver: an error state with a short, stable
reason in ``stateReason`` (the libvirt or qemu-img message, with its URIs and
paths, only in ``instance_faults.details``) and nothing left behind (no
domain, no directory)."""

import os

import pytest

from tests.integration.virt.conftest import register_guest

pytestmark = [pytest.mark.integration, pytest.mark.libvirt,
              pytest.mark.netns, pytest.mark.timeout(240)]


def _domains(prefix):
    import libvirt
    conn = libvirt.open('qemu:///system')
    try:
        return [d.name() for d in conn.listAllDomains(0)
                if d.name().startswith(prefix)]
    finally:
        conn.close()


def _launch(cloud, ami):
    from nova.api.ec2 import ec2utils
    res = cloud.client.run_instances(
        ImageId=ec2utils.image_ec2_id(ami, 'ami'), MinCount=1, MaxCount=1,
        InstanceType='m1.tiny')
    return res['Instances'][0]['InstanceId']


def _details(ec2_id):
    from nova import context
    from nova import db
    fault = db.instance_fault_get_latest(context.get_admin_context(),
                                         int(ec2_id[2:], 16))
    return fault['details'] or ''


def _assert_failed_clean(cloud, ec2_id, reason, words, domains=True):
    item = cloud.wait_state(ec2_id, ('error', 'running'), timeout=60)
    assert item['State']['Name'] == 'error'
    assert item['StateReason'] == {'Code': reason.split(':')[0],
                                   'Message': reason}
    details = _details(ec2_id)
    for word in words:
        assert word in details, details
    assert 'Traceback' in details
    directory = cloud.instance_dir(ec2_id)
    assert not os.path.exists(directory)
    if domains:
        assert _domains(os.path.basename(directory)) == []


def test_flavor_too_small_for_the_image(virt_cloud, tmp_path):
    ids = register_guest(virt_cloud.test_guest, name='needs-4g',
                         ami_props={'min_ram': 4096})
    ec2_id = _launch(virt_cloud, ids['ami'])
    _assert_failed_clean(virt_cloud, ec2_id,
                         'Client.InternalError: the instance type is too '
                         'small for the image',
                         ('too small', '4096 MB of memory'))


def test_image_that_is_not_a_kernel(virt_cloud, tmp_path):
    bogus = tmp_path / 'not-a-kernel'
    bogus.write_bytes(b'this is not a kernel\n' * 200)
    ids = register_guest(virt_cloud.test_guest, name='bogus-kernel',
                         kernel=str(bogus))
    ec2_id = _launch(virt_cloud, ids['ami'])
    _assert_failed_clean(virt_cloud, ec2_id,
                         'Client.InternalError: the image cannot be booted '
                         '(its kernel, ramdisk or disk is not usable)',
                         ('not a Linux kernel',))


def test_libvirtd_stopped_then_back(virt_cloud):
    host = virt_cloud.host
    if not host.started_libvirtd:
        pytest.skip('libvirtd was already running (not ours to stop)')
    host.kill_libvirtd()
    try:
        ec2_id = _launch(virt_cloud, virt_cloud.ids['ami'])
        _assert_failed_clean(virt_cloud, ec2_id,
                             'Server.InternalError: build failed: the '
                             'hypervisor of the host is unavailable',
                             ('Cannot connect to the hypervisor',
                              'qemu:///system'), domains=False)
    finally:
        host.start_libvirtd_again()
    assert _domains(os.path.basename(virt_cloud.instance_dir(ec2_id))) == []
    # The driver connects again: the next launch runs.
    ec2_id = _launch(virt_cloud, virt_cloud.ids['ami'])
    item = virt_cloud.wait_state(ec2_id, ('running', 'error'), timeout=60)
    assert item['State']['Name'] == 'running', item.get('StateReason')
    # libvirt's QEMU driver runs it, fully virtualized (an aki is booted
    # directly, not paravirtualized).
    assert item['Hypervisor'] == 'qemu'
    assert item['VirtualizationType'] == 'hvm'
    assert item['RootDeviceType'] == 'instance-store'
    virt_cloud.client.terminate_instances(InstanceIds=[ec2_id])
    virt_cloud.wait_gone(ec2_id)
    assert not os.path.exists(virt_cloud.instance_dir(ec2_id))
