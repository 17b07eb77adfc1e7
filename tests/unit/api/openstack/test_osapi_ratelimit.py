"""Rate limits of the OpenStack API: buckets, parsing, the 413 fault."""

import pytest
import webob
import webob.dec

from nova import context
from nova.api.openstack import ratelimit


@webob.dec.wsgify
def _ok(req):
    return webob.Response(status=200)


def _app(app):
    @webob.dec.wsgify
    def with_context(req):
        req.environ['nova.context'] = context.RequestContext('u', 'p')
        return req.get_response(app)
    return with_context


def _post(app, path='/p/servers'):
    req = webob.Request.blank(path, method='POST')
    req.script_name = '/v1.1'
    return req.get_response(app)


def test_bucket_leaks_and_refills():
    limit = ratelimit.Limit('POST', '*', '.*', 2, 60)
    assert limit.take(now=0) is None
    assert limit.take(now=0) is None
    assert limit.take(now=0) == pytest.approx(30)
    assert limit.take(now=30) is None


def test_parse_limits():
    limits = ratelimit.parse_limits(
        '(POST, *, .*, 5, MINUTE);(GET, *changes-since*, '
        '.*changes-since.*, 1, second)')
    assert [(r.verb, r.value, r.unit) for r in limits] == [
        ('POST', 5, 60), ('GET', 1, 1)]
    for bad in ('(POST, *, .*, 5)', '(POST, *, .*, 0, MINUTE)',
                '(POST, *, (, 5, MINUTE)', '(POST, *, .*, 5, WEEK)'):
        with pytest.raises(ValueError):
            ratelimit.parse_limits(bad)


def test_defaults_are_diablos(set_flags):
    set_flags(osapi_rate_limits='')
    rules = [(r.verb, r.uri, r.value, r.unit_string)
             for r in ratelimit.configured_limits()]
    assert rules == [('POST', '*', 10, 'MINUTE'),
                     ('POST', '*/servers', 50, 'DAY'),
                     ('PUT', '*', 10, 'MINUTE'),
                     ('GET', '*changes-since*', 3, 'MINUTE'),
                     ('DELETE', '*', 100, 'MINUTE')]
    set_flags(osapi_rate_limits='none')
    assert ratelimit.configured_limits() == []


def test_over_limit_is_413_with_retry_after(set_flags):
    set_flags(osapi_rate_limits='(POST, */servers, ^/servers, 2, MINUTE)')
    app = _app(ratelimit.RateLimitingMiddleware(_ok))
    assert _post(app).status_int == 200
    assert _post(app).status_int == 200
    assert _post(app, '/p/images').status_int == 200
    res = _post(app)
    assert res.status_int == 413
    assert int(res.headers['Retry-After']) == 30
    fault = res.json['overLimit']
    assert fault['retryAfter'] == '30'
    assert fault['details'] == \
        'Only 2 POST request(s) can be made to */servers every minute.'


def test_users_are_bounded(monkeypatch):
    monkeypatch.setattr(ratelimit, 'MAX_USERS', 3)
    limiter = ratelimit.Limiter([ratelimit.Limit('POST', '*', '.*', 1, 60)])
    for user in range(10):
        limiter.check_for_delay('POST', '/servers', str(user))
    assert len(limiter._users) == 3
