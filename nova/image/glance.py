"""Images in a Glance server, over Glance's v1 image API (as Diablo), or
its v2 API where the server offers it (:mod:`nova.image.glance_v2`).

``--glance_api_servers`` lists ``host:port`` servers (one is picked at
random per request, as Diablo did).  ``GET /`` on a server answers its
versions document (``{"versions": [{"id": "v2.1", "status": "CURRENT",
...}, ...]}``, usually with 300 Multiple Choices); ``--glance_api_version``
``auto`` uses v2 when it is offered and v1 otherwise, ``1`` or ``2`` insist.
The v1 API as this service uses it:

==========================  =================================================
GET  /v1/images/detail      ``{"images": [image, ...]}``; query ``marker``,
                            ``limit``, ``name``, ``status``, ``property-X``…
HEAD /v1/images/<id>        metadata in ``x-image-meta-*`` headers,
                            properties in ``x-image-meta-property-*``
GET  /v1/images/<id>        the bytes, metadata in the same headers
POST /v1/images             ``x-image-meta-*`` headers (+ the bytes as an
                            ``application/octet-stream`` body) -> 201
                            ``{"image": image}``
PUT  /v1/images/<id>        changed metadata (+ bytes for a queued image);
                            ``x-glance-registry-purge-props: false`` keeps
                            the other properties -> ``{"image": image}``
DELETE /v1/images/<id>      200; 404 for an unknown image everywhere
==========================  =================================================

The request context's ``auth_token`` travels as ``X-Auth-Token``, and its
identity as the headers Keystone's auth_token middleware hands a service
(:func:`identity_headers`): a Glance deployed without Keystone (its
``context`` filter without ``authtoken``, as Diablo's ``noauth`` setups
did) takes them as the caller; behind ``authtoken`` they are discarded
and replaced from the token, so they grant nothing there.  Glance
ids are integers here, as in Diablo's era; images a context may not see
(not public, another project's) are hidden as Diablo's service hid them.
"""

import datetime
import http.client
import json
import logging
import random
import urllib.parse

from nova import exception
from nova import flags
from nova.image import glance_v2
from nova.image import service

LOG = logging.getLogger('nova.image.glance')
FLAGS = flags.FLAGS

flags.DEFINE_string('glance_api_version', 'auto',
                    'Glance image API to speak: auto (v2 when the server '
                    'offers it, else v1), 1 or 2')
flags.DEFINE_list('glance_member_roles', ['member', 'reader'],
                  'Glance roles sent (X-Roles) for a user of a project, '
                  'besides its Nova roles; an admin context adds "admin"')

READ_SIZE = 1 << 16
_META = 'x-image-meta-'
_PROP = 'x-image-meta-property-'
_BOOL_KEYS = ('is_public', 'deleted', 'protected')
_INT_KEYS = ('size', 'min_disk', 'min_ram')


class GlanceError(exception.NovaException):
    """Glance answered with an error (``status``: its HTTP status, if
    any)."""
    message = 'Glance error: %(reason)s'

    def __init__(self, message=None, status=None, **kwargs):
        super().__init__(message, **kwargs)
        self.status = status


class GlanceForbidden(GlanceError, exception.NotAuthorized):
    """Glance's policy refused the caller (403; EC2
    ``UnauthorizedOperation``)."""


class GlanceBadRequest(GlanceError, exception.Invalid):
    """Glance refused a value (400; EC2 ``InvalidParameterValue``)."""


class GlanceConflict(GlanceError):
    """The image is not in a state for this (409, e.g. its data is
    already in; EC2 ``IncorrectState``)."""
    code = 409
    ec2_code = 'IncorrectState'


class GlanceTooLarge(GlanceError):
    """The image is larger than Glance takes (413, its
    ``image_size_cap`` or a quota)."""
    code = 413
    ec2_code = 'RequestEntityTooLarge'


class GlanceUnavailable(GlanceError, exception.ServiceUnavailable):
    """No Glance server answered (an outage: EC2 ``Unavailable``)."""


_ERRORS = {400: GlanceBadRequest, 403: GlanceForbidden, 409: GlanceConflict,
           413: GlanceTooLarge}


#: ``host:port`` -> the API version (1 or 2) chosen for that server
_VERSIONS = {}


def forget_api_versions():
    """Ask every server for its versions again on next use."""
    _VERSIONS.clear()


def offered_versions(doc):
    """The major API versions (ints) a Glance versions document offers."""
    majors = set()
    for version in (doc or {}).get('versions') or []:
        ident = str(version.get('id') or '')
        status = str(version.get('status') or '').upper()
        if status in ('DEPRECATED', 'DELETED'):
            continue
        if ident.startswith('v') and ident[1:2].isdigit():
            majors.add(int(ident[1:].split('.')[0]))
    return majors


