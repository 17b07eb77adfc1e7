"""InstanceTypeFilter: hosts with room for a flavor and its extra specs.

A host passes when its compute capabilities show at least the flavor's
memory free (``host_memory_free`` >= ``memory_mb``) and disk available
(``disk_available`` >= ``local_gb``), and every extra spec of the flavor is
a capability of the same value.  The units are those the compute drivers
report: megabytes of memory, gigabytes of disk.
"""

from nova.scheduler.filters import abstract_filter


class InstanceTypeFilter(abstract_filter.AbstractHostFilter):
    """Compares a flavor with each host's compute capabilities."""

    def instance_type_to_filter(self, instance_type):
        """The flavor is the query."""
        return (self._full_name(), instance_type)

    @staticmethod
    def _satisfies_extra_specs(capabilities, instance_type):
        """Every extra spec is a capability of exactly that value."""
        specs = instance_type.get('extra_specs') or {}
        for key, value in specs.items():
            if key not in capabilities or capabilities[key] != value:
                return False
        return True

    def filter_hosts(self, service_states, query):
        """Hosts whose compute service can create the flavor ``query``."""
        instance_type = query
        selected = []
        for host, services in sorted(service_states.items()):
            caps = services.get('compute') or {}
            if not caps:
                continue
            free_ram = caps.get('host_memory_free', 0) or 0
            free_disk = caps.get('disk_available', 0) or 0
            if free_ram >= (instance_type.get('memory_mb') or 0) and \
                    free_disk >= (instance_type.get('local_gb') or 0) and \
                    self._satisfies_extra_specs(caps, instance_type):
                selected.append((host, services))
        return selected
