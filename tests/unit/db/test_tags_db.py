"""The tags table (revision 005): set, delete, pages, tag filters."""

import pytest

from nova import context
from nova import db
from nova import exception


@pytest.fixture
def ctxt(sqlite_db):
    return context.RequestContext('u', 'p1')


def test_set_overwrite_and_limit(ctxt):
    db.tag_set(ctxt, 'p1', [('instance', 'i-00000001')],
               [('a', '1'), ('b', '2')])
    db.tag_set(ctxt, 'p1', [('instance', 'i-00000001')], [('a', '9')])
    tags = db.tag_get_by_resources(ctxt, ['i-00000001'])
    assert tags == {'i-00000001': [{'key': 'a', 'value': '9'},
                                   {'key': 'b', 'value': '2'}]}
    with pytest.raises(exception.TagLimitExceeded):
        db.tag_set(ctxt, 'p1', [('instance', 'i-00000001')],
                   [('k%d' % n, '') for n in range(49)])
    # all or nothing
    assert len(db.tag_get_by_resources(ctxt, ['i-00000001'])[
        'i-00000001']) == 2


def test_delete_semantics(ctxt):
    rid = [('image', 'ami-00000001')]
    db.tag_set(ctxt, 'p1', rid, [('a', '1'), ('b', ''), ('c', '3')])
    assert db.tag_delete(ctxt, ['ami-00000001'], [('a', '2')]) == 0
    assert db.tag_delete(ctxt, ['ami-00000001'], [('b', '')]) == 1
    assert db.tag_delete(ctxt, ['ami-00000001'], [('a', None)]) == 1
    assert db.tag_delete(ctxt, ['ami-00000001']) == 1
    assert db.tag_get_by_resources(ctxt, ['ami-00000001']) == {}


def test_pages_filters_and_projects(ctxt):
    other = context.RequestContext('v', 'p2')
    for n in range(7):
        db.tag_set(ctxt, 'p1', [('instance', 'i-%08x' % n)],
                   [('env', 'prod' if n % 2 else 'dev')])
    db.tag_set(other, 'p2', [('instance', 'i-00000063')], [('env', 'x')])
    first = db.tag_get_page(ctxt, {}, None, 3)
    second = db.tag_get_page(ctxt, {}, first[-1]['id'], 3)
    third = db.tag_get_page(ctxt, {}, second[-1]['id'], 3)
    ids = [r['resource_id'] for r in first + second + third]
    assert ids == ['i-%08x' % n for n in range(7)]
    assert len(db.tag_get_page(ctxt, {'value': ['pr*']})) == 3
    assert len(db.tag_get_page(ctxt, {'resource-id': ['i-0000000?']})) == 7
    assert db.tag_get_page(other, {})[0]['resource_id'] == 'i-00000063'
    assert len(db.tag_get_page(context.get_admin_context(), {})) == 8
    assert sorted(db.tag_instance_ids(ctxt, [('tag', 'env', ['dev'])])) == \
        [0, 2, 4, 6]
    assert db.tag_match_resources(ctxt, 'instance', [
        ('tag-key', None, ['env']), ('tag-value', None, ['nope'])]) == set()
    with pytest.raises(exception.InvalidParameterValue):
        db.tag_get_page(ctxt, {'bogus': ['x']})


def test_wildcards_are_escaped(ctxt):
    db.tag_set(ctxt, 'p1', [('instance', 'i-00000001')], [('a_b', '50%')])
    db.tag_set(ctxt, 'p1', [('instance', 'i-00000002')], [('axb', '50x')])
    assert [r['key'] for r in db.tag_get_page(ctxt, {'key': ['a_*']})] == \
        ['a_b']
    assert [r['value'] for r in db.tag_get_page(ctxt, {'value': ['50%']})] \
        == ['50%']


def test_tags_go_with_instance_and_group(ctxt):
    inst = db.instance_create(ctxt, {'project_id': 'p1', 'user_id': 'u'})
    group = db.security_group_create(ctxt, {
        'project_id': 'p1', 'user_id': 'u', 'name': 'g', 'description': ''})
    db.tag_set(ctxt, 'p1', [('instance', 'i-%08x' % inst['id']),
                            ('security-group', 'sg-%08x' % group['id'])],
               [('k', 'v')])
    db.instance_destroy(ctxt, inst['id'])
    db.security_group_destroy(ctxt, group['id'])
    assert db.tag_get_page(ctxt, {}) == []
