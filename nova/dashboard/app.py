"""The dashboard's WSGI application.

Every page but the login form needs a signed-in session; every POST needs
the session's CSRF token (a form field ``csrf_token``), the login form's
included; admin pages need an administrator.  An error of the API is shown
on an error page with its message (4xx as the API said, 502 for the
API's own failures) — never a traceback, never a 500.
"""

import ipaddress
import logging
import os
import time
import urllib.parse

import jinja2
import routes
import webob
import webob.dec
import webob.exc

from nova import exception
from nova import flags
from nova.dashboard import client as api_client
from nova.dashboard import keystone
from nova.dashboard import session as sessions

LOG = logging.getLogger('nova.dashboard')
FLAGS = flags.FLAGS
flags.DEFINE_string('dashboard_listen', '127.0.0.1',
                    'address the dashboard listens on')
flags.DEFINE_integer('dashboard_listen_port', 8080,
                     'port the dashboard listens on')
flags.DEFINE_bool('dashboard_any_address', False,
                  'serve the dashboard on a --dashboard_listen that is not '
                  'a loopback address (off: it refuses to start there)')
flags.DEFINE_string('dashboard_osapi_url', '',
                    'the OpenStack API v1.1 root the dashboard signs in '
                    'to (empty: the X-Auth-Key checked API the dashboard '
                    'app mounts at /osapi/v1.1 on its own listener)')

HERE = os.path.dirname(os.path.abspath(__file__))
ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(os.path.join(HERE, 'templates')),
    autoescape=True, undefined=jinja2.StrictUndefined)


def osapi_url():
    """The API root the dashboard uses."""
    if FLAGS.dashboard_osapi_url:
        return FLAGS.dashboard_osapi_url.rstrip('/') + '/'
    host = FLAGS.dashboard_listen
    if host in ('0.0.0.0', '', '::'):
        host = '127.0.0.1'
    if ':' in host:
        host = '[%s]' % host
    return 'http://%s:%d/osapi/v1.1/' % (host, FLAGS.dashboard_listen_port)


class Request(webob.Request):
    """A request with the dashboard's session, client and route args."""

    session = None
    client = None
    args = None


def render(req, template, status=200, **values):
    """The page ``template`` with ``values`` (autoescaped)."""
    session = req.session or {}
    flashes = session.pop('flash', []) if session else []
    body = ENV.get_template(template).render(
        csrf_token=session.get('csrf', ''), user=session.get('user'),
        keystone=keystone.enabled(),
        project=session.get('project_name') or session.get('project'),
        is_admin=bool(session.get('is_admin')), flashes=flashes,
        path=req.path, **values)
    resp = webob.Response(body=body.encode('utf-8'), status=status,
                          content_type='text/html', charset='utf-8')
    return resp


def redirect(req, location, message=None):
    """A 303 to ``location`` (a flash message for the next page)."""
    if message and req.session is not None:
        req.session.setdefault('flash', []).append(message)
    return webob.exc.HTTPSeeOther(location=location)


def error_page(req, status, message):
    """The error page (``status`` never 500)."""
    return render(req, 'error.html', status=status, message=message)


def _security_headers(resp):
    resp.headers['X-Frame-Options'] = 'DENY'
    resp.headers['X-Content-Type-Options'] = 'nosniff'
    resp.headers['Referrer-Policy'] = 'no-referrer'
    resp.headers['Content-Security-Policy'] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' "
        "'unsafe-inline'; frame-ancestors 'none'")
    resp.headers.setdefault('Cache-Control', 'no-store')
    return resp