def _offered_text(data):
    """The version ids of a versions document, for an error message."""
    try:
        versions = json.loads(data).get('versions') or []
        ids = sorted({str(v.get('id')) for v in versions})
    except (ValueError, AttributeError, TypeError):
        ids = []
    return ', '.join(ids) or 'other versions'


def _error_text(status, text):
    """The message of an error body (Glance's start with a ``"400 Bad
    Request"`` line), on one line."""
    lines = text.strip().splitlines()
    if lines and lines[0].strip().startswith(str(status)):
        lines = lines[1:] or lines
    return ' '.join(' '.join(lines).split())[:300]


def choose_version(wanted, offered):
    """The version to speak given ``--glance_api_version`` and what the
    server offers (an empty set: no versions document, an old server)."""
    wanted = str(wanted or 'auto').lower()
    if wanted not in ('auto', '1', '2'):
        raise GlanceError(reason='--glance_api_version must be auto, 1 or '
                          '2, not %r' % wanted)
    if wanted == 'auto':
        return 2 if 2 in offered else 1
    if offered and int(wanted) not in offered:
        raise GlanceError(reason='the Glance server offers API versions '
                          '%s, not %s' % (sorted(offered), wanted))
    return int(wanted)


def _parse_time(value):
    if not value or isinstance(value, datetime.datetime):
        return value
    for fmt in ('%Y-%m-%dT%H:%M:%S.%f', '%Y-%m-%dT%H:%M:%S'):
        try:
            return datetime.datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def _from_glance(meta):
    """A Glance image dict as this project's image dict."""
    image = dict(meta)
    image['id'] = service.coerce_id(image.get('id')) or image.get('id')
    for key in service.TIME_KEYS:
        image[key] = _parse_time(image.get(key))
    props = dict(image.get('properties') or {})
    for key in ('kernel_id', 'ramdisk_id'):
        if props.get(key) not in (None, ''):
            props[key] = service.coerce_id(props[key]) or props[key]
    if isinstance(props.get('mappings'), str):
        try:
            props['mappings'] = json.loads(props['mappings'])
        except ValueError:
            pass
    image['properties'] = props
    return image


def _to_headers(metadata):
    """``x-image-meta-*`` headers of image metadata."""
    headers = {}
    for key, value in (metadata or {}).items():
        if key == 'properties':
            for name, prop in (value or {}).items():
                if isinstance(prop, (list, dict)):
                    prop = json.dumps(prop)
                headers[_PROP + name] = str(prop)
        elif key in service.TIME_KEYS or key == 'id' or value is None:
            continue
        else:
            headers[_META + key] = str(value).lower() \
                if isinstance(value, bool) else str(value)
    return headers


def _from_headers(headers):
    """Image metadata from ``x-image-meta-*`` response headers."""
    meta = {'properties': {}}
    for name, value in headers:
        name = name.lower()
        if name.startswith(_PROP):
            meta['properties'][name[len(_PROP):]] = value
        elif name.startswith(_META):
            key = name[len(_META):]
            if key in _BOOL_KEYS:
                value = value.lower() == 'true'
            elif key in _INT_KEYS:
                value = service.coerce_id(value)
            meta[key] = value
    return meta


def identity_headers(context):
    """The caller's identity as Keystone's middleware passes it on.

    ``X-Identity-Status: Confirmed``, ``X-User-Id``, ``X-Project-Id`` (and
    its older name ``X-Tenant-Id``) and ``X-Roles``: the context's Nova
    roles, ``--glance_member_roles`` for a user of a project (Glance's
    default policy lets ``member`` write and ``reader`` read in its
    project) and ``admin`` for an admin context.  No context (Nova's own
    calls, which see every image) is an admin without a project.
    """
    if context is None:
        return {'X-Identity-Status': 'Confirmed', 'X-Roles': 'admin'}
    roles = [str(r).lower() for r in getattr(context, 'roles', None) or []]
    if getattr(context, 'project_id', None):
        roles.extend(FLAGS.glance_member_roles)
    if getattr(context, 'is_admin', False):
        roles.append('admin')
    headers = {'X-Identity-Status': 'Confirmed',
               'X-Roles': ','.join(dict.fromkeys(r for r in roles if r))}
    if getattr(context, 'user_id', None):
        headers['X-User-Id'] = str(context.user_id)
    if getattr(context, 'project_id', None):
        headers['X-Project-Id'] = str(context.project_id)
        headers['X-Tenant-Id'] = str(context.project_id)
    return headers


