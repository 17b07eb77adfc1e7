"""The dashboard's administrator pages: services (up/enabled, and the
switch), every project's instances with their hosts, flavors, projects
and users, quotas and per-project usage.  They need an administrator
signed in and an API run with ``--allow_admin_api``."""

import datetime
import urllib.parse

from nova.dashboard import app as web

#: the quota keys shown and edited, in order.
QUOTA_KEYS = ('instances', 'cores', 'ram', 'volumes', 'gigabytes',
              'floating_ips', 'metadata_items', 'injected_files',
              'injected_file_content_bytes')


def _q(value):
    return urllib.parse.quote(str(value), safe='')


def services(dash, req):
    """Every service, up or down, enabled or disabled."""
    found = req.client.get('/os-services')['services']
    return web.render(req, 'admin_services.html', services=found)


def service_toggle(dash, req):
    """Enable or disable one service."""
    action = 'enable' if req.POST.get('enable') == '1' else 'disable'
    req.client.put('/os-services/%s' % action, {
        'host': req.POST.get('host', ''),
        'binary': req.POST.get('binary', '')})
    return web.redirect(req, '/admin/services', '%s on %s: %sd.' % (
        req.POST.get('binary', ''), req.POST.get('host', ''), action))


def all_instances(dash, req):
    """Every project's instances with host and project."""
    found = req.client.get('/os-admin-servers')['servers']
    for server in found:
        server['ips'] = [a['addr'] for net in server['addresses'].values()
                         for a in net]
    return web.render(req, 'admin_instances.html', servers=found)


def flavors(dash, req):
    """The instance types."""
    found = req.client.get('/flavors/detail')['flavors']
    return web.render(req, 'admin_flavors.html', flavors=found)


def _usages(req):
    start = datetime.datetime.utcnow().replace(day=1).strftime('%Y-%m-%d')
    return req.client.get('/os-simple-tenant-usage?start=%sT00:00:00'
                          % start)['tenant_usages']


def projects(dash, req):
    """Users (never their keys) and the projects with usage this month."""
    users = req.client.get('/users')['users']
    shown = [{'id': u['id'], 'name': u['name'], 'admin': u['admin']}
             for u in users]
    project_ids = sorted(set([u['tenant_id'] for u in _usages(req)] +
                             [req.session['project']]))
    return web.render(req, 'admin_projects.html', users=shown,
                      projects=project_ids)


def quotas(dash, req):
    """One project's quotas (``?project=``) and the form to change them."""
    project = req.GET.get('project') or req.session['project']
    found = req.client.get('/os-quota-sets/%s' % _q(project))['quota_set']
    rows = [(k, found.get(k)) for k in QUOTA_KEYS if k in found]
    return web.render(req, 'admin_quotas.html', quota_project=project,
                      rows=rows)


def quotas_update(dash, req):
    """Set the quotas given in the form."""
    project = req.POST.get('project', '')
    values = dict((k, req.POST[k].strip()) for k in QUOTA_KEYS
                  if req.POST.get(k, '').strip())
    req.client.put('/os-quota-sets/%s' % _q(project), {'quota_set': values})
    return web.redirect(req, '/admin/quotas?project=%s' % _q(project),
                        'Quotas of %s updated.' % project)


def usage(dash, req):
    """Per-project usage this month."""
    return web.render(req, 'admin_usage.html', usages=_usages(req))


ROUTES = [
    ('/admin/services', 'GET', services),
    ('/admin/services', 'POST', service_toggle),
    ('/admin/instances', 'GET', all_instances),
    ('/admin/flavors', 'GET', flavors),
    ('/admin/projects', 'GET', projects),
    ('/admin/quotas', 'GET', quotas),
    ('/admin/quotas', 'POST', quotas_update),
    ('/admin/usage', 'GET', usage),
]
