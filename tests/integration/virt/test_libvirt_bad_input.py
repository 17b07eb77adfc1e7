"""Bad input to the libvirt driver: an error state with the reason in
``stateReason`` and nothing left behind (no domain, no directory)."""

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


def _assert_failed_clean(cloud, ec2_id, words, domains=True):
    item = cloud.wait_state(ec2_id, ('error', 'running'), timeout=60)
    assert item['State']['Name'] == 'error'
    reason = item['StateReason']['Message']
    for word in words:
        assert word in reason, reason
    assert 'Traceback' not in reason
    directory = cloud.instance_dir(ec2_id)
    assert not os.path.exists(directory)
    if domains:
        assert _domains(os.path.basename(directory)) == []


def test_flavor_too_small_for_the_image(virt_cloud, tmp_path):
    ids = register_guest(virt_cloud.test_guest, name='needs-4g',
                         ami_props={'min_ram': 4096})
    ec2_id = _launch(virt_cloud, ids['ami'])
    _assert_failed_clean(virt_cloud, ec2_id,
                         ('too small', '4096 MB of memory'))


def test_image_that_is_not_a_kernel(virt_cloud, tmp_path):
    bogus = tmp_path / 'not-a-kernel'
    bogus.write_bytes(b'this is not a kernel\n' * 200)
    ids = register_guest(virt_cloud.test_guest, name='bogus-kernel',
                         kernel=str(bogus))
    ec2_id = _launch(virt_cloud, ids['ami'])
    _assert_failed_clean(virt_cloud, ec2_id, ('not a Linux kernel',))


def test_libvirtd_stopped_then_back(virt_cloud):
    host = virt_cloud.host
    if not host.started_libvirtd:
        pytest.skip('libvirtd was already running (not ours to stop)')
    host.kill_libvirtd()
    try:
        ec2_id = _launch(virt_cloud, virt_cloud.ids['ami'])
        _assert_failed_clean(virt_cloud, ec2_id,
                             ('Cannot connect to the hypervisor',
                              'libvirtd'), domains=False)
    finally:
        host.start_libvirtd_again()
    assert _domains(os.path.basename(virt_cloud.instance_dir(ec2_id))) == []
    # The driver connects again: the next launch runs.
    ec2_id = _launch(virt_cloud, virt_cloud.ids['ami'])
    item = virt_cloud.wait_state(ec2_id, ('running', 'error'), timeout=60)
    assert item['State']['Name'] == 'running', item.get('StateReason')
    virt_cloud.client.terminate_instances(InstanceIds=[ec2_id])
    virt_cloud.wait_gone(ec2_id)
    assert not os.path.exists(virt_cloud.instance_dir(ec2_id))
