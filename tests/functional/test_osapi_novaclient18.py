"""Today's python-novaclient (18.x) with a keystoneauth1 token endpoint
against ``/v2/<project>`` of the in-process cloud (noauth token on a
loopback listener).  novaclient 18 cannot share the venv with 6.0.2, so
tools/novaclient18/install_novaclient18.sh makes its own venv once (under
~/.cache) and tools/novaclient18/client_flow.py runs there as a
subprocess: servers boot/list/show/reboot/delete, flavors, key pairs,
security groups."""

import json
import os
import subprocess

import pytest

from tests.functional.conftest import REPO
from tests.functional.conftest import InProcessCloud

INSTALL = os.path.join(REPO, 'tools', 'novaclient18',
                       'install_novaclient18.sh')
FLOW = os.path.join(REPO, 'tools', 'novaclient18', 'client_flow.py')


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
    """One compute host and the ``osapi`` app (noauth) on loopback."""
    import nova.api.openstack.ratelimit  # noqa: F401 - its flag
    cloud = InProcessCloud(tmp_path_factory.mktemp('osapi-nc18'),
                           extra_flags={'osapi_rate_limits': 'none',
                                        'osapi_listen': '127.0.0.1'})
    cloud.start()

    def start():
        from nova import service
        api = service.WSGIService('osapi', host='127.0.0.1', port=0)
        api.start()
        cloud.services.append(api)
        return api.port

    cloud.osapi_port = cloud.call_in_cloud(start)
    yield cloud
    cloud.stop()


def test_novaclient18_server_flow(cloud, venv_python):
    cloud.create_user('nc18user', 'nc18proj')
    from nova.api.ec2 import ec2utils
    image_id = ec2utils.ec2_id_to_id(
        cloud.register_image('nc18-image', project='nc18proj'))
    endpoint = 'http://127.0.0.1:%d/v2/nc18proj' % cloud.osapi_port
    proc = subprocess.run(
        [venv_python, FLOW, endpoint, 'nc18user:nc18proj', str(image_id)],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert 'm1.tiny' in seen['flavors']
    assert seen['keypairs'] == ['nc18key']
    assert 'nc18sg' in seen['security_groups']
    assert seen['server']['name'] == 'nc18vm'
    assert seen['server']['status'] == 'ACTIVE'
    assert seen['server']['key_name'] == 'nc18key'
    assert seen['server']['networks']
    assert seen['listed'] == ['nc18vm']
    assert 'nc18vm' not in seen['after_delete']
    assert seen['missing'] == 'NotFound'
