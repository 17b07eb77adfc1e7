"""``/v1.0/shared_ip_groups``: not implemented.

Diablo routed v1.0's shared IP groups (list, detail, show, create, update,
delete) and answered every one of them 501 ``notImplemented``; so does
this API, with the fault body.  v1.1 has no such resource (404).
"""

import webob.exc

MESSAGE = 'Shared IP groups are not implemented.'


def _not_implemented():
    return webob.exc.HTTPNotImplemented(explanation=MESSAGE)


class Controller(object):
    """Every method answers 501, as Diablo's did."""

    def index(self, req, **_args):
        """The user's groups: 501."""
        raise _not_implemented()

    def detail(self, req, **_args):
        """The groups in detail: 501."""
        raise _not_implemented()

    def show(self, req, id, **_args):
        """One group: 501."""
        raise _not_implemented()

    def create(self, req, **_args):
        """A new group: 501."""
        raise _not_implemented()

    def update(self, req, id, **_args):
        """A group cannot be updated: 501."""
        raise _not_implemented()

    def delete(self, req, id, **_args):
        """Delete a group: 501."""
        raise _not_implemented()
