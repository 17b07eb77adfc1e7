"""AllHostsFilter: every host that reported passes."""

from nova.scheduler.filters import abstract_filter


class AllHostsFilter(abstract_filter.AbstractHostFilter):
    """Keeps every host (the default filter)."""

    def instance_type_to_filter(self, instance_type):
        """The flavor itself; this filter ignores it."""
        return (self._full_name(), instance_type)

    def filter_hosts(self, service_states, query):
        """Every ``(host, services)``."""
        return [(host, services)
                for host, services in sorted(service_states.items())]
