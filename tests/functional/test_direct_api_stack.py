"""The direct API and ``stack``: the admin manual's line
``stack –user=admin –project=admin compute get_vnc_console instance_id=1``
run as printed against an in-process cloud with nova-direct-api and
nova-vncproxy; the URL it prints reaches the instance's (fake) display."""

import os
import subprocess
import sys
import urllib.error
import urllib.request
from urllib import parse

import pytest

from tests import vnc_support
from tests.functional.conftest import REPO, InProcessCloud

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    if not os.path.isfile('/usr/share/novnc/vnc.html'):
        pytest.skip('Debian\'s novnc package is not installed')
    instance = InProcessCloud(tmp_path_factory.mktemp('cloud'))
    instance.start()

    def start():
        from nova import flags
        from nova import service
        from nova import wsgi
        from nova.api import direct
        from nova.vnc import server
        rpc_side = service.Service.create(binary='nova-vncproxy',
                                          topic='vncproxy')
        rpc_side.start()
        web = server.VNCProxyService(host='127.0.0.1', port=0)
        web.start()
        flags.FLAGS.set('vnc_console_proxy_url',
                        'http://127.0.0.1:%d' % web.port)
        api = wsgi.Server('direct', direct.DirectApp(), host='127.0.0.1',
                          port=0)
        api.start()
        instance.services[:0] = [rpc_side, web, api]
        return web.port, api.port
    instance.proxy_port, instance.direct_port = instance.call_in_cloud(start)
    yield instance
    instance.stop()


def _stack(cloud, *args):
    return subprocess.run(
        [sys.executable, os.path.join(REPO, 'bin', 'stack'),
         '--port=%d' % cloud.direct_port] + list(args),
        capture_output=True, text=True, timeout=120)


def test_manual_line_prints_a_working_console_url(cloud):
    access, secret = cloud.create_user('admin', 'admin', admin=True)
    ec2 = cloud.boto3_client(access, secret)
    ami = cloud.register_image('stack-image')
    [iid] = [i['InstanceId'] for i in ec2.run_instances(
        ImageId=ami, MinCount=1, MaxCount=1)['Instances']]
    assert iid == 'i-00000001'
    assert cloud.wait_for(lambda: ec2.describe_instances(
        InstanceIds=[iid])['Reservations'][0]['Instances'][0]['State'][
        'Name'] == 'running', timeout=60)
    display = vnc_support.FakeRFBServer()
    try:
        for svc in cloud.services:
            drv = getattr(getattr(svc, 'manager', None), 'driver', None)
            if 'instance-00000001' in getattr(drv, 'guests', {}):
                drv.set_vnc_display('instance-00000001', '127.0.0.1',
                                    display.port)
        # As printed in the manual (en dashes included).
        proc = _stack(cloud, '\u2013user=admin', '\u2013project=admin',
                      'compute', 'get_vnc_console', 'instance_id=1')
        assert proc.returncode == 0, proc.stderr
        url = eval(proc.stdout)['url']  # noqa: S307 - pprint of a dict
        query = parse.parse_qs(parse.urlsplit(url).query)
        status, _headers, client = vnc_support.ws_connect(
            cloud.proxy_port, '/' + query['path'][0])
        assert status == 101
        assert client.recv_exactly(12) == b'RFB 003.008\n'
        client.close()
    finally:
        display.stop()
    listing = _stack(cloud, '--user=admin', '--project=admin', 'compute')
    assert 'get_vnc_console' in listing.stdout
    helped = _stack(cloud, '--user=admin', '--project=admin', 'help',
                    'compute', 'get_vnc_console')
    assert helped.stdout.startswith('get_vnc_console(instance_id):')


def test_strangers_and_other_projects_are_refused(cloud):
    cloud.create_user('mallory', 'mproj')
    proc = _stack(cloud, '--user=nobody', '--project=admin', 'compute',
                  'get_all')
    assert proc.returncode != 0 and 'Unknown user' in proc.stderr
    proc = _stack(cloud, '--user=mallory', '--project=admin', 'compute',
                  'get_all')
    assert proc.returncode != 0 and 'membership' in proc.stderr
    proc = _stack(cloud, '--user=mallory', '--project=mproj', 'compute',
                  'get_vnc_console', 'instance_id=1')
    assert proc.returncode != 0 and 'Traceback' not in proc.stderr
    req = urllib.request.Request(
        'http://127.0.0.1:%d/compute/delete' % cloud.direct_port, data=b'',
        headers={'X-OpenStack-User': 'admin',
                 'X-OpenStack-Project': 'admin'})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=30)
    assert err.value.code == 404
