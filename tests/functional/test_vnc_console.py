"""A VNC console end to end: boto3's GetVncConsole on an in-process cloud
with nova-vncproxy -> the URL -> noVNC's page and a websocket through the
proxy to a fake VNC server standing in for the guest's display, whose
RFB 003.008 greeting arrives; a token of another instance, a forged one
and GetAjaxConsole are refused."""

import http.client
import os
import time
from urllib import parse

import pytest

from tests import vnc_support
from tests.functional.conftest import InProcessCloud

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]

NOVNC = '/usr/share/novnc'


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    if not os.path.isfile(os.path.join(NOVNC, 'vnc.html')):
        pytest.skip('Debian\'s novnc package is not installed')
    instance = InProcessCloud(tmp_path_factory.mktemp('cloud'))
    instance.start()

    def start_proxy():
        from nova import flags
        from nova import service
        from nova.vnc import server as vncproxy
        rpc_side = service.Service.create(binary='nova-vncproxy',
                                          topic='vncproxy')
        rpc_side.start()
        web = vncproxy.VNCProxyService(host='127.0.0.1', port=0)
        web.start()
        flags.FLAGS.set('vnc_console_proxy_url',
                        'http://127.0.0.1:%d' % web.port)
        instance.services[:0] = [rpc_side, web]
        return web.port
    instance.proxy_port = instance.call_in_cloud(start_proxy)
    yield instance
    instance.stop()


@pytest.fixture(scope='module')
def ec2(cloud, tmp_path_factory):
    """boto3 with Diablo's GetVncConsole/GetAjaxConsole in its model."""
    access, secret = cloud.create_user('vera', 'vproj')
    return vnc_support.console_ec2_client(
        str(tmp_path_factory.mktemp('models')), cloud.endpoint, access,
        secret)


def _running(cloud, ec2, count):
    ami = cloud.register_image('vnc-image')
    ids = [i['InstanceId'] for i in ec2.run_instances(
        ImageId=ami, MinCount=count, MaxCount=count,
        InstanceType='m1.tiny')['Instances']]

    def up():
        states = [i['State']['Name'] for r in ec2.describe_instances(
            InstanceIds=ids)['Reservations'] for i in r['Instances']]
        return states == ['running'] * count
    assert cloud.wait_for(up, timeout=60)
    return ids


def _give_display(cloud, ec2_id, port):
    from nova.api.ec2 import ec2utils
    from nova.virt import driver
    number = ec2utils.ec2_instance_id_to_id(ec2_id)
    name = driver.instance_name({'id': number})
    for svc in cloud.services:
        guests = getattr(getattr(getattr(svc, 'manager', None), 'driver',
                                 None), 'guests', {})
        if name in guests:
            svc.manager.driver.set_vnc_display(name, '127.0.0.1', port)
            return
    raise AssertionError('no compute host has %s' % name)


def _ws_path(url):
    query = parse.parse_qs(parse.urlsplit(url).query)
    return '/' + query['path'][0]


def test_get_vnc_console_url_reaches_the_guest_display(cloud, ec2):
    first, second = _running(cloud, ec2, 2)
    display_a = vnc_support.FakeRFBServer()
    display_b = vnc_support.FakeRFBServer()
    try:
        _give_display(cloud, first, display_a.port)
        _give_display(cloud, second, display_b.port)
        url = ec2.get_vnc_console(InstanceId=first)['Url']
        parts = parse.urlsplit(url)
        assert (parts.hostname, parts.port, parts.path) == \
            ('127.0.0.1', cloud.proxy_port, '/vnc.html')
        query = parse.parse_qs(parts.query)
        assert query['autoconnect'] == ['1']
        # noVNC's page is there, from Debian's package.
        conn = http.client.HTTPConnection('127.0.0.1', cloud.proxy_port,
                                          timeout=10)
        conn.request('GET', parts.path + '?' + parts.query)
        page = conn.getresponse()
        assert page.status == 200 and b'noVNC' in page.read()
        conn.close()
        status, _headers, client = vnc_support.ws_connect(
            cloud.proxy_port, _ws_path(url),
            origin='http://127.0.0.1:%d' % cloud.proxy_port)
        assert status == 101
        assert client.recv_exactly(12) == b'RFB 003.008\n'
        client.send_binary(b'RFB 003.008\n')
        deadline = time.time() + 10
        while bytes(display_a.received) != b'RFB 003.008\n':
            assert time.time() < deadline
            time.sleep(0.05)
        client.close()
        assert display_b.connections == 0
        # Each request mints a new token; a forged one opens nothing.
        again = ec2.get_vnc_console(InstanceId=first)['Url']
        assert _ws_path(again) != _ws_path(url)
        status, _headers, _client = vnc_support.ws_connect(
            cloud.proxy_port, '/websockify?token=' + 'f' * 36)
        assert status == 403
        # The token of the second instance reaches the second display only.
        url_b = ec2.get_vnc_console(InstanceId=second)['Url']
        status, _headers, client = vnc_support.ws_connect(
            cloud.proxy_port, _ws_path(url_b))
        assert client.recv_exactly(12) == b'RFB 003.008\n'
        client.close()
        assert display_a.connections == 1 and display_b.connections == 1
    finally:
        display_a.stop()
        display_b.stop()


def test_other_projects_and_ajax_consoles_are_refused(cloud, ec2):
    import botocore.exceptions
    [mine] = _running(cloud, ec2, 1)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        ec2.get_ajax_console(InstanceId=mine)
    assert err.value.response['Error']['Code'] == 'UnsupportedOperation'
    assert 'not supported on fake' in err.value.response['Error']['Message']
    # The fake hypervisor gives guests no display unless a test does.
    with pytest.raises(botocore.exceptions.ClientError) as err:
        ec2.get_vnc_console(InstanceId=mine)
    assert 'has no VNC console' in err.value.response['Error']['Message']
    with pytest.raises(botocore.exceptions.ClientError) as err:
        ec2.get_vnc_console(InstanceId='i-0000ffff')
    assert err.value.response['Error']['Code'] == \
        'InvalidInstanceID.NotFound'
