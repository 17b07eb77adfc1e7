"""One EC2 API call: find the controller method, call it, render XML.

Rendering follows EC2's query protocol as clients parse it: the root is
``<{Action}Response xmlns="http://ec2.amazonaws.com/doc/{Version}/">`` whose
first child is ``<requestId>``; ``True`` renders ``<return>true</return>``;
dict keys become elements (``snake_case`` keys are camel-cased, the first
letter lowered); lists become ``<item>`` children; booleans are lowercase;
datetimes ISO 8601 with ``Z``; ``None`` values are left out altogether
(an empty integer or timestamp element crashes boto3's parser).
"""

import datetime
import functools
import inspect
import re
from xml.sax import saxutils

from nova.api.ec2 import actions
from nova.api.ec2 import ec2utils
from nova.api.ec2 import validation
from nova.api.ec2 import xmlsafe

#: The API version named in the namespace when the client sends none.
DEFAULT_VERSION = '2016-11-15'

_ATTRIBUTE_ENTITIES = {'"': '&quot;'}
_NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_.-]*$')


def _escape(text):
    """Text content: XML-invalid characters replaced, markup escaped (rows
    written before input was checked, or by nova-manage, still render)."""
    text = xmlsafe.clean(text)
    if '&' in text or '<' in text or '>' in text:
        return saxutils.escape(text)
    return text


def _attribute(text):
    """An attribute value (double-quoted)."""
    return saxutils.escape(xmlsafe.clean(text), _ATTRIBUTE_ENTITIES)


def _safe_element_name(key):
    name = ec2utils.underscore_to_camelcase(str(key))
    if _NAME_RE.match(name):
        return name
    return 'item'


#: snake_case key -> camelCase element name, remembered: the same few
#: hundred keys are rendered for every instance of a large listing.
_element_name = functools.lru_cache(maxsize=4096)(_safe_element_name)

#: What a ``Version`` parameter may look like (``2016-11-15``, ``1.0``).
VERSION_RE = re.compile(r'^[0-9A-Za-z.-]{1,32}$')


def _text(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, datetime.datetime):
        return ec2utils.isotime(value)
    if isinstance(value, bytes):
        value = value.decode('utf-8', 'replace')
    return _escape(str(value))


def _render(out, name, value):
    """Append ``<name>value</name>`` (nothing for None) to ``out``."""
    if value is None:
        return
    if type(value) is str:
        if value:
            out.append('<%s>%s</%s>' % (name, _escape(value), name))
        else:
            out.append('<%s/>' % name)
        return
    if isinstance(value, dict):
        out.append('<%s>' % name)
        for key, child in value.items():
            if child is None:
                continue
            tag = _element_name(key)
            kind = type(child)
            # The common leaves inline: a large listing renders millions.
            if kind is str and child:
                out.append('<%s>%s</%s>' % (tag, _escape(child), tag))
            elif kind is int:
                out.append('<%s>%d</%s>' % (tag, child, tag))
            else:
                _render(out, tag, child)
        out.append('</%s>' % name)
    elif isinstance(value, (list, tuple)):
        out.append('<%s>' % name)
        for child in value:
            _render(out, 'item', child)
        out.append('</%s>' % name)
    else:
        text = _text(value)
        out.append('<%s>%s</%s>' % (name, text, name) if text else
                   '<%s/>' % name)


def render_response(action, version, request_id, result):
    """The XML body (text) of a successful call."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           '<%sResponse xmlns="http://ec2.amazonaws.com/doc/%s/">'
           % (action, _attribute(version or DEFAULT_VERSION)),
           '<requestId>%s</requestId>' % _escape(request_id)]
    if result is True:
        out.append('<return>true</return>')
    elif isinstance(result, dict):
        for key, value in result.items():
            _render(out, _element_name(key), value)
    elif result is not None and result is not False:
        _render(out, 'return', result)
    out.append('</%sResponse>' % action)
    return ''.join(out)


def render_error(code, message, request_id):
    """The XML body of an error, as EC2 answers it."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            '<Code>%s</Code><Message>%s</Message></Error></Errors>'
            '<RequestID>%s</RequestID></Response>'
            % (_escape(xmlsafe.printable(code, 64)),
               _escape(xmlsafe.printable(message, 1000)),
               _escape(request_id)))


def find_method(controller, action):
    """The controller method serving ``action`` (or None).

    Only actions declared in :mod:`nova.api.ec2.actions` are dispatched;
    helpers of the controller are never reachable, whatever their name.
    """
    if not actions.is_declared(controller, action):
        return None
    name = ec2utils.camelcase_to_underscore(action)
    if name.startswith('_'):
        return None
    method = getattr(controller, name, None)
    if method is None or not callable(method):
        return None
    return method


def unavailable(controller, action):
    """The error for an action :func:`find_method` did not find."""
    if actions.is_declared(controller, action):
        return ec2utils.EC2APIError(
            'The action %s is not supported by this cloud.'
            % xmlsafe.printable(action, 64), ec2_code='UnsupportedOperation')
    return ec2utils.InvalidAction(action=xmlsafe.printable(action, 64))


def _check_arguments(method, context, args):
    """MissingParameter / UnknownParameter instead of a TypeError."""
    sig = inspect.signature(method)
    params = sig.parameters
    takes_kwargs = any(p.kind == p.VAR_KEYWORD for p in params.values())
    if not takes_kwargs:
        for key in args:
            if key not in params:
                raise ec2utils.UnknownParameter(
                    param=_param_name(key))
    for index, (name, param) in enumerate(params.items()):
        if index == 0 or param.kind in (param.VAR_KEYWORD,
                                        param.VAR_POSITIONAL):
            continue
        if param.default is param.empty and name not in args:
            raise ec2utils.missing(_param_name(name))


def _param_name(name):
    return ''.join(part[:1].upper() + part[1:] for part in name.split('_'))


class APIRequest(object):
    """An action with its decoded arguments, bound to a controller."""

    def __init__(self, controller, action, version, args):
        self.controller = controller
        self.action = action
        self.version = version or DEFAULT_VERSION
        self.args = args

    def invoke(self, context):
        """Call the controller; returns the XML text of the result."""
        method = find_method(self.controller, self.action)
        if method is None:
            raise unavailable(self.controller, self.action)
        _check_arguments(method, context, self.args)
        args = validation.validate(self.action, method, self.args)
        result = method(context, **args)
        return render_response(self.action, self.version,
                               context.request_id, result)