class Dashboard(object):
    """Routes to the views of :mod:`.user_views` and :mod:`.admin_views`."""

    def __init__(self, base_url=None, store=None):
        from nova.dashboard import admin_views
        from nova.dashboard import user_views
        self.base_url = base_url
        self.store = store or sessions.SessionStore()
        self.mapper = routes.Mapper()
        self.views = {}
        self._checks_keys = None
        for module, admin in ((user_views, False), (admin_views, True)):
            for path, method, view in module.ROUTES:
                name = '%s:%s' % (method, path)
                self.views[name] = (view, admin)
                self.mapper.connect(path, view=name,
                                    conditions={'method': [method]})

    @property
    def api_url(self):
        """The API root (the flag unless given at construction)."""
        return self.base_url or osapi_url()

    def api_checks_keys(self):
        """Whether the API checks access keys (asked once, then kept)."""
        if self._checks_keys is None:
            self._checks_keys = api_client.api_checks_keys(self.api_url)
        return self._checks_keys

    def client_for(self, session):
        """An API client with the session's token."""
        if session.get('endpoint'):
            return api_client.Client(session['endpoint'], session['token'])
        return api_client.Client(self.api_url, session['token'],
                                 session['project'])

    @webob.dec.wsgify(RequestClass=Request)
    def __call__(self, req):
        req.session = self.store.get(req.cookies.get(sessions.COOKIE))
        fresh = req.session is None
        if fresh:
            req.session = self.store.new()
        try:
            resp = self._dispatch(req)
        except api_client.APIError as exc:
            status = exc.status if 400 <= exc.status < 500 else 502
            if exc.status == 401 and req.session.signed_in:
                self.end_session(req)
                resp = redirect(req, '/login', 'Your session has ended; '
                                'please sign in again.')
            else:
                resp = error_page(req, status, exc.message)
        except webob.exc.HTTPException as exc:
            resp = exc
        except Exception:  # noqa: BLE001 - logged, answered as an error page
            LOG.exception('dashboard error on %s %s', req.method, req.path)
            resp = error_page(req, 502, 'Something went wrong; the error '
                              'was logged.')
        if not isinstance(resp, webob.Response):
            resp = req.get_response(resp)
        if req.session is not None and (fresh or req.environ.get(
                'nova.dashboard.new_session')):
            sessions.set_cookie(req, resp, req.session)
        return _security_headers(resp)

    def _dispatch(self, req):
        found = self.mapper.match(environ=req.environ)
        if found is None:
            return error_page(req, 404, 'There is no such page.')
        view, admin = self.views[found.pop('view')]
        req.args = found
        if req.method == 'POST' and not req.session.check_csrf(
                req.POST.get('csrf_token')):
            LOG.warning('dashboard: POST %s without a valid CSRF token',
                        req.path)
            return error_page(req, 403, 'The form has expired or did not '
                              'come from this dashboard; please try '
                              'again.')
        if getattr(view, 'public', False):
            return view(self, req)
        if not req.session.signed_in:
            return redirect(req, '/login?next=' + urllib.parse.quote(
                req.path, safe='/'))
        expires = req.session.get('expires')
        if expires and time.time() >= expires:
            self.end_session(req)
            return redirect(req, '/login', 'Your session has ended; '
                            'please sign in again.')
        if admin and not req.session.get('is_admin'):
            return error_page(req, 403, 'This page is for administrators.')
        req.client = self.client_for(req.session)
        return view(self, req)

    def start_session(self, req, data):
        """Replace the request's session by a signed-in one."""
        self.store.drop(req.session)
        req.session = self.store.new(data)
        req.environ['nova.dashboard.new_session'] = True
        return req.session

    def end_session(self, req):
        """Log out: a fresh anonymous session."""
        self.store.drop(req.session)
        req.session = self.store.new()
        req.environ['nova.dashboard.new_session'] = True


def _is_loopback(host):
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def app_factory(global_config, **local_config):
    """paste.deploy app factory of ``[app:dashboardapp]``.

    Refuses (NovaException) a ``--dashboard_listen`` that is not a loopback
    address unless ``--dashboard_any_address`` is set.
    """
    if not _is_loopback(FLAGS.dashboard_listen) and \
            not FLAGS.dashboard_any_address:
        raise exception.NovaException('the dashboard is off on a non-loopback '
                         '--dashboard_listen (%s); set '
                         '--dashboard_any_address to serve it there'
                         % FLAGS.dashboard_listen)
    return Dashboard(base_url=local_config.get('osapi_url') or None)


def public(view):
    """Mark a view that needs no signed-in session."""
    view.public = True
    return view
