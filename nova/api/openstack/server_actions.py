"""``POST /servers/{id}/action``: the first key of the body is the action.

Implemented here: ``reboot`` (SOFT or HARD; both reboot, as Diablo) and
``createImage`` (a snapshot; 202 with ``Location``).  Actions the compute
API of this cloud cannot perform yet (``rebuild``, ``resize``,
``confirmResize``, ``revertResize``, ``changePassword``) answer 501
``notImplemented``; any other key is a 400.

Extensions add actions (``addFloatingIp``, ``rescue`` …): the
``extensions`` filter puts ``{name: handler}`` in the request environment
under :data:`EXTENSION_ACTIONS`; a handler is called as
``handler(controller, req, instance, args)`` with the project's instance
(404 otherwise) and the value of the body's key.
"""

import webob
import webob.exc

from nova import exception
from nova import flags
from nova.api.openstack import common

FLAGS = flags.FLAGS

#: environ key of the actions the loaded extensions add.
EXTENSION_ACTIONS = 'nova.osapi.extension_actions'

_NOT_YET = ('rebuild', 'resize', 'confirmResize', 'revertResize',
            'changePassword')


class ActionsMixin(object):
    """The ``action`` member of the servers controller."""

    def action(self, req, id, body=None, **_args):
        """Dispatch on the body's first key."""
        if not isinstance(body, dict) or not body:
            raise common.bad_request('Invalid request body')
        name = next(iter(body))
        handler = {'reboot': self._action_reboot,
                   'createImage': self._action_create_image}.get(name)
        if handler is None:
            extra = req.environ.get(EXTENSION_ACTIONS, {}).get(name)
            if extra is not None:
                return extra(self, req, self.get_instance(req, id),
                             body[name])
            if name in _NOT_YET:
                raise webob.exc.HTTPNotImplemented(
                    explanation='The %s action is not available in this '
                                'cloud yet.' % name)
            raise common.bad_request('There is no such server action: %s'
                                     % name)
        instance = self.get_instance(req, id)
        return handler(req, instance, body[name])

    def _action_reboot(self, req, instance, args):
        kind = args.get('type') if isinstance(args, dict) else None
        if not isinstance(kind, str) or kind.upper() not in ('SOFT', 'HARD'):
            raise common.bad_request('Missing or invalid argument "type" '
                                     'for reboot')
        try:
            self.compute_api.reboot(common.context_of(req), instance['id'])
        except exception.InstanceInvalidState as exc:
            raise webob.exc.HTTPConflict(explanation=str(exc))
        return webob.Response(status=202)

    def _action_create_image(self, req, instance, args):
        # --allow_instance_snapshots is defined with Diablo's other flags.
        if not FLAGS.get('allow_instance_snapshots', True):
            raise common.bad_request('Instance snapshots are not permitted '
                                     'at this time.')
        name = args.get('name') if isinstance(args, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise common.bad_request('createImage entity requires name '
                                     'attribute')
        try:
            image = self.compute_api.snapshot(common.context_of(req),
                                              instance['id'], name)
        except exception.InstanceInvalidState as exc:
            raise webob.exc.HTTPConflict(explanation=str(exc))
        response = webob.Response(status=202)
        response.headers['Location'] = '%s/images/%s' % (
            common.project_url(req), image['id'])
        return response
