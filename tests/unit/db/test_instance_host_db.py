"""nova-compute's batched instance reads and writes
(:mod:`nova.db.sqlalchemy.api_instance_host`) on SQLite.

Batches are made deterministic by holding a batcher's lock while the calls
queue behind it: released, they all run as one batch.  The same functions
run on real PostgreSQL and MariaDB servers in the integration tier
(tests/integration/test_db_batched_instances.py); the unit tier has no
fixture for those servers.
"""

import datetime

import pytest
import sqlalchemy as sa

from nova import context
from nova import db
from nova import exception
from nova.db.sqlalchemy import api_instance_host as host_api
from nova.db.sqlalchemy import session as db_session
from tests import batching

CALLS = 10


def _instance(ctxt, **values):
    base = {'user_id': 'alice', 'project_id': 'proj1', 'vcpus': 1,
            'memory_mb': 512, 'vm_state': 'building',
            'task_state': 'scheduling', 'instance_type_id': 1}
    base.update(values)
    return db.instance_create(ctxt, base).id


def _rows(sql, **params):
    with db_session.get_engine().connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def _row(instance_id):
    return _rows('SELECT * FROM instances WHERE id = :i', i=instance_id)[0]


def _spy(monkeypatch, batcher):
    """The sizes of the batches ``batcher`` runs from now on."""
    sizes, run = [], batcher._run_batch

    def spy(items):
        sizes.append(len(items))
        return run(items)
    monkeypatch.setattr(batcher, '_run_batch', spy)
    return sizes


def _outcome(call, *args):
    try:
        return True, call(*args)
    except Exception as error:  # noqa: BLE001 - the test looks at it
        return False, error


def _batched(monkeypatch, batcher, call, args_list):
    """``call(*args)`` for each args in green threads of their own, queued
    behind ``batcher``'s lock; [(ok, result or error)] and batch sizes."""
    sizes = _spy(monkeypatch, batcher)
    results = batching.as_one_batch(
        batcher, _outcome, [(call,) + tuple(args) for args in args_list])
    return results, sizes


def test_get_for_host_batch_loads_each_its_own(admin, user, monkeypatch):
    groups = [db.security_group_create(user, {
        'name': 'g%d' % n, 'project_id': 'proj1', 'user_id': 'alice'}).id
        for n in range(CALLS + 1)]
    ids = [_instance(admin, instance_type_id=1 + n % 2,
                     security_groups=groups[n:n + 1 + n % 2])
           for n in range(CALLS)]
    gone = _instance(admin)
    db.instance_destroy(admin, gone)
    flavors = dict(_rows('SELECT id, name FROM instance_types'))
    order = ids[::-1] + [gone]
    results, sizes = _batched(monkeypatch, host_api._GET_FOR_HOST,
                              db.instance_get_for_host,
                              [(context.get_admin_context(), i)
                               for i in order])
    assert sizes == [CALLS + 1]
    assert results[-1][0] is False
    assert isinstance(results[-1][1], exception.InstanceNotFound)
    for instance_id, (ok, inst) in zip(order, results[:-1]):
        n = ids.index(instance_id)
        assert ok and inst.id == instance_id
        # Relations were loaded in the batch: usable with the session gone.
        assert inst.instance_type.name == flavors[1 + n % 2]
        assert sorted(g.name for g in inst.security_groups) == \
            sorted('g%d' % m for m in range(n, n + 1 + n % 2))


def test_get_states_batch_answers_each(admin, monkeypatch):
    ids = [_instance(admin, vm_state='vm%d' % n, task_state='task%d' % n)
           for n in range(CALLS)]
    gone = _instance(admin)
    db.instance_destroy(admin, gone)
    results, sizes = _batched(monkeypatch, host_api._GET_STATES,
                              db.instance_get_states,
                              [(admin, i) for i in [gone] + ids])
    assert sizes == [CALLS + 1]
    assert results[0][0] is False
    assert isinstance(results[0][1], exception.InstanceNotFound)
    assert results[1:] == [(True, ('vm%d' % n, 'task%d' % n))
                           for n in range(CALLS)]


