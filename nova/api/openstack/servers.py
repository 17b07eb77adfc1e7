"""``/servers``: list, detail, show, create, update, delete and actions.

Servers are confined to the project of the request (the v1.1 URL's
tenant): another project's server is a 404, whatever the context's admin
flag.  Controllers reach compute through ``nova.compute.api`` only.
"""

import random

import webob
import webob.exc

from nova import exception
from nova import flags
from nova import quota
from nova import utils
from nova.api.openstack import common
from nova.api.openstack import faults
from nova.api.openstack import personality
from nova.api.openstack import server_actions
from nova.api.openstack import wsgi
from nova.api.openstack.views import servers as views
from nova.compute import instance_types

FLAGS = flags.FLAGS

#: Quota errors of a create answered 413 (the others keep their 400).
_TOO_LARGE_QUOTAS = ('OnsetFileLimitExceeded', 'OnsetFilePathLimitExceeded',
                     'OnsetFileContentLimitExceeded', 'InstanceLimitExceeded')
PASSWORD_CHARS = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
#: query options a user may filter a listing by (v1.1).
_FILTERS_V11 = ('reservation_id', 'name', 'status', 'image', 'flavor',
                'changes-since')
_FILTERS_V10 = ('reservation_id', 'name', 'fixed_ip')


def generate_password(length=16):
    """Diablo's random admin password."""
    rng = random.SystemRandom()
    return ''.join(rng.choice(PASSWORD_CHARS) for _ in range(length))


