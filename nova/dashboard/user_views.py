"""The dashboard's pages for every user: login, usage, instances, images,
key pairs, security groups, floating IPs and volumes.

Each view is ``view(dashboard, req)`` and answers a page or a redirect;
form values are passed to the API as they are (the API checks them and
confines every id to the user's project: another project's id answers
its 404, shown on the error page).
"""

import base64
import datetime
import urllib.parse

import webob

from nova.dashboard import app as web
from nova.dashboard import client as api_client
from nova.dashboard import keystone

#: server statuses that end a build, reboot or other transition.
SETTLED = ('ACTIVE', 'SHUTOFF', 'SUSPENDED', 'PAUSED', 'ERROR', 'DELETED',
           'RESCUE', 'VERIFY_RESIZE')


def _q(value):
    return urllib.parse.quote(str(value), safe='')


def _form(req, name, default=''):
    return req.POST.get(name, default).strip()


# -- login --------------------------------------------------------------------
@web.public
def login_form(dash, req):
    """The sign-in form."""
    if req.session.signed_in:
        return web.redirect(req, '/')
    return web.render(req, 'login.html', next=req.GET.get('next', '/'),
                      error=None)


def _keystone_login(dash, req, target):
    """Sign in with a Keystone user name, password and project."""
    user = _form(req, 'username')
    password = req.POST.get('password', '')
    project = _form(req, 'project') or None
    status, error = 401, None
    if not user or not password:
        error = 'Give your user name and password.'
    else:
        try:
            osapi_root = dash.base_url or web.FLAGS.dashboard_osapi_url
            data = keystone.login(user, password, project,
                                  osapi_root or None)
        except keystone.Refused as exc:
            error = str(exc)
        except api_client.APIError as exc:
            status, error = exc.status, exc.message
    if error:
        web.LOG.info('dashboard: Keystone sign-in of %r (project %r) '
                     'refused', user, project)
        return web.render(req, 'login.html', status=status, next=target,
                          error=error)
    dash.start_session(req, data)
    return web.redirect(req, target)


@web.public
def login(dash, req):
    """Trade the user name and access key (or, with Keystone, password)
    for an API token."""
    target = req.POST.get('next', '/')
    if not target.startswith('/') or target.startswith('//'):
        target = '/'
    if keystone.enabled():
        return _keystone_login(dash, req, target)
    user = _form(req, 'username')
    key = req.POST.get('access_key', '')
    project = _form(req, 'project') or None
    error = None
    if not user or not key:
        error = 'Give your user name and access key.'
    elif not dash.api_checks_keys():
        error = ('The OpenStack API this dashboard uses does not check '
                 'access keys (noauth); sign-in is disabled.')
    else:
        found = api_client.login(dash.api_url, user, key, project)
        if found is None:
            error = 'Invalid user name, access key or project.'
    if error:
        return web.render(req, 'login.html', status=401, next=target,
                          error=error)
    token, project_id = found
    session = dash.start_session(req, {'token': token, 'user': user,
                                       'project': project_id})
    try:
        dash.client_for(session).get('/os-services')
        session['is_admin'] = True
    except api_client.APIError:
        session['is_admin'] = False
    return web.redirect(req, target)


def logout(dash, req):
    """End the session (and revoke its Keystone token)."""
    if req.session.get('keystone'):
        keystone.revoke(req.session['token'])
    dash.end_session(req)
    return web.redirect(req, '/login')


# -- usage --------------------------------------------------------------------
def _flavors(client):
    return dict((str(f['id']), f) for f in
                client.get('/flavors/detail')['flavors'])


def usage(dash, req):
    """VCPUs, RAM and disk in use against the quotas, and the month's
    usage."""
    client = req.client
    absolute = client.get('/limits')['limits']['absolute']
    flavors = _flavors(client)
    servers = client.get('/servers/detail')['servers']
    used = {'instances': len(servers), 'cores': 0, 'ram': 0, 'disk': 0}
    for server in servers:
        flavor = flavors.get(str(server['flavor']['id'])) or {}
        used['cores'] += flavor.get('vcpus') or 0
        used['ram'] += flavor.get('ram') or 0
        used['disk'] += flavor.get('disk') or 0
    rows = [('Instances', used['instances'],
             absolute.get('maxTotalInstances')),
            ('VCPUs', used['cores'], absolute.get('maxTotalCores')),
            ('RAM (MB)', used['ram'], absolute.get('maxTotalRAMSize')),
            ('Disk (GB)', used['disk'], absolute.get('maxTotalVolumeGigabytes'))]
    start = datetime.datetime.utcnow().replace(day=1).strftime('%Y-%m-%d')
    month = client.get('/os-simple-tenant-usage/%s?start=%sT00:00:00'
                       % (_q(req.session['project']), start))['tenant_usage']
    return web.render(req, 'usage.html', rows=rows, month=month)


