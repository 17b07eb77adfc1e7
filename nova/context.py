"""The request context every call carries: who asks, for which project."""

import copy
import datetime
import uuid


def generate_request_id():
    """A new request id in Diablo's ``req-<uuid>`` form."""
    return 'req-' + str(uuid.uuid4())


class RequestContext(object):
    """Security context and request information.

    Carries the user, the project, their roles and whether the caller is an
    admin; travels with every RPC message as ``_context_<field>`` keys.
    """

    def __init__(self, user_id, project_id, is_admin=None, read_deleted=False,
                 roles=None, remote_address=None, timestamp=None,
                 request_id=None, auth_token=None, strategy='noauth',
                 **_ignored):
        self.user_id = user_id
        self.project_id = project_id
        self.roles = list(roles or [])
        self.is_admin = is_admin
        if self.is_admin is None:
            self.is_admin = 'admin' in [r.lower() for r in self.roles]
        self.read_deleted = read_deleted
        self.remote_address = remote_address
        if timestamp is None:
            timestamp = datetime.datetime.utcnow()
        elif isinstance(timestamp, str):
            timestamp = _parse_time(timestamp)
        self.timestamp = timestamp
        self.request_id = request_id or generate_request_id()
        self.auth_token = auth_token
        self.strategy = strategy

    # Diablo names still used by callers and operators' plugins.
    @property
    def user(self):
        return self.user_id

    @property
    def project(self):
        return self.project_id

    def to_dict(self):
        """The fields an RPC message carries."""
        return {
            'user_id': self.user_id,
            'project_id': self.project_id,
            'is_admin': self.is_admin,
            'read_deleted': self.read_deleted,
            'roles': self.roles,
            'remote_address': self.remote_address,
            'timestamp': self.timestamp.isoformat(),
            'request_id': self.request_id,
            'auth_token': self.auth_token,
            'strategy': self.strategy,
        }

    @classmethod
    def from_dict(cls, values):
        """Rebuild a context from :meth:`to_dict` output."""
        return cls(**values)

    def elevated(self, read_deleted=None):
        """A copy of this context with admin rights."""
        ctx = copy.copy(self)
        ctx.roles = list(self.roles)
        ctx.is_admin = True
        if 'admin' not in ctx.roles:
            ctx.roles.append('admin')
        if read_deleted is not None:
            ctx.read_deleted = read_deleted
        return ctx

    def __repr__(self):
        return '<RequestContext %s user=%s project=%s admin=%s>' % (
            self.request_id, self.user_id, self.project_id, self.is_admin)


def get_admin_context(read_deleted=False):
    """A context with no user or project and full rights."""
    return RequestContext(user_id=None, project_id=None, is_admin=True,
                          read_deleted=read_deleted)


def _parse_time(text):
    """A context timestamp from its ISO 8601 text (now, if unreadable)."""
    try:
        return datetime.datetime.fromisoformat(text.rstrip('Z'))
    except ValueError:
        return datetime.datetime.utcnow()
