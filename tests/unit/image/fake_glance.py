"""A fake Glance v1 server: the recorded contract of the Glance tests.

Run as a child process (``python -m tests.unit.image.fake_glance``, it
prints its port) so that it serves whatever the test process's threading
looks like (some tests load the daemons, which monkey-patch it).
``GET /_fake/tokens`` returns the X-Auth-Token values seen; ``GET /`` the
versions document of Diablo's Glance (v1.1 current, v1.0 supported).
"""

import hashlib
import http.server
import json
import sys
import urllib.parse


class FakeGlance(object):
    """The recorded contract: an in-memory Glance v1 server."""

    def __init__(self):
        self.images = {}
        self.data = {}
        self.tokens = []
        self.next_id = 1

    def meta_headers(self, image):
        headers = []
        for key, value in image.items():
            if key == 'properties':
                for name, prop in value.items():
                    headers.append(('x-image-meta-property-%s' % name, prop))
            elif value is not None:
                text = str(value).lower() if isinstance(value, bool) \
                    else str(value)
                headers.append(('x-image-meta-%s' % key, text))
        return headers

    @staticmethod
    def from_headers(headers):
        meta, props = {}, {}
        for name, value in headers.items():
            name = name.lower()
            if name.startswith('x-image-meta-property-'):
                props[name[len('x-image-meta-property-'):]] = value
            elif name.startswith('x-image-meta-'):
                meta[name[len('x-image-meta-'):]] = value
        if 'is_public' in meta:
            meta['is_public'] = meta['is_public'] == 'true'
        return meta, props

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
                if self.command != 'HEAD':
                    self.wfile.write(body)

            def _json(self, status, doc):
                self._send(status, json.dumps(doc).encode(),
                           [('Content-Type', 'application/json')])

            def _image(self):
                try:
                    image_id = int(self.path.split('?')[0].rsplit('/', 1)[1])
                except ValueError:
                    return None
                image = fake.images.get(image_id)
                return None if image is None or image['deleted'] else image

            def _route(self):
                url = urllib.parse.urlsplit(self.path)
                if url.path == '/_fake/tokens':
                    return self._json(200, fake.tokens)
                if url.path == '/' and self.command == 'GET':
                    # Diablo's Glance: its versions, 300 Multiple Choices.
                    href = 'http://%s/v1/' % self.headers.get('Host')
                    return self._json(300, {'versions': [
                        {'id': 'v1.1', 'status': 'CURRENT',
                         'links': [{'rel': 'self', 'href': href}]},
                        {'id': 'v1.0', 'status': 'SUPPORTED',
                         'links': [{'rel': 'self', 'href': href}]}]})
                fake.tokens.append(self.headers.get('X-Auth-Token'))
                if url.path == '/v1/images/detail' and self.command == 'GET':
                    return self._list(dict(urllib.parse.parse_qsl(url.query)))
                if url.path == '/v1/images' and self.command == 'POST':
                    return self._create()
                image = self._image()
                if image is None:
                    body = self._body() if self.command in ('PUT',) else b''
                    del body
                    return self._send(404, b'404 Not Found')
                if self.command in ('HEAD', 'GET'):
                    data = fake.data.get(image['id'], b'') \
                        if self.command == 'GET' else b''
                    return self._send(200, data, fake.meta_headers(image))
                if self.command == 'PUT':
                    return self._update(image)
                if self.command == 'DELETE':
                    image['deleted'] = True
                    image['status'] = 'deleted'
                    return self._send(200)
                return self._send(405)

            do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _route

            def _list(self, params):
                public = params.pop('is_public', 'true')
                marker = int(params.pop('marker', 0) or 0)
                limit = int(params.pop('limit', 25))
                found = []
                for image in sorted(fake.images.values(),
                                    key=lambda i: i['id']):
                    if image['deleted'] or image['id'] <= marker:
                        continue
                    if public != 'none' and \
                            image['is_public'] != (public == 'true'):
                        continue
                    ok = True
                    for key, value in params.items():
                        if key.startswith('property-'):
                            have = image['properties'].get(key[9:])
                        else:
                            have = image.get(key)
                        ok = ok and str(have) == value
                    if ok:
                        found.append(image)
                self._json(200, {'images': found[:limit]})

            def _create(self):
                meta, props = fake.from_headers(self.headers)
                data = self._body()
                image = {'id': fake.next_id, 'name': meta.get('name'),
                         'is_public': meta.get('is_public', False),
                         'container_format': meta.get('container_format'),
                         'disk_format': meta.get('disk_format'),
                         'status': meta.get('status', 'queued'),
                         'size': 0, 'checksum': None, 'deleted': False,
                         'created_at': '2011-09-22T12:00:00.000000',
                         'updated_at': None, 'properties': props}
                fake.next_id += 1
                if self.headers.get('Content-Type') == \
                        'application/octet-stream':
                    fake.data[image['id']] = data
                    image.update(status='active', size=len(data),
                                 checksum=hashlib.md5(data).hexdigest())
                fake.images[image['id']] = image
                self._json(201, {'image': image})

            def _update(self, image):
                meta, props = fake.from_headers(self.headers)
                data = self._body()
                if self.headers.get('x-glance-registry-purge-props',
                                    'true') == 'true':
                    image['properties'] = {}
                image['properties'].update(props)
                for key, value in meta.items():
                    if key in ('name', 'is_public', 'status',
                               'container_format', 'disk_format'):
                        image[key] = value
                if self.headers.get('Content-Type') == \
                        'application/octet-stream':
                    if image['status'] not in ('queued', 'saving'):
                        self._send(409, b'image already has data')
                        return
                    fake.data[image['id']] = data
                    image.update(status='active', size=len(data),
                                 checksum=hashlib.md5(data).hexdigest())
                image['updated_at'] = '2011-09-22T12:30:00.000000'
                self._json(200, {'image': image})

        return Handler


def main():
    """Serve on a free loopback port; print it; run until killed."""
    fake = FakeGlance()
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                             fake.handler())
    sys.stdout.write('%d\n' % server.server_port)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == '__main__':
    main()
