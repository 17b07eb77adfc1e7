"""The deprecated X-Auth-Key auth (tokens in ``auth_tokens``) and noauth's
loopback-only rule."""

import datetime

import pytest
import webob
import webob.dec

from nova import context
from nova import db
from nova.api.openstack import auth


@webob.dec.wsgify
def _echo(req):
    ctxt = req.environ['nova.context']
    return webob.Response(json_body={'user': ctxt.user_id,
                                     'project': ctxt.project_id})


@pytest.fixture
def users(sqlite_db):
    from nova.auth import manager
    mgr = manager.AuthManager()
    mgr.create_user('alice', 'alice-key', 'secret')
    mgr.create_user('bob', 'bob-key', 'secret')
    mgr.create_project('pa', 'alice')
    mgr.create_project('pb', 'bob')
    return mgr


def _req(path, **headers):
    script, _sep, rest = path[1:].partition('/')
    req = webob.Request.blank('/' + rest, headers=headers)
    req.script_name = '/' + script
    return req


def _login(app, user, key, project=None):
    headers = {'X-Auth-User': user, 'X-Auth-Key': key}
    if project:
        headers['X-Auth-Project-Id'] = project
    return _req('/v1.1/', **headers).get_response(app)


def test_login_gives_a_stored_sha1_token(users):
    app = auth.AuthMiddleware(_echo)
    res = _login(app, 'alice', 'alice-key', 'pa')
    assert res.status_int == 204
    token = res.headers['X-Auth-Token']
    assert len(token) == 40 and int(token, 16) >= 0
    assert res.headers['X-Server-Management-Url'] == \
        'http://localhost/v1.1/pa'
    row = db.auth_token_get(context.get_admin_context(), token)
    assert row['user_id'] == 'alice'
    res = _req('/v1.1/pa/servers', **{'X-Auth-Token': token}) \
        .get_response(app)
    assert res.json == {'user': 'alice', 'project': 'pa'}


@pytest.mark.parametrize('user,key,project', [
    ('alice', 'wrong', None), ('bob', 'alice-key', None),
    ('alice', 'alice-key', 'pb'), ('', 'alice-key', None)])
def test_bad_logins_are_401(users, user, key, project):
    res = _login(auth.AuthMiddleware(_echo), user, key, project)
    assert res.status_int == 401
    assert 'unauthorized' in res.json


def test_login_only_at_the_version_root(users):
    res = _req('/v1.1/pa/servers', **{'X-Auth-User': 'alice',
                                      'X-Auth-Key': 'alice-key'}) \
        .get_response(auth.AuthMiddleware(_echo))
    assert res.status_int == 401
    assert 'version root' in res.json['unauthorized']['message']


def test_other_projects_and_unknown_tokens_are_401(users):
    app = auth.AuthMiddleware(_echo)
    token = _login(app, 'alice', 'alice-key').headers['X-Auth-Token']
    res = _req('/v1.1/pb/servers', **{'X-Auth-Token': token}) \
        .get_response(app)
    assert res.status_int == 401
    res = _req('/v1.1/pa/servers', **{'X-Auth-Token': 'f' * 40}) \
        .get_response(app)
    assert res.status_int == 401


def test_tokens_expire_after_two_days(users):
    app = auth.AuthMiddleware(_echo)
    ctxt = context.get_admin_context()
    db.auth_token_create(ctxt, {
        'token_hash': 'old', 'user_id': 'alice',
        'server_management_url': '', 'storage_url': '',
        'cdn_management_url': '',
        'created_at': datetime.datetime.utcnow() -
        datetime.timedelta(days=2, seconds=1)})
    res = _req('/v1.1/pa/servers', **{'X-Auth-Token': 'old'}) \
        .get_response(app)
    assert res.status_int == 401
    with pytest.raises(Exception):
        db.auth_token_get(ctxt, 'old')


@pytest.mark.parametrize('listen,any_address,expected', [
    ('127.0.0.1', False, auth.NoAuthMiddleware),
    ('::1', False, auth.NoAuthMiddleware),
    ('0.0.0.0', False, auth.AuthMiddleware),
    ('10.0.0.5', False, auth.AuthMiddleware),
    ('0.0.0.0', True, auth.NoAuthMiddleware),
])
def test_noauth_only_on_loopback(set_flags, listen, any_address, expected):
    import nova.service  # noqa: F401 - osapi_listen
    set_flags(osapi_listen=listen, osapi_noauth_any_address=any_address)
    filter_ = auth.NoAuthMiddleware.factory({})(_echo)
    assert type(filter_) is expected
