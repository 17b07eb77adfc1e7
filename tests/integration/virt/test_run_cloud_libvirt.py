"""``./run_cloud.sh --libvirt``: one command, a real guest boots.

From this checkout, with the running virtualenv (``NOVA_VENV``), a state
directory, ports and a namespace name of the test's own: run_cloud.sh
builds and registers the test guest, creates the namespace with its bridge,
starts a private libvirtd and nova-all in it and relays the APIs to the
root namespace's loopback.  boto3 (on 127.0.0.1) runs the registered image
and waits for the guest's marker, with its instance id from the metadata
service, in GetConsoleOutput.  ``./run_cloud.sh --stop`` then removes the
domain, the daemons and the namespace; no bridge ever appears in the root
namespace.
"""

import os
import subprocess

import pytest

from tests.integration.virt.conftest import MARKER
from tests.integration.virt.runcloud import boot_test_guest
from tests.integration.virt.runcloud import libvirt_cloud  # noqa: F401
from tests.integration.virt.runcloud import libvirt_uri
from tests.integration.virt.runcloud import root_bridges

pytestmark = [pytest.mark.integration, pytest.mark.libvirt,
              pytest.mark.netns, pytest.mark.timeout(600)]


def test_run_cloud_libvirt_boots_the_test_guest(libvirt_cloud):  # noqa: F811
    import libvirt
    cloud = libvirt_cloud
    banner = cloud['text']()
    assert 'aws ec2 get-console-output' in banner
    assert cloud['netns'] in banner
    # Nothing of the cloud's network in the root namespace.
    assert root_bridges() == cloud['bridges']
    client, image = cloud['client']()
    assert image in [i['ImageId'] for i in
                     client.describe_images()['Images']]
    ec2_id, console = boot_test_guest(client, image, timeout=240)
    marker = [line for line in console.splitlines() if MARKER in line][0]
    assert 'id=%s' % ec2_id in marker
    conn = libvirt.open(libvirt_uri(cloud))
    names = [d.name() for d in conn.listAllDomains(0)]
    conn.close()
    assert names == ['instance-%08x' % int(ec2_id[2:], 16)]
    assert root_bridges() == cloud['bridges']

    stopped = cloud['stop']()
    assert stopped.returncode == 0, stopped.stderr
    cloud['proc'].wait(60)
    netns = subprocess.run(['ip', 'netns', 'list'], capture_output=True,
                           text=True).stdout
    assert cloud['netns'] not in netns
    # No QEMU (its command line names the instance directory), libvirtd,
    # relay or nova-all of this cloud is left.
    left = subprocess.run(['pgrep', '-f', cloud['state']],
                          capture_output=True, text=True).stdout
    assert left == '', left
    assert not os.path.exists(os.path.join(cloud['state'], 'nova-all.pid'))
