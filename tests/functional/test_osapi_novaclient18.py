"""Today's python-novaclient (18.x) with a keystoneauth1 token endpoint
against ``/v2/<project>`` of the in-process cloud (noauth token on a
loopback listener).  novaclient 18 cannot share the venv with 6.0.2, so
tools/novaclient18/install_novaclient18.sh makes its own venv once (under
~/.cache) and tools/novaclient18/client_flow.py runs there as a
subprocess: flavors, images, key pairs, security groups and rules, a
server booted, listed, shown, given a floating IP and a volume (each
attached and detached), rebooted, rebuilt, resized and confirmed, its
project's usage and quotas, deleted."""

import json
import os
import subprocess

import pytest

from tests.functional.conftest import REPO
from tests.functional.osapi_support import floating_pool
from tests.functional.osapi_support import osapi_cloud

INSTALL = os.path.join(REPO, 'tools', 'novaclient18',
                       'install_novaclient18.sh')
FLOW = os.path.join(REPO, 'tools', 'novaclient18', 'client_flow.py')
POOL = ['198.51.100.%d' % n for n in range(1, 4)]


@pytest.fixture(scope='module')
def venv_python():
    """The novaclient 18 venv's python (skips when the registry cannot be
    reached, saying so)."""
    proc = subprocess.run([INSTALL], capture_output=True, text=True,
                          timeout=900)
    if proc.returncode == 2:
        pytest.skip('python-novaclient 18 could not be installed (package '
                    'registry unreachable?): %s' % proc.stderr.strip())
    assert proc.returncode == 0, proc.stderr
    return os.path.join(proc.stdout.strip().splitlines()[-1], 'bin',
                        'python')


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    """Two compute hosts (a resize moves), FlatDHCP with a floating pool,
    one volume host and the ``osapi`` app (noauth) on loopback."""
    import nova.api.openstack.ratelimit  # noqa: F401 - its flag
    import nova.quota  # noqa: F401 - quota flags
    cloud = osapi_cloud(
        tmp_path_factory.mktemp('osapi-nc18'), compute_hosts=2,
        volume_hosts=1,
        extra_flags={
            'osapi_rate_limits': 'none', 'osapi_listen': '127.0.0.1',
            'network_manager': 'nova.network.manager.FlatDHCPManager',
            'fake_network': True,
            'volume_driver': 'nova.volume.driver.FakeISCSIDriver',
            'iscsi_num_targets': 10, 'quota_floating_ips': 2},
        prepare=floating_pool(POOL))
    yield cloud
    cloud.stop()


def test_novaclient18_server_flow(cloud, venv_python):
    cloud.create_user('nc18user', 'nc18proj')
    from nova.api.ec2 import ec2utils
    image_id = ec2utils.ec2_id_to_id(
        cloud.register_image('nc18-image', project='nc18proj'))
    other_id = ec2utils.ec2_id_to_id(
        cloud.register_image('nc18-other', project='nc18proj'))
    endpoint = 'http://127.0.0.1:%d/v2/nc18proj' % cloud.osapi_port
    proc = subprocess.run(
        [venv_python, FLOW, endpoint, 'nc18user:nc18proj', str(image_id),
         str(other_id)],
        capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert 'm1.tiny' in seen['flavors']
    assert {'nc18-image', 'nc18-other'} <= set(seen['images'])
    assert seen['keypairs'] == ['nc18key']
    assert 'nc18sg' in seen['security_groups']
    assert seen['rules'] == [['tcp', 80, 80, '0.0.0.0/0']]
    assert seen['server']['name'] == 'nc18vm'
    assert seen['server']['status'] == 'ACTIVE'
    assert seen['server']['key_name'] == 'nc18key'
    assert seen['server']['networks']
    assert seen['listed'] == ['nc18vm']
    assert seen['floating_ip']['ip'] in POOL
    assert seen['floating_ip']['in_addresses']
    assert seen['floating_ips_after_release'] == []
    assert seen['volume'] == {'device': '/dev/vdb', 'attached': True,
                              'after_detach': 0}
    assert seen['rebuilt_image'] == str(other_id)
    assert seen['resized_flavor'] == seen['small_flavor']
    assert seen['usage']['tenant_id'] == 'nc18proj'
    assert seen['usage']['servers'] == ['nc18vm2']
    assert seen['usage']['hours_positive']
    assert seen['quotas'] == {'instances': 10, 'floating_ips': 2,
                              'updated': 20, 'default': 10}
    assert 'nc18vm' not in seen['after_delete']
    assert seen['missing'] == 'NotFound'