class GlanceClient(object):
    """HTTP requests to one Glance server (``identity``: extra headers
    sent with every request, see :func:`identity_headers`)."""

    def __init__(self, host, port, auth_token=None, timeout=60,
                 identity=None):
        self.host = host
        self.port = int(port)
        self.auth_token = auth_token
        self.timeout = timeout
        self.identity = dict(identity or {})

    def request(self, method, path, headers=None, body=None, stream=False,
                choices_ok=False):
        """``(response, connection)`` if streaming, else ``(status,
        headers, data)``; raises ImageNotFound on 404, GlanceError on
        other errors.

        A 300 Multiple Choices is an answer only where asked for
        (``choices_ok``: the versions document); elsewhere it is how a
        Glance without the API of ``path`` answers (a v2-only Glance
        answers every ``/v1/...`` request so), an error.
        """
        headers = dict(self.identity, **dict(headers or {}))
        if self.auth_token:
            headers['X-Auth-Token'] = self.auth_token
        conn = http.client.HTTPConnection(self.host, self.port,
                                          timeout=self.timeout)
        try:
            if hasattr(body, 'read'):
                headers['Transfer-Encoding'] = 'chunked'
                conn.putrequest(method, path)
                for name, value in headers.items():
                    conn.putheader(name, value)
                conn.endheaders()
                self._send_chunked(conn, method, path, body)
            else:
                try:
                    conn.request(method, path, body=body, headers=headers)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # Glance answered before taking the whole body
                    # (a 413, a 409): its answer, read next, says why.
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise GlanceUnavailable(reason='%s:%s unreachable: %s'
                                    % (self.host, self.port, exc))
        if response.status == 404:
            conn.close()
            raise exception.ImageNotFound(image_id=path.rsplit('/', 1)[-1])
        if response.status == 300 and not choices_ok:
            text = response.read(65536)
            conn.close()
            raise GlanceError(reason='%s %s: 300 Multiple Choices: the '
                              'Glance server does not serve this API '
                              'version (it offers %s)' % (
                                  method, path, _offered_text(text)),
                              status=300)
        if response.status >= 400:
            text = response.read(4096).decode('utf-8', 'replace')
            conn.close()
            raise _ERRORS.get(response.status, GlanceError)(
                reason='%s %s: %s %s' % (
                    method, path, response.status,
                    _error_text(response.status, text)),
                status=response.status)
        if stream:
            return response, conn
        data = response.read()
        conn.close()
        return response.status, response.getheaders(), data

    @staticmethod
    def _send_chunked(conn, method, path, body):
        """Send ``body`` (a readable object) as chunks.  A failure to read
        it is the caller's (GlanceError, the request abandoned); Glance
        closing the connection early is left for its answer to explain."""
        chunks = service.read_chunks(body, READ_SIZE)
        while True:
            try:
                data = next(chunks, None)
            except Exception as exc:  # noqa: BLE001 - the caller's reader
                conn.close()
                raise GlanceError(reason='reading the image data for %s %s '
                                  'failed: %s' % (method, path, exc))
            try:
                if data is None:
                    conn.send(b'0\r\n\r\n')
                    return
                conn.send(b'%x\r\n%s\r\n' % (len(data), data))
            except (BrokenPipeError, ConnectionResetError):
                return


