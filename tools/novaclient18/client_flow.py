"""Drive the OpenStack API v2 with today's python-novaclient (18.x) and a
keystoneauth1 token endpoint; run with the venv of
``install_novaclient18.sh``, by tests/functional/test_osapi_novaclient18.py.

``client_flow.py ENDPOINT TOKEN IMAGE_ID OTHER_IMAGE_ID`` (ENDPOINT is
``…/v2/<project>``) goes through what a user of today's client does:
flavors, images, key pairs, security groups and rules, then a server booted
with them: shown, listed, a floating IP allocated, associated, disassociated
and released, a volume created, attached and detached, rebooted, rebuilt
on the other image, resized and confirmed, its project's usage and quotas
read, deleted.  It prints one JSON line of what it saw and exits 0; a
failed check exits 1 with the reason on stderr.

novaclient 18 dropped its managers for the proxy APIs (images, security
groups, floating IPs, volumes): those calls go through ``nova.client``,
the client's own session HTTP client with its token and endpoint, as a
user of today's novaclient would write them.
"""

import datetime
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


def _status(nova, server_id, status, what):
    _wait(lambda: nova.servers.get(server_id).status == status, what)


def _images(nova, seen, image_id):
    """The compute API's image proxy: list, detail, show."""
    _resp, body = nova.client.get('/images/detail')
    seen['images'] = sorted(i['name'] for i in body['images'])
    _resp, body = nova.client.get('/images/%s' % image_id)
    _check(str(body['image']['id']) == str(image_id), 'image show')
    _check(body['image']['status'] == 'ACTIVE', 'the image is ACTIVE')
    try:
        nova.client.get('/images/999999')
        _check(False, 'an unknown image is 404')
    except nova_exc.NotFound:
        pass


def _security_group(nova, seen):
    """A group with one rule; returns the group's id."""
    _resp, body = nova.client.post('/os-security-groups', body={
        'security_group': {'name': 'nc18sg', 'description': 'web'}})
    group = body['security_group']
    for port in (80, 443):
        nova.client.post('/os-security-group-rules', body={
            'security_group_rule': {'parent_group_id': group['id'],
                                    'ip_protocol': 'tcp',
                                    'from_port': port, 'to_port': port,
                                    'cidr': '0.0.0.0/0'}})
    _resp, body = nova.client.get('/os-security-groups/%s' % group['id'])
    rules = body['security_group']['rules']
    https = [r for r in rules if r['from_port'] == 443][0]
    nova.client.delete('/os-security-group-rules/%s' % https['id'])
    _resp, body = nova.client.get('/os-security-groups/%s' % group['id'])
    seen['rules'] = sorted(
        (r['ip_protocol'], r['from_port'], r['to_port'], r['ip_range']['cidr'])
        for r in body['security_group']['rules'])
    _resp, body = nova.client.get('/os-security-groups')
    seen['security_groups'] = sorted(g['name']
                                     for g in body['security_groups'])
    return group['id']


def _floating_ip(nova, seen, server_id):
    """Allocate, associate, disassociate, release."""
    _resp, body = nova.client.post('/os-floating-ips', body={})
    floating = body['floating_ip']
    nova.client.post('/servers/%s/action' % server_id, body={
        'addFloatingIp': {'address': floating['ip']}})

    def shown():
        return nova.client.get('/os-floating-ips/%s' % floating['id'])[1][
            'floating_ip']
    _wait(lambda: str(shown()['instance_id']) == str(server_id),
          'the floating IP to be associated')
    addresses = [a['addr'] for net in
                 nova.servers.get(server_id).addresses.values() for a in net]
    seen['floating_ip'] = {'ip': floating['ip'],
                           'in_addresses': floating['ip'] in addresses}
    nova.client.post('/servers/%s/action' % server_id, body={
        'removeFloatingIp': {'address': floating['ip']}})
    _wait(lambda: shown()['instance_id'] is None,
          'the floating IP to be disassociated')
    nova.client.delete('/os-floating-ips/%s' % floating['id'])
    _resp, body = nova.client.get('/os-floating-ips')
    seen['floating_ips_after_release'] = [f['ip']
                                          for f in body['floating_ips']]


def _volume(nova, seen, server_id):
    """Create (proxy API), attach and detach (novaclient's manager)."""
    _resp, body = nova.client.post('/os-volumes', body={
        'volume': {'size': 1, 'display_name': 'nc18vol'}})
    volume_id = body['volume']['id']

    def status():
        return nova.client.get('/os-volumes/%s' % volume_id)[1][
            'volume']['status']
    _wait(lambda: status() == 'available', 'the volume to be available')
    attachment = nova.volumes.create_server_volume(server_id, volume_id,
                                                   '/dev/vdb')
    _wait(lambda: status() == 'in-use', 'the volume to be in use')
    listed = nova.volumes.get_server_volumes(server_id)
    seen['volume'] = {'device': attachment.device,
                      'attached': [str(a.volumeId) for a in listed] ==
                      [str(volume_id)]}
    nova.volumes.delete_server_volume(server_id, volume_id)
    _wait(lambda: status() == 'available', 'the volume to be detached')
    seen['volume']['after_detach'] = len(
        nova.volumes.get_server_volumes(server_id))
    nova.client.delete('/os-volumes/%s' % volume_id)


