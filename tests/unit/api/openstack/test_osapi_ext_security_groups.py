"""``security_groups``: groups, rules and the add/remove server actions."""

from xml.dom import minidom

import pytest

from nova import context
from nova import db
from tests.unit.api.openstack.osapi_ext_helpers import call, fault_name
from tests.unit.api.openstack.osapi_ext_helpers import load_osapi


@pytest.fixture
def osapi(sqlite_db, set_flags):
    return load_osapi(set_flags)


def _server(project='proj'):
    ctxt = context.get_admin_context()
    return db.instance_create(ctxt, {'project_id': project,
                                     'user_id': 'alice',
                                     'vm_state': 'active',
                                     'display_name': 'vm'})


def _group(app, name='web', project='proj'):
    res = call(app, '/os-security-groups', 'POST',
               {'security_group': {'name': name, 'description': 'd ' + name}},
               project=project)
    assert res.status_int == 200, res.body
    return res.json['security_group']


def test_groups_crud_and_default(osapi):
    listed = call(osapi, '/os-security-groups').json['security_groups']
    assert [g['name'] for g in listed] == ['default']
    group = _group(osapi)
    assert group['tenant_id'] == 'proj' and group['rules'] == []
    assert group['description'] == 'd web'
    shown = call(osapi, '/os-security-groups/%s' % group['id']).json
    assert shown['security_group']['name'] == 'web'
    res = call(osapi, '/os-security-groups', 'POST',
               {'security_group': {'name': 'web', 'description': 'x'}})
    assert res.status_int == 400
    default = [g for g in listed if g['name'] == 'default'][0]
    res = call(osapi, '/os-security-groups/%s' % default['id'], 'DELETE')
    assert res.status_int == 400
    res = call(osapi, '/os-security-groups/%s' % group['id'], 'DELETE')
    assert res.status_int == 202
    assert call(osapi, '/os-security-groups/%s'
                % group['id']).status_int == 404


def test_other_projects_groups_are_404(osapi):
    group = _group(osapi, project='other')
    for method in ('GET', 'DELETE'):
        res = call(osapi, '/os-security-groups/%s' % group['id'], method)
        assert res.status_int == 404 and fault_name(res) == 'itemNotFound'
    res = call(osapi, '/os-security-group-rules', 'POST',
               {'security_group_rule': {
                   'parent_group_id': group['id'], 'ip_protocol': 'tcp',
                   'from_port': 22, 'to_port': 22}})
    assert res.status_int == 404
    assert call(osapi, '/os-security-groups/%s' % group['id'],
                project='other').status_int == 200


def test_rules(osapi):
    group = _group(osapi)
    source = _group(osapi, 'db')
    res = call(osapi, '/os-security-group-rules', 'POST',
               {'security_group_rule': {
                   'parent_group_id': group['id'], 'ip_protocol': 'TCP',
                   'from_port': '22', 'to_port': 22,
                   'cidr': '10.0.0.0/8'}})
    assert res.status_int == 200, res.body
    rule = res.json['security_group_rule']
    assert rule == {'id': rule['id'], 'parent_group_id': group['id'],
                    'ip_protocol': 'tcp', 'from_port': 22, 'to_port': 22,
                    'group': {}, 'ip_range': {'cidr': '10.0.0.0/8'}}
    res = call(osapi, '/os-security-group-rules', 'POST',
               {'security_group_rule': {
                   'parent_group_id': group['id'], 'group_id': source['id'],
                   'ip_protocol': 'tcp', 'from_port': 1,
                   'to_port': 65535}})
    assert res.json['security_group_rule']['group'] == {
        'name': 'db', 'tenant_id': 'proj'}
    shown = call(osapi, '/os-security-groups/%s' % group['id']).json
    assert len(shown['security_group']['rules']) == 2
    # The same rule again is refused.
    res = call(osapi, '/os-security-group-rules', 'POST',
               {'security_group_rule': {
                   'parent_group_id': group['id'], 'ip_protocol': 'tcp',
                   'from_port': 22, 'to_port': 22, 'cidr': '10.0.0.0/8'}})
    assert res.status_int == 400
    res = call(osapi, '/os-security-groups/%s' % group['id'], xml=True)
    doc = minidom.parseString(res.body)
    assert doc.documentElement.getAttribute('name') == 'web'
    assert len(doc.getElementsByTagName('rule')) == 2
    res = call(osapi, '/os-security-group-rules/%s' % rule['id'], 'DELETE')
    assert res.status_int == 202
    res = call(osapi, '/os-security-group-rules/%s' % rule['id'], 'DELETE')
    assert res.status_int == 404
    assert call(osapi, '/os-security-group-rules/x',
                'DELETE').status_int == 400