class GlanceImageService(service.BaseImageService):
    """The image service of a Glance server (``--glance_api_servers``)."""

    def __init__(self, client=None):
        self._client = client
        self._v2 = glance_v2.GlanceV2(self.client)

    def client(self, context=None):
        """A client of one of the configured Glance servers."""
        if self._client is not None:
            return self._client
        host, _sep, port = random.choice(
            list(FLAGS.glance_api_servers)).rpartition(':')
        return GlanceClient(host or 'localhost', port or 9292,
                            getattr(context, 'auth_token', None),
                            identity=identity_headers(context))

    def api_version(self, context=None):
        """1 or 2: the API spoken to the server (asked once per server)."""
        client = self.client(context)
        key = (client.host, client.port, str(FLAGS.glance_api_version))
        if key not in _VERSIONS:
            if str(FLAGS.glance_api_version) == '1':
                offered = set()
            else:
                offered = self._discover(client)
            _VERSIONS[key] = choose_version(FLAGS.glance_api_version,
                                            offered)
            LOG.info('Glance %s:%s: speaking API v%d (offered: %s)',
                     client.host, client.port, _VERSIONS[key],
                     sorted(offered) or 'no versions document')
        return _VERSIONS[key]

    @staticmethod
    def _discover(client):
        try:
            _status, _headers, data = client.request('GET', '/',
                                                     choices_ok=True)
        except exception.ImageNotFound:
            return set()  # no versions document: a v1-only server
        except GlanceError as exc:
            if exc.status is None:
                raise  # unreachable
            return set()
        try:
            return offered_versions(json.loads(data))
        except (ValueError, AttributeError):
            return set()

    # -- reading ---------------------------------------------------------------
    def detail(self, context, filters=None, marker=None, limit=None):
        """Visible images matching ``filters`` (Glance pages them)."""
        if self.api_version(context) == 2:
            return self._v2.detail(context, filters, marker, limit)
        # Glance lists only public images unless told otherwise; as
        # Diablo, ask for all and hide what the context may not see.
        query = {'is_public': 'none'}
        for key, value in (filters or {}).items():
            if key in ('name', 'status', 'container_format', 'disk_format',
                       'size_min', 'size_max', 'is_public'):
                query[key] = value
            else:
                query['property-%s' % key] = value
        images, after = [], marker
        while True:
            params = dict(query)
            if after is not None:
                params['marker'] = after
            if limit is not None:
                params['limit'] = limit
            _status, _headers, data = self.client(context).request(
                'GET', '/v1/images/detail?' + urllib.parse.urlencode(params))
            page = [_from_glance(i) for i in json.loads(data)['images']]
            images.extend(i for i in page if service.visible(context, i)
                          and service.matches(i, filters))
            if not page or (limit is not None and len(images) >= limit) \
                    or page[-1]['id'] == after:
                break
            after = page[-1]['id']
        return images[:limit] if limit is not None else images

    def show(self, context, image_id):
        """One image's metadata (HEAD); ImageNotFound if not visible."""
        if self.api_version(context) == 2:
            image = self._v2.show(context, image_id)
            if not service.visible(context, image):
                raise exception.ImageNotFound(image_id=image_id)
            return image
        _status, headers, _data = self.client(context).request(
            'HEAD', '/v1/images/%s' % image_id)
        image = _from_glance(_from_headers(headers))
        if not service.visible(context, image):
            raise exception.ImageNotFound(image_id=image_id)
        return image

    def get(self, context, image_id, data):
        """Stream the image's bytes into ``data``; returns its metadata."""
        self.show(context, image_id)
        if self.api_version(context) == 2:
            return self._v2.get(context, image_id, data)
        response, conn = self.client(context).request(
            'GET', '/v1/images/%s' % image_id, stream=True)
        try:
            image = _from_glance(_from_headers(response.getheaders()))
            for chunk in iter(lambda: response.read(READ_SIZE), b''):
                data.write(chunk)
        finally:
            conn.close()
        return image

    # -- writing ---------------------------------------------------------------
    def create(self, context, metadata, data=None):
        """POST a new image (with its bytes if given)."""
        metadata = dict(metadata or {})
        props = dict(metadata.pop('properties', None) or {})
        for key in list(metadata):
            if key not in service.BASE_KEYS:
                props[key] = metadata.pop(key)
        if context is not None and getattr(context, 'project_id', None) \
                and not props.get('owner_id') \
                and not getattr(context, 'is_admin', False):
            props['owner_id'] = context.project_id
        metadata['properties'] = props
        if self.api_version(context) == 2:
            return self._v2.create(context, metadata, data)
        if data is not None:
            metadata.pop('status', None)
        headers = _to_headers(metadata)
        if data is not None:
            headers['Content-Type'] = 'application/octet-stream'
        _status, _headers, body = self.client(context).request(
            'POST', '/v1/images', headers, data)
        return _from_glance(json.loads(body)['image'])

    def update(self, context, image_id, metadata, data=None,
               purge_props=False):
        """PUT changed metadata (properties merged, or replaced with
        ``purge_props``) and/or new bytes."""
        self.show(context, image_id)
        if self.api_version(context) == 2:
            return self._v2.update(context, image_id, metadata, data,
                                   purge_props=purge_props)
        metadata = dict(metadata or {})
        props = dict(metadata.pop('properties', None) or {})
        for key in list(metadata):
            if key not in service.BASE_KEYS:
                props[key] = metadata.pop(key)
        if props or purge_props:
            metadata['properties'] = props
        if data is not None:
            # Glance makes an image active once its data is in.
            metadata.pop('status', None)
        headers = _to_headers(metadata)
        headers['x-glance-registry-purge-props'] = \
            'true' if purge_props else 'false'
        if data is not None:
            headers['Content-Type'] = 'application/octet-stream'
        _status, _headers, body = self.client(context).request(
            'PUT', '/v1/images/%s' % image_id, headers, data)
        return _from_glance(json.loads(body)['image'])

    def delete(self, context, image_id):
        """DELETE an image."""
        self.show(context, image_id)
        if self.api_version(context) == 2:
            return self._v2.delete(context, image_id)
        self.client(context).request('DELETE', '/v1/images/%s' % image_id)
