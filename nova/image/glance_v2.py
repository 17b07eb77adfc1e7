"""Glance's v2 image API, mapped to the image dicts Nova uses.

Used by :class:`nova.image.glance.GlanceImageService` when the server's
versions document (``GET /``) offers v2 and ``--glance_api_version``
allows it.  The v2 API as used here:

=================================  ============================================
GET    /v2/images                  ``{"images": [...], "next": "/v2/images?
                                   marker=<id>&..."}``; query ``limit``,
                                   ``marker``, ``name``, ``status``,
                                   ``container_format``, ``disk_format``,
                                   ``visibility`` (``all``: every image the
                                   token may see)
GET    /v2/images/<uuid>           the image as JSON
POST   /v2/images                  JSON image (``id`` optional) -> 201
PATCH  /v2/images/<uuid>           ``application/openstack-images-v2.1-json-
                                   patch``: ``[{"op": "add"|"replace"|
                                   "remove", "path": "/<name>", "value": v}]``
PUT    /v2/images/<uuid>/file      ``application/octet-stream`` -> 204; 409
                                   once the image has data
GET    /v2/images/<uuid>/file      the bytes
DELETE /v2/images/<uuid>           204; 404 for an unknown image everywhere
=================================  ============================================

Differences from v1 this module hides:

* ``visibility`` (public/private/shared/community) for ``is_public``;
* properties are top-level fields whose values must be strings (lists and
  dicts such as ``mappings`` travel as JSON text, ids as decimal text);
* ``status`` is read-only: an image is ``queued`` until its data is
  uploaded, then ``active``;
* ids are UUIDs.  Nova's image ids are integers (the EC2 API shows them as
  ``ami-%08x``), so images Nova creates get the UUID
  ``6e6f7661-0000-4000-8000-0000XXXXXXXX`` of a fresh integer id
  (``6e6f7661`` is "nova"), and any other UUID is known by the integer of
  its last 8 hex digits (found again by listing; in the unlikely case two
  foreign images share those digits, the first listed wins).
"""

import datetime
import json
import logging
import random
import urllib.parse
import uuid

from nova import exception
from nova import utils
from nova.image import service

LOG = logging.getLogger('nova.image.glance')
PATCH_TYPE = 'application/openstack-images-v2.1-json-patch'
NOVA_UUID = '6e6f7661-0000-4000-8000-0000%08x'
READ_SIZE = 1 << 16
PAGE = 100
MAX_ID = 0x7fffffff
#: v2 fields that are the image's own, not properties
_FIELDS = frozenset((
    'id', 'name', 'status', 'visibility', 'protected', 'checksum', 'owner',
    'size', 'virtual_size', 'min_ram', 'min_disk', 'container_format',
    'disk_format', 'created_at', 'updated_at', 'tags', 'self', 'file',
    'schema', 'direct_url', 'locations', 'os_hidden', 'os_hash_algo',
    'os_hash_value', 'stores'))
#: fields a client may set (the others are read-only)
_WRITABLE = ('name', 'visibility', 'protected', 'min_ram', 'min_disk',
             'container_format', 'disk_format')
_INT_PROPS = ('kernel_id', 'ramdisk_id')


def uuid_of(image_id):
    """The v2 UUID Nova gives the integer image id ``image_id``."""
    return NOVA_UUID % int(image_id)


def int_of(image_uuid):
    """The integer image id Nova shows for a v2 UUID."""
    return int(uuid.UUID(str(image_uuid)).hex[-8:], 16)


def _parse_time(value):
    if not value or isinstance(value, datetime.datetime):
        return value
    text = value.rstrip('Z')
    if '+' in text[10:]:
        text = text[:10] + text[10:].split('+')[0]
    for fmt in ('%Y-%m-%dT%H:%M:%S.%f', '%Y-%m-%dT%H:%M:%S'):
        try:
            return datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def from_v2(doc):
    """A v2 image document as Nova's image dict."""
    image = {'id': int_of(doc['id']), 'uuid': doc['id'],
             'name': doc.get('name'),
             'is_public': doc.get('visibility') == 'public',
             'status': doc.get('status'),
             'container_format': doc.get('container_format'),
             'disk_format': doc.get('disk_format'),
             'size': doc.get('size') or 0,
             'checksum': doc.get('checksum'), 'location': None,
             'min_disk': doc.get('min_disk') or 0,
             'min_ram': doc.get('min_ram') or 0,
             'owner': doc.get('owner'),
             'created_at': _parse_time(doc.get('created_at')),
             'updated_at': _parse_time(doc.get('updated_at')),
             'deleted_at': None,
             'deleted': doc.get('status') in ('deleted', 'killed',
                                              'pending_delete')}
    props = {}
    for key, value in doc.items():
        if key in _FIELDS:
            continue
        if key in _INT_PROPS and value not in (None, ''):
            value = service.coerce_id(value) if service.coerce_id(
                value) is not None else value
        elif key == 'mappings' and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        props[key] = value
    image['properties'] = props
    return image


def _prop_text(value):
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def to_v2(metadata):
    """``(fields, properties)`` of Nova image metadata for v2: writable
    fields by their v2 names, properties as strings."""
    metadata = dict(metadata or {})
    props = {k: _prop_text(v)
             for k, v in (metadata.pop('properties', None) or {}).items()
             if v is not None}
    fields = {}
    for key, value in metadata.items():
        if key == 'is_public':
            if value is not None:
                fields['visibility'] = 'public' if \
                    utils.bool_from_str(value) else 'private'
        elif key in _WRITABLE:
            if value is not None:
                fields[key] = value
        elif key not in service.BASE_KEYS and value is not None:
            props[key] = _prop_text(value)
    return fields, props


