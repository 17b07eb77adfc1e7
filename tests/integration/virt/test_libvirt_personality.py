"""A personality file reaches a real QEMU guest's disk.

``./run_cloud.sh --libvirt`` (the ``libvirt_cloud`` fixture) is driven by
python-novaclient 6.0.2 with the cloud's own novarc: one server of the
test guest's image is booted with ``files={'/etc/motd': ...}``; the libvirt
driver writes the file into the instance's root disk (debugfs, no mount)
and the guest's /init prints the /etc/motd it finds on that disk to its
console (``NOVA-TEST-GUEST motd: ...``), read back through the
``os-console-output`` extension.  One guest only (TCG).
"""

import os
import time

import pytest

from tests.integration.virt.conftest import MARKER
from tests.integration.virt.runcloud import libvirt_cloud  # noqa: F401
from tests.integration.virt.test_libvirt_osapi_guest import _novarc

novaclient = pytest.importorskip('novaclient.client')
nova_exc = pytest.importorskip('novaclient.exceptions')

pytestmark = [pytest.mark.integration, pytest.mark.libvirt,
              pytest.mark.netns, pytest.mark.timeout(600)]

MOTD = 'personality reached the guest 42'


def _wait(predicate, timeout, what):
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.time() < deadline, 'timed out waiting for %s' % what
        time.sleep(2)


def test_guest_sees_its_personality_file(libvirt_cloud):  # noqa: F811
    cloud = libvirt_cloud
    rc = _novarc(os.path.join(cloud['state'], 'creds', 'novarc'))
    client = novaclient.Client('1.1', rc['NOVA_USERNAME'],
                               rc['NOVA_API_KEY'], rc['NOVA_PROJECT_ID'],
                               rc['NOVA_URL'])
    image_id = str(int(rc['NOVA_IMAGE'].split('-', 1)[1], 16))
    tiny = [f for f in client.flavors.list() if f.name == 'm1.tiny'][0]
    server = client.servers.create('motd-guest', image_id, tiny.id,
                                   files={'/etc/motd': MOTD + '\n'})

    def status():
        current = client.servers.get(server.id).status
        assert current in ('BUILD', 'ACTIVE'), current
        return current == 'ACTIVE'
    _wait(status, 240, 'the server to be ACTIVE')
    console = {'text': ''}

    def marked():
        console['text'] = str(client.servers.get_console_output(server.id))
        return MARKER in console['text']
    try:
        _wait(marked, 300, 'the guest marker on the console')
    except AssertionError:
        raise AssertionError(console['text'][-2000:])
    lines = console['text'].splitlines()
    assert 'NOVA-TEST-GUEST motd: %s ' % MOTD in lines, lines[-10:]
    marker = [line for line in lines if MARKER in line][0]
    assert ' disk' in marker        # the guest mounted its root disk
    client.servers.delete(server.id)

    def gone():
        try:
            return client.servers.get(server.id).status == 'DELETED'
        except nova_exc.NotFound:
            return True
    _wait(gone, 120, 'the server to be deleted')
