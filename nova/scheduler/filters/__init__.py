"""Host filters of the zone-aware schedulers (``--default_host_filter``).

A filter narrows the hosts that reported capabilities to those that can
take a request.  AllHostsFilter keeps every host, InstanceTypeFilter
compares a flavor (memory, disk, extra specs) with each host's compute
capabilities, JsonFilter evaluates a small JSON query grammar.  Every
filter returns ``[(host, {service: capabilities})]``.
"""

from nova.scheduler.filters.abstract_filter import AbstractHostFilter
from nova.scheduler.filters.all_hosts_filter import AllHostsFilter
from nova.scheduler.filters.instance_type_filter import InstanceTypeFilter
from nova.scheduler.filters.json_filter import JsonFilter

__all__ = ['AbstractHostFilter', 'AllHostsFilter', 'InstanceTypeFilter',
           'JsonFilter']
