"""Unit tests of how the dashboard reads Keystone's answers: the v3 and
v2.0 token documents, the catalog's compute endpoint, the expiry time
and the refusals.  (The sign-in against a real Keystone is
tests/integration/test_dashboard_keystone.py.)"""

import calendar

from nova.dashboard import keystone

V3_TOKEN = {'token': {
    'expires_at': '2030-01-02T03:04:05.000000Z',
    'user': {'id': 'u1', 'name': 'alice'},
    'project': {'id': 'p1', 'name': 'alpha'},
    'roles': [{'id': 'r1', 'name': 'member'}, {'id': 'r2', 'name': 'Admin'}],
    'catalog': [
        {'type': 'identity', 'endpoints': [
            {'interface': 'public', 'url': 'http://ks:5000/v3'}]},
        {'type': 'compute', 'endpoints': [
            {'interface': 'public', 'url': 'http://api:8774/v2/p1'},
            {'interface': 'internal', 'url': 'http://int:8774/v2/p1'}]},
        {'type': 'compute_legacy', 'endpoints': [
            {'interface': 'admin', 'url': 'http://adm:8774/v1.1/p1'},
            {'interface': 'public', 'url': 'http://api:8774/v1.1/p1/'}]}]}}

V2_ACCESS = {'access': {
    'token': {'id': 'tok2', 'expires': '2030-01-02T03:04:05Z',
              'tenant': {'id': 't2', 'name': 'beta'}},
    'user': {'id': 'u2', 'name': 'bob', 'roles': [{'name': 'member'}]},
    'serviceCatalog': [{'type': 'compute', 'endpoints': [{
        'publicURL': 'http://api:8774/v1.1/t2',
        'internalURL': 'http://int:8774/v1.1/t2'}]}]}}

EXPIRES = calendar.timegm((2030, 1, 2, 3, 4, 5, 0, 0, 0))


def test_v3_token_read():
    found = keystone._v3_identity('tok', V3_TOKEN)
    assert (found['token'], found['user'], found['user_id']) == (
        'tok', 'alice', 'u1')
    assert (found['project_id'], found['project_name']) == ('p1', 'alpha')
    assert found['roles'] == ['member', 'Admin']
    assert found['expires'] == EXPIRES
    # compute_legacy (v1.1) first, the configured interface, no slash.
    assert keystone.compute_endpoint(found['catalog']) == \
        'http://api:8774/v1.1/p1'


def test_v2_access_read(set_flags):
    found = keystone._v2_identity(V2_ACCESS)
    assert (found['token'], found['user'], found['project_id'],
            found['project_name']) == ('tok2', 'bob', 't2', 'beta')
    assert found['roles'] == ['member'] and found['expires'] == EXPIRES
    assert keystone.compute_endpoint(found['catalog']) == \
        'http://api:8774/v1.1/t2'
    set_flags(dashboard_keystone_interface='internal')
    found = keystone._v2_identity(V2_ACCESS)
    assert keystone.compute_endpoint(found['catalog']) == \
        'http://int:8774/v1.1/t2'


def test_interface_and_missing_compute(set_flags):
    catalog = keystone._v3_identity('tok', V3_TOKEN)['catalog']
    set_flags(dashboard_keystone_interface='internal')
    assert keystone.compute_endpoint(catalog) == 'http://int:8774/v2/p1'
    assert keystone.compute_endpoint([{'type': 'identity', 'endpoints': [
        {'interface': 'internal', 'url': 'http://ks'}]}]) is None


def test_unreadable_expiry_is_none():
    assert keystone._expiry(None) is None
    assert keystone._expiry('soon') is None
    assert keystone._expiry('2030-01-02T03:04:05') == EXPIRES


def test_refusals():
    for status in (400, 401, 403, 404):
        assert isinstance(keystone._refusal(status), keystone.Refused)
    failure = keystone._refusal(500)
    assert failure.status == 502 and '500' in failure.message
