"""The base class of host filters, and ``--default_host_filter``."""

from nova import flags

FLAGS = flags.FLAGS
flags.DEFINE_string('default_host_filter', 'AllHostsFilter',
                    'Which filter to use for filtering hosts')


class AbstractHostFilter(object):
    """Turns a flavor into a query, and a query into the hosts that pass.

    ``service_states`` is ``{host: {service: capabilities}}`` (see
    :class:`nova.scheduler.host_states.HostStates`).
    """

    def instance_type_to_filter(self, instance_type):
        """``(filter name, query)`` for the common case of a flavor."""
        raise NotImplementedError()

    def filter_hosts(self, service_states, query):
        """``[(host, services)]`` of the hosts that satisfy ``query``."""
        raise NotImplementedError()

    def _full_name(self):
        """module.classname of the filter."""
        return '%s.%s' % (self.__module__, type(self).__name__)
