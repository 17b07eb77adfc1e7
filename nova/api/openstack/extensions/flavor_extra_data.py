"""``os-flavor-extra-data``: flavors carry ``rxtx_cap``, ``rxtx_quota``
and ``swap`` besides name, ram, disk and vcpus.

As in Diablo 2011.3 this extension only announces the attributes: the
core flavor detail (:mod:`nova.api.openstack.views.flavors`) includes them
whether or not the extension is listed.
"""

EXTENSION = {
    'name': 'FlavorExtraData',
    'alias': 'os-flavor-extra-data',
    'description': 'Provide additional data for flavors',
    'namespace': 'http://docs.openstack.org/ext/flavor_extra_data/api/v1.1',
    'updated': '2011-09-14T00:00:00+00:00',
}