def test_bad_rules_are_400_and_store_nothing(osapi):
    group = _group(osapi)
    bad = [
        {'ip_protocol': 'gre', 'from_port': 1, 'to_port': 2},
        {'ip_protocol': 'tcp', 'from_port': 'a', 'to_port': 2},
        {'ip_protocol': 'tcp', 'from_port': 30, 'to_port': 20},
        {'ip_protocol': 'tcp', 'from_port': 1, 'to_port': 70000},
        {'ip_protocol': 'tcp', 'from_port': 1, 'to_port': 2,
         'cidr': '10.0.0.300/8'},
        {'cidr': '10.0.0.0/8'},
        {'group_id': group['id']},
    ]
    for params in bad:
        params['parent_group_id'] = group['id']
        res = call(osapi, '/os-security-group-rules', 'POST',
                   {'security_group_rule': params})
        assert res.status_int == 400, params
    res = call(osapi, '/os-security-group-rules', 'POST',
               {'security_group_rule': {'parent_group_id': 'x'}})
    assert res.status_int == 400
    res = call(osapi, '/os-security-group-rules', 'POST', {'rule': {}})
    assert res.status_int == 422
    for body in ({'security_group': {'name': '', 'description': 'd'}},
                 {'security_group': {'name': 'n'}},
                 {'security_group': {'name': 'n' * 256,
                                     'description': 'd'}}):
        res = call(osapi, '/os-security-groups', 'POST', body)
        assert res.status_int == 400, body
    shown = call(osapi, '/os-security-groups/%s' % group['id']).json
    assert shown['security_group']['rules'] == []
    names = [g['name'] for g in call(
        osapi, '/os-security-groups').json['security_groups']]
    assert names == ['default', 'web']


def test_add_and_remove_security_group_actions(osapi):
    server = _server()
    group = _group(osapi)
    path = '/servers/%s/action' % server['id']
    res = call(osapi, path, 'POST', {'addSecurityGroup': {'name': 'web'}})
    assert res.status_int == 202, res.body
    ctxt = context.get_admin_context()
    names = [g['name'] for g in
             db.security_group_get_by_instance(ctxt, server['id'])]
    assert names == ['web']
    res = call(osapi, path, 'POST', {'addSecurityGroup': {'name': 'web'}})
    assert res.status_int == 400
    res = call(osapi, '/os-security-groups/%s' % group['id'], 'DELETE')
    assert res.status_int == 400
    res = call(osapi, path, 'POST', {'addSecurityGroup': {'name': 'nope'}})
    assert res.status_int == 404
    res = call(osapi, path, 'POST', {'addSecurityGroup': {}})
    assert res.status_int == 400
    res = call(osapi, path, 'POST', {'removeSecurityGroup': {'name': 'web'}})
    assert res.status_int == 202
    assert db.security_group_get_by_instance(ctxt, server['id']) == []
    res = call(osapi, path, 'POST', {'removeSecurityGroup': {'name': 'web'}})
    assert res.status_int == 400
    # Another project's server is not found.
    other = _server('other')
    res = call(osapi, '/servers/%s/action' % other['id'], 'POST',
               {'addSecurityGroup': {'name': 'web'}})
    assert res.status_int == 404
