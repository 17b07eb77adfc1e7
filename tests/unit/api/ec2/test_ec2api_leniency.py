"""Diablo-era leniency kept for old clients (issue 14).

* nova-adminclient sends ``Description=None&MemberUsers=None`` literally to
  RegisterProject: both are ignored, as Diablo did.
* DeleteSecurityGroup of a group in use: InvalidGroup.InUse by default;
  ``--allow_delete_security_group_in_use`` restores Diablo's deletion.
"""

from nova import context
from nova import db


def test_register_project_ignores_literal_none(ec2):
    result = ec2.call('RegisterProject', {
        'Name': 'legacy', 'ManagerUser': 'alice', 'Description': 'None',
        'MemberUsers': 'None'}, user='admin', project='admin',
        path='/services/Admin/')
    assert result.status == 200, result.body
    from nova.auth import manager
    project = manager.AuthManager().get_project('legacy')
    assert project is not None
    assert project.description != 'None'
    assert [u for u in project.member_ids] == ['alice']
    result = ec2.call('ModifyProject', {
        'Name': 'legacy', 'ManagerUser': 'alice', 'Description': 'None'},
        user='admin', project='admin', path='/services/Admin/')
    assert result.status == 200, result.body
    assert manager.AuthManager().get_project('legacy').description != 'None'


def _group_in_use(name):
    ctxt = context.RequestContext('alice', 'proj')
    group = db.security_group_create(ctxt, {
        'user_id': 'alice', 'project_id': 'proj', 'name': name,
        'description': 'd'})
    db.instance_create(ctxt, {'project_id': 'proj', 'user_id': 'alice',
                              'vm_state': 'active',
                              'security_groups': [group['id']]})
    return group


def test_delete_group_in_use(ec2, set_flags):
    _group_in_use('busy')
    result = ec2.call('DeleteSecurityGroup', {'GroupName': 'busy'})
    assert result.error_code == 'InvalidGroup.InUse'
    set_flags(allow_delete_security_group_in_use=True)
    result = ec2.call('DeleteSecurityGroup', {'GroupName': 'busy'})
    assert result.status == 200, result.body
    names = [g['GroupName'] for g in ec2.call(
        'DescribeSecurityGroups').parsed['SecurityGroups']]
    assert 'busy' not in names
