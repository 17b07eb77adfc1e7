"""``/servers/{server_id}/consoles``: consoles a console proxy serves.

Diablo kept them in ``consoles`` (each in a ``console_pools`` row, the
proxy host): list (``id``, ``console_type``), show (with ``password``,
``port`` and the pool's ``public_hostname`` as ``host``) read those rows;
create and delete asked nova-console over RPC and answered at once.

This cloud has no nova-console (console proxies), so nothing would ever
make or remove a console: create and delete answer 501
``notImplemented`` saying so, where Diablo's would have answered success
and left the request in a queue nobody reads.  Update was 501 in Diablo
and is here.
Listing and showing read the tables, confined to the request's project's
servers (another project's server is a 404).
"""

import webob.exc

from nova import exception
from nova.api.openstack import common

NO_PROXY = 'Consoles through a console proxy (nova-console) are not ' \
           'available in this cloud.'


def _brief(console):
    return {'console': {'id': console['id'],
                        'console_type': console['pool']['console_type']}}


def _detail(console):
    pool = console['pool']
    return {'console': {'id': console['id'],
                        'console_type': pool['console_type'],
                        'password': console['password'],
                        'port': console['port'],
                        'host': pool['public_hostname']}}


class Controller(object):
    """Console rows of the request's project's servers."""

    def __init__(self, servers, database=None):
        self.servers = servers
        self._db = database

    @property
    def db(self):
        """``nova.db``."""
        if self._db is None:
            from nova import db
            self._db = db
        return self._db

    def _instance(self, req, server_id):
        return self.servers.get_instance(req, server_id)

    def index(self, req, server_id, **_args):
        """``{"consoles": [{"console": {"id", "console_type"}}]}``."""
        instance = self._instance(req, server_id)
        rows = self.db.console_get_all_by_instance(common.context_of(req),
                                                   instance['id'])
        return {'consoles': [_brief(c) for c in rows]}

    def show(self, req, server_id, id, **_args):
        """``{"console": {...}}``; 404 for an unknown one."""
        instance = self._instance(req, server_id)
        try:
            console = self.db.console_get(common.context_of(req), int(id),
                                          instance['id'])
        except (ValueError, exception.NotFound):
            raise common.not_found('Console %s could not be found.' % id)
        return _detail(console)

    def create(self, req, server_id, **_args):
        """No console proxy here: 501."""
        self._instance(req, server_id)
        raise webob.exc.HTTPNotImplemented(explanation=NO_PROXY)

    def update(self, req, server_id, id, **_args):
        """A console cannot be updated: 501 (Diablo)."""
        self._instance(req, server_id)
        raise webob.exc.HTTPNotImplemented(
            explanation='A console cannot be updated.')

    def delete(self, req, server_id, id, **_args):
        """No console proxy to remove it: 404 for an unknown console, 501
        otherwise."""
        self.show(req, server_id, id)
        raise webob.exc.HTTPNotImplemented(explanation=NO_PROXY)
