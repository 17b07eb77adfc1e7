"""What the services told the scheduler about their hosts (in memory).

Managers report their capabilities with a fanout cast of
``update_service_capabilities``; every scheduler keeps the latest report
per host and service here.  Nothing is stored in the database: a restarted
scheduler learns them again at the next reports.
"""

import numbers

from nova import utils


class HostStates(object):
    """``{host: {service: capabilities}}`` with the time of each report."""

    def __init__(self):
        self.service_states = {}
        self.reported_at = {}

    def update(self, service_name, host, capabilities):
        """Remember the latest capabilities of ``service_name`` on ``host``."""
        self.service_states.setdefault(host, {})[service_name] = \
            dict(capabilities or {})
        self.reported_at[(host, service_name)] = utils.utcnow()

    def get(self, host, service_name=None):
        """The capabilities of one host (of one of its services)."""
        states = self.service_states.get(host, {})
        if service_name is None:
            return dict(states)
        return dict(states.get(service_name, {}))

    def get_host_list(self):
        """``[{'host_name': host, 'service': service}]`` that reported."""
        return [{'host_name': host, 'service': service}
                for host in sorted(self.service_states)
                for service in sorted(self.service_states[host])]

    def get_service_capabilities(self):
        """Numeric capabilities over all hosts: ``{'<service>_<name>':
        (min, max)}``."""
        combined = {}
        for services in self.service_states.values():
            for service, caps in services.items():
                for name, value in caps.items():
                    if isinstance(value, bool) or \
                            not isinstance(value, numbers.Number):
                        continue
                    key = '%s_%s' % (service, name)
                    low, high = combined.get(key, (value, value))
                    combined[key] = (min(low, value), max(high, value))
        return combined
