"""The administrators' server actions (only with ``--allow_admin_api``).

Diablo routed them as members of ``/servers/{id}``: ``POST`` ``pause``,
``unpause``, ``suspend``, ``resume``, ``rescue``, ``unrescue``,
``migrate``, ``reset_network``, ``inject_network_info`` and ``GET``
``diagnostics`` (all 202, diagnostics the hypervisor's counters) and
``actions`` (the ``instance_actions`` rows, administrators only), and took
``createBackup`` in the action body (``name``, ``backup_type``,
``rotation``: the host deletes the oldest backups of that type beyond the
rotation).  Today's
clients send the same actions as ``POST /servers/{id}/action`` bodies
(``{"pause": null}``, ``{"resetNetwork": null}``, ``{"lock": null}`` ...):
both forms reach the same methods here.  Without the flag the member routes
do not exist (404) and the body forms are unknown actions (400), as in
Diablo.

Diablo's flag made these actions available to every user of the API, not
only to cloud administrators; a locked server takes them only from an
administrator.
"""

import json

import webob
import webob.exc

from nova import exception
from nova import flags
from nova import quota
from nova.api.openstack import common
from nova.api.openstack import faults
from nova.api.openstack import wsgi

FLAGS = flags.FLAGS
flags.DEFINE_bool('allow_admin_api', False,
                  'When True, this API service will accept admin operations.')
flags.DEFINE_bool('allow_instance_snapshots', True,
                  'Permit instance snapshot operations.')

#: Diablo's member routes: (name, HTTP method).
MEMBER_ROUTES = (('pause', 'POST'), ('unpause', 'POST'),
                 ('suspend', 'POST'), ('resume', 'POST'),
                 ('rescue', 'POST'), ('unrescue', 'POST'),
                 ('migrate', 'POST'), ('reset_network', 'POST'),
                 ('inject_network_info', 'POST'),
                 ('diagnostics', 'GET'), ('actions', 'GET'))


