"""``/users`` (with ``--allow_admin_api``): users of the auth manager, as
Diablo's v1.0 admin API had them.

A user is ``{"id", "name", "access", "secret", "admin"}``; list, detail,
show, create (``name``, ``access``, ``secret``, ``admin``), update (keys,
admin flag) and delete.  The answers hold the users' secret keys, so every
method is for cloud administrators (403 otherwise; Diablo let anyone read
them).
"""

import webob
import webob.exc

from nova import exception
from nova.api.openstack import accounts
from nova.api.openstack import common


def _view(user):
    return {'id': user.id, 'name': user.name, 'access': user.access,
            'secret': user.secret, 'admin': user.admin}


def _flag(value):
    return value in ('T', 'True', 'true', True)


def _user_body(body):
    user = body.get('user') if isinstance(body, dict) else None
    if not isinstance(user, dict):
        raise common.bad_request('Malformed request body')
    for key in ('name', 'access', 'secret'):
        if user.get(key) is not None and not isinstance(user[key], str):
            raise common.bad_request('Malformed request body')
    return user


class Controller(object):
    """Users through ``nova.auth.manager.AuthManager``."""

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
        """``{"users": [...]}`` (v1.0 paging: ``offset``, ``limit``)."""
        accounts.require_admin(req)
        users = sorted(self.manager.get_users(), key=lambda u: u.id)
        return {'users': [_view(u) for u in common.limited(req, users)]}

    def detail(self, req, **_args):
        """The same as :meth:`index`."""
        return self.index(req)

    def _get(self, id):
        user = self.manager.get_user(id)
        if user is None:
            raise common.not_found('User %s could not be found.' % id)
        return user

    def show(self, req, id, **_args):
        """``{"user": {...}}``; 404 for an unknown one."""
        accounts.require_admin(req)
        return {'user': _view(self._get(id))}

    def create(self, req, body=None, **_args):
        """A new user; keys are generated when not given."""
        accounts.require_admin(req)
        user = _user_body(body)
        if not user.get('name'):
            raise common.bad_request('A user needs a name.')
        try:
            made = self.manager.create_user(user['name'], user.get('access'),
                                            user.get('secret'),
                                            _flag(user.get('admin')))
        except exception.UserExists as exc:
            raise webob.exc.HTTPConflict(explanation=str(exc))
        except exception.Invalid as exc:
            raise common.bad_request(str(exc))
        return {'user': _view(made)}

    def update(self, req, id, body=None, **_args):
        """Change keys and/or the admin flag."""
        accounts.require_admin(req)
        user = _user_body(body)
        self._get(id)
        admin = user.get('admin')
        self.manager.modify_user(id, user.get('access'), user.get('secret'),
                                 None if admin is None else _flag(admin))
        return {'user': _view(self._get(id))}

    def delete(self, req, id, **_args):
        """Delete a user: 200 with an empty body (409 while it manages a
        project)."""
        accounts.require_admin(req)
        self._get(id)
        try:
            self.manager.delete_user(id)
        except exception.NovaException as exc:
            raise webob.exc.HTTPConflict(explanation=str(exc))
        return webob.Response(status=200, content_type='application/json',
                              body=b'{}')
