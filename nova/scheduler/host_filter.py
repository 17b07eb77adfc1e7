"""Choosing a host filter by name (``--default_host_filter``).

Only the filters of :mod:`nova.scheduler.filters` may be named, by their
class name (``AllHostsFilter``, ``InstanceTypeFilter``, ``JsonFilter``).
"""

from nova import exception
from nova import flags
from nova.scheduler import filters

FLAGS = flags.FLAGS


class SchedulerHostFilterNotFound(exception.NotFound):
    """A request or ``--default_host_filter`` names no known filter."""

    message = 'Scheduler Host Filter %(filter_name)s could not be found.'


def _filter_classes():
    """Every filter class of :mod:`nova.scheduler.filters`."""
    found = []
    for name in dir(filters):
        item = getattr(filters, name)
        if isinstance(item, type) and \
                issubclass(item, filters.AbstractHostFilter) and \
                item is not filters.AbstractHostFilter:
            found.append(item)
    return found


def choose_host_filter(filter_name=None):
    """An instance of the filter named ``filter_name`` (default:
    ``--default_host_filter``); SchedulerHostFilterNotFound otherwise."""
    filter_name = filter_name or FLAGS.default_host_filter
    for filter_class in _filter_classes():
        if filter_class.__name__ == filter_name:
            return filter_class()
    raise SchedulerHostFilterNotFound(filter_name=filter_name)
