"""Characters XML 1.0 cannot carry, on the way in and on the way out.

XML 1.0 allows TAB, LF, CR and the code points from U+0020 up, except the
surrogates and U+FFFE/U+FFFF.  A single other character (``\\x01`` in a
public image name, say) makes a whole listing unparseable for every client
that sees it, so the EC2 API refuses such values on input
(:func:`check_value`) and replaces them on output (:func:`clean`): rows
written before the check existed, or by nova-manage, still render.
"""

import re

#: One character XML 1.0 does not allow.
INVALID_XML_RE = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f'
                            '\ud800-\udfff\ufffe\uffff]')
#: What an invalid character is replaced with on output.
REPLACEMENT = '\ufffd'


def has_invalid(text):
    """Whether ``text`` holds a character XML 1.0 cannot carry."""
    return INVALID_XML_RE.search(text) is not None


def clean(text):
    """``text`` with every XML-invalid character replaced by U+FFFD."""
    if INVALID_XML_RE.search(text) is None:
        return text
    return INVALID_XML_RE.sub(REPLACEMENT, text)


def printable(text, limit=200):
    """``text`` safe to quote in an error message: controls escaped
    (``\\x0a``), XML-invalid characters gone, at most ``limit`` chars."""
    text = str(text)
    if len(text) > limit:
        text = text[:limit] + '...'
    return clean(''.join(c if c >= ' ' and c != '\x7f' and not
                         ('\x80' <= c <= '\x9f') else '\\x%02x' % ord(c)
                         for c in text))
