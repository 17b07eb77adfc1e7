"""A fake Glance v2 server: the recorded v2 contract of the Glance tests.

Answers as Glance's v2 image API is documented (and as Glance releases
since Rocky, which removed v1, answer):

* ``GET /``: 300 Multiple Choices, ``{"versions": [{"id": "v2.9",
  "status": "CURRENT", "links": [...]}, ..., {"id": "v2.0", "status":
  "SUPPORTED"}]}`` (no v1);
* ``GET /v2/images``: ``{"images", "first", "schema"}`` plus ``next`` when
  a page is full; ``limit`` (25 by default), ``marker`` (a UUID; 400 if
  unknown), ``visibility`` (``all``; by default community images are left
  out), ``name``, ``status``, ``container_format``, ``disk_format``;
  newest first;
* ``POST /v2/images``: a JSON image; ``id`` must be a UUID not in use (else
  400/409), read-only attributes (``status``, ``size``, ``checksum``,
  ``created_at``...) give 403, reserved ones (``deleted``, ``location``...)
  403, a property that is not a string 400 -> 201 with the image, status
  ``queued``;
* ``PATCH /v2/images/<id>``: only ``application/openstack-images-v2.1-
  json-patch`` (else 415); ``add`` sets, ``replace`` of a missing
  property and ``remove`` of a missing one give 409;
* ``PUT /v2/images/<id>/file``: ``application/octet-stream`` (else 415),
  409 unless the image is queued -> 204, then ``active`` with size and MD5
  checksum; ``GET .../file`` the bytes (204 when there are none);
* ``DELETE /v2/images/<id>`` -> 204; unknown or deleted images 404.

Tokens are recorded (``GET /_fake/tokens``), not validated: the fake
answers as Glance answers an admin's token (every image is listed with
``visibility=all``), so hiding what a context may not see is left to Nova,
as with the v1 fake.  Run as ``python -m tests.unit.image.fake_glance_v2``
(prints its port).
"""

import hashlib
import http.server
import json
import sys
import urllib.parse
import uuid

PATCH_TYPES = ('application/openstack-images-v2.1-json-patch',
               'application/openstack-images-v2.0-json-patch')
READ_ONLY = ('status', 'size', 'virtual_size', 'checksum', 'created_at',
             'updated_at', 'self', 'file', 'schema', 'direct_url',
             'os_hash_algo', 'os_hash_value')
RESERVED = ('deleted', 'deleted_at', 'location')
FORMATS = {'container_format': ('ami', 'ari', 'aki', 'bare', 'ovf', 'ova',
                                'docker', 'compressed'),
           'disk_format': ('ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw',
                           'qcow2', 'vdi', 'iso', 'ploop')}
VISIBILITIES = ('public', 'private', 'shared', 'community')


class BadRequest(Exception):
    """An error answer: ``(status, message)``."""