class GlanceV2(object):
    """The v2 operations of the image service; ``client_for(context)``
    gives a :class:`nova.image.glance.GlanceClient`."""

    def __init__(self, client_for):
        self.client_for = client_for

    def _json(self, context, method, path, doc=None, content_type=None):
        headers = {}
        body = None
        if doc is not None:
            headers['Content-Type'] = content_type or 'application/json'
            body = json.dumps(doc).encode('utf-8')
        _status, _headers, data = self.client_for(context).request(
            method, path, headers, body)
        return json.loads(data) if data else None

    def _pages(self, context, query):
        """Every image document the server lists for ``query``."""
        params = dict(query, limit=PAGE)
        path = '/v2/images?' + urllib.parse.urlencode(params)
        while path:
            doc = self._json(context, 'GET', path)
            for item in doc.get('images') or []:
                yield item
            following = doc.get('next')
            path = following if following and doc.get('images') else None

    def _uuid(self, context, image_id):
        """The UUID of an integer id (or a UUID given as is)."""
        if isinstance(image_id, str) and '-' in image_id:
            return image_id
        number = service.coerce_id(image_id)
        if number is None:
            raise exception.ImageNotFound(image_id=image_id)
        candidate = uuid_of(number)
        try:
            self._json(context, 'GET', '/v2/images/%s' % candidate)
            return candidate
        except exception.ImageNotFound:
            pass
        for doc in self._pages(context, {'visibility': 'all'}):
            if int_of(doc['id']) == number:
                return doc['id']
        raise exception.ImageNotFound(image_id=image_id)

    def _doc(self, context, image_id):
        return self._json(context, 'GET', '/v2/images/%s'
                          % self._uuid(context, image_id))

    # -- reading -------------------------------------------------------------
    def detail(self, context, filters, marker, limit):
        """Visible images matching ``filters``, by integer id."""
        query = {'visibility': 'all'}
        for key in ('name', 'status', 'container_format', 'disk_format'):
            if key in (filters or {}):
                query[key] = filters[key]
        images = [from_v2(d) for d in self._pages(context, query)]
        images = [i for i in images if service.visible(context, i)
                  and service.matches(i, filters)]
        return service.page(images, marker, limit)

    def show(self, context, image_id):
        """One image (a UUID's or an integer id's)."""
        return from_v2(self._doc(context, image_id))

    def get(self, context, image_id, data):
        """Stream the bytes into ``data``; returns the image."""
        image = self.show(context, image_id)
        response, conn = self.client_for(context).request(
            'GET', '/v2/images/%s/file' % image['uuid'], stream=True)
        try:
            for chunk in iter(lambda: response.read(READ_SIZE), b''):
                data.write(chunk)
        finally:
            conn.close()
        return image

    # -- writing -------------------------------------------------------------
    def create(self, context, metadata, data=None):
        """POST the image under a fresh Nova UUID, then PUT its data."""
        fields, props = to_v2(metadata)
        fields.setdefault('visibility', 'private')
        owner = props.get('owner_id') or props.get('project_id')
        if owner and (context is None or getattr(context, 'is_admin',
                                                 False)):
            # Glance makes the caller's project the owner; an admin (or
            # Nova itself) registering for a project names it.
            fields['owner'] = owner
        fields.update(props)
        for _attempt in range(5):
            fields['id'] = uuid_of(random.randint(1, MAX_ID))
            try:
                doc = self._json(context, 'POST', '/v2/images', fields)
                break
            except exception.NovaException as exc:
                if getattr(exc, 'status', None) != 409:
                    raise  # 409: that id is taken, draw another
        else:
            raise exception.NovaException('Glance refused 5 fresh image ids')
        if data is not None:
            try:
                self._upload(context, doc['id'], data)
            except Exception:
                # Nothing half-made: the image Glance holds without its
                # data goes (the upload's error is the one raised).
                self._forget(context, doc['id'])
                raise
            doc = self._json(context, 'GET', '/v2/images/%s' % doc['id'])
        return from_v2(doc)

    def _forget(self, context, image_uuid):
        try:
            self.client_for(context).request(
                'DELETE', '/v2/images/%s' % image_uuid)
        except exception.NovaException as exc:
            LOG.warning('could not delete image %s after its upload '
                        'failed: %s', image_uuid, exc)

    def update(self, context, image_id, metadata, data=None,
               purge_props=False):
        """PATCH changed fields and properties (others kept, or removed
        with ``purge_props``), PUT data."""
        doc = self._doc(context, image_id)
        fields, props = to_v2(metadata)
        ops = []
        if purge_props:
            old = from_v2(doc).get('properties') or {}
            ops.extend({'op': 'remove', 'path': '/' + key}
                       for key in sorted(old) if key not in props
                       and key in doc)
        for key, value in fields.items():
            if doc.get(key) != value:
                ops.append({'op': 'replace', 'path': '/' + key,
                            'value': value})
        for key, value in props.items():
            if doc.get(key) != value:
                ops.append({'op': 'add', 'path': '/' + key, 'value': value})
        if ops:
            doc = self._json(context, 'PATCH', '/v2/images/%s' % doc['id'],
                             ops, PATCH_TYPE)
        if data is not None:
            self._upload(context, doc['id'], data)
            doc = self._json(context, 'GET', '/v2/images/%s' % doc['id'])
        return from_v2(doc)

    def delete(self, context, image_id):
        """DELETE the image."""
        self.client_for(context).request(
            'DELETE', '/v2/images/%s' % self._uuid(context, image_id))

    def _upload(self, context, image_uuid, data):
        if isinstance(data, str):
            data = data.encode('utf-8')
        self.client_for(context).request(
            'PUT', '/v2/images/%s/file' % image_uuid,
            {'Content-Type': 'application/octet-stream'}, data)
