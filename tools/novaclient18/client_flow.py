"""Drive the OpenStack API v2 with today's python-novaclient (18.x) and a
keystoneauth1 token endpoint; run with the venv of
``install_novaclient18.sh``, by tests/functional/test_osapi_novaclient18.py.

``client_flow.py ENDPOINT TOKEN IMAGE_ID`` (ENDPOINT is ``…/v2/<project>``)
boots a server with a key pair and a security group, lists, shows,
reboots and deletes it, and checks flavors, key pairs and security groups
along the way.  It prints one JSON line of what it saw and exits 0; a
failed check exits 1 with the reason on stderr.
"""

import json
import sys
import time

from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc


def _wait(predicate, what, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError('timed out waiting for %s' % what)


def _check(condition, message):
    if not condition:
        raise AssertionError(message)


def run(endpoint, token, image_id):
    """The flow; returns what it saw (a dict)."""
    auth = token_endpoint.Token(endpoint, token)
    nova = nova_client.Client('2', session=ks_session.Session(auth=auth))
    seen = {}
    flavors = nova.flavors.list()
    seen['flavors'] = sorted(f.name for f in flavors)
    tiny = [f for f in flavors if f.name == 'm1.tiny'][0]
    _check(nova.flavors.get(tiny.id).ram == 512, 'm1.tiny has 512 MB')

    key = nova.keypairs.create('nc18key')
    _check('PRIVATE KEY' in key.private_key, 'a private key is returned')
    seen['keypairs'] = [k.name for k in nova.keypairs.list()]

    # novaclient 18 has no security-group manager: its HTTP client
    _resp, body = nova.client.post('/os-security-groups', body={
        'security_group': {'name': 'nc18sg', 'description': 'web'}})
    group = body['security_group']
    nova.client.post('/os-security-group-rules', body={
        'security_group_rule': {'parent_group_id': group['id'],
                                'ip_protocol': 'tcp', 'from_port': 80,
                                'to_port': 80, 'cidr': '0.0.0.0/0'}})
    _resp, body = nova.client.get('/os-security-groups')
    seen['security_groups'] = sorted(g['name']
                                     for g in body['security_groups'])

    server = nova.servers.create('nc18vm', image_id, tiny.id,
                                 key_name='nc18key',
                                 security_groups=['nc18sg'])
    _check(bool(server.adminPass), 'adminPass is returned')
    _wait(lambda: nova.servers.get(server.id).status == 'ACTIVE',
          'the server to be ACTIVE')
    shown = nova.servers.get(server.id)
    seen['server'] = {'name': shown.name, 'status': shown.status,
                      'key_name': shown.key_name,
                      'networks': sorted(shown.networks)}
    seen['listed'] = [s.name for s in nova.servers.list()]
    nova.servers.reboot(server.id)
    _wait(lambda: nova.servers.get(server.id).status == 'ACTIVE',
          'the server to be ACTIVE after its reboot')
    nova.servers.delete(server.id)

    def gone():
        try:
            return nova.servers.get(server.id).status == 'DELETED'
        except nova_exc.NotFound:
            return True
    _wait(gone, 'the server to be deleted')
    seen['after_delete'] = [s.name for s in nova.servers.list()]
    nova.keypairs.delete('nc18key')
    nova.client.delete('/os-security-groups/%s' % group['id'])
    try:
        nova.servers.get('999999')
    except nova_exc.NotFound:
        seen['missing'] = 'NotFound'
    return seen


def main(argv):
    """Entry point: prints the JSON of :func:`run`."""
    try:
        seen = run(*argv[1:4])
    except Exception as exc:  # noqa: BLE001 - reported to the test
        sys.stderr.write('client_flow failed: %s: %s\n'
                         % (type(exc).__name__, exc))
        return 1
    sys.stdout.write(json.dumps(seen) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
