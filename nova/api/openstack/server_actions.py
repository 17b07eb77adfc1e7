"""``POST /servers/{id}/action``: the first key of the body is the action.

Core actions (Diablo's): ``reboot`` (SOFT or HARD; both reboot),
``rebuild``, ``resize``, ``confirmResize`` (204), ``revertResize``,
``changePassword`` and ``createImage`` (v1.1; 501 in v1.0, as Diablo).
With ``--allow_admin_api`` the administrators' actions are accepted too:
``createBackup`` (Diablo) and, in the body form today's clients send,
``pause``, ``unpause``, ``suspend``, ``resume``, ``migrate``,
``resetNetwork``, ``injectNetworkInfo``, ``lock`` and ``unlock`` (Diablo
routed most of them as ``POST /servers/{id}/<name>``: see
:mod:`nova.api.openstack.admin_actions`, which both forms share).

Any other key is a 400 "There is no such server action".  Every accepted
action was checked first (state, lock, what the host's hypervisor can do):
a 409 names a state that forbids it, a 501 a hypervisor that cannot.
"""

import webob
import webob.exc

from nova import exception
from nova import flags
from nova import quota
from nova import utils
from nova.api.openstack import admin_actions
from nova.api.openstack import common
from nova.api.openstack import faults
from nova.api.openstack import personality
from nova.api.openstack import wsgi
from nova.api.openstack.views import servers as views

FLAGS = flags.FLAGS

#: actions v1.0 does not have (Diablo answered 501).
_NOT_IN_V10 = ('changePassword', 'createImage')


def _dict_arg(args, message):
    if not isinstance(args, dict):
        raise common.bad_request(message)
    return args


def conflict(exc):
    """A 409 with the text of a state error."""
    return webob.exc.HTTPConflict(explanation=str(exc))


def not_supported(exc):
    """A 501 ``notImplemented`` naming what the hypervisor cannot do."""
    return webob.exc.HTTPNotImplemented(explanation=str(exc))