def test_update_columns_batch_applies_each_its_own(admin, monkeypatch):
    ids = [_instance(admin) for _ in range(CALLS)]
    bystander = _instance(admin)
    then = datetime.datetime(2026, 1, 2, 3, 4, 5)
    changes = [(admin, i, {'task_state': 'net%d' % n} if n % 2 else
                {'vm_state': 'active', 'task_state': None,
                 'launched_at': then + datetime.timedelta(minutes=n)})
               for n, i in enumerate(ids)]
    changes.insert(3, (admin, 99999, {'task_state': 'x'}))
    results, sizes = _batched(monkeypatch, host_api._UPDATE_COLUMNS,
                              db.instance_update_columns, changes)
    assert sizes == [CALLS + 1]
    assert [ok for ok, _ in results] == \
        [True] * 3 + [False] + [True] * (CALLS - 3)
    assert isinstance(results[3][1], exception.InstanceNotFound)
    for n, instance_id in enumerate(ids):
        row = _row(instance_id)
        assert row.updated_at is not None
        if n % 2:
            assert (row.vm_state, row.task_state, row.launched_at) == \
                ('building', 'net%d' % n, None)
        else:
            assert (row.vm_state, row.task_state) == ('active', None)
            assert str(row.launched_at).startswith(
                str(then + datetime.timedelta(minutes=n)))
    row = _row(bystander)
    assert (row.vm_state, row.task_state, row.updated_at) == \
        ('building', 'scheduling', None)


def test_a_bad_column_fails_only_its_own_call(admin, monkeypatch):
    ids = [_instance(admin) for _ in range(4)]
    changes = [(admin, i, {'task_state': 'spawning'}) for i in ids]
    changes[1] = (admin, ids[1], {'no_such_column': 1})
    results, sizes = _batched(monkeypatch, host_api._UPDATE_COLUMNS,
                              db.instance_update_columns, changes)
    # The batch fails as a whole, then each item runs alone.
    assert sizes == [4, 1, 1, 1, 1]
    assert [ok for ok, _ in results] == [True, False, True, True]
    assert [_row(i).task_state for i in ids] == \
        ['spawning', 'scheduling', 'spawning', 'spawning']


def _with_dependents(ctxt, group, n):
    instance_id = _instance(ctxt, security_groups=[group],
                            metadata={'k': str(n)})
    db.instance_fault_create(ctxt, {'instance_id': instance_id, 'code': 500,
                                    'message': 'boom %d' % n})
    db.tag_set(ctxt, 'proj1', [('instance', 'i-%08x' % instance_id)],
               [('env', 'n%d' % n)])
    return instance_id


def _live_dependents(instance_id):
    counts = [_rows('SELECT COUNT(*) FROM %s WHERE instance_id = :i AND '
                    'deleted = 0' % table, i=instance_id)[0][0]
              for table in ('security_group_instance_association',
                            'instance_metadata', 'instance_faults')]
    return counts + [_rows('SELECT COUNT(*) FROM tags WHERE resource_id = '
                           ':r', r='i-%08x' % instance_id)[0][0]]


def test_destroy_batch_soft_deletes_each_and_its_dependents(
        admin, user, monkeypatch):
    group = db.security_group_ensure_default(user).id
    ids = [_with_dependents(admin, group, n) for n in range(CALLS)]
    bystander = _with_dependents(admin, group, CALLS)
    gone = _instance(admin)
    db.instance_destroy(admin, gone)
    then = datetime.datetime(2026, 1, 2, 3, 4, 5)
    calls = [(admin, i, {'vm_state': 'deleted', 'terminated_at': then}
              if n % 2 else None) for n, i in enumerate(ids)]
    calls.append((admin, gone, None))
    results, sizes = _batched(monkeypatch, host_api._DESTROY,
                              db.instance_destroy, calls)
    assert sizes == [CALLS + 1]
    assert results[:-1] == [(True, None)] * CALLS
    assert isinstance(results[-1][1], exception.InstanceNotFound)
    for n, instance_id in enumerate(ids):
        row = _row(instance_id)
        assert row.deleted and row.deleted_at is not None
        assert row.vm_state == ('deleted' if n % 2 else 'building')
        assert (row.terminated_at is not None) == bool(n % 2)
        assert _live_dependents(instance_id) == [0, 0, 0, 0]
        with pytest.raises(exception.InstanceNotFound):
            db.instance_get_for_host(admin, instance_id)
    assert not _row(bystander).deleted
    assert _live_dependents(bystander) == [1, 1, 1, 1]


