"""db.volume_get_page/snapshot_get_page (keyset pages, project scoped) and
the tags of a volume or snapshot going with it when it is destroyed."""

import pytest

from nova import context
from nova import db


@pytest.fixture
def users(sqlite_db):
    return (context.RequestContext('alice', 'p1'),
            context.RequestContext('bob', 'p2'))


def _volume(ctxt):
    return db.volume_create(ctxt, {'project_id': ctxt.project_id,
                                   'user_id': ctxt.user_id, 'size': 1,
                                   'status': 'available'})


def _snapshot(ctxt, volume):
    return db.snapshot_create(ctxt, {
        'project_id': ctxt.project_id, 'user_id': ctxt.user_id,
        'volume_id': volume['id'], 'volume_size': 1,
        'status': 'available'})


def test_volume_pages(users):
    alice, bob = users
    mine = [_volume(alice)['id'] for _ in range(5)]
    _volume(bob)
    ids = [v['id'] for v in db.volume_get_page(alice, limit=3)]
    assert ids == mine[:3]
    ids = [v['id'] for v in db.volume_get_page(alice, marker=mine[2])]
    assert ids == mine[3:]
    ids = [v['id'] for v in db.volume_get_page(
        alice, ids=[mine[0], mine[4], 999], marker=mine[0])]
    assert ids == [mine[4]]
    assert len(db.volume_get_page(alice.elevated())) == 6


def test_snapshot_pages(users):
    alice, bob = users
    volume = _volume(alice)
    mine = [_snapshot(alice, volume)['id'] for _ in range(4)]
    _snapshot(bob, _volume(bob))
    ids = [s['id'] for s in db.snapshot_get_page(alice, marker=mine[0],
                                                limit=2)]
    assert ids == mine[1:3]
    assert [s['id'] for s in db.snapshot_get_page(alice, ids=[])] == []


def test_destroy_drops_tags(users):
    alice, _bob = users
    volume = _volume(alice)
    snapshot = _snapshot(alice, volume)
    vol_id, snap_id = 'vol-%08x' % volume['id'], 'snap-%08x' % snapshot['id']
    db.tag_set(alice, 'p1', [('volume', vol_id), ('snapshot', snap_id)],
               [('k', 'v')])
    other = _volume(alice)
    db.tag_set(alice, 'p1', [('volume', 'vol-%08x' % other['id'])],
               [('k', 'v')])
    db.snapshot_destroy(alice.elevated(), snapshot['id'])
    assert set(db.tag_get_by_resources(alice, [vol_id, snap_id])) == \
        {vol_id}
    db.volume_destroy(alice.elevated(), volume['id'])
    assert db.tag_get_by_resources(alice, [vol_id]) == {}
    assert db.tag_get_by_resources(
        alice, ['vol-%08x' % other['id']]) != {}
