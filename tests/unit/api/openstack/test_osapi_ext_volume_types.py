"""``os-volume-types`` and its extra specs over the whole ``osapi`` app,
and the ``volume_type_*`` database functions."""

import pytest
import webob

from nova import context
from nova import db
from nova import exception
from nova.api.openstack.extensions import volume_types
from tests.unit.api.openstack.osapi_ext_helpers import call, fault_name
from tests.unit.api.openstack.osapi_ext_helpers import load_osapi


@pytest.fixture
def osapi(sqlite_db, set_flags):
    return load_osapi(set_flags)


def _create(osapi, name, specs=None):
    body = {'volume_type': {'name': name}}
    if specs is not None:
        body['volume_type']['extra_specs'] = specs
    return call(osapi, '/os-volume-types', 'POST', body)


def test_create_list_show_delete(osapi):
    res = _create(osapi, 'gold', {'qos': 'high', 'replicas': 3})
    assert res.status_int == 200, res.body
    gold = res.json['volume_type']
    assert (gold['name'], gold['extra_specs']) == (
        'gold', {'qos': 'high', 'replicas': '3'})
    _create(osapi, 'bronze')
    res = call(osapi, '/os-volume-types')
    assert res.status_int == 200
    # Diablo's shape: a dict keyed by name
    assert sorted(res.json) == ['bronze', 'gold']
    assert res.json['gold']['id'] == gold['id']
    assert res.json['bronze']['extra_specs'] == {}
    res = call(osapi, '/os-volume-types/%d' % gold['id'])
    assert res.json['volume_type']['extra_specs']['qos'] == 'high'
    xml = call(osapi, '/os-volume-types', xml=True)
    assert xml.status_int == 200
    assert b'<volume_types' in xml.body and b'name="gold"' in xml.body
    res = call(osapi, '/os-volume-types/%d' % gold['id'], 'DELETE')
    assert res.status_int == 200
    assert sorted(call(osapi, '/os-volume-types').json) == ['bronze']
    for path in ('/os-volume-types/%d' % gold['id'], '/os-volume-types/x',
                 '/os-volume-types/99999999999'):
        res = call(osapi, path)
        assert res.status_int == 404, path
        assert fault_name(res) == 'itemNotFound'
    assert call(osapi, '/os-volume-types/%d' % gold['id'],
                'DELETE').status_int == 404
    # the name of a deleted type stays taken (as Diablo's unique name)
    res = _create(osapi, 'gold')
    assert res.status_int == 409


def test_bad_creates_write_nothing(osapi):
    for body, status in (
            ({}, 422), ({'volume_type': 'x'}, 422),
            ({'volume_type': {}}, 422),
            ({'volume_type': {'name': '  '}}, 422),
            ({'volume_type': {'name': 'a' * 256}}, 400),
            ({'volume_type': {'name': 'a', 'extra_specs': []}}, 400),
            ({'volume_type': {'name': 'a', 'extra_specs': {'a"b': 'c'}}},
             400),
            ({'volume_type': {'name': 'a', 'extra_specs': {'k': 'v' * 256}}},
             400),
            ({'volume_type': {'name': 'a', 'extra_specs': {'k': {}}}},
             400)):
        res = call(osapi, '/os-volume-types', 'POST', body)
        assert res.status_int == status, (body, res.body)
    assert call(osapi, '/os-volume-types').json == {}
    _create(osapi, 'gold')
    assert _create(osapi, 'gold').status_int == 409


def test_extra_specs(osapi):
    type_id = _create(osapi, 'gold', {'a': '1'}).json['volume_type']['id']
    base = '/os-volume-types/%d/extra_specs' % type_id
    assert call(osapi, base).json == {'extra_specs': {'a': '1'}}
    res = call(osapi, base, 'POST', {'extra_specs': {'b': '2', 'a': '9'}})
    assert res.status_int == 200, res.body
    assert call(osapi, base).json == {'extra_specs': {'a': '9', 'b': '2'}}
    assert call(osapi, base + '/b').json == {'b': '2'}
    res = call(osapi, base + '/b', 'PUT', {'b': '3'})
    assert res.json == {'b': '3'}
    assert call(osapi, base + '/b', 'PUT', {'c': '3'}).status_int == 400
    assert call(osapi, base + '/b', 'PUT',
                {'b': '3', 'c': '4'}).status_int == 400
    assert call(osapi, base + '/a', 'DELETE').status_int == 200
    assert call(osapi, base + '/a').status_int == 404
    assert call(osapi, base + '/a', 'DELETE').status_int == 404
    assert call(osapi, base).json == {'extra_specs': {'b': '3'}}
    # the type shows its specs
    assert call(osapi, '/os-volume-types/%d' % type_id).json[
        'volume_type']['extra_specs'] == {'b': '3'}
    assert call(osapi, '/os-volume-types/77/extra_specs').status_int == 404
    assert call(osapi, base, 'POST', {}).status_int == 400


def test_only_administrators_write(sqlite_db):
    admin = context.get_admin_context()
    db.volume_type_create(admin, {'name': 'gold', 'extra_specs': {'a': 'b'}})
    type_id = db.volume_type_get_by_name(admin, 'gold')['id']
    req = webob.Request.blank('/')
    req.environ['nova.context'] = context.RequestContext('joe', 'p',
                                                         is_admin=False)
    types = volume_types.VolumeTypesController()
    specs = volume_types.VolumeTypeExtraSpecsController()
    assert types.show(req, str(type_id))['volume_type']['name'] == 'gold'
    assert specs.index(req, str(type_id)) == {'extra_specs': {'a': 'b'}}
    for attempt in (
            lambda: types.create(req, body={'volume_type': {'name': 'x'}}),
            lambda: types.delete(req, str(type_id)),
            lambda: specs.create(req, str(type_id),
                                 body={'extra_specs': {'c': 'd'}}),
            lambda: specs.update(req, str(type_id), 'a', body={'a': 'z'}),
            lambda: specs.delete(req, str(type_id), 'a')):
        with pytest.raises(webob.exc.HTTPForbidden):
            attempt()
    assert db.volume_type_get(admin, type_id)['extra_specs'] == {'a': 'b'}


def test_db_functions(sqlite_db):
    admin = context.get_admin_context()
    created = db.volume_type_create(admin, {'name': 't1',
                                            'extra_specs': {'k': 'v'}})
    assert created['extra_specs'] == {'k': 'v'}
    with pytest.raises(exception.VolumeTypeExists):
        db.volume_type_create(admin, {'name': 't1'})
    db.volume_type_destroy(admin, 't1')
    assert db.volume_type_get_all(admin) == {}
    assert list(db.volume_type_get_all(admin, inactive=True)) == ['t1']
    # a deleted type is still found by id (volumes refer to it)
    assert db.volume_type_get(admin, created['id'])['name'] == 't1'
    with pytest.raises(exception.VolumeTypeNotFound):
        db.volume_type_get(admin, created['id'], read_deleted='no')
    with pytest.raises(exception.VolumeTypeNotFoundByName):
        db.volume_type_get_by_name(admin, 't1')
    with pytest.raises(exception.VolumeTypeNotFoundByName):
        db.volume_type_destroy(admin, 't1')
    db.volume_type_purge(admin, 't1')
    again = db.volume_type_create(admin, {'name': 't1'})
    assert again['extra_specs'] == {}
    with pytest.raises(exception.VolumeTypeNotFoundByName):
        db.volume_type_purge(admin, 'nope')
    with pytest.raises(exception.AdminRequired):
        db.volume_type_create(context.RequestContext('u', 'p'),
                              {'name': 't2'})
