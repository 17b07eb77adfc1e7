"""The least-cost scheduler: Diablo's formulas over a table of host states,
its filters, and the capability reports it decides on."""

import pytest

from nova import exception
from nova.scheduler import filters
from nova.scheduler import host_filter
from nova.scheduler import host_states
from nova.scheduler import least_cost

FILL_FIRST = 'nova.scheduler.least_cost.compute_fill_first_cost_fn'
NOOP = 'nova.scheduler.least_cost.noop_cost_fn'

# (host, host_memory_free MB, disk_available GB, extra capability)
TABLE = [
    ('h1', 1024, 100, {'gpu': 'none'}),
    ('h2', 4096, 5, {'gpu': 'none'}),
    ('h3', 2048, 50, {'gpu': 'tesla'}),
]


def _states(table=TABLE):
    states = host_states.HostStates()
    for host, ram, disk, extra in table:
        caps = {'host_memory_free': ram, 'disk_available': disk}
        caps.update(extra)
        states.update('compute', host, caps)
    return states


@pytest.fixture
def sched(ctxt, make_service):
    for host, _ram, _disk, _extra in TABLE:
        make_service(host)
    scheduler = least_cost.LeastCostScheduler()
    scheduler.set_host_states(_states())
    return scheduler


def _flavor(memory_mb=512, local_gb=0, **extra_specs):
    return {'memory_mb': memory_mb, 'local_gb': local_gb, 'vcpus': 1,
            'extra_specs': extra_specs}


def _choose(sched, ctxt, flavor, zone=None):
    return sched.select_compute_host(
        ctxt, None, zone, {'request_spec': {'instance_type': flavor}})


# -- the formulas ---------------------------------------------------------------
def test_normalize_list_divides_by_the_largest():
    assert least_cost.normalize_list([]) == []
    assert least_cost.normalize_list([1, 2, 4]) == [0.25, 0.5, 1.0]
    # Nothing positive: left as it is.
    assert least_cost.normalize_list([0, -2]) == [0, -2]


def test_weighted_sum_of_normalized_scores():
    domain = [1, 2, 4]
    fns = [(1, lambda x: x), (10, lambda x: 1)]
    assert least_cost.weighted_sum(domain, fns) == [10.25, 10.5, 11.0]
    assert least_cost.weighted_sum(domain, fns, normalize=False) == \
        [11, 12, 14]


@pytest.mark.parametrize('functions, weights, costs, chosen', [
    # Diablo's defaults: noop only, every host costs 1 (first one wins).
    ([NOOP], {}, {'h1': 1, 'h2': 1, 'h3': 1}, 'h1'),
    # Fill first, weight 1: free memory / largest; fullest host wins.
    ([FILL_FIRST], {}, {'h1': 0.25, 'h2': 1.0, 'h3': 0.5}, 'h1'),
    # Weight -1 spreads: the emptiest host wins.
    ([FILL_FIRST], {'compute_fill_first_cost_fn_weight': -1},
     {'h1': -0.25, 'h2': -1.0, 'h3': -0.5}, 'h2'),
    # Both, weighted: 3 * 1 + 2 * normalized free memory.
    ([NOOP, FILL_FIRST], {'noop_cost_fn_weight': 3,
                          'compute_fill_first_cost_fn_weight': 2},
     {'h1': 3.5, 'h2': 5.0, 'h3': 4.0}, 'h1'),
    # A bare name is one of this module's functions.
    (['compute_fill_first_cost_fn'], {},
     {'h1': 0.25, 'h2': 1.0, 'h3': 0.5}, 'h1'),
])
def test_costs_and_choice_match_diablo(sched, ctxt, set_flags, functions,
                                       weights, costs, chosen):
    set_flags(least_cost_scheduler_cost_functions=functions, **weights)
    plan = sched.select(ctxt, {'instance_type': _flavor()})
    assert dict((item['hostname'], item['weight']) for item in plan) == \
        pytest.approx(costs)
    assert [item['weight'] for item in plan] == \
        sorted(item['weight'] for item in plan)
    assert _choose(sched, ctxt, _flavor()) == chosen


def test_cost_functions_of_another_topic_do_not_apply(sched, set_flags):
    set_flags(least_cost_scheduler_cost_functions=[NOOP, FILL_FIRST])
    assert [fn for _w, fn in sched.get_cost_fns('volume')] == \
        [least_cost.noop_cost_fn]
    assert [fn for _w, fn in sched.get_cost_fns('compute')] == \
        [least_cost.noop_cost_fn, least_cost.compute_fill_first_cost_fn]


