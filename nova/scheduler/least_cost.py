"""LeastCostScheduler: the host with the least weighted cost.

``--scheduler_driver=nova.scheduler.least_cost.LeastCostScheduler`` (or as
``--compute_scheduler_driver`` of the MultiScheduler).  The hosts that pass
the filter (see :mod:`nova.scheduler.base_scheduler`) are scored by the
cost functions named in ``--least_cost_scheduler_cost_functions``; each
function's scores over the hosts are normalized to 0..1 (divided by the
largest, when it is positive), multiplied by the flag
``--<function name>_weight`` and summed.  The least total wins.

Cost functions take ``(hostname, {service: capabilities})``.  Only those
whose name starts with ``<topic>_`` (or ``noop``) apply to a topic.  The
built-in ones: ``noop_cost_fn`` (1 for every host) and
``compute_fill_first_cost_fn`` (the host's free memory, so the fullest
host is chosen first; a negative weight spreads instances instead).
"""

import collections
import logging

from nova import exception
from nova import flags
from nova import utils
from nova.scheduler import base_scheduler

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.scheduler.least_cost')

flags.DEFINE_list('least_cost_scheduler_cost_functions',
                  ['nova.scheduler.least_cost.noop_cost_fn'],
                  'Which cost functions the LeastCostScheduler should use.')
flags.DEFINE_integer('noop_cost_fn_weight', 1,
                     'How much weight to give the noop cost function')
flags.DEFINE_integer('compute_fill_first_cost_fn_weight', 1,
                     'How much weight to give the fill-first cost function')


class SchedulerCostFunctionNotFound(exception.NotFound):
    """A cost function of the flag cannot be imported."""

    message = ('Scheduler cost function %(cost_fn_str)s could not be '
               'found.')


class SchedulerWeightFlagNotFound(exception.NotFound):
    """A cost function has no ``<name>_weight`` flag."""

    message = 'Scheduler weight flag not found: %(flag_name)s'


def noop_cost_fn(host):
    """A cost of 1 for every host."""
    return 1


def compute_fill_first_cost_fn(host):
    """The host's free memory: the fuller hosts cost less."""
    _hostname, services = host
    caps = services.get('compute', {})
    return caps.get('host_memory_free', 0)


def normalize_list(values):
    """Each value divided by the largest, when the largest is positive."""
    if not values:
        return values
    largest = max(values)
    if largest > 0:
        return [float(value) / largest for value in values]
    return values


def weighted_sum(domain, weighted_fns, normalize=True):
    """The score of each element of ``domain`` (in order): the sum over
    ``(weight, fn)`` of ``weight * fn(element)``, each function's scores
    normalized first (see :func:`normalize_list`)."""
    table = collections.defaultdict(list)
    for weight, func in weighted_fns:
        scores = [func(elem) for elem in domain]
        if normalize:
            scores = normalize_list(scores)
        for index, score in enumerate(scores):
            table[index].append(score * weight)
    return [sum(table[index]) for index in sorted(table)]


def _weight_flag(cost_fn):
    """The value of ``--<cost function name>_weight``."""
    flag_name = '%s_weight' % cost_fn.__name__
    if flag_name not in FLAGS:
        raise SchedulerWeightFlagNotFound(flag_name=flag_name)
    return FLAGS.get(flag_name)


class LeastCostScheduler(base_scheduler.BaseScheduler):
    """Chooses the host of least weighted cost."""

    def __init__(self, *args, **kwargs):
        self.cost_fns_cache = {}
        super(LeastCostScheduler, self).__init__(*args, **kwargs)

    def get_cost_fns(self, topic):
        """``[(weight, cost function)]`` that apply to ``topic``.

        A bare name in the flag is looked up in this module.
        """
        if topic in self.cost_fns_cache:
            return self.cost_fns_cache[topic]
        cost_fns = []
        for cost_fn_str in FLAGS.least_cost_scheduler_cost_functions:
            if '.' in cost_fn_str:
                short_name = cost_fn_str.rsplit('.', 1)[-1]
            else:
                short_name = cost_fn_str
                cost_fn_str = '%s.%s' % (__name__, short_name)
            if not (short_name.startswith('%s_' % topic) or
                    short_name.startswith('noop')):
                continue
            try:
                cost_fn = utils.import_class(cost_fn_str)
            except (exception.ClassNotFound, ImportError, ValueError):
                raise SchedulerCostFunctionNotFound(cost_fn_str=cost_fn_str)
            cost_fns.append((_weight_flag(cost_fn), cost_fn))
        self.cost_fns_cache[topic] = cost_fns
        return cost_fns

    def weigh_hosts(self, topic, request_spec, hosts):
        """``[{weight, hostname, capabilities}]``: weight = the cost."""
        costs = weighted_sum(domain=hosts,
                             weighted_fns=self.get_cost_fns(topic))
        if not costs:
            costs = [0] * len(hosts)   # no cost function: all equal
        weighted = []
        for cost, (hostname, services) in zip(costs, hosts):
            weighted.append(dict(weight=cost, hostname=hostname,
                                 capabilities=services.get(topic, {})))
        LOG.debug('Weighted Costs => %s',
                  ['%s: %.2f' % (item['hostname'], item['weight'])
                   for item in weighted])
        return weighted
