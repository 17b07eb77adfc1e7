"""JsonFilter: hosts selected by a small JSON query grammar.

A query is a list ``[operator, arg, ...]``; an argument is a constant, a
nested query, or ``'$service.capability[.sub...]'`` (a host's reported
value; a missing one is left out of the arguments).  Operators: ``=``,
``<``, ``>``, ``<=``, ``>=`` (the first argument against every other),
``in`` (the first argument among the others), ``not`` (each argument
flipped), ``or``, ``and``.  For example::

    ["and", [">=", "$compute.host_memory_free", 512],
            [">=", "$compute.disk_available", 10]]
"""

import json
import operator

from nova.scheduler.filters import abstract_filter


def _compare(args, op):
    """Whether ``op(args[0], x)`` holds for every later x (needs two)."""
    if len(args) < 2:
        return False
    if op is operator.contains:
        return args[0] in args[1:]
    return all(op(args[0], arg) for arg in args[1:])


class JsonFilter(abstract_filter.AbstractHostFilter):
    """Evaluates a JSON query against each host's capabilities."""

    commands = {
        '=': lambda args: _compare(args, operator.eq),
        '<': lambda args: _compare(args, operator.lt),
        '>': lambda args: _compare(args, operator.gt),
        'in': lambda args: _compare(args, operator.contains),
        '<=': lambda args: _compare(args, operator.le),
        '>=': lambda args: _compare(args, operator.ge),
        'not': lambda args: [not arg for arg in args],
        'or': any,
        'and': all,
    }

    def instance_type_to_filter(self, instance_type):
        """The query for a flavor: enough free memory and disk."""
        query = ['and',
                 ['>=', '$compute.host_memory_free',
                  instance_type.get('memory_mb') or 0],
                 ['>=', '$compute.disk_available',
                  instance_type.get('local_gb') or 0]]
        return (self._full_name(), json.dumps(query))

    @staticmethod
    def _lookup(text, services):
        """A constant, or the capability a ``$`` path names (None if
        the host did not report it)."""
        if not text.startswith('$'):
            return text
        value = services
        for item in text[1:].split('.'):
            if not isinstance(value, dict) or item not in value:
                return None
            value = value[item]
        return value

    def _evaluate(self, query, services):
        """The value of one (nested) query for one host."""
        if not query:
            return True
        method = self.commands[query[0]]
        args = []
        for arg in query[1:]:
            if isinstance(arg, list):
                arg = self._evaluate(arg, services)
            elif isinstance(arg, str):
                arg = self._lookup(arg, services)
            if arg is not None:
                args.append(arg)
        return method(args)

    def filter_hosts(self, service_states, query):
        """Hosts for which ``query`` (JSON text) holds."""
        expanded = json.loads(query) if isinstance(query, str) else query
        selected = []
        for host, services in sorted(service_states.items()):
            result = self._evaluate(expanded, services)
            if isinstance(result, list):
                result = any(result)
            if result:
                selected.append((host, services))
        return selected
