"""``os-quota-sets``: a project's quotas (Diablo's Quotas extension).

``GET /os-quota-sets/{project}`` shows the effective quotas, ``GET
/os-quota-sets/{project}/defaults`` the flag defaults, ``PUT
/os-quota-sets/{project}`` (administrators only) sets overrides.  A user
who is not an administrator sees only the quotas of the URL's project
(another project's are a 403, as Diablo).  Unlimited is ``-1`` (the flag
convention); every value of a PUT is checked before any is written.
"""

import webob.exc

from nova import db
from nova import exception
from nova import quota
from nova.api.openstack import common
from nova.api.openstack.extensions import ResourceExtension
from nova.api.openstack.extensions import util

EXTENSION = {
    'name': 'Quotas',
    'alias': 'os-quota-sets',
    'description': 'Quotas management support',
    'namespace': 'http://docs.openstack.org/ext/quotas-sets/api/v1.1',
    'updated': '2011-08-08T00:00:00+00:00',
}


def _view(project_id, quotas):
    result = {'id': project_id}
    for key in quota.QUOTA_KEYS:
        value = quotas.get(key)
        result[key] = -1 if value is None else value
    return {'quota_set': result}


def _check_access(ctxt, project_id):
    if not ctxt.is_admin and project_id != ctxt.project_id:
        raise webob.exc.HTTPForbidden(
            explanation='Only administrators see the quotas of another '
                        'project')


class QuotaSetsController(object):
    """``/os-quota-sets``."""

    def show(self, req, id, **_args):
        """The effective quotas of project ``id``."""
        ctxt = common.context_of(req)
        _check_access(ctxt, id)
        return _view(id, quota.get_project_quotas(ctxt.elevated(), id))

    def defaults(self, req, id, **_args):
        """The defaults every project starts with."""
        _check_access(common.context_of(req), id)
        return _view(id, quota.get_default_quotas())

    def update(self, req, id, body=None, **_args):
        """Set overrides (administrators only); the quotas back."""
        ctxt = common.context_of(req)
        if not ctxt.is_admin:
            raise webob.exc.HTTPForbidden(
                explanation='Only administrators may change quotas')
        params = util.entity(body, 'quota_set')
        values = {}
        for key in quota.QUOTA_KEYS:
            if key in params:
                number = util.to_int(params[key], key, minimum=-1)
                values[key] = None if number == -1 else number
        admin = ctxt.elevated()
        for key, limit in values.items():
            try:
                db.quota_get(admin, id, key)
            except exception.NotFound:
                db.quota_create(admin, id, key, limit)
            else:
                db.quota_update(admin, id, key, limit)
        return _view(id, quota.get_project_quotas(admin, id))


def resources():
    """The ``os-quota-sets`` collection."""
    return [ResourceExtension('os-quota-sets', QuotaSetsController(),
                              ('show', 'update'),
                              member_actions=[('defaults', 'GET')])]
