"""A real QEMU guest booted through the OpenStack API's ``POST /servers``.

``./run_cloud.sh --libvirt`` (the ``libvirt_cloud`` fixture: namespace,
private libvirtd, nova-all, the APIs relayed to 127.0.0.1) is driven by
python-novaclient 6.0.2 with the credentials of the cloud's own novarc
(``NOVA_URL``, ``NOVA_USERNAME``, ``NOVA_API_KEY``, ``NOVA_PROJECT_ID``):
the test guest's image and m1.tiny are found through the API, one server
is booted, waited ACTIVE, its console read through the ``os-console-output``
extension (``os-getConsoleOutput``) until the guest's marker appears with
the instance id it fetched from the metadata service, then deleted; its
domain is gone from libvirtd afterwards.  One guest only (TCG).
"""

import os
import subprocess
import time

import pytest

from tests.integration.virt.conftest import MARKER
from tests.integration.virt.runcloud import libvirt_cloud  # noqa: F401
from tests.integration.virt.runcloud import root_bridges

novaclient = pytest.importorskip('novaclient.client')
nova_exc = pytest.importorskip('novaclient.exceptions')

pytestmark = [pytest.mark.integration, pytest.mark.libvirt,
              pytest.mark.netns, pytest.mark.timeout(600)]

RC_NAMES = ('NOVA_URL', 'NOVA_USERNAME', 'NOVA_API_KEY', 'NOVA_PROJECT_ID',
            'NOVA_IMAGE')


def _novarc(path):
    """The novaclient variables of a novarc, as a shell sourcing it sees
    them."""
    out = subprocess.run(
        ['bash', '-c', '. "$1" && printf "%s\\n" ' +
         ' '.join('"$%s"' % name for name in RC_NAMES), 'sh', path],
        capture_output=True, text=True, check=True).stdout
    return dict(zip(RC_NAMES, out.splitlines()))


def _domains(state):
    import libvirt
    uri = 'qemu+unix:///system?socket=%s' % os.path.join(
        state, 'lv', 'run', 'libvirt-sock')
    conn = libvirt.open(uri)
    try:
        return sorted(d.name() for d in conn.listAllDomains(0))
    finally:
        conn.close()


def _wait(predicate, timeout, what):
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.time() < deadline, 'timed out waiting for %s' % what
        time.sleep(2)


def test_osapi_boots_a_real_guest(libvirt_cloud):  # noqa: F811
    cloud = libvirt_cloud
    rc = _novarc(os.path.join(cloud['state'], 'creds', 'novarc'))
    assert rc['NOVA_URL'] == 'http://127.0.0.1:%s/v1.1/' % \
        cloud['env']['NOVA_OSAPI_PORT']
    client = novaclient.Client('1.1', rc['NOVA_USERNAME'],
                               rc['NOVA_API_KEY'], rc['NOVA_PROJECT_ID'],
                               rc['NOVA_URL'])
    # The EC2 id of the registered guest image names the same image here.
    image_id = str(int(rc['NOVA_IMAGE'].split('-', 1)[1], 16))
    image = client.images.get(image_id)
    assert image.status == 'ACTIVE'
    tiny = [f for f in client.flavors.list() if f.name == 'm1.tiny'][0]

    server = client.servers.create('osapi-guest', image.id, tiny.id)
    assert server.adminPass

    def status():
        current = client.servers.get(server.id).status
        assert current in ('BUILD', 'ACTIVE'), current
        return current == 'ACTIVE'
    _wait(status, 240, 'the server to be ACTIVE')
    shown = client.servers.get(server.id)
    assert shown.image['id'] == image_id
    assert shown.networks, shown.addresses
    assert _domains(cloud['state']) == ['instance-%08x' % int(server.id)]

    console = {'text': ''}

    def marked():
        console['text'] = str(client.servers.get_console_output(server.id))
        return MARKER in console['text']
    try:
        _wait(marked, 300, 'the guest marker on the console')
    except AssertionError:
        raise AssertionError(console['text'][-2000:])
    marker = [line for line in console['text'].splitlines()
              if MARKER in line][0]
    # The guest fetched its id from the metadata service, its address from
    # its disk (flat injection): the server the API booted.
    assert 'id=i-%08x' % int(server.id) in marker
    fixed = [a['addr'] for net in shown.addresses.values() for a in net]
    assert 'ip=%s ' % fixed[0] in marker
    tail = client.servers.get_console_output(server.id, length=1)
    assert len(str(tail).splitlines()) <= 1

    client.servers.delete(server.id)

    def gone():
        try:
            return client.servers.get(server.id).status == 'DELETED'
        except nova_exc.NotFound:
            return True
    _wait(gone, 120, 'the server to be deleted')
    _wait(lambda: _domains(cloud['state']) == [], 60,
          'the domain to be removed')
    assert 'osapi-guest' not in [s.name for s in client.servers.list()]
    assert root_bridges() == cloud['bridges']
