"""``/v1.0/servers/{server_id}/backup_schedule``: not implemented.

Diablo routed v1.0's backup schedules (list, show, create, delete) and
answered every one of them 501 ``notImplemented``; so does this API, with
the fault body and a message that says so (never a schedule that would not
run).  v1.1 has no such resource (404); backups there are the
``createBackup`` server action.
"""

import webob.exc

MESSAGE = 'Backup schedules are not implemented; use the createBackup ' \
          'server action.'


def _not_implemented():
    return webob.exc.HTTPNotImplemented(explanation=MESSAGE)


class Controller(object):
    """Every method answers 501, as Diablo's did."""

    def index(self, req, server_id, **_args):
        """List a server's backup schedules: 501."""
        raise _not_implemented()

    def show(self, req, server_id, id, **_args):
        """One backup schedule: 501."""
        raise _not_implemented()

    def create(self, req, server_id, **_args):
        """Create or replace the schedule: 501."""
        raise _not_implemented()

    def delete(self, req, server_id, id, **_args):
        """Delete a schedule: 501."""
        raise _not_implemented()
