"""Rate limits of the OpenStack API (the ``ratelimit`` paste filter).

Each user has leaky buckets, one per limit: a limit ``(verb, uri, regex,
value, unit)`` lets ``value`` requests of ``verb`` whose path matches
``regex`` through per ``unit``.  Over the limit the answer is a 413
``overLimit`` fault with ``Retry-After`` (seconds).  Diablo's defaults:

=======  ==================  ================
POST     ``*``               10 per minute
POST     ``*/servers``       50 per day
PUT      ``*``               10 per minute
GET      ``*changes-since*``  3 per minute
DELETE   ``*``               100 per minute
=======  ==================  ================

The regex is matched against the path below the version and project
(``/servers``, ``/servers/detail?changes-since=…``), so ``^/servers``
counts server creations (Diablo matched the full URL, where it never
did).  Limits come from ``--osapi_rate_limits`` when set, else the paste
option ``limits``, else the defaults; the format is Diablo's
``(VERB, URI, REGEX, VALUE, UNIT);(…)`` and ``none`` turns limiting off
(conformance runs).  The middleware puts the user's limits in
``environ['nova.limits']`` for ``GET /limits``.
"""

import collections
import math
import re
import threading
import time

import webob.dec

from nova import flags
from nova.api.openstack import faults
from nova.api.openstack import wsgi

FLAGS = flags.FLAGS
flags.DEFINE_string('osapi_rate_limits', '',
                    'Rate limits of the OpenStack API: "(VERB, URI, REGEX, '
                    'VALUE, UNIT);(…)" with UNIT in SECOND, MINUTE, HOUR, '
                    'DAY; "none" disables them; empty: the paste option '
                    '"limits", else Diablo\'s defaults')

UNITS = {'SECOND': 1, 'MINUTE': 60, 'HOUR': 3600, 'DAY': 86400}
#: most users whose buckets are kept (least recently seen are dropped).
MAX_USERS = 10000


class Limit(object):
    """One leaky bucket: ``value`` requests per ``unit``."""

    def __init__(self, verb, uri, regex, value, unit):
        self.verb = verb
        self.uri = uri
        self.regex = regex
        self.value = int(value)
        self.unit = unit
        self.unit_string = [k for k, v in UNITS.items() if v == unit][0]
        self._regex = re.compile(regex)
        self.capacity = float(unit)
        self.request_value = float(unit) / self.value
        self.water_level = 0.0
        self.last_request = None
        self.next_request = None
        self.remaining = self.value

    def copy(self):
        """A fresh bucket with the same rule."""
        return Limit(self.verb, self.uri, self.regex, self.value, self.unit)

    def matches(self, verb, path):
        """Whether the rule counts a request."""
        return verb == self.verb and bool(self._regex.match(path))

    def take(self, now=None):
        """Count one request; the seconds to wait when over the limit."""
        now = time.time() if now is None else now
        if self.last_request is None:
            self.last_request = now
        leak = now - self.last_request
        self.water_level = max(0.0, self.water_level - leak)
        self.last_request = now
        self.water_level += self.request_value
        overflow = self.water_level - self.capacity
        if overflow > 0:
            self.water_level -= self.request_value
            self.next_request = now + overflow
            self.remaining = 0
            return overflow
        self.next_request = now
        self.remaining = int(math.floor(
            (self.capacity - self.water_level) / self.capacity * self.value))
        return None

    def error_message(self):
        """Diablo's text for this limit."""
        return 'Only %d %s request(s) can be made to %s every %s.' % (
            self.value, self.verb, self.uri, self.unit_string.lower())

    def display(self):
        """The limit as ``GET /limits`` shows it."""
        reset = self.next_request or self.last_request or time.time()
        return {'verb': self.verb, 'URI': self.uri, 'regex': self.regex,
                'value': self.value, 'remaining': int(self.remaining),
                'unit': self.unit_string, 'resetTime': int(reset)}


DEFAULT_LIMITS = (
    Limit('POST', '*', '.*', 10, UNITS['MINUTE']),
    Limit('POST', '*/servers', '^/servers', 50, UNITS['DAY']),
    Limit('PUT', '*', '.*', 10, UNITS['MINUTE']),
    Limit('GET', '*changes-since*', '.*changes-since.*', 3, UNITS['MINUTE']),
    Limit('DELETE', '*', '.*', 100, UNITS['MINUTE']),
)

