"""Instance types (flavors): lookups over ``db.instance_type_*``.

Flavors come back as dicts (the columns plus ``extra_specs``), as Diablo's
helpers returned them.  ``--default_instance_type`` (``m1.small``) names the
flavor used when a request gives none.
"""

import logging

from nova import context as nova_context
from nova import db
from nova import exception
from nova import flags

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.compute.instance_types')

_INT_FIELDS = ('memory_mb', 'vcpus', 'local_gb', 'flavorid', 'swap',
               'rxtx_quota', 'rxtx_cap')


def _admin():
    return nova_context.get_admin_context()


def create(name, memory, vcpus, local_gb, flavorid, swap=0, rxtx_quota=0,
           rxtx_cap=0):
    """Create a flavor after checking its numbers; returns it.

    Raises InvalidInput for a non-numeric or negative value (``memory`` and
    ``vcpus`` must be positive) and InstanceTypeExists for a taken name.
    """
    values = {'memory_mb': memory, 'vcpus': vcpus, 'local_gb': local_gb,
              'flavorid': flavorid, 'swap': swap, 'rxtx_quota': rxtx_quota,
              'rxtx_cap': rxtx_cap}
    for field in _INT_FIELDS:
        try:
            values[field] = int(values[field])
        except (TypeError, ValueError):
            raise exception.InvalidInput(
                reason='%s must be an integer' % field)
        minimum = 1 if field in ('memory_mb', 'vcpus') else 0
        if values[field] < minimum:
            raise exception.InvalidInput(
                reason='%s must be at least %d' % (field, minimum))
    if not name or not str(name).strip():
        raise exception.InvalidInput(reason='a flavor needs a name')
    values['name'] = str(name).strip()
    return db.instance_type_create(_admin(), values)


def destroy(name):
    """Mark a flavor deleted; raises InstanceTypeNotFoundByName."""
    if not name:
        raise exception.InstanceTypeNotFoundByName(instance_type_name=name)
    db.instance_type_destroy(_admin(), name)


def purge(name):
    """Remove a flavor for good; raises InstanceTypeNotFoundByName."""
    db.instance_type_purge(_admin(), name)


def get_all_types(inactive=False):
    """``{name: flavor}`` of every flavor (``inactive`` adds deleted)."""
    return db.instance_type_get_all(_admin(), inactive)


get_all_flavors = get_all_types


def get_default_instance_type():
    """The flavor named by ``--default_instance_type``."""
    name = FLAGS.default_instance_type
    try:
        return get_instance_type_by_name(name)
    except exception.InstanceTypeNotFoundByName:
        raise exception.InstanceTypeNotFoundByName(instance_type_name=name)


def get_instance_type(instance_type_id):
    """A flavor by internal id (None: the default flavor)."""
    if instance_type_id is None:
        return get_default_instance_type()
    return db.instance_type_get(_admin(), instance_type_id)


def get_instance_type_by_name(name):
    """A flavor by name (None or '': the default flavor).

    Raises InstanceTypeNotFoundByName.
    """
    if name is None or name == '':
        return get_default_instance_type()
    return db.instance_type_get_by_name(_admin(), name)


def get_instance_type_by_flavor_id(flavor_id):
    """A flavor by its public flavorid; raises FlavorNotFound."""
    return db.instance_type_get_by_flavor_id(_admin(), flavor_id)
