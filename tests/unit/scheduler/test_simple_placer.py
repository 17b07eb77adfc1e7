"""SimpleScheduler's placer: instances placed together share one read of
the hosts' loads, each counted before the next; a pick counts until its
host is written on the instance."""

import pytest

from nova import db
from nova import exception
from nova.scheduler import simple
from tests import batching
from tests import sql_statements


def _together(placer, requests):
    """``placer.place`` for each request, all in one batch."""
    return batching.as_one_batch(placer._batcher, _outcome,
                                 [(placer.place,) + r for r in requests])


def _outcome(call, *args):
    try:
        return call(*args)
    except exception.NoValidHost as error:
        return error


def test_a_batch_spreads_over_the_least_loaded_hosts_in_one_read(
        ctxt, make_service, make_instance):
    for host in ('h1', 'h2', 'h3'):
        make_service(host)
    make_instance(host='h1', vcpus=2)
    placer = simple._ComputePlacer()
    picks, statements = sql_statements.statements_of(
        lambda: _together(placer, [(ctxt, None, 1)] * 7))
    assert len([s for s in statements if 'services' in s]) == 1
    # h1 starts with 2 cores: h2 and h3 twice each, then all three in turn
    assert picks == ['h2', 'h3', 'h2', 'h3', 'h1', 'h2', 'h3']
    assert placer.unsettled == {'h1': 1, 'h2': 3, 'h3': 3}


def test_an_unwritten_pick_counts_for_the_next_placement(
        ctxt, make_service, make_instance):
    make_service('h1')
    make_service('h2')
    placer = simple._ComputePlacer()
    first = placer.place(ctxt, None, 4)
    # not written on an instance yet: the next read does not see it
    second = placer.place(ctxt, None, 1)
    assert {first, second} == {'h1', 'h2'}
    # written, then settled: counted by the database alone, once
    make_instance(host=first, vcpus=4)
    placer.settle(first, 4)
    placer.settle(second, 1)
    assert placer.unsettled == {}
    assert placer.place(ctxt, None, 1) == second


def test_each_request_of_a_batch_gets_its_own_refusal(
        ctxt, make_service, set_flags):
    set_flags(max_cores=2)
    make_service('h1')
    make_service('z1', zone='other')
    placer = simple._ComputePlacer()
    outcomes = _together(placer, [(ctxt, 'nova', 1), (ctxt, 'nova', 1),
                                  (ctxt, 'nova', 1), (ctxt, 'other', 2)])
    assert outcomes[:2] == ['h1', 'h1'] and outcomes[3] == 'z1'
    assert isinstance(outcomes[2], exception.NoValidHost)
    assert 'too many cores' in str(outcomes[2])


@pytest.mark.parametrize('deleted', [False, True])
def test_schedule_run_instance_settles_its_pick(
        ctxt, make_service, make_instance, casts, deleted):
    make_service('h1')
    inst = make_instance(vcpus=2)
    if deleted:
        db.instance_destroy(ctxt, inst['id'])
    scheduler = simple.SimpleScheduler()
    scheduler.schedule_run_instance(ctxt, inst['id'], request_spec={
        'instance_properties': {'vcpus': 2}})
    assert scheduler.placer.unsettled == {}
    assert scheduler._picks == {}
    sent = [msg for _kind, _topic, msg in casts]
    assert len(sent) == (0 if deleted else 1)
