"""``nova-manage flavor`` (also ``instance_type``): manage flavors."""

from nova import db
from nova import exception
from nova.manage.base import admin_context, args

_LINE = ('%s: Memory: %sMB, VCPUS: %s, Storage: %sGB, FlavorID: %s, '
         'Swap: %sGB, RXTX Quota: %sGB, RXTX Cap: %sMB%s')


def _integer(label, value, minimum):
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = None
    if number is None or number < minimum:
        kind = 'a positive' if minimum > 0 else 'a non-negative'
        raise exception.InvalidInput(
            reason='%s must be %s integer, not %r' % (label, kind, value))
    return number


def _print_flavor(name, flavor):
    inactive = ', inactive' if flavor['deleted'] else ''
    print(_LINE % (name, flavor['memory_mb'], flavor['vcpus'],
                   flavor['local_gb'], flavor['flavorid'], flavor['swap'],
                   flavor['rxtx_quota'], flavor['rxtx_cap'], inactive))


class FlavorCommands(object):
    """Class for managing flavors (instance types)."""

    @args('--name', dest='name', metavar='<name>', help='Name of flavor')
    @args('--memory', dest='memory', metavar='<memory size>',
          help='Memory size in MB')
    @args('--cpu', dest='vcpus', metavar='<num cores>', help='Number cpus')
    @args('--local_gb', dest='local_gb', metavar='<local_gb>',
          help='local_gb')
    @args('--flavor', dest='flavorid', metavar='<flavor id>',
          help='Flavor ID')
    @args('--swap', dest='swap', metavar='<swap>', help='Swap')
    @args('--rxtx_quota', dest='rxtx_quota', metavar='<rxtx_quota>',
          help='rxtx_quota')
    @args('--rxtx_cap', dest='rxtx_cap', metavar='<rxtx_cap>',
          help='rxtx_cap')
    def create(self, name, memory, vcpus, local_gb, flavorid, swap=0,
               rxtx_quota=0, rxtx_cap=0):
        """Creates flavors / instance types."""
        name = (name or '').strip()
        if not name:
            raise exception.InvalidInput(reason='name must not be empty')
        values = {
            'name': name,
            'memory_mb': _integer('memory', memory, 1),
            'vcpus': _integer('vcpus', vcpus, 1),
            'local_gb': _integer('local_gb', local_gb, 0),
            'flavorid': _integer('flavorid', flavorid, 0),
            'swap': _integer('swap', swap, 0),
            'rxtx_quota': _integer('rxtx_quota', rxtx_quota, 0),
            'rxtx_cap': _integer('rxtx_cap', rxtx_cap, 0),
        }
        db.instance_type_create(admin_context(), values)
        print('%s created' % name)

    @args('--name', dest='name', metavar='<name>', help='Name of flavor')
    @args('--purge', dest='purge', action='store_const', const='--purge',
          help='Remove the flavor for good (frees its name and id)')
    def delete(self, name, purge=None):
        """Marks flavors / instance types as deleted (--purge: removes)."""
        if purge in ('--purge', 'purge', True):
            db.instance_type_purge(admin_context(), name)
            print('%s purged' % name)
        elif purge is None:
            db.instance_type_destroy(admin_context(), name)
            print('%s deleted' % name)
        else:
            raise exception.InvalidInput(
                reason='unexpected argument %r (did you mean --purge?)'
                % purge)

    @args('--name', dest='name', metavar='<name>', help='Name of flavor')
    @args('--all', dest='name', action='store_const', const='--all',
          help='Include deleted (inactive) flavors')
    def list(self, name=None):
        """Lists all active or specific flavors / instance types."""
        ctxt = admin_context()
        if name is None or name == '--all':
            flavors = db.instance_type_get_all(ctxt, inactive=name is not None)
            for key, flavor in flavors.items():
                _print_flavor(key, flavor)
        else:
            _print_flavor(name, db.instance_type_get_by_name(ctxt, name))