def test_user_context_runs_alone_in_its_project(admin, user, monkeypatch):
    batchers = (host_api._GET_FOR_HOST, host_api._GET_STATES,
                host_api._UPDATE_COLUMNS, host_api._DESTROY)
    sizes = [_spy(monkeypatch, batcher) for batcher in batchers]
    mine = _instance(user)
    theirs = _instance(admin, project_id='proj2', user_id='bob')
    for call, args in ((db.instance_get_for_host, ()),
                       (db.instance_get_states, ()),
                       (db.instance_update_columns, ({'vm_state': 'x'},)),
                       (db.instance_destroy, ())):
        with pytest.raises(exception.InstanceNotFound):
            call(user, theirs, *args)
    row = _row(theirs)
    assert (row.vm_state, row.deleted) == ('building', False)
    assert db.instance_get_for_host(user, mine).id == mine
    db.instance_update_columns(user, mine, {'task_state': 'spawning'})
    assert db.instance_get_states(user, mine) == ('building', 'spawning')
    db.instance_destroy(user, mine)
    assert _row(mine).deleted
    assert sizes == [[], [], [], []]


def test_admin_call_in_a_transaction_joins_it(admin, user, monkeypatch):
    sizes = _spy(monkeypatch, host_api._UPDATE_COLUMNS)
    destroys = _spy(monkeypatch, host_api._DESTROY)
    a = _instance(admin)
    b = _with_dependents(admin, db.security_group_ensure_default(user).id, 0)
    with pytest.raises(RuntimeError):
        with db_session.session_scope():
            db.instance_update_columns(admin, a, {'vm_state': 'active'})
            db.instance_destroy(admin, b)
            assert db.instance_get_states(admin, a) == \
                ('active', 'scheduling')
            with pytest.raises(exception.InstanceNotFound):
                db.instance_get_states(admin, b)
            raise RuntimeError('roll back')
    assert sizes == [] and destroys == []
    assert db.instance_get_states(admin, a) == ('building', 'scheduling')
    assert db.instance_get_for_host(admin, b).id == b
    assert _live_dependents(b) == [1, 1, 1, 1]
    # Reading deleted rows is not batched either.
    db.instance_destroy(admin, b)
    assert db.instance_get_for_host(
        context.get_admin_context(read_deleted='yes'), b).deleted
    assert destroys == [1]


def test_a_second_destroy_in_a_batch_is_not_found(admin, monkeypatch):
    a = _instance(admin)
    results, sizes = _batched(monkeypatch, host_api._DESTROY,
                              db.instance_destroy,
                              [(admin, a, {'vm_state': 'deleted'}),
                               (admin, a, {'vm_state': 'error'})])
    assert sizes == [2]
    # Run one after the other, the second call finds nothing to delete.
    assert [ok for ok, _ in results] == [True, False]
    assert _row(a).vm_state == 'deleted'


@pytest.mark.parametrize('bad', ['abc', None, '1 OR 1=1', [1]])
def test_a_non_integer_id_is_not_found(admin, user, bad):
    _instance(admin)
    for ctxt in (admin, user):
        for call, args in ((db.instance_get_for_host, ()),
                           (db.instance_get_states, ()),
                           (db.instance_update_columns, ({'locked': 1},)),
                           (db.instance_destroy, ())):
            with pytest.raises(exception.InstanceNotFound):
                call(ctxt, bad, *args)