# -- instances ----------------------------------------------------------------
def _servers(client):
    servers = client.get('/os-create-server-ext/detail')['servers']
    for server in servers:
        server['ips'] = [a['addr'] for net in server['addresses'].values()
                         for a in net]
    return servers


def instances(dash, req):
    """The project's instances and the launch form."""
    client = req.client
    images = client.get('/images/detail')['images']
    flavors = sorted(_flavors(client).values(), key=lambda f: f['id'])
    names = dict((str(i['id']), i['name']) for i in images)
    fnames = dict((str(f['id']), f['name']) for f in flavors)
    servers = _servers(client)
    for server in servers:
        server['image_name'] = names.get(str(server['image']['id']),
                                         server['image']['id'])
        server['flavor_name'] = fnames.get(str(server['flavor']['id']),
                                           server['flavor']['id'])
    return web.render(
        req, 'instances.html', servers=servers, settled=SETTLED,
        images=images, flavors=flavors,
        keypairs=[k['keypair'] for k in
                  client.get('/os-keypairs')['keypairs']],
        groups=client.get('/os-security-groups')['security_groups'],
        chosen_image=req.GET.get('image', ''))


def instances_json(dash, req):
    """``{"servers": [{id, status, ips}]}`` for the page's poll."""
    data = [{'id': s['id'], 'status': s['status'], 'ips': s['ips'],
             'settled': s['status'] in SETTLED}
            for s in _servers(req.client)]
    resp = webob.Response(json_body={'servers': data})
    return resp


def launch(dash, req):
    """Boot an instance from the launch form."""
    server = {'name': _form(req, 'name'), 'imageRef': _form(req, 'image'),
              'flavorRef': _form(req, 'flavor')}
    if _form(req, 'keypair'):
        server['key_name'] = _form(req, 'keypair')
    groups = [g for g in req.POST.getall('security_groups') if g]
    if groups:
        server['security_groups'] = [{'name': g} for g in groups]
    user_data = req.POST.get('user_data', '')
    if user_data:
        server['user_data'] = base64.b64encode(
            user_data.encode('utf-8')).decode('ascii')
    made = req.client.post('/os-create-server-ext', {'server': server})
    return web.redirect(req, '/instances', 'Launched instance %s.'
                        % made['server']['name'])


def _server_action(req, name, args, message):
    req.client.action(req.args['id'], name, args)
    return web.redirect(req, '/instances', message % req.args['id'])


def reboot(dash, req):
    """Soft reboot."""
    return _server_action(req, 'reboot', {'type': 'SOFT'},
                          'Rebooting instance %s.')


def terminate(dash, req):
    """Delete the server."""
    req.client.delete('/servers/%s' % _q(req.args['id']))
    return web.redirect(req, '/instances', 'Terminating instance %s.'
                        % req.args['id'])


def snapshot(dash, req):
    """createImage with the form's name."""
    name = _form(req, 'name') or 'snapshot-%s' % req.args['id']
    return _server_action(req, 'createImage', {'name': name},
                          'Snapshotting instance %s.')


def console_log(dash, req):
    """The instance's console text."""
    server = req.client.get('/servers/%s' % _q(req.args['id']))['server']
    output = req.client.action(req.args['id'], 'os-getConsoleOutput',
                               {'length': 200})['output']
    return web.render(req, 'console.html', server=server, output=output)


def vnc(dash, req):
    """Ask the API for a VNC console URL and go there."""
    found = req.client.action(req.args['id'], 'os-getVNCConsole',
                              {'type': 'novnc'})
    url = ((found or {}).get('console') or {}).get('url', '')
    if not url.startswith(('http://', 'https://')):
        return web.error_page(req, 502, 'The API gave no console URL.')
    return webob.exc.HTTPSeeOther(location=url)


# -- images -------------------------------------------------------------------
def images(dash, req):
    """The images the project can launch."""
    found = req.client.get('/images/detail')['images']
    for image in found:
        meta = image.get('metadata') or {}
        owner = meta.get('owner_id') or meta.get('project_id')
        image['visibility'] = 'public' if meta.get(
            'is_public', 'True') in ('True', 'true', '1') and not \
            owner else ('private' if owner else 'public')
    return web.render(req, 'images.html', images=found)