class Controller(server_actions.ActionsMixin):
    """The servers of the request's project."""

    def __init__(self, version, compute_api=None):
        self.version = version
        self._compute_api = compute_api

    @property
    def compute_api(self):
        """``nova.compute.api.API``."""
        if self._compute_api is None:
            from nova.compute import api as compute
            self._compute_api = compute.API()
        return self._compute_api

    # -- reads -------------------------------------------------------------
    def get_instance(self, req, server_id):
        """The live instance ``server_id`` of the request's project."""
        ctxt = common.context_of(req)
        if wsgi.id_out_of_range({'server_id': str(server_id)}):
            raise common.not_found('Server %s could not be found.'
                                   % server_id)
        try:
            instance = self.compute_api.get(ctxt, server_id)
        except exception.NotFound:
            raise common.not_found('Server %s could not be found.'
                                   % server_id)
        if instance['project_id'] != ctxt.project_id:
            raise common.not_found('Server %s could not be found.'
                                   % server_id)
        return instance

    def _search_options(self, req):
        allowed = _FILTERS_V10 if self.version == '1.0' else _FILTERS_V11
        opts = {'project_id': common.context_of(req).project_id}
        name = None
        for key in allowed:
            value = req.GET.get(key)
            if value is None:
                continue
            if key == 'name':
                name = value
            elif key == 'status':
                states = views.states_from_status(value)
                if states is None:
                    raise common.bad_request('Invalid server status: %s'
                                             % value)
                opts.update(states)
            elif key == 'image':
                opts['image_ref'] = common.id_from_ref(value)
            elif key == 'flavor':
                opts['instance_type_id'] = self._flavor(
                    value, 'Invalid flavor: %s' % value)['id']
            elif key == 'changes-since':
                try:
                    opts['changes-since'] = utils.parse_isotime(value)
                except ValueError:
                    raise common.bad_request('Invalid changes-since value')
                opts['deleted'] = True
            else:
                opts[key] = value
        return opts, name

    def _items(self, req):
        opts, name = self._search_options(req)
        ctxt = common.context_of(req)
        if 'fixed_ip' in opts:
            instances = self.compute_api.get_all(ctxt, search_opts=opts)
        else:
            # Column-only queries as EC2's DescribeInstances (plain dicts):
            # a full object per instance costs a millisecond each.
            instances = self.compute_api.get_listing(ctxt, search_opts=opts)
            flavors = dict((t['id'], {'flavorid': t['flavorid']}) for t in
                           instance_types.get_all_types(True).values())
            for instance in instances:
                instance['instance_type'] = flavors.get(
                    instance['instance_type_id'])
        if name is not None:
            instances = [i for i in instances
                         if name in views.server_name(i)]
        instances = sorted(instances, key=lambda i: i['id'])
        return common.page(req, self.version, instances)

    def index(self, req, **_args):
        """``{"servers": [basic…]}``."""
        return {'servers': [views.basic(req, self.version, i)
                            for i in self._items(req)]}

    def detail(self, req, **_args):
        """``{"servers": [detail…]}``."""
        return {'servers': [views.detail(req, self.version, i)
                            for i in self._items(req)]}

    def show(self, req, id, **_args):
        """``{"server": detail}``; 404 when not the project's."""
        instance = self.get_instance(req, id)
        return {'server': views.detail(req, self.version, instance)}

    # -- create ------------------------------------------------------------
    @staticmethod
    def _flavor(ref, message='Invalid flavorRef provided.'):
        try:
            return instance_types.get_instance_type_by_flavor_id(
                common.id_from_ref(ref))
        except exception.NotFound:
            raise common.bad_request(message)

    def _create_args(self, req, server):
        v10 = self.version == '1.0'
        name = server.get('name')
        if not isinstance(name, str) or not name.strip():
            raise common.bad_request('Server name is not defined')
        if len(name) > 255:
            raise common.bad_request('Server name is too long')
        image_key, flavor_key = ('imageId', 'flavorId') if v10 else \
            ('imageRef', 'flavorRef')
        for key in (image_key, flavor_key):
            if server.get(key) in (None, ''):
                raise common.bad_request('Missing %s attribute' % key)
        flavor = self._flavor(server[flavor_key])
        metadata = server.get('metadata') or {}
        if not isinstance(metadata, dict) or not all(
                isinstance(v, (str, int, float)) for v in metadata.values()):
            raise common.bad_request('Invalid metadata')
        injected_files = personality.decode(server.get('personality'))
        groups = server.get('security_groups') or [{'name': 'default'}]
        if not isinstance(groups, list) or not all(
                isinstance(g, dict) and isinstance(g.get('name'), str)
                for g in groups):
            raise common.bad_request('Invalid security_groups')
        try:
            min_count = int(server.get('min_count', 1))
            max_count = int(server.get('max_count', min_count))
        except (TypeError, ValueError):
            raise common.bad_request('min_count and max_count must be '
                                     'integers')
        min_count = min(min_count, max_count)
        values = {}
        for key, column in (('accessIPv4', 'access_ip_v4'),
                            ('accessIPv6', 'access_ip_v6')):
            if server.get(key):
                values[column] = str(server[key])
        key_name = server.get('key_name')
        if key_name is not None and not isinstance(key_name, str):
            raise common.bad_request('Invalid key_name provided.')
        return dict(
            instance_type=flavor,
            image_href=str(common.id_from_ref(server[image_key])),
            display_name=name, display_description=name,
            metadata=dict((str(k), str(v)) for k, v in metadata.items()),
            key_name=key_name or None,
            security_group=[g['name'] for g in groups],
            min_count=min_count, max_count=max_count,
            user_data=server.get('user_data'),
            availability_zone=server.get('availability_zone'),
            instance_values=values or None,
            injected_files=injected_files)

    def create(self, req, body=None, **_args):
        """Launch servers; 202 with the first one's detail and adminPass."""
        server = (body or {}).get('server') if isinstance(body, dict) \
            else None
        if not isinstance(server, dict):
            raise webob.exc.HTTPUnprocessableEntity(
                explanation='Unable to process the contained instructions')
        args = self._create_args(req, server)
        ctxt = common.context_of(req)
        try:
            instances = self.compute_api.create(ctxt, **args)
        except exception.KeypairNotFound:
            raise common.bad_request('Invalid key_name provided.')
        except exception.SecurityGroupNotFound as exc:
            raise common.bad_request(str(exc))
        except exception.ImageNotFound:
            raise common.bad_request('Cannot find requested image %s'
                                     % args['image_href'])
        except quota.QuotaError as exc:
            # Diablo's _handle_quota_error: these quotas are a 413.
            if exc.ec2_code in _TOO_LARGE_QUOTAS:
                raise faults.too_large(str(exc), retry_after=0)
            raise
        instance = self.compute_api.get(ctxt, instances[0]['id'])
        data = views.detail(req, self.version, instance)
        password = server.get('adminPass') if self.version != '1.0' \
            else None
        data['adminPass'] = password or generate_password()
        return wsgi.respond(req, {'server': data}, status=202)

    # -- update, delete ----------------------------------------------------
    def update(self, req, id, body=None, **_args):
        """Rename / set access IPs: v1.1 200 with detail, v1.0 204."""
        server = body.get('server') if isinstance(body, dict) else None
        if not isinstance(server, dict) or not server:
            raise webob.exc.HTTPUnprocessableEntity(
                explanation='Unable to process the contained instructions')
        instance = self.get_instance(req, id)
        values = {}
        if 'name' in server:
            name = server['name']
            if not isinstance(name, str) or not name.strip() or \
                    len(name) > 255:
                raise common.bad_request('Server name is not valid')
            values['display_name'] = name
        for key, column in (('accessIPv4', 'access_ip_v4'),
                            ('accessIPv6', 'access_ip_v6')):
            if key in server:
                values[column] = str(server[key] or '')
        ctxt = common.context_of(req)
        if values:
            self.compute_api.update(ctxt, instance['id'], **values)
        if self.version == '1.0':
            return webob.Response(status=204)
        instance = self.compute_api.get(ctxt, instance['id'])
        return {'server': views.detail(req, self.version, instance)}

    def delete(self, req, id, **_args):
        """Terminate: v1.1 204, v1.0 202."""
        instance = self.get_instance(req, id)
        ctxt = common.context_of(req)
        try:
            self.compute_api.check_unlocked(ctxt, instance, 'delete')
        except exception.InstanceIsLocked as exc:
            raise webob.exc.HTTPConflict(explanation=str(exc))
        self.compute_api.delete(ctxt, instance['id'])
        return webob.Response(status=202 if self.version == '1.0' else 204)