class AdminActionsMixin(object):
    """Admin actions of the servers controller (needs ``compute_api``,
    ``get_instance`` and ``resize``)."""

    def admin_body_actions(self):
        """``{action key: handler(req, instance, args)}`` of the body
        forms."""
        simple = {'pause': 'pause', 'unpause': 'unpause',
                  'suspend': 'suspend', 'resume': 'resume',
                  'resetNetwork': 'reset_network',
                  'injectNetworkInfo': 'inject_network_info',
                  'lock': 'lock', 'unlock': 'unlock'}
        actions = dict(
            (key, lambda req, instance, _args, method=method:
                self._admin_call(req, instance, method))
            for key, method in simple.items())
        actions['migrate'] = lambda req, instance, _args: self.resize(
            req, instance, None)
        actions['createBackup'] = self._action_create_backup
        return actions

    def _action_create_backup(self, req, instance, args):
        """Diablo's ``createBackup``: ``name``, ``backup_type`` and
        ``rotation`` (older backups of the type beyond it are deleted);
        202 with the new image's ``Location``."""
        if not isinstance(args, dict):
            raise common.bad_request('Malformed createBackup entity')
        for key in ('name', 'backup_type', 'rotation'):
            if key not in args:
                raise common.bad_request('createBackup entity requires %s '
                                         'attribute' % key)
        name, backup_type = args['name'], args['backup_type']
        if not isinstance(name, str) or not name.strip() or \
                not isinstance(backup_type, str) or not backup_type.strip():
            raise common.bad_request('Malformed createBackup entity')
        try:
            rotation = int(args['rotation'])
        except (TypeError, ValueError):
            raise common.bad_request("createBackup attribute 'rotation' "
                                     "must be an integer")
        if rotation < 1:
            raise common.bad_request("createBackup attribute 'rotation' "
                                     "must be a positive integer")
        metadata = args.get('metadata') or {}
        if not isinstance(metadata, dict) or not all(
                isinstance(v, (str, int, float)) for v in metadata.values()):
            raise common.bad_request('Invalid metadata')
        ctxt = common.context_of(req)
        if quota.allowed_metadata_items(ctxt, len(metadata)) < \
                len(metadata):
            raise faults.too_large('Image metadata limit exceeded',
                                   retry_after=0)
        props = dict((str(k), str(v)) for k, v in metadata.items())
        props['instance_ref'] = '%s/servers/%s' % (common.project_url(req),
                                                   instance['id'])
        try:
            image = self.compute_api.backup(ctxt, instance['id'], name,
                                            backup_type, rotation,
                                            extra_properties=props)
        except exception.InstanceInvalidState as exc:
            raise webob.exc.HTTPConflict(explanation=str(exc))
        response = webob.Response(status=202)
        response.headers['Location'] = '%s/images/%s' % (
            common.project_url(req), image['id'])
        return response

    def _admin_call(self, req, instance, method):
        ctxt = common.context_of(req)
        if method in ('lock', 'unlock') and not ctxt.is_admin:
            raise webob.exc.HTTPForbidden(
                explanation='Only administrators may %s servers.' % method)
        try:
            getattr(self.compute_api, method)(ctxt, instance['id'])
        except (exception.InstanceInvalidState,
                exception.InstanceIsLocked) as exc:
            raise webob.exc.HTTPConflict(explanation=str(exc))
        except exception.ActionNotSupported as exc:
            raise webob.exc.HTTPNotImplemented(explanation=str(exc))
        return webob.Response(status=202)

    # -- Diablo's member routes ---------------------------------------------
    def _member(self, req, id, method):
        if not FLAGS.allow_admin_api:
            raise common.not_found()
        return self._admin_call(req, self.get_instance(req, id), method)

    def pause(self, req, id, **_args):
        """``POST /servers/{id}/pause``: 202."""
        return self._member(req, id, 'pause')

    def unpause(self, req, id, **_args):
        """``POST /servers/{id}/unpause``: 202."""
        return self._member(req, id, 'unpause')

    def suspend(self, req, id, **_args):
        """``POST /servers/{id}/suspend``: 202."""
        return self._member(req, id, 'suspend')

    def resume(self, req, id, **_args):
        """``POST /servers/{id}/resume``: 202."""
        return self._member(req, id, 'resume')

    def rescue(self, req, id, **_args):
        """``POST /servers/{id}/rescue``: 202."""
        return self._member(req, id, 'rescue')

    def unrescue(self, req, id, **_args):
        """``POST /servers/{id}/unrescue``: 202."""
        return self._member(req, id, 'unrescue')

    def reset_network(self, req, id, **_args):
        """``POST /servers/{id}/reset_network``: 202."""
        return self._member(req, id, 'reset_network')

    def inject_network_info(self, req, id, **_args):
        """``POST /servers/{id}/inject_network_info``: 202."""
        return self._member(req, id, 'inject_network_info')

    def migrate(self, req, id, **_args):
        """``POST /servers/{id}/migrate``: a resize to the same flavor on
        another host (202)."""
        if not FLAGS.allow_admin_api:
            raise common.not_found()
        instance = self.get_instance(req, id)
        try:
            return self.resize(req, instance, None)
        except exception.InstanceIsLocked as exc:
            raise webob.exc.HTTPConflict(explanation=str(exc))
        except exception.ActionNotSupported as exc:
            raise webob.exc.HTTPNotImplemented(explanation=str(exc))

    def actions(self, req, id, **_args):
        """``GET /servers/{id}/actions``: ``{"actions": [{"created_at",
        "action", "error"}]}`` from ``instance_actions`` (administrators
        only: 403 otherwise, where Diablo's database refused them)."""
        if not FLAGS.allow_admin_api:
            raise common.not_found()
        instance = self.get_instance(req, id)
        ctxt = common.context_of(req)
        if not ctxt.is_admin:
            raise webob.exc.HTTPForbidden(
                explanation='Only administrators may list server actions.')
        rows = self.compute_api.get_actions(ctxt, instance['id'])
        return {'actions': [{'created_at': str(row['created_at']),
                             'action': row['action'],
                             'error': row['error']} for row in rows]}

    def diagnostics(self, req, id, **_args):
        """``GET /servers/{id}/diagnostics``: the hypervisor's counters
        (in XML under a ``diagnostics`` root)."""
        if not FLAGS.allow_admin_api:
            raise common.not_found()
        instance = self.get_instance(req, id)
        try:
            data = self.compute_api.get_diagnostics(common.context_of(req),
                                                    instance['id'])
        except exception.InstanceInvalidState as exc:
            raise webob.exc.HTTPConflict(explanation=str(exc))
        except exception.ActionNotSupported as exc:
            raise webob.exc.HTTPNotImplemented(explanation=str(exc))
        content_type = req.best_match_content_type()
        response = webob.Response(status=200, content_type=content_type,
                                  charset='utf-8')
        if content_type == wsgi.XML:
            response.body = wsgi.serialize({'diagnostics': data}, wsgi.XML,
                                           faults.namespace(req))
        else:
            response.body = json.dumps(data).encode('utf-8')
        return response
