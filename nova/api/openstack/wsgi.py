"""Content negotiation and dispatch of the OpenStack API.

:class:`Request` picks the answer's media type (a ``.json``/``.xml`` path
suffix, then ``Accept``, JSON by default) and reads the request body by its
``Content-Type`` (``application/json`` or ``application/xml``; any other
type is a 400, as Diablo).  Bodies are bounded: more than
``--osapi_max_body_size`` bytes is a 413, malformed JSON/XML, nesting
deeper than :data:`MAX_DEPTH` and XML with a DOCTYPE (entities) are 400s.

:class:`Resource` calls a controller method with the request, the route's
arguments and the decoded ``body``; the method returns a dict (serialized
here, in JSON or XML), a :class:`webob.Response`, or raises a
:class:`nova.api.openstack.faults.Fault`-able error.
"""

import json
import logging
import urllib.parse

import webob
import webob.dec
import webob.exc

from nova import exception
from nova import flags
from nova.api.openstack import faults
from nova.api.openstack import xmlutil

FLAGS = flags.FLAGS
flags.DEFINE_integer('osapi_max_body_size', 256 * 1024,
                     'Largest request body (bytes) the OpenStack API reads')

LOG = logging.getLogger('nova.api.openstack.wsgi')

JSON = 'application/json'
XML = 'application/xml'
SUPPORTED = (JSON, XML)
#: deepest nesting of a request body (objects/arrays or XML elements).
MAX_DEPTH = 16
#: the largest id a database integer column holds (SQLite, PostgreSQL).
MAX_DB_ID = 2 ** 63 - 1


def path_is_utf8(environ):
    """Whether the request's path and query decode as UTF-8 (webob would
    raise on every later read of an undecodable one)."""
    try:
        for key in ('SCRIPT_NAME', 'PATH_INFO', 'QUERY_STRING'):
            environ.get(key, '').encode('latin-1').decode('utf-8')
        # The query's %XX escapes too.
        urllib.parse.parse_qsl(environ.get('QUERY_STRING', ''),
                               keep_blank_values=True, errors='strict')
    except (UnicodeError, ValueError):
        return False
    return True


def id_out_of_range(args, integer_id=False):
    """The route argument that is a decimal id no database row can have
    (it would overflow the integer column), or None.

    ``server_id`` and ``image_id`` are always row ids; ``id`` only when
    ``integer_id`` (a key pair's or a metadata item's ``id`` is a name).
    """
    keys = ('server_id', 'image_id') + (('id',) if integer_id else ())
    for key in keys:
        value = args.get(key)
        if isinstance(value, str) and value.isdigit() and \
                value.isascii() and int(value) > MAX_DB_ID:
            return value
    return None


class Request(webob.Request):
    """A webob request that knows the OpenStack API's media types."""

    def best_match_content_type(self, supported=SUPPORTED):
        """The media type of the answer: path suffix, Accept, then JSON."""
        suffix = self.environ.get('nova.osapi.format')
        if suffix and 'application/%s' % suffix in supported:
            return 'application/%s' % suffix
        if 'Accept' in self.headers:
            try:
                match = self.accept.best_match(supported)
            except (ValueError, TypeError):
                match = None
            if match:
                return match
        return JSON

    def get_content_type(self):
        """The body's media type, None without a Content-Type header.

        Raises :class:`exception.InvalidContentType` for another type.
        """
        if 'Content-Type' not in self.headers:
            return None
        content_type = self.content_type
        if content_type not in SUPPORTED:
            raise exception.InvalidContentType(content_type=content_type)
        return content_type

    def decoded_body(self):
        """The body as data (None when absent); faults for bad bodies."""
        length = self.content_length
        limit = FLAGS.osapi_max_body_size
        if length is not None and length > limit:
            raise faults.too_large('Request body is too large.')
        try:
            content_type = self.get_content_type()
        except exception.InvalidContentType:
            raise webob.exc.HTTPBadRequest(
                explanation='Unsupported Content-Type')
        body = self.body_file.read(limit + 1) if length is None \
            else self.body
        if len(body) > limit:
            raise faults.too_large('Request body is too large.')
        if content_type is None or not body:
            return None
        if content_type == JSON:
            return parse_json(body)
        return xmlutil.parse(body, MAX_DEPTH)


def _depth(value):
    """The nesting depth of decoded JSON (iterative: no recursion)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            items = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in items)
    return deepest


def parse_json(body):
    """Decode a JSON body; 400 for malformed or too deeply nested ones."""
    try:
        text = body.decode('utf-8')
        # Count brackets first: a deep document never reaches the decoder's
        # recursion (a hostile body must not cost a stack overflow).
        if _bracket_depth(text) > MAX_DEPTH:
            raise ValueError('too deep')
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise webob.exc.HTTPBadRequest(explanation='Malformed request body')
    if _depth(data) > MAX_DEPTH:
        raise webob.exc.HTTPBadRequest(explanation='Malformed request body')
    return data


def _bracket_depth(text):
    """Upper bound of the nesting of JSON ``text`` (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == '\\':
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in '[{':
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif char in ']}':
            depth -= 1
    return deepest


def serialize(data, content_type, xmlns=None):
    """``data`` (a dict with one root key) as bytes of ``content_type``."""
    if content_type == XML:
        return xmlutil.to_xml(data, xmlns)
    return json.dumps(data).encode('utf-8')


def respond(req, data, status=200, headers=None):
    """A response with ``data`` in the media type ``req`` asks for."""
    content_type = req.best_match_content_type()
    response = webob.Response(status=status, content_type=content_type,
                              charset='utf-8')
    if data is not None:
        response.body = serialize(data, content_type,
                                  faults.namespace(req))
    else:
        response.body = b''
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class Resource(object):
    """WSGI app: decode, call ``controller.<action>``, encode the answer.

    The route names the action; ``project_id`` from the route is checked
    against the request context (set by the auth filter) and dropped.
    """

    def __init__(self, controller, integer_id=False):
        self.controller = controller
        #: whether the route's ``{id}`` is a row id (see id_out_of_range).
        self.integer_id = integer_id

    @webob.dec.wsgify(RequestClass=Request)
    def __call__(self, req):
        args = dict(req.environ['wsgiorg.routing_args'][1])
        action = args.pop('action')
        args.pop('controller', None)
        project_id = args.pop('project_id', None)
        ctxt = req.environ.get('nova.context')
        if project_id is not None and ctxt is not None:
            # The auth filter checked the user's membership of the URL's
            # project (noauth trusts the caller, as Diablo).
            ctxt.project_id = project_id
        method = getattr(self.controller, action, None)
        if method is None:
            return faults.Fault(webob.exc.HTTPNotFound())
        if id_out_of_range(args, self.integer_id) is not None:
            # No row has it: found nowhere, whatever the resource.
            return faults.Fault(webob.exc.HTTPNotFound(
                explanation='The resource could not be found.'))
        try:
            if req.method in ('POST', 'PUT'):
                args['body'] = req.decoded_body()
            result = method(req, **args)
        except webob.exc.HTTPException as exc:
            return faults.Fault(exc)
        except exception.NovaException as exc:
            return faults.Fault(faults.from_nova(exc))
        if isinstance(result, webob.Response):
            return result
        return respond(req, result)


__all__ = ['Request', 'Resource', 'respond', 'serialize', 'parse_json',
           'JSON', 'XML', 'MAX_DEPTH', 'path_is_utf8', 'id_out_of_range']