def test_unknown_cost_function_and_missing_weight_flag(sched, set_flags):
    set_flags(least_cost_scheduler_cost_functions=['compute_no_such_fn'])
    with pytest.raises(least_cost.SchedulerCostFunctionNotFound):
        sched.get_cost_fns('compute')
    set_flags(least_cost_scheduler_cost_functions=[
        'nova.scheduler.least_cost.normalize_list'])
    # Not of the topic: skipped.  One of the topic without a weight flag:
    sched.cost_fns_cache.clear()
    assert sched.get_cost_fns('compute') == []
    set_flags(least_cost_scheduler_cost_functions=[
        'tests.unit.scheduler.test_least_cost.compute_unweighted_cost_fn'])
    sched.cost_fns_cache.clear()
    with pytest.raises(least_cost.SchedulerWeightFlagNotFound) as info:
        sched.get_cost_fns('compute')
    assert 'compute_unweighted_cost_fn_weight' in str(info.value)


def compute_unweighted_cost_fn(host):
    """A cost function nobody DEFINEd a weight flag for."""
    return 0


def test_no_cost_function_leaves_every_host_equal(sched, ctxt, set_flags):
    set_flags(least_cost_scheduler_cost_functions=[])
    plan = sched.select(ctxt, {'instance_type': _flavor()})
    assert sorted(item['hostname'] for item in plan) == ['h1', 'h2', 'h3']
    assert set(item['weight'] for item in plan) == {0}


# -- candidates -----------------------------------------------------------------
def test_only_up_enabled_reported_hosts_in_the_zone(ctxt, make_service,
                                                    set_flags):
    set_flags(least_cost_scheduler_cost_functions=[FILL_FIRST])
    make_service('h1', up=False)
    make_service('h2', disabled=True)
    make_service('h3', zone='other')
    make_service('quiet')   # up, but never reported capabilities
    sched = least_cost.LeastCostScheduler()
    sched.set_host_states(_states())
    assert _choose(sched, ctxt, _flavor()) == 'h3'
    with pytest.raises(exception.NoValidHost) as info:
        _choose(sched, ctxt, _flavor(), zone='nova')
    assert 'No hosts were available' in str(info.value)


def test_instance_type_filter_needs_room_and_extra_specs(sched, ctxt,
                                                         set_flags):
    set_flags(default_host_filter='InstanceTypeFilter',
              least_cost_scheduler_cost_functions=[FILL_FIRST])
    # h1 (1024 MB free) is too small for 2048 MB; h3 then fills first.
    assert _choose(sched, ctxt, _flavor(memory_mb=2048)) == 'h3'
    # Only h1 has 60 GB of disk available.
    assert _choose(sched, ctxt, _flavor(memory_mb=1024, local_gb=60)) == 'h1'
    assert _choose(sched, ctxt, _flavor(gpu='tesla')) == 'h3'
    with pytest.raises(exception.NoValidHost):
        _choose(sched, ctxt, _flavor(memory_mb=8192))
    with pytest.raises(exception.NoValidHost):
        _choose(sched, ctxt, _flavor(gpu='quadro'))


def test_json_filter_grammar():
    states = _states().service_states
    json_filter = filters.JsonFilter()
    _name, query = json_filter.instance_type_to_filter(
        _flavor(memory_mb=2000, local_gb=10))
    assert [h for h, _s in json_filter.filter_hosts(states, query)] == \
        ['h3']
    query = ['or', ['=', '$compute.gpu', 'tesla'],
             ['<', '$compute.disk_available', 10]]
    assert [h for h, _s in json_filter.filter_hosts(states, query)] == \
        ['h2', 'h3']
    query = ['not', ['in', '$compute.gpu', 'tesla', 'quadro']]
    assert [h for h, _s in json_filter.filter_hosts(states, query)] == \
        ['h1', 'h2']
    # A capability nobody reported drops out: one argument compares false.
    query = ['>=', '$compute.no_such', 1]
    assert json_filter.filter_hosts(states, query) == []


def test_filter_by_request_and_unknown_filter(sched, ctxt, set_flags):
    set_flags(least_cost_scheduler_cost_functions=[FILL_FIRST])
    spec = {'instance_type': _flavor(memory_mb=3000), 'filter': 'JsonFilter'}
    assert [i['hostname'] for i in sched.select(ctxt, spec)] == ['h2']
    assert isinstance(host_filter.choose_host_filter(), filters.AllHostsFilter)
    with pytest.raises(host_filter.SchedulerHostFilterNotFound):
        sched.select(ctxt, dict(spec, filter='NoSuchFilter'))


def test_run_instance_casts_to_the_least_cost_host(sched, ctxt, casts,
                                                   make_instance, set_flags):
    set_flags(least_cost_scheduler_cost_functions=[FILL_FIRST],
              compute_fill_first_cost_fn_weight=-1)
    instance = make_instance()
    sched.schedule_run_instance(ctxt, instance['id'], request_spec={
        'instance_type': _flavor(), 'instance_properties': {}})
    kind, topic, msg = casts[-1]
    assert (kind, topic, msg['method']) == ('cast', 'compute.h2',
                                            'run_instance')
    # Without a request_spec the flavor comes from the instance row.
    instance = make_instance(memory_mb=3000)
    set_flags(default_host_filter='InstanceTypeFilter',
              compute_fill_first_cost_fn_weight=1)
    sched.schedule_run_instance(ctxt, instance['id'])
    assert casts[-1][1] == 'compute.h2'
