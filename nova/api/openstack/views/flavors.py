"""Flavor (instance type) views."""

from nova.api.openstack import common


def basic(req, version, itype):
    """``{id, name[, links]}``."""
    data = {'id': _id(version, itype), 'name': itype['name']}
    if version != '1.0':
        data['links'] = common.links(req, 'flavors', itype['flavorid'])
    return data


def detail(req, version, itype):
    """The basic view with sizes."""
    data = basic(req, version, itype)
    data.update({'ram': itype['memory_mb'], 'disk': itype['local_gb'],
                 'vcpus': itype['vcpus'], 'swap': itype['swap'] or 0,
                 'rxtx_quota': itype['rxtx_quota'] or 0,
                 'rxtx_cap': itype['rxtx_cap'] or 0})
    return data


def _id(version, itype):
    flavorid = itype['flavorid']
    if version == '1.0':
        try:
            return int(flavorid)
        except (TypeError, ValueError):
            return flavorid
    return str(flavorid)