# -- key pairs ----------------------------------------------------------------
def keypairs(dash, req):
    """Key pairs, the create and import forms."""
    found = [k['keypair'] for k in req.client.get('/os-keypairs')['keypairs']]
    return web.render(req, 'keypairs.html', keypairs=found,
                      pending=req.session.get('pending_key', (None,))[0])


def keypair_create(dash, req):
    """Create (or import with a public key) a key pair."""
    body = {'name': _form(req, 'name')}
    public_key = _form(req, 'public_key')
    if public_key:
        body['public_key'] = public_key
    made = req.client.post('/os-keypairs', {'keypair': body})['keypair']
    if made.get('private_key'):
        req.session['pending_key'] = (made['name'], made['private_key'])
        return web.redirect(req, '/keypairs', 'Key pair %s created: '
                            'download its private key now, it is shown '
                            'once.' % made['name'])
    return web.redirect(req, '/keypairs', 'Key pair %s imported.'
                        % made['name'])


def keypair_download(dash, req):
    """The new key pair's private key, once."""
    pending = req.session.pop('pending_key', None)
    if not pending or pending[0] != req.args['name']:
        return web.error_page(req, 404, 'That private key is no longer '
                              'available (it is given only once).')
    resp = webob.Response(body=pending[1].encode('utf-8'),
                          content_type='application/x-pem-file')
    resp.headers['Content-Disposition'] = \
        'attachment; filename="%s.pem"' % pending[0].replace('"', '')
    return resp


def keypair_delete(dash, req):
    """Delete a key pair."""
    req.client.delete('/os-keypairs/%s' % _q(req.args['name']))
    return web.redirect(req, '/keypairs', 'Key pair %s deleted.'
                        % req.args['name'])


# -- security groups ----------------------------------------------------------
def security_groups(dash, req):
    """Groups with their rules."""
    groups = req.client.get('/os-security-groups')['security_groups']
    return web.render(req, 'security_groups.html', groups=groups)


def group_create(dash, req):
    """A new group."""
    req.client.post('/os-security-groups', {'security_group': {
        'name': _form(req, 'name'),
        'description': _form(req, 'description')}})
    return web.redirect(req, '/security_groups', 'Group %s created.'
                        % _form(req, 'name'))


def group_delete(dash, req):
    """Delete a group."""
    req.client.delete('/os-security-groups/%s' % _q(req.args['id']))
    return web.redirect(req, '/security_groups', 'Group deleted.')


def rule_create(dash, req):
    """A rule of a group (a CIDR or a source group)."""
    rule = {'parent_group_id': req.args['id'],
            'ip_protocol': _form(req, 'ip_protocol'),
            'from_port': _form(req, 'from_port'),
            'to_port': _form(req, 'to_port')}
    if _form(req, 'group_id'):
        rule['group_id'] = _form(req, 'group_id')
    else:
        rule['cidr'] = _form(req, 'cidr') or '0.0.0.0/0'
    req.client.post('/os-security-group-rules',
                    {'security_group_rule': rule})
    return web.redirect(req, '/security_groups', 'Rule added.')


def rule_delete(dash, req):
    """Delete a rule."""
    req.client.delete('/os-security-group-rules/%s' % _q(req.args['id']))
    return web.redirect(req, '/security_groups', 'Rule deleted.')


# -- floating IPs -------------------------------------------------------------
def floating_ips(dash, req):
    """The project's floating IPs and its instances to associate."""
    found = req.client.get('/os-floating-ips')['floating_ips']
    return web.render(req, 'floating_ips.html', ips=found,
                      servers=_servers(req.client))


def ip_allocate(dash, req):
    """Allocate an address."""
    made = req.client.post('/os-floating-ips', {})['floating_ip']
    return web.redirect(req, '/floating_ips', 'Allocated %s.' % made['ip'])


def ip_associate(dash, req):
    """Associate an address with an instance."""
    req.client.action(_form(req, 'server'), 'addFloatingIp',
                      {'address': _form(req, 'address')})
    return web.redirect(req, '/floating_ips', 'Associated %s.'
                        % _form(req, 'address'))


def ip_disassociate(dash, req):
    """Take an address from its instance."""
    req.client.action(_form(req, 'server'), 'removeFloatingIp',
                      {'address': _form(req, 'address')})
    return web.redirect(req, '/floating_ips', 'Disassociated %s.'
                        % _form(req, 'address'))


