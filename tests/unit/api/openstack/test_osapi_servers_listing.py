"""``/servers`` and ``/servers/detail`` read the column-only listing (as
EC2's DescribeInstances): each entry is exactly what ``/servers/{id}``
(the full object) shows -- metadata, flavor, image, network label,
addresses, access IPs, name, status."""

import pytest

from tests.unit.api.openstack.osapi_ext_helpers import call
from tests.unit.api.openstack.osapi_ext_helpers import load_osapi


@pytest.fixture
def app(sqlite_db, set_flags):
    return load_osapi(set_flags)


def _instances(count):
    from nova import context
    from nova import db
    from nova.network import manager
    admin = context.get_admin_context()
    manager.FlatManager().create_networks(admin, 'private', '10.9.0.0/24',
                                          num_networks=1, network_size=256,
                                          bridge='br100')
    network = db.network_get_all(admin)[0]
    ctxt = context.RequestContext('u', 'p')
    small = db.instance_type_get_by_name(admin, 'm1.small')
    ids = []
    for index in range(count):
        instance = db.instance_create(ctxt, {
            'user_id': 'u', 'project_id': 'p', 'image_ref': '7',
            'vm_state': 'active', 'instance_type_id': small['id'],
            'display_name': 'web%d' % index if index else '',
            'host': 'h1', 'access_ip_v4': '192.0.2.%d' % index,
            'metadata': {'tier': str(index), 'role': 'web'}})
        db.fixed_ip_associate_pool(admin, network['id'], instance['id'])
        ids.append(instance['id'])
    # Another project's server is never listed.
    db.instance_create(context.RequestContext('v', 'q'), {
        'user_id': 'v', 'project_id': 'q', 'image_ref': '7',
        'vm_state': 'active', 'instance_type_id': small['id']})
    return ids


def test_detail_entries_equal_show(app):
    ids = _instances(3)
    res = call(app, '/servers/detail', user='u', project='p')
    assert res.status_int == 200
    listed = res.json['servers']
    assert sorted(s['id'] for s in listed) == sorted(ids)
    for entry in listed:
        shown = call(app, '/servers/%d' % entry['id'], user='u',
                     project='p').json['server']
        assert entry == shown
    first = [s for s in listed if s['id'] == ids[0]][0]
    assert first['name'] == 'Server %d' % ids[0]
    assert first['metadata'] == {'tier': '0', 'role': 'web'}
    assert first['flavor']['id'] == '2'
    assert first['image']['id'] == '7'
    assert first['accessIPv4'] == '192.0.2.0'
    assert [a['version'] for a in first['addresses']['private']] == [4]


def test_index_and_filters_from_the_listing(app):
    ids = _instances(3)
    res = call(app, '/servers', user='u', project='p')
    assert sorted(s['id'] for s in res.json['servers']) == sorted(ids)
    res = call(app, '/servers/detail?flavor=2&name=web2', user='u',
               project='p')
    assert [s['id'] for s in res.json['servers']] == [ids[2]]
    res = call(app, '/servers/detail?flavor=1', user='u', project='p')
    assert res.json['servers'] == []
