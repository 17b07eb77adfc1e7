"""Server-side sessions of the dashboard.

The browser holds only a random session id in a cookie (``HttpOnly``,
``SameSite=Strict``, ``Secure`` over HTTPS or with
``--dashboard_secure_cookies``); the API token, the user and project and
the CSRF token stay in this process.  Sessions end after
``--dashboard_session_ttl`` idle seconds or at logout; a login gets a new
id (no fixation).
"""

import hmac
import secrets
import threading
import time

from nova import flags

FLAGS = flags.FLAGS
flags.DEFINE_integer('dashboard_session_ttl', 3600,
                     'seconds of inactivity after which a dashboard '
                     'session ends')
flags.DEFINE_bool('dashboard_secure_cookies', False,
                  'mark the dashboard session cookie Secure even when the '
                  'request did not arrive over HTTPS (behind a TLS proxy)')

COOKIE = 'nova_dashboard_session'


class Session(dict):
    """One browser's state: ``csrf`` always; ``token``, ``user``,
    ``project``, ``is_admin`` once signed in."""

    def __init__(self, sid):
        super(Session, self).__init__(csrf=secrets.token_urlsafe(32))
        self.sid = sid
        self.seen = time.time()

    @property
    def signed_in(self):
        """Whether a login succeeded in this session."""
        return bool(self.get('token'))

    def check_csrf(self, value):
        """Whether ``value`` is this session's CSRF token."""
        return bool(value) and hmac.compare_digest(
            str(value).encode('utf-8'), self['csrf'].encode('utf-8'))


class SessionStore(object):
    """Sessions by id, in memory, expired lazily."""

    def __init__(self, ttl=None):
        self.ttl = ttl
        self._sessions = {}
        self._lock = threading.Lock()

    def _ttl(self):
        return self.ttl if self.ttl is not None else \
            FLAGS.dashboard_session_ttl

    def get(self, sid):
        """The live session ``sid`` or None."""
        if not sid:
            return None
        now = time.time()
        with self._lock:
            expired = [k for k, s in self._sessions.items()
                       if now - s.seen > self._ttl()]
            for key in expired:
                del self._sessions[key]
            session = self._sessions.get(sid)
            if session is not None:
                session.seen = now
            return session

    def new(self, data=None):
        """A new session (with ``data``)."""
        session = Session(secrets.token_urlsafe(32))
        session.update(data or {})
        with self._lock:
            self._sessions[session.sid] = session
        return session

    def drop(self, session):
        """End ``session``."""
        with self._lock:
            self._sessions.pop(session.sid, None)


def set_cookie(req, resp, session):
    """Send the session id cookie with the safe attributes."""
    secure = req.scheme == 'https' or FLAGS.dashboard_secure_cookies
    resp.set_cookie(COOKIE, session.sid if session else '', path='/',
                    httponly=True, samesite='strict', secure=secure,
                    max_age=None if session else 0)