def ip_release(dash, req):
    """Release an address."""
    req.client.delete('/os-floating-ips/%s' % _q(req.args['id']))
    return web.redirect(req, '/floating_ips', 'Released.')


# -- volumes ------------------------------------------------------------------
def volumes(dash, req):
    """Volumes, their snapshots, and the instances to attach to."""
    return web.render(
        req, 'volumes.html',
        volumes=req.client.get('/os-volumes/detail')['volumes'],
        snapshots=req.client.get('/os-snapshots')['snapshots'],
        servers=_servers(req.client))


def volume_create(dash, req):
    """A new volume."""
    made = req.client.post('/os-volumes', {'volume': {
        'size': _form(req, 'size'),
        'display_name': _form(req, 'name') or None}})['volume']
    return web.redirect(req, '/volumes', 'Creating volume %s.' % made['id'])


def volume_attach(dash, req):
    """Attach to an instance at a device."""
    req.client.post('/servers/%s/os-volume_attachments'
                    % _q(_form(req, 'server')), {'volumeAttachment': {
                        'volumeId': req.args['id'],
                        'device': _form(req, 'device')}})
    return web.redirect(req, '/volumes', 'Attaching volume %s.'
                        % req.args['id'])


def volume_detach(dash, req):
    """Detach from its instance."""
    req.client.delete('/servers/%s/os-volume_attachments/%s' % (
        _q(_form(req, 'server')), _q(req.args['id'])))
    return web.redirect(req, '/volumes', 'Detaching volume %s.'
                        % req.args['id'])


def volume_snapshot(dash, req):
    """Snapshot a volume."""
    req.client.post('/os-snapshots', {'snapshot': {
        'volume_id': req.args['id'], 'display_name': _form(req, 'name'),
        'force': True}})
    return web.redirect(req, '/volumes', 'Snapshotting volume %s.'
                        % req.args['id'])


def volume_delete(dash, req):
    """Delete a volume."""
    req.client.delete('/os-volumes/%s' % _q(req.args['id']))
    return web.redirect(req, '/volumes', 'Deleting volume %s.'
                        % req.args['id'])


def root(dash, req):
    """The home page is the usage page."""
    return web.redirect(req, '/usage')


ROUTES = [
    ('/login', 'GET', login_form), ('/login', 'POST', login),
    ('/logout', 'POST', logout), ('/', 'GET', root),
    ('/usage', 'GET', usage),
    ('/instances', 'GET', instances),
    ('/instances.json', 'GET', instances_json),
    ('/instances', 'POST', launch),
    ('/instances/{id}/reboot', 'POST', reboot),
    ('/instances/{id}/terminate', 'POST', terminate),
    ('/instances/{id}/snapshot', 'POST', snapshot),
    ('/instances/{id}/console', 'GET', console_log),
    ('/instances/{id}/vnc', 'POST', vnc),
    ('/images', 'GET', images),
    ('/keypairs', 'GET', keypairs), ('/keypairs', 'POST', keypair_create),
    ('/keypairs/{name}/download', 'GET', keypair_download),
    ('/keypairs/{name}/delete', 'POST', keypair_delete),
    ('/security_groups', 'GET', security_groups),
    ('/security_groups', 'POST', group_create),
    ('/security_groups/{id}/delete', 'POST', group_delete),
    ('/security_groups/{id}/rules', 'POST', rule_create),
    ('/rules/{id}/delete', 'POST', rule_delete),
    ('/floating_ips', 'GET', floating_ips),
    ('/floating_ips', 'POST', ip_allocate),
    ('/floating_ips/associate', 'POST', ip_associate),
    ('/floating_ips/disassociate', 'POST', ip_disassociate),
    ('/floating_ips/{id}/release', 'POST', ip_release),
    ('/volumes', 'GET', volumes), ('/volumes', 'POST', volume_create),
    ('/volumes/{id}/attach', 'POST', volume_attach),
    ('/volumes/{id}/detach', 'POST', volume_detach),
    ('/volumes/{id}/snapshot', 'POST', volume_snapshot),
    ('/volumes/{id}/delete', 'POST', volume_delete),
]


@web.public
def poll_script(dash, req):
    """The small script that refreshes the instances' states."""
    import os
    with open(os.path.join(web.HERE, 'static', 'poll.js'), 'rb') as f:
        body = f.read()
    resp = webob.Response(body=body, content_type='application/javascript')
    resp.headers['Cache-Control'] = 'max-age=300'
    return resp


ROUTES.append(('/static/poll.js', 'GET', poll_script))
