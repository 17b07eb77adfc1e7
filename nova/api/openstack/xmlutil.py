"""XML of the OpenStack API: a safe reader and a generic writer.

Reading (:func:`parse`) uses expat with no DOCTYPE (so no entities, no
external references) and a depth bound, and gives Diablo's dict shape: an
element with only text is its text; otherwise a dict of its attributes and
children.  ``metadata`` (``<meta key="k">v</meta>``), ``personality``
(``<file path="p">b64</file>``), ``security_groups`` and ``networks``
read as the JSON bodies do.

Writing (:func:`to_xml`): the single root key is the root element; scalar
values of a dict are attributes (except ``text_keys``, which are child
elements with text), dicts and lists are children; ``metadata`` dicts
become ``<meta key>`` children, ``links`` become ``atom:link`` elements,
``addresses`` become ``<network id><ip addr version/></network>``.
"""

import re
from xml.parsers import expat
from xml.sax import saxutils

import webob.exc

XMLNS_ATOM = 'http://www.w3.org/2005/Atom'
#: list elements and the element name of their items.
PLURALS = {'servers': 'server', 'flavors': 'flavor', 'images': 'image',
           'versions': 'version', 'choices': 'version',
           'extensions': 'extension', 'rate': 'rate', 'limit': 'limit',
           'media-types': 'media-type', 'security_groups': 'security_group',
           'networks': 'network', 'personality': 'file', 'rates': 'rate',
           'values': 'value'}
TEXT_KEYS = ('message', 'details', 'description', 'user_data')


class _Node(object):
    __slots__ = ('name', 'attrs', 'children', 'text')

    def __init__(self, name, attrs):
        self.name = name
        self.attrs = attrs
        self.children = []
        self.text = []


def _bad():
    return webob.exc.HTTPBadRequest(explanation='Malformed request body')


def _tree(body, max_depth):
    parser = expat.ParserCreate()
    stack = []
    root = []

    def start(name, attrs):
        if len(stack) >= max_depth:
            raise ValueError('too deep')
        node = _Node(name.split(':')[-1], attrs)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(name):
        stack.pop()

    def text(data):
        if stack:
            stack[-1].text.append(data)

    def doctype(*args):
        raise ValueError('DOCTYPE not allowed')

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.ExternalEntityRefHandler = doctype
    try:
        parser.Parse(body, True)
    except (expat.ExpatError, ValueError, RecursionError):
        raise _bad()
    if len(root) != 1:
        raise _bad()
    return root[0]


def _text(node):
    return ''.join(node.text).strip()


def _value(node):
    name = node.name
    if name == 'metadata':
        return dict((c.attrs.get('key', ''), _text(c))
                    for c in node.children if c.name == 'meta')
    if name == 'personality':
        return [{'path': c.attrs.get('path', ''), 'contents': _text(c)}
                for c in node.children if c.name == 'file']
    if name in ('security_groups', 'networks'):
        return [_value(c) for c in node.children]
    if name == 'meta' and 'key' in node.attrs:
        return {node.attrs['key']: _text(node)}
    if not node.children and not node.attrs:
        return _text(node)
    result = dict(node.attrs)
    for child in node.children:
        result[child.name] = _value(child)
    return result


def parse(body, max_depth=16):
    """``{root: value}`` of an XML body; 400 when malformed or hostile."""
    node = _tree(body, max_depth)
    if node.name == 'meta':
        return {'meta': _value(node)}
    return {node.name: _value(node)}


#: characters no XML 1.0 document may contain.
_NOT_XML = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff'
                      '\ufffe\uffff]')


def _attr(value):
    if value is None:
        return ''
    if value is True or value is False:
        return 'true' if value else 'false'
    return str(value)


def _element(name, value, out, text_keys, root_attrs=''):
    esc = saxutils.escape
    if name == 'links' and isinstance(value, list):
        for link in value:
            attrs = ''.join(' %s=%s' % (k, saxutils.quoteattr(_attr(v)))
                            for k, v in link.items())
            out.append('<atom:link%s/>' % attrs)
        return
    if name == 'metadata' and isinstance(value, dict):
        out.append('<metadata%s>' % root_attrs)
        for key, item in value.items():
            out.append('<meta key=%s>%s</meta>' % (
                saxutils.quoteattr(str(key)), esc(_attr(item))))
        out.append('</metadata>')
        return
    if name == 'addresses' and isinstance(value, dict):
        out.append('<addresses%s>' % root_attrs)
        for label, ips in value.items():
            if all(isinstance(ip, str) for ip in ips):
                # v1.0: <public><ip addr="..."/></public>, as Diablo.
                out.append('<%s>%s</%s>' % (label, ''.join(
                    '<ip addr=%s/>' % saxutils.quoteattr(ip) for ip in ips),
                    label))
                continue
            out.append('<network id=%s>' % saxutils.quoteattr(str(label)))
            for ip in ips:
                out.append('<ip version=%s addr=%s/>' % (
                    saxutils.quoteattr(_attr(ip.get('version'))),
                    saxutils.quoteattr(_attr(ip.get('addr')))))
            out.append('</network>')
        out.append('</addresses>')
        return
    if name == 'meta' and isinstance(value, dict) and len(value) == 1:
        (key, item), = value.items()
        out.append('<meta%s key=%s>%s</meta>' % (
            root_attrs, saxutils.quoteattr(str(key)), esc(_attr(item))))
        return
    if isinstance(value, list):
        item_name = PLURALS.get(name) or (
            name[:-1] if name.endswith('s') else 'item')
        out.append('<%s%s>' % (name, root_attrs))
        for item in value:
            _element(item_name, item, out, text_keys)
        out.append('</%s>' % name)
        return
    if isinstance(value, dict):
        attrs = [root_attrs]
        children = []
        for key, item in value.items():
            if isinstance(item, (dict, list)) or key in text_keys:
                children.append((key, item))
            else:
                attrs.append(' %s=%s' % (key, saxutils.quoteattr(
                    _attr(item))))
        if not children:
            out.append('<%s%s/>' % (name, ''.join(attrs)))
            return
        out.append('<%s%s>' % (name, ''.join(attrs)))
        for key, item in children:
            if isinstance(item, (dict, list)):
                _element(key, item, out, text_keys)
            else:
                out.append('<%s>%s</%s>' % (key, esc(_attr(item)), key))
        out.append('</%s>' % name)
        return
    out.append('<%s%s>%s</%s>' % (name, root_attrs, esc(_attr(value)),
                                  name))


def to_xml(data, xmlns=None, text_keys=TEXT_KEYS):
    """The UTF-8 XML document of ``data`` (one root key)."""
    (name, value), = data.items()
    root_attrs = ''
    if xmlns:
        root_attrs = ' xmlns=%s xmlns:atom=%s' % (
            saxutils.quoteattr(xmlns), saxutils.quoteattr(XMLNS_ATOM))
    out = ["<?xml version='1.0' encoding='UTF-8'?>\n"]
    _element(name, value, out, text_keys, root_attrs)
    # A character XML 1.0 cannot carry (a control character or a lone
    # surrogate from a request echoed back) becomes U+FFFD.
    return _NOT_XML.sub('\ufffd', ''.join(out)).encode('utf-8')


__all__ = ['parse', 'to_xml', 'XMLNS_ATOM']