class ActionsMixin(admin_actions.AdminActionsMixin):
    """The ``action`` member of the servers controller."""

    def _core_actions(self):
        return {'reboot': self._action_reboot,
                'createImage': self._action_create_image,
                'rebuild': self._action_rebuild,
                'resize': self._action_resize,
                'confirmResize': self._action_confirm_resize,
                'revertResize': self._action_revert_resize,
                'changePassword': self._action_change_password}

    def action(self, req, id, body=None, **_args):
        """Dispatch on the body's first key."""
        if not isinstance(body, dict) or not body:
            raise common.bad_request('Invalid request body')
        name = next(iter(body))
        handler = self._core_actions().get(name)
        if handler is None and FLAGS.allow_admin_api:
            handler = self.admin_body_actions().get(name)
        if handler is None:
            raise common.bad_request('There is no such server action: %s'
                                     % name)
        if self.version == '1.0' and name in _NOT_IN_V10:
            raise webob.exc.HTTPNotImplemented(
                explanation='The %s action is not in API v1.0.' % name)
        instance = self.get_instance(req, id)
        try:
            return handler(req, instance, body[name])
        except exception.InstanceIsLocked as exc:
            raise conflict(exc)
        except exception.ActionNotSupported as exc:
            raise not_supported(exc)
        except quota.QuotaError as exc:
            raise faults.too_large(str(exc), retry_after=0)

    def _check_unlocked(self, req, instance, method):
        self.compute_api.check_unlocked(common.context_of(req), instance,
                                        method)

    # -- reboot, createImage ------------------------------------------------
    def _action_reboot(self, req, instance, args):
        kind = args.get('type') if isinstance(args, dict) else None
        if not isinstance(kind, str) or kind.upper() not in ('SOFT', 'HARD'):
            raise common.bad_request('Missing or invalid argument "type" '
                                     'for reboot')
        self._check_unlocked(req, instance, 'reboot')
        try:
            self.compute_api.reboot(common.context_of(req), instance['id'])
        except exception.InstanceInvalidState as exc:
            raise conflict(exc)
        return webob.Response(status=202)

    def _action_create_image(self, req, instance, args):
        if not FLAGS.allow_instance_snapshots:
            raise common.bad_request('Instance snapshots are not permitted '
                                     'at this time.')
        name = args.get('name') if isinstance(args, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise common.bad_request('createImage entity requires name '
                                     'attribute')
        self._check_unlocked(req, instance, 'snapshot')
        try:
            image = self.compute_api.snapshot(common.context_of(req),
                                              instance['id'], name)
        except exception.InstanceInvalidState as exc:
            raise conflict(exc)
        response = webob.Response(status=202)
        response.headers['Location'] = '%s/images/%s' % (
            common.project_url(req), image['id'])
        return response

    # -- rebuild ----------------------------------------------------------------
    def _rebuild_args(self, args):
        args = _dict_arg(args, 'Could not parse imageRef from request.')
        key = 'imageId' if self.version == '1.0' else 'imageRef'
        if args.get(key) in (None, ''):
            raise common.bad_request('Could not parse %s from request.'
                                     % key)
        image = str(common.id_from_ref(args[key]))
        if self.version == '1.0':
            return image, None, None, [], utils.generate_password(16)
        metadata = args.get('metadata')
        if metadata is not None and (not isinstance(metadata, dict) or any(
                not isinstance(v, (str, int, float))
                for v in metadata.values())):
            raise common.bad_request('Unable to parse metadata key/value '
                                     'pairs.')
        if metadata is not None:
            metadata = dict((str(k), str(v)) for k, v in metadata.items())
        name = args.get('name')
        if name is not None and (not isinstance(name, str) or
                                 not name.strip() or len(name) > 255):
            raise common.bad_request('Server name is not valid')
        password = args.get('adminPass')
        if password is None:
            password = utils.generate_password(16)
        elif not isinstance(password, str) or not password:
            raise common.bad_request('Invalid adminPass')
        return (image, name, metadata,
                personality.decode(args.get('personality')), password)

    def _action_rebuild(self, req, instance, args):
        image, name, metadata, files, password = self._rebuild_args(args)
        ctxt = common.context_of(req)
        try:
            self.compute_api.rebuild(ctxt, instance['id'], image, password,
                                     name=name, metadata=metadata,
                                     files_to_inject=files)
        except exception.InstanceInvalidState:
            raise webob.exc.HTTPConflict(
                explanation='Instance %s must be active to rebuild.'
                % instance['id'])
        except exception.ImageNotFound:
            raise common.bad_request('Cannot find requested image %s'
                                     % image)
        if self.version == '1.0':
            return webob.Response(status=202)
        data = views.detail(req, self.version,
                            self.compute_api.get(ctxt, instance['id']))
        data['adminPass'] = password
        return wsgi.respond(req, {'server': data}, status=202)

    # -- resize -----------------------------------------------------------------
    def _action_resize(self, req, instance, args):
        key = 'flavorId' if self.version == '1.0' else 'flavorRef'
        if not isinstance(args, dict) or key not in args:
            raise common.bad_request("Resize requests require '%s' "
                                     "attribute." % key)
        if args[key] in (None, ''):
            raise common.bad_request("Resize request has invalid '%s' "
                                     "attribute." % key)
        flavor_id = common.id_from_ref(args[key])
        return self.resize(req, instance, flavor_id)

    def resize(self, req, instance, flavor_id):
        """Resize (or, with no flavor, migrate) ``instance``: 202."""
        try:
            self.compute_api.resize(common.context_of(req), instance['id'],
                                    flavor_id)
        except exception.FlavorNotFound:
            raise common.bad_request('Unable to locate requested flavor.')
        except exception.CannotResizeToSameSize:
            raise common.bad_request('Resize requires a change in size.')
        except exception.CannotResizeToSmallerSize:
            raise common.bad_request('Resizing to a smaller size is not '
                                     'supported.')
        except exception.NoValidHost as exc:
            raise common.bad_request(str(exc))
        except exception.InstanceInvalidState as exc:
            raise conflict(exc)
        return webob.Response(status=202)

    def _answer_resize(self, req, instance, method):
        try:
            method(common.context_of(req), instance['id'])
        except (exception.InstanceInvalidState,
                exception.MigrationNotFound):
            raise common.bad_request('The server has no resize waiting '
                                     'for an answer.')

    def _action_confirm_resize(self, req, instance, _args):
        self._answer_resize(req, instance, self.compute_api.confirm_resize)
        return webob.Response(status=204)

    def _action_revert_resize(self, req, instance, _args):
        self._answer_resize(req, instance, self.compute_api.revert_resize)
        return webob.Response(status=202)

    # -- changePassword -------------------------------------------------------
    def _action_change_password(self, req, instance, args):
        if not isinstance(args, dict) or 'adminPass' not in args:
            raise common.bad_request('No adminPass was specified')
        password = args['adminPass']
        if not isinstance(password, str) or password == '':
            raise common.bad_request('Invalid adminPass')
        try:
            self.compute_api.set_admin_password(common.context_of(req),
                                                instance['id'], password)
        except exception.InstanceInvalidState as exc:
            raise conflict(exc)
        return webob.Response(status=202)

