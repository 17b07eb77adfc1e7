"""Finding 6 of issue 8: the metadata service behind a proxy, spoofed.

The cloud's fixed network is 127.10.0.0/24, so a test can *be* an instance by
binding its socket to the instance's fixed IP on loopback (all of 127/8 is
local on Linux; no packet leaves the host).  A small forwarding proxy in
front of nova-api listens on, and connects from, 127.0.0.3 -- the only
address in ``--metadata_trusted_proxies`` -- and appends the source address
it saw to ``X-Forwarded-For``, as nginx's ``$proxy_add_x_forwarded_for``
does.  Attackers use 127.0.0.2.
"""

import http.client
import socket
import socketserver
import threading

import pytest

from tests.functional.conftest import InProcessCloud

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]

PROXY = '127.0.0.3'
ATTACKER = '127.0.0.2'


class _Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        super(_Proxy, self).__init__((PROXY, 0), _ProxyHandler)


class _ProxyHandler(socketserver.StreamRequestHandler):
    def handle(self):
        request_line = self.rfile.readline()
        headers = []
        forwarded = None
        while True:
            line = self.rfile.readline()
            if line in (b'\r\n', b'\n', b''):
                break
            name, _sep, value = line.decode('latin-1').partition(':')
            if name.strip().lower() == 'x-forwarded-for':
                forwarded = value.strip()
            else:
                headers.append(line)
        source = self.client_address[0]
        forwarded = '%s, %s' % (forwarded, source) if forwarded else source
        headers.append(('X-Forwarded-For: %s\r\n' % forwarded).encode())
        upstream = socket.create_connection(
            ('127.0.0.1', self.server.upstream_port), timeout=30,
            source_address=(PROXY, 0))
        with upstream:
            upstream.sendall(request_line + b''.join(headers) +
                             b'Connection: close\r\n\r\n')
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                self.wfile.write(data)


def _get(port, path, source, host='127.0.0.1', headers=None):
    conn = http.client.HTTPConnection(host, port, timeout=30,
                                      source_address=(source, 0))
    try:
        conn.request('GET', path, headers=headers or {})
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    from nova.api.ec2 import forwarded  # noqa: F401 - defines the flags
    cloud = InProcessCloud(
        tmp_path_factory.mktemp('mdcloud'), network_cidr='127.10.0.0/24',
        network_size=256,
        extra_flags={'use_forwarded_for': True,
                     'metadata_trusted_proxies': [PROXY]})
    cloud.start()
    proxy = _Proxy(cloud.port)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        access, secret = cloud.create_user('mdu', 'mdp')
        client = cloud.boto3_client(access, secret)
        ami = cloud.register_image('md-image')
        res = client.run_instances(
            ImageId=ami, MinCount=1, MaxCount=1, InstanceType='m1.tiny',
            UserData='secret-user-data')  # boto3 base64-encodes it
        instance_id = res['Instances'][0]['InstanceId']

        def address():
            for reservation in client.describe_instances(
                    InstanceIds=[instance_id])['Reservations']:
                for inst in reservation['Instances']:
                    if inst['State']['Name'] == 'running':
                        return inst.get('PrivateIpAddress')
            return None
        assert cloud.wait_for(lambda: address() is not None, 60)
        yield cloud, proxy.server_address[1], instance_id, address(), client
    finally:
        proxy.shutdown()
        proxy.server_close()
        cloud.stop()


def test_instance_behind_the_proxy_gets_its_metadata(setup):
    cloud, proxy_port, instance_id, fixed_ip, _client = setup
    assert fixed_ip.startswith('127.10.0.')
    status, body = _get(proxy_port, '/latest/meta-data/instance-id',
                        fixed_ip, host=PROXY)
    assert (status, body.decode()) == (200, instance_id)
    status, body = _get(proxy_port, '/latest/user-data', fixed_ip,
                        host=PROXY)
    assert (status, body) == (200, b'secret-user-data')


def test_spoofed_header_through_the_proxy_is_not_believed(setup):
    cloud, proxy_port, _instance_id, fixed_ip, _client = setup
    status, body = _get(proxy_port, '/latest/user-data', ATTACKER,
                        host=PROXY, headers={'X-Forwarded-For': fixed_ip})
    assert status == 404
    assert b'secret-user-data' not in body


def test_spoofed_header_sent_directly_is_not_believed(setup):
    cloud, _proxy_port, _instance_id, fixed_ip, _client = setup
    for header in (fixed_ip, '%s, %s' % (fixed_ip, PROXY)):
        status, body = _get(cloud.port, '/latest/user-data', ATTACKER,
                            headers={'X-Forwarded-For': header})
        assert status == 404
        assert b'secret-user-data' not in body


def test_empty_header_from_the_proxy_is_refused(setup):
    cloud, _proxy_port, _instance_id, _fixed_ip, _client = setup
    for header in ('', ' , '):
        status, body = _get(cloud.port, '/latest/meta-data/instance-id',
                            PROXY, headers={'X-Forwarded-For': header})
        assert status == 400
        assert b'i-' not in body


def test_api_client_reads_no_metadata(setup):
    cloud, _proxy_port, _instance_id, _fixed_ip, client = setup
    status, _body = _get(cloud.port, '/latest/meta-data/', '127.0.0.1')
    assert status == 404
    # Nor through an internal helper of the controller (finding 10).
    for action in ('GetMetadata', 'FormatImage', 'GetImage'):
        status, code = _raw_action(cloud, client, action)
        assert (status, code) == (400, 'InvalidAction')


def _raw_action(cloud, client, action):
    """Call an action boto3 does not know, signed with its credentials;
    returns (HTTP status, EC2 error code)."""
    import urllib.error
    import urllib.request
    import xml.etree.ElementTree as ET
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    creds = client._request_signer._credentials
    body = 'Action=%s&Version=2016-11-15&Address=127.10.0.2' % action
    req = AWSRequest(method='POST', url=cloud.endpoint, data=body,
                     headers={'Content-Type':
                              'application/x-www-form-urlencoded'})
    SigV4Auth(creds, 'ec2', 'nova').add_auth(req)
    prepared = req.prepare()
    http_req = urllib.request.Request(prepared.url, data=body.encode(),
                                      headers=dict(prepared.headers),
                                      method='POST')
    try:
        with urllib.request.urlopen(http_req, timeout=30) as reply:
            return reply.status, None
    except urllib.error.HTTPError as exc:
        text = exc.read()
        return exc.code, ET.fromstring(text).findtext('./Errors/Error/Code')