class FakeGlanceV2(object):
    """The recorded contract: an in-memory Glance v2 server."""

    def __init__(self):
        self.images = {}
        self.data = {}
        self.tokens = []
        self.clock = 0

    def stamp(self):
        self.clock += 1
        return '2011-09-22T12:%02d:%02dZ' % divmod(self.clock % 3600, 60)

    @staticmethod
    def check_value(key, value):
        if key in READ_ONLY:
            raise BadRequest(403, "Attribute '%s' is read-only." % key)
        if key in RESERVED:
            raise BadRequest(403, "Attribute '%s' is reserved." % key)
        if key == 'visibility' and value not in VISIBILITIES:
            raise BadRequest(400, 'Invalid visibility value: %s' % value)
        if key in FORMATS and value is not None and \
                value not in FORMATS[key]:
            raise BadRequest(400, 'Invalid value for %s' % key)
        if key in ('min_ram', 'min_disk') and not isinstance(value, int):
            raise BadRequest(400, '%s must be an integer' % key)
        if key == 'protected' and not isinstance(value, bool):
            raise BadRequest(400, 'protected must be a boolean')
        if key not in ('name', 'visibility', 'protected', 'min_ram',
                       'min_disk', 'tags', 'owner', 'id') + tuple(FORMATS) \
                and not isinstance(value, str):
            raise BadRequest(400, "Invalid value for property '%s': "
                             "not a string" % key)

    def create(self, doc):
        doc = dict(doc)
        image_id = doc.pop('id', None) or str(uuid.uuid4())
        try:
            image_id = str(uuid.UUID(image_id))
        except (ValueError, AttributeError, TypeError):
            raise BadRequest(400, 'id must be a UUID')
        if image_id in self.images:
            raise BadRequest(409, 'Image with identifier %s already exists!'
                             % image_id)
        for key, value in doc.items():
            self.check_value(key, value)
        now = self.stamp()
        image = {'id': image_id, 'name': None, 'status': 'queued',
                 'visibility': 'shared', 'protected': False, 'tags': [],
                 'checksum': None, 'owner': None, 'size': None,
                 'virtual_size': None, 'min_ram': 0, 'min_disk': 0,
                 'container_format': None, 'disk_format': None,
                 'os_hidden': False, 'os_hash_algo': None,
                 'os_hash_value': None, 'created_at': now, 'updated_at': now,
                 'self': '/v2/images/%s' % image_id,
                 'file': '/v2/images/%s/file' % image_id,
                 'schema': '/v2/schemas/image'}
        image.update(doc)
        self.images[image_id] = image
        return image

    def patch(self, image, ops):
        if not isinstance(ops, list):
            raise BadRequest(400, 'a JSON patch is a list of operations')
        for op in ops:
            path = str(op.get('path', ''))
            key = path[1:]
            if not path.startswith('/') or not key or '/' in key:
                raise BadRequest(400, 'Invalid JSON pointer %r' % path)
            kind = op.get('op')
            if kind in ('add', 'replace'):
                if 'value' not in op:
                    raise BadRequest(400, 'the operation needs a value')
                if key == 'id':
                    raise BadRequest(403, "Attribute 'id' is read-only.")
                self.check_value(key, op['value'])
                if kind == 'replace' and key not in image:
                    raise BadRequest(409, 'Property %s does not exist.'
                                     % key)
                image[key] = op['value']
            elif kind == 'remove':
                if key in READ_ONLY or key in ('id', 'name', 'visibility'):
                    raise BadRequest(403, "Attribute '%s' is read-only."
                                     % key)
                if key not in image:
                    raise BadRequest(409, 'Property %s does not exist.'
                                     % key)
                del image[key]
            else:
                raise BadRequest(400, 'Invalid operation %r' % kind)
        image['updated_at'] = self.stamp()
        return image

    def listing(self, params):
        limit = int(params.pop('limit', 25))
        marker = params.pop('marker', None)
        visibility = params.pop('visibility', None)
        found = sorted(self.images.values(),
                       key=lambda i: (i['created_at'], i['id']),
                       reverse=True)
        if marker is not None:
            ids = [i['id'] for i in found]
            if marker not in ids:
                raise BadRequest(400, 'Invalid marker. Image %s could not '
                                 'be found.' % marker)
            found = found[ids.index(marker) + 1:]
        if visibility is None:
            found = [i for i in found if i['visibility'] != 'community']
        elif visibility != 'all':
            found = [i for i in found if i['visibility'] == visibility]
        for key, value in params.items():
            found = [i for i in found if str(i.get(key)) == value]
        page = found[:limit]
        doc = {'images': page, 'first': '/v2/images',
               'schema': '/v2/schemas/images'}
        if len(page) == limit and page:
            query = dict(params, limit=limit, marker=page[-1]['id'])
            if visibility is not None:
                query['visibility'] = visibility
            doc['next'] = '/v2/images?' + urllib.parse.urlencode(query)
        return doc

    def upload(self, image, data):
        if image['status'] != 'queued':
            raise BadRequest(409, 'Image status transition from %s to '
                             'saving is not allowed' % image['status'])
        self.data[image['id']] = data
        image.update(status='active', size=len(data),
                     checksum=hashlib.md5(data).hexdigest(),
                     os_hash_algo='sha512',
                     os_hash_value=hashlib.sha512(data).hexdigest(),
                     updated_at=self.stamp())

    def handler(self):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def _body(self):
                if self.headers.get('Transfer-Encoding') == 'chunked':
                    out = b''
                    while True:
                        size = int(self.rfile.readline().strip(), 16)
                        chunk = self.rfile.read(size)
                        self.rfile.readline()
                        if not size:
                            return out
                        out += chunk
                return self.rfile.read(int(self.headers.get(
                    'Content-Length') or 0))

            def _send(self, status, body=b'', headers=()):
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status, doc):
                self._send(status, json.dumps(doc).encode(),
                           [('Content-Type', 'application/json')])

            def _doc(self):
                try:
                    return json.loads(self._body() or b'null')
                except ValueError:
                    raise BadRequest(400, 'the body is not JSON')

            def _route(self):
                try:
                    self._dispatch()
                except BadRequest as exc:
                    status, message = exc.args
                    self._send(status, message.encode())

            def _dispatch(self):
                url = urllib.parse.urlsplit(self.path)
                parts = [p for p in url.path.split('/') if p]
                if url.path == '/_fake/tokens':
                    return self._json(200, fake.tokens)
                if not parts and self.command == 'GET':
                    return self._versions()
                fake.tokens.append(self.headers.get('X-Auth-Token'))
                if parts[:2] != ['v2', 'images']:
                    self._body()
                    raise BadRequest(404, '404 Not Found')
                if len(parts) == 2:
                    if self.command == 'GET':
                        return self._json(200, fake.listing(dict(
                            urllib.parse.parse_qsl(url.query))))
                    if self.command == 'POST':
                        doc = self._doc()
                        if not isinstance(doc, dict):
                            raise BadRequest(400, 'an image is an object')
                        return self._json(201, fake.create(doc))
                    raise BadRequest(405, 'Method Not Allowed')
                image = fake.images.get(parts[2])
                if image is None or len(parts) > 4 or (
                        len(parts) == 4 and parts[3] != 'file'):
                    self._body()
                    raise BadRequest(404, '404 Not Found')
                if len(parts) == 4:
                    return self._file(image)
                if self.command == 'GET':
                    return self._json(200, image)
                if self.command == 'PATCH':
                    if self.headers.get('Content-Type') not in PATCH_TYPES:
                        self._body()
                        raise BadRequest(415, 'Unsupported Media Type')
                    return self._json(200, fake.patch(image, self._doc()))
                if self.command == 'DELETE':
                    del fake.images[image['id']]
                    fake.data.pop(image['id'], None)
                    return self._send(204)
                raise BadRequest(405, 'Method Not Allowed')

            def _file(self, image):
                if self.command == 'PUT':
                    data = self._body()
                    if self.headers.get('Content-Type') != \
                            'application/octet-stream':
                        raise BadRequest(415, 'Unsupported Media Type')
                    fake.upload(image, data)
                    return self._send(204)
                if self.command == 'GET':
                    if image['id'] not in fake.data:
                        return self._send(204)
                    return self._send(200, fake.data[image['id']], [
                        ('Content-Type', 'application/octet-stream'),
                        ('Content-MD5', image['checksum'])])
                raise BadRequest(405, 'Method Not Allowed')

            def _versions(self):
                base = 'http://%s/' % (self.headers.get('Host') or '')
                versions = [{'id': ident, 'status': status, 'links': [
                    {'rel': 'self', 'href': base + 'v2/'}]}
                    for ident, status in (('v2.9', 'CURRENT'),
                                          ('v2.1', 'SUPPORTED'),
                                          ('v2.0', 'SUPPORTED'))]
                self._json(300, {'versions': versions})

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _route

        return Handler


def main():
    """Serve on a free loopback port; print it; run until killed."""
    fake = FakeGlanceV2()
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                             fake.handler())
    sys.stdout.write('%d\n' % server.server_port)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == '__main__':
    main()