def _lifecycle(nova, seen, server_id, other_image_id, small):
    """Reboot, rebuild on the other image, resize and confirm."""
    nova.servers.reboot(server_id)
    _status(nova, server_id, 'ACTIVE', 'the server after its reboot')
    rebuilt = nova.servers.rebuild(server_id, other_image_id,
                                   password='nc18pass', name='nc18vm2')
    _check(rebuilt.adminPass == 'nc18pass', 'rebuild returns adminPass')
    _wait(lambda: nova.servers.get(server_id).name == 'nc18vm2',
          'the rebuilt server to be renamed')
    _status(nova, server_id, 'ACTIVE', 'the server after its rebuild')
    seen['rebuilt_image'] = str(nova.servers.get(server_id).image['id'])
    nova.servers.resize(server_id, small.id)
    _status(nova, server_id, 'VERIFY_RESIZE', 'the resize to be verified')
    nova.servers.confirm_resize(server_id)
    _status(nova, server_id, 'ACTIVE', 'the server after its resize')
    seen['resized_flavor'] = str(nova.servers.get(server_id).flavor['id'])


def _usage_and_quotas(nova, seen, project):
    now = datetime.datetime.utcnow()
    usage = nova.usage.get(project, now - datetime.timedelta(hours=1),
                           now + datetime.timedelta(hours=1))
    seen['usage'] = {'tenant_id': usage.tenant_id,
                     'servers': [s['name'] for s in usage.server_usages],
                     'hours_positive': usage.total_hours > 0}
    quotas = nova.quotas.get(project)
    seen['quotas'] = {'instances': quotas.instances,
                      'floating_ips': quotas.floating_ips}
    # A noauth token is an admin's, as in Diablo: it may set the quota.
    nova.quotas.update(project, instances=20)
    seen['quotas']['updated'] = nova.quotas.get(project).instances
    seen['quotas']['default'] = nova.quotas.defaults(project).instances


def _server(nova, seen, image_id, tiny):
    server = nova.servers.create('nc18vm', image_id, tiny.id,
                                 key_name='nc18key',
                                 security_groups=['nc18sg'])
    _check(bool(server.adminPass), 'adminPass is returned')
    _status(nova, server.id, 'ACTIVE', 'the server to be ACTIVE')
    shown = nova.servers.get(server.id)
    seen['server'] = {'name': shown.name, 'status': shown.status,
                      'key_name': shown.key_name,
                      'networks': sorted(shown.networks)}
    seen['listed'] = [s.name for s in nova.servers.list()]
    return server.id


def _delete(nova, seen, server_id):
    nova.servers.delete(server_id)

    def gone():
        try:
            return nova.servers.get(server_id).status == 'DELETED'
        except nova_exc.NotFound:
            return True
    _wait(gone, 'the server to be deleted')
    seen['after_delete'] = [s.name for s in nova.servers.list()]


def run(endpoint, token, image_id, other_image_id):
    """The flow; returns what it saw (a dict)."""
    project = endpoint.rstrip('/').rsplit('/', 1)[-1]
    auth = token_endpoint.Token(endpoint, token)
    nova = nova_client.Client('2', session=ks_session.Session(auth=auth))
    seen = {}
    flavors = nova.flavors.list()
    seen['flavors'] = sorted(f.name for f in flavors)
    tiny = [f for f in flavors if f.name == 'm1.tiny'][0]
    small = [f for f in flavors if f.name == 'm1.small'][0]
    _check(nova.flavors.get(tiny.id).ram == 512, 'm1.tiny has 512 MB')
    _images(nova, seen, image_id)

    key = nova.keypairs.create('nc18key')
    _check('PRIVATE KEY' in key.private_key, 'a private key is returned')
    seen['keypairs'] = [k.name for k in nova.keypairs.list()]
    group_id = _security_group(nova, seen)

    server_id = _server(nova, seen, image_id, tiny)
    _floating_ip(nova, seen, server_id)
    _volume(nova, seen, server_id)
    _lifecycle(nova, seen, server_id, other_image_id, small)
    seen['small_flavor'] = str(small.id)
    _usage_and_quotas(nova, seen, project)
    _delete(nova, seen, server_id)
    nova.keypairs.delete('nc18key')
    nova.client.delete('/os-security-groups/%s' % group_id)
    try:
        nova.servers.get('999999')
    except nova_exc.NotFound:
        seen['missing'] = 'NotFound'
    return seen


def main(argv):
    """Entry point: prints the JSON of :func:`run`."""
    try:
        seen = run(*argv[1:5])
    except Exception as exc:  # noqa: BLE001 - reported to the test
        sys.stderr.write('client_flow failed: %s: %s\n'
                         % (type(exc).__name__, exc))
        return 1
    sys.stdout.write(json.dumps(seen) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
