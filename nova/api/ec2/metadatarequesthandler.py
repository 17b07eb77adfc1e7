"""The metadata service (``/latest/...``, ``/2009-04-04/...``, ``/1.0/...``).

The caller is identified by its source address: the socket's, or with
``--use_forwarded_for`` the last ``X-Forwarded-For`` hop that is not a
proxy of ``--metadata_trusted_proxies`` (see :mod:`nova.api.ec2.forwarded`;
a trusted proxy's empty or malformed header is refused with 400).  Only a
source that is the fixed IP of a live instance is answered -- with that
instance's data; anyone else (an API client, say) gets 404.
"""

import base64
import logging

import webob
import webob.dec
import webob.exc

from nova import context
from nova import db
from nova import exception
from nova import flags
from nova.api.ec2 import ec2utils
from nova.api.ec2 import forwarded
from nova.api.ec2.cloud import instance_view
from nova.api.ec2.cloud import machine_facts
from nova.compute import instance_types

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.api.ec2.metadata')


def _compute_api():
    from nova.compute import api as compute
    return compute.API()


def _swap_mb(instance):
    itype = machine_facts.field(instance, 'instance_type')
    if itype is None and machine_facts.field(instance, 'instance_type_id'):
        try:
            itype = instance_types.get_instance_type(
                instance['instance_type_id'])
        except exception.NotFound:
            itype = None
    return int(machine_facts.field(itype, 'swap', 0) or 0)


def block_device_mapping(view, instance):
    """The ``block-device-mapping/`` tree of an instance (see
    :func:`nova.api.ec2.cloud.machine_facts.metadata_mappings`)."""
    field = machine_facts.field
    return machine_facts.metadata_mappings(
        field(instance, 'root_device_name'), view.mappings(instance),
        local_gb=int(field(instance, 'local_gb', 0)),
        swap_mb=_swap_mb(instance),
        default_local_device=field(instance, 'default_local_device'),
        default_swap_device=field(instance, 'default_swap_device'))


def metadata_for(instance, address):
    """The metadata tree of an instance seen from ``address``."""
    ctxt = context.get_admin_context()
    view = instance_view.InstanceView(ctxt)
    item = view.format(instance)
    hostname = instance['hostname'] or ''
    floating = instance_view.floating_addresses(instance)
    data = {
        'ami-id': item['imageId'],
        'ami-launch-index': instance['launch_index'] or 0,
        'ami-manifest-path': 'FIXME',
        'block-device-mapping': block_device_mapping(view, instance),
        'hostname': hostname,
        'instance-action': 'none',
        'instance-id': item['instanceId'],
        'instance-type': item['instanceType'] or '',
        'local-hostname': hostname,
        'local-ipv4': address,
        'placement': {'availability-zone':
                      item['placement']['availabilityZone']},
        'public-hostname': hostname,
        'public-ipv4': floating[0] if floating else '',
        'reservation-id': instance['reservation_id'],
        'security-groups': [g['groupName'] for g in item['groupSet']],
    }
    if item.get('kernelId'):
        data['kernel-id'] = item['kernelId']
    if item.get('ramdiskId'):
        data['ramdisk-id'] = item['ramdiskId']
    if instance['key_name']:
        data['public-keys'] = {'0': {'_name': instance['key_name'],
                                     'openssh-key': instance['key_data']}}
    user_data = b''
    if instance['user_data']:
        try:
            user_data = ec2utils.decode_base64(instance['user_data'])
        except Exception:  # noqa: BLE001 - stored data is served as is
            user_data = base64.b64decode(instance['user_data'] + '==')
    return {'user-data': user_data, 'meta-data': data}


def render(data):
    """A node of the tree as the metadata service prints it."""
    if isinstance(data, dict):
        lines = []
        for key in data:
            if key == '_name':
                continue
            value = data[key]
            if isinstance(value, dict):
                lines.append('%s=%s' % (key, value['_name'])
                             if '_name' in value else key + '/')
            else:
                lines.append(key)
        return '\n'.join(lines)
    if isinstance(data, (list, tuple)):
        return '\n'.join(str(v) for v in data)
    if isinstance(data, bytes):
        return data
    return str(data)


class MetadataRequestHandler(object):
    """Serve the metadata of the calling instance."""

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.deploy app factory."""
        return cls()

    def _instance_for(self, address):
        """The live instance whose fixed IP is exactly ``address``."""
        ctxt = context.get_admin_context()
        try:
            fixed = db.fixed_ip_get_by_address(ctxt, address)
        except exception.NotFound:
            return None
        if not fixed['instance_id']:
            return None
        try:
            return _compute_api().get(ctxt, fixed['instance_id'])
        except exception.NotFound:
            return None

    @webob.dec.wsgify
    def __call__(self, req):
        try:
            address = forwarded.request_source(req)
        except forwarded.UntrustworthyForwarding as exc:
            LOG.warning('Metadata request refused: %s', exc)
            return webob.exc.HTTPBadRequest(explanation=str(exc))
        if not forwarded.is_address(address):
            return webob.exc.HTTPNotFound()
        try:
            instance = self._instance_for(address)
            if instance is None:
                LOG.warning('No instance found for metadata request from %s',
                            address)
                return webob.exc.HTTPNotFound()
            data = metadata_for(instance, address)
        except Exception:  # noqa: BLE001 - never a traceback to the client
            LOG.exception('Failed to build the metadata of %s', address)
            return webob.exc.HTTPInternalServerError(
                explanation='An unknown error has occurred. Please try your '
                'request again.')
        for part in [p for p in req.path_info.split('/') if p]:
            if isinstance(data, dict):
                if part not in data:
                    return webob.exc.HTTPNotFound()
                data = data[part]
            elif isinstance(data, (list, tuple)):
                break
            else:
                break
        body = render(data)
        resp = webob.Response(content_type='text/plain', charset=None)
        resp.body = body if isinstance(body, bytes) else body.encode('utf-8')
        return resp
