"""``MaxResults``/``NextToken`` paging of the EC2 Describe calls.

A page is read with keyset paging (``WHERE key > marker ORDER BY key
LIMIT n + 1``): the extra row tells whether another page follows, and the
marker of the next page is the key of the last row handed out.  So a page
costs the same wherever it lies, and rows created or deleted meanwhile
neither shift nor repeat the rows of later pages.

``NextToken`` is opaque: the action and the marker, base64url-encoded with
an HMAC-SHA256 signature under a secret of the deployment
(``--ec2_paging_secret``, else a random key kept in
``$state_path/ec2_paging.key`` and shared by every API worker of the host).
A token forged, truncated or minted for another action or project is
``InvalidParameterValue``.
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
import threading

from nova import exception
from nova import flags

FLAGS = flags.FLAGS

flags.DEFINE_string('ec2_paging_secret', None,
                    'Secret signing the EC2 NextToken paging tokens (a key '
                    'under $state_path is made when unset; set it when API '
                    'workers on several hosts share one endpoint)')

#: action -> (smallest MaxResults, largest, clamp larger values?)
LIMITS = {
    'DescribeInstances': (5, 1000, False),
    'DescribeTags': (5, 1000, True),
    'DescribeImages': (5, 1000, True),
    'DescribeSecurityGroups': (5, 1000, False),
    'DescribeVolumes': (5, 500, True),   # AWS: larger values give 500
    'DescribeSnapshots': (5, 1000, True),
    'DescribeKeyPairs': (5, 1000, True),
    'DescribeInstanceTypes': (5, 100, False),
}

_KEY_LOCK = threading.Lock()
_KEYS = {}


def _secret():
    if FLAGS.ec2_paging_secret:
        return FLAGS.ec2_paging_secret.encode('utf-8')
    path = os.path.join(FLAGS.state_path, 'ec2_paging.key')
    with _KEY_LOCK:
        if path in _KEYS:
            return _KEYS[path]
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            fd = None
        if fd is not None:
            with os.fdopen(fd, 'wb') as out:
                out.write(binascii.hexlify(os.urandom(32)))
        with open(path, 'rb') as key_file:
            key = key_file.read().strip()
        if not key:
            raise exception.NovaException('empty paging key %s' % path)
        _KEYS[path] = key
        return key


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


def _unb64(text):
    text = str(text)
    return base64.urlsafe_b64decode(text + '=' * (-len(text) % 4))


def _signature(payload):
    return hmac.new(_secret(), payload, hashlib.sha256).digest()[:16]


def make_token(context, action, marker):
    """The ``NextToken`` continuing ``action`` after ``marker``."""
    payload = json.dumps({'a': action, 'p': context.project_id,
                          'm': marker}, separators=(',', ':')).encode()
    return _b64(payload) + '.' + _b64(_signature(payload))


def _bad_token(token):
    return exception.InvalidParameterValue(
        err="Invalid value '%s' for NextToken" % str(token)[:64])


def read_token(context, action, token):
    """The marker inside a ``NextToken``; InvalidParameterValue if bad."""
    text = str(token)
    body, sep, sig = text.partition('.')
    try:
        payload = _unb64(body)
        given = _unb64(sig)
    except (binascii.Error, ValueError):
        raise _bad_token(token)
    if not sep or not hmac.compare_digest(given, _signature(payload)):
        raise _bad_token(token)
    try:
        data = json.loads(payload)
    except ValueError:
        raise _bad_token(token)
    if data.get('a') != action or data.get('p') != context.project_id:
        raise _bad_token(token)
    return data.get('m')


class Page(object):
    """What a Describe call asked for: ``limit`` rows after ``marker``.

    ``limit`` is None when the call is not paged (everything at once).
    """

    def __init__(self, context, action, limit=None, marker=None):
        self.context = context
        self.action = action
        self.limit = limit
        self.marker = marker

    @property
    def paged(self):
        """Whether the call asked for a page."""
        return self.limit is not None

    @property
    def fetch(self):
        """How many rows to read: one more than the page, to see the end."""
        return None if self.limit is None else self.limit + 1

    def split(self, rows, key):
        """``(rows of this page, NextToken or None)`` from ``fetch`` rows.

        ``key(row)`` is the row's keyset marker (JSON-serialisable).
        """
        if self.limit is None or len(rows) <= self.limit:
            return rows, None
        rows = rows[:self.limit]
        return rows, make_token(self.context, self.action, key(rows[-1]))


def page_of(context, action, max_results=None, next_token=None, ids=None,
            default_limit=None):
    """The :class:`Page` of a Describe call, checked as AWS does.

    ``ids`` are the explicit ids of the call: paging with ids is
    ``InvalidParameterCombination``.  ``MaxResults`` out of the action's
    range is ``InvalidParameterValue`` (a few actions clamp large values to
    their maximum instead).  A ``NextToken`` alone continues with pages of
    the action's maximum size.
    """
    if max_results in (None, '') and next_token in (None, ''):
        return Page(context, action, default_limit)
    low, high, clamp = LIMITS.get(action, (5, 1000, True))
    if ids:
        raise exception.InvalidParameterCombination(
            reason='The parameter instancesSet cannot be used with the '
            'parameter maxResults' if action == 'DescribeInstances' else
            'The parameter MaxResults cannot be used with ids')
    limit = high
    if max_results not in (None, ''):
        try:
            limit = int(str(max_results).strip())
        except ValueError:
            raise exception.InvalidParameterValue(
                err="Invalid value '%s' for MaxResults" % max_results)
        if limit > high and clamp:
            limit = high
        if limit < low or limit > high:
            raise exception.InvalidParameterValue(
                err='Value ( %s ) for parameter maxResults is invalid. '
                'Expecting a value between %d and %d.' % (limit, low, high))
    marker = None
    if next_token not in (None, ''):
        marker = read_token(context, action, next_token)
    return Page(context, action, limit, marker)


#: How many keyset batches a filtered page reads before it answers with
#: what it found so far and a NextToken (AWS's pages may also come back
#: short, even empty, with a token).
MAX_BATCHES = 8


def fill_page(page, read, keep, key):
    """``(items, NextToken or None)`` of a page whose filters run in Python.

    ``read(marker, limit)`` returns up to ``limit`` items after ``marker``
    in key order (one keyset query); ``keep(item)`` is the filter;
    ``key(item)`` the item's marker.  Batches of ``page.fetch`` items are
    read until the page is full or the rows end; after
    :data:`MAX_BATCHES` batches the page ends early with a token continuing
    after the last row read, so one call never scans the whole table.
    Unpaged calls read everything in one query.
    """
    if not page.paged:
        return [item for item in read(None, None) if keep(item)], None
    items = []
    marker = page.marker
    for _unused in range(MAX_BATCHES):
        batch = read(marker, page.fetch)
        items.extend(item for item in batch if keep(item))
        if len(items) > page.limit:
            return page.split(items, key)
        if len(batch) < page.fetch:
            return items, None
        marker = key(batch[-1])
    return items, make_token(page.context, page.action, marker)


def answer(set_name, items, token):
    """The response ``{set_name: items}``, with ``nextToken`` when
    another page follows."""
    result = {set_name: items}
    if token:
        result['nextToken'] = token
    return result