_RULE = re.compile(r'\(\s*([A-Z]+)\s*,\s*([^,]+?)\s*,\s*([^,]+?)\s*,\s*'
                   r'(\d+)\s*,\s*([A-Za-z]+)\s*\)')


def parse_limits(text):
    """Limits from Diablo's ``(VERB, URI, REGEX, VALUE, UNIT);…`` text.

    Raises ValueError for a malformed rule, a bad regex or unit.
    """
    limits = []
    for part in [p.strip() for p in text.split(';') if p.strip()]:
        match = _RULE.fullmatch(part)
        if not match:
            raise ValueError('Invalid rate limit %r' % part)
        verb, uri, regex, value, unit = match.groups()
        unit = unit.upper()
        if unit not in UNITS or int(value) < 1:
            raise ValueError('Invalid rate limit %r' % part)
        try:
            limits.append(Limit(verb, uri, regex, int(value), UNITS[unit]))
        except re.error:
            raise ValueError('Invalid regex in rate limit %r' % part)
    return limits


def configured_limits(paste_option=None):
    """The limits in force (see the module doc); [] when off."""
    text = FLAGS.osapi_rate_limits or paste_option or ''
    if text.strip().lower() in ('none', 'off'):
        return []
    if not text.strip():
        return [limit.copy() for limit in DEFAULT_LIMITS]
    return parse_limits(text)


class Limiter(object):
    """Buckets of every user, built from one list of rules."""

    def __init__(self, limits):
        self.rules = list(limits)
        self._users = collections.OrderedDict()
        self._lock = threading.Lock()

    def _buckets(self, user):
        buckets = self._users.get(user)
        if buckets is None:
            buckets = [rule.copy() for rule in self.rules]
            self._users[user] = buckets
            while len(self._users) > MAX_USERS:
                self._users.popitem(last=False)
        else:
            self._users.move_to_end(user)
        return buckets

    def get_limits(self, user):
        """The display dicts of ``user``'s limits."""
        with self._lock:
            return [b.display() for b in self._buckets(user)]

    def check_for_delay(self, verb, path, user):
        """``(seconds, message)`` of the longest wait, or ``(None, None)``."""
        delays = []
        with self._lock:
            for bucket in self._buckets(user):
                if bucket.matches(verb, path):
                    delay = bucket.take()
                    if delay:
                        delays.append((delay, bucket.error_message()))
        if not delays:
            return None, None
        return max(delays)


def relative_path(req):
    """The request path below the version and the v1.1 project."""
    path = req.path_info or '/'
    if faults.version_of(req.environ) == '1.1':
        parts = path.split('/', 2)
        path = '/' + parts[2] if len(parts) > 2 else '/'
    if req.query_string:
        path += '?' + req.query_string
    return path


class RateLimitingMiddleware(object):
    """The ``ratelimit`` filter."""

    def __init__(self, application, limits=None):
        self.application = application
        self.limiter = Limiter(configured_limits(limits))

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.deploy filter factory (option ``limits``)."""
        def _filter(app):
            return cls(app, local_config.get('limits'))
        return _filter

    @webob.dec.wsgify(RequestClass=wsgi.Request)
    def __call__(self, req):
        ctxt = req.environ.get('nova.context')
        user = ctxt.user_id if ctxt is not None else None
        if user is not None and self.limiter.rules:
            delay, message = self.limiter.check_for_delay(
                req.method, relative_path(req), user)
            if delay:
                retry = int(math.ceil(delay))
                exc = faults.too_large('This request was rate-limited.',
                                       retry_after=retry)
                exc.detail = message
                return faults.Fault(exc)
            req.environ['nova.limits'] = self.limiter.get_limits(user)
        else:
            req.environ['nova.limits'] = []
        return req.get_response(self.application)


__all__ = ['Limit', 'Limiter', 'RateLimitingMiddleware', 'DEFAULT_LIMITS',
           'parse_limits', 'configured_limits', 'relative_path']
