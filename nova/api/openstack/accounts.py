"""``/accounts`` (with ``--allow_admin_api``): projects, over the auth
manager, as Diablo's v1.0 admin API had them.

``show`` a project (``id``, ``name``, ``description``, ``manager``); ``PUT
/accounts/{id}`` creates or updates one (Diablo's create-or-update: the id
comes from outside); ``DELETE`` removes it.  Listing and ``POST`` were 501
in Diablo and are here.  Changes are for cloud administrators (403
otherwise); showing a project is for administrators and its members (404
for anyone else, as for any project the caller may not see).
"""

import webob
import webob.exc

from nova import exception
from nova.api.openstack import common


def _view(project):
    return {'id': project.id, 'name': project.name,
            'description': project.description,
            'manager': project.project_manager_id}


def require_admin(req):
    """403 unless the request's context is an administrator's."""
    if not common.context_of(req).is_admin:
        raise webob.exc.HTTPForbidden(
            explanation='Only cloud administrators may do this.')


class Controller(object):
    """Projects through ``nova.auth.manager.AuthManager``."""

    def __init__(self, auth_manager=None):
        self._manager = auth_manager

    @property
    def manager(self):
        """The auth manager."""
        if self._manager is None:
            from nova.auth import manager
            self._manager = manager.AuthManager()
        return self._manager

    def index(self, req, **_args):
        """Not in Diablo: 501."""
        raise webob.exc.HTTPNotImplemented(
            explanation='Listing accounts is not implemented.')

    def detail(self, req, **_args):
        """Not in Diablo: 501."""
        return self.index(req)

    def create(self, req, **_args):
        """Not in Diablo (use ``PUT /accounts/{id}``): 501."""
        raise webob.exc.HTTPNotImplemented(
            explanation='Use PUT /accounts/{id} to create an account.')

    def show(self, req, id, **_args):
        """``{"account": {...}}``; 404 for an unknown or hidden one."""
        ctxt = common.context_of(req)
        project = self.manager.get_project(id)
        if project is None or not (ctxt.is_admin or
                                   ctxt.user_id in project.member_ids):
            raise common.not_found('Account %s could not be found.' % id)
        return {'account': _view(project)}

    def update(self, req, id, body=None, **_args):
        """Create or update account ``id`` (``manager``,
        ``description``)."""
        require_admin(req)
        account = body.get('account') if isinstance(body, dict) else None
        if not isinstance(account, dict):
            raise common.bad_request('Malformed request body')
        manager = account.get('manager')
        description = account.get('description')
        for value in (manager, description):
            if value is not None and not isinstance(value, str):
                raise common.bad_request('Malformed request body')
        try:
            if self.manager.get_project(id) is None:
                if not manager:
                    raise common.bad_request('A new account needs a '
                                             'manager.')
                self.manager.create_project(id, manager, description)
            else:
                self.manager.modify_project(id, manager, description)
        except exception.UserNotFound as exc:
            raise common.bad_request(str(exc))
        except exception.Invalid as exc:
            raise common.bad_request(str(exc))
        return {'account': _view(self.manager.get_project(id))}

    def delete(self, req, id, **_args):
        """Delete account ``id``: 200 with an empty body."""
        require_admin(req)
        if self.manager.get_project(id) is None:
            raise common.not_found('Account %s could not be found.' % id)
        self.manager.delete_project(id)
        return webob.Response(status=200, content_type='application/json',
                              body=b'{}')
