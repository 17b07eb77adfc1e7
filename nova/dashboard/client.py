"""An HTTP client of the OpenStack API v1.1 for the dashboard.

:func:`login` trades a user name and access key for a token (the
``X-Auth-Key`` auth); :class:`Client` sends JSON requests with that token
and raises :class:`APIError` (status and the fault's message) on any
answer of 400 or more.  Requests run in a native thread so that a green
server (the dashboard in nova-api) keeps serving, the API included.
"""

import http.client
import json
import logging
import secrets
import urllib.parse

from nova.utils import concurrency

LOG = logging.getLogger('nova.dashboard.client')
TIMEOUT = 60


class APIError(Exception):
    """The API answered ``status`` with ``message`` (or could not be
    reached: status 502)."""

    def __init__(self, status, message):
        super(APIError, self).__init__(message)
        self.status = status
        self.message = message


def _fault_message(status, body):
    try:
        data = json.loads(body.decode('utf-8'))
    except ValueError:
        data = None
    if isinstance(data, dict) and len(data) == 1:
        fault = next(iter(data.values()))
        if isinstance(fault, dict) and fault.get('message'):
            return str(fault['message'])
    return 'The API answered %d.' % status


def _send(method, url, headers, body):
    parts = urllib.parse.urlsplit(url)
    conn_class = http.client.HTTPSConnection if parts.scheme == 'https' \
        else http.client.HTTPConnection
    conn = conn_class(parts.hostname, parts.port, timeout=TIMEOUT)
    try:
        path = parts.path + ('?' + parts.query if parts.query else '')
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def send(method, url, headers=None, body=None):
    """``(status, headers, body)`` of one request; APIError 502 if the
    API cannot be reached."""
    try:
        return concurrency.run_in_os_thread(_send, method, url,
                                            dict(headers or {}), body)
    except (OSError, http.client.HTTPException) as exc:
        LOG.warning('OpenStack API unreachable: %s', exc.__class__.__name__)
        raise APIError(502, 'The OpenStack API cannot be reached.')


def _auth(base_url, user, key, project=None):
    headers = {'X-Auth-User': user, 'X-Auth-Key': key}
    if project:
        headers['X-Auth-Project-Id'] = project
    status, headers, _body = send('GET', base_url, headers)
    headers = dict((k.lower(), v) for k, v in headers.items())
    if status != 204 or 'x-auth-token' not in headers:
        return None
    return headers


def api_checks_keys(base_url):
    """Whether the API refuses a made-up key (False under ``noauth``)."""
    return _auth(base_url, 'dashboard-probe', secrets.token_hex(20)) is None


def login(base_url, user, key, project=None):
    """``(token, project_id)`` for valid credentials; None otherwise."""
    headers = _auth(base_url, user, key, project)
    if headers is None:
        return None
    url = headers.get('x-server-management-url', '').rstrip('/')
    project_id = urllib.parse.unquote(url.rsplit('/', 1)[-1]) if url \
        else project
    return headers['x-auth-token'], project_id


class Client(object):
    """JSON requests to ``<base_url><project>/…`` with a token (to
    ``<base_url>/…`` when no project is given: a per-project endpoint of
    Keystone's catalog)."""

    def __init__(self, base_url, token, project_id=None):
        self.base = base_url.rstrip('/')
        if project_id is not None:
            self.base += '/' + urllib.parse.quote(project_id, safe='')
        self.token = token

    def request(self, method, path, body=None):
        """The decoded JSON answer (None when empty); APIError >= 400."""
        headers = {'X-Auth-Token': self.token, 'Accept': 'application/json'}
        data = None
        if body is not None:
            data = json.dumps(body).encode('utf-8')
            headers['Content-Type'] = 'application/json'
        status, _headers, raw = send(method, self.base + path, headers, data)
        if status >= 400:
            raise APIError(status, _fault_message(status, raw))
        if not raw:
            return None
        try:
            return json.loads(raw.decode('utf-8'))
        except ValueError:
            raise APIError(502, 'The API answered something not JSON.')

    def get(self, path):
        """GET ``path``."""
        return self.request('GET', path)

    def post(self, path, body=None):
        """POST ``body`` (JSON) to ``path``."""
        return self.request('POST', path, body if body is not None else {})

    def put(self, path, body):
        """PUT ``body`` (JSON) to ``path``."""
        return self.request('PUT', path, body)

    def delete(self, path):
        """DELETE ``path``."""
        return self.request('DELETE', path)

    def action(self, server_id, name, args=None):
        """A server action ``{name: args}``."""
        return self.post('/servers/%s/action' % urllib.parse.quote(
            str(server_id), safe=''), {name: args if args is not None
                                       else {}})