class MetadataController(object):
    """``/servers/{server_id}/metadata`` (v1.1): the server's key/values."""

    def __init__(self, compute_api=None):
        self.servers = Controller('1.1', compute_api)

    def _metadata(self, req, server_id):
        instance = self.servers.get_instance(req, server_id)
        return instance, views.metadata_of(instance)

    def _save(self, req, instance, metadata):
        self.servers.compute_api.update(common.context_of(req),
                                        instance['id'], metadata=metadata)

    @staticmethod
    def _body(body, key):
        value = body.get(key) if isinstance(body, dict) else None
        if not isinstance(value, dict):
            raise common.bad_request('Malformed request body')
        if not all(isinstance(v, (str, int, float)) for v in value.values()):
            raise common.bad_request('Malformed request body')
        return dict((str(k), str(v)) for k, v in value.items())

    def index(self, req, server_id, **_args):
        """``{"metadata": {...}}``."""
        return {'metadata': self._metadata(req, server_id)[1]}

    def create(self, req, server_id, body=None, **_args):
        """Merge items in; the whole metadata back."""
        items = self._body(body, 'metadata')
        instance, metadata = self._metadata(req, server_id)
        metadata.update(items)
        self._save(req, instance, metadata)
        return {'metadata': metadata}

    def update_all(self, req, server_id, body=None, **_args):
        """Replace every item."""
        items = self._body(body, 'metadata')
        instance, _old = self._metadata(req, server_id)
        self._save(req, instance, items)
        return {'metadata': items}

    def show(self, req, server_id, id, **_args):
        """``{"meta": {key: value}}``; 404 for a missing key."""
        metadata = self._metadata(req, server_id)[1]
        if id not in metadata:
            raise common.not_found('Metadata item was not found')
        return {'meta': {id: metadata[id]}}

    def update(self, req, server_id, id, body=None, **_args):
        """Set one item; the body must name exactly the URI's key."""
        items = self._body(body, 'meta')
        if id not in items:
            raise common.bad_request('Request body and URI mismatch')
        if len(items) > 1:
            raise common.bad_request('Request body contains too many items')
        instance, metadata = self._metadata(req, server_id)
        metadata.update(items)
        self._save(req, instance, metadata)
        return {'meta': items}

    def delete(self, req, server_id, id, **_args):
        """Remove one item: 204."""
        instance, metadata = self._metadata(req, server_id)
        if id not in metadata:
            raise common.not_found('Metadata item was not found')
        del metadata[id]
        self._save(req, instance, metadata)
        return webob.Response(status=204)
