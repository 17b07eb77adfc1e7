"""Every EC2 admin action (users, projects, roles) as each kind of caller,
over each auth driver: the database driver and the LDAP driver over its
in-process directory.  tests/integration/test_ldap_slapd.py runs
:func:`admin_matrix` again on a real slapd."""

import pytest

DRIVERS = ['nova.auth.dbdriver.DbDriver',
           'nova.auth.ldapdriver.FakeLdapDriver']
ADMIN = '/services/Admin/'


@pytest.fixture(params=DRIVERS, ids=['db', 'fakeldap'])
def auth_driver(request):
    return request.param


# (Action, parameters, text the admin's answer holds)
STEPS = [
    ('RegisterUser', {'Name': 'carol'}, b'carol'),
    ('DescribeUser', {'Name': 'carol'}, b'carol'),
    ('DescribeUsers', {}, b'carol'),
    ('RegisterProject', {'Name': 'p2', 'ManagerUser': 'carol',
                         'Description': 'second'}, b'p2'),
    ('ModifyProjectMember', {'User': 'bob', 'Project': 'p2',
                             'Operation': 'add'}, b'true'),
    ('DescribeProjectMembers', {'Name': 'p2'}, b'bob'),
    ('ModifyUserRole', {'User': 'bob', 'Role': 'sysadmin',
                        'Operation': 'add'}, b'true'),
    ('ModifyUserRole', {'User': 'bob', 'Role': 'sysadmin', 'Project': 'p2',
                        'Operation': 'add'}, b'true'),
    ('DescribeUserRoles', {'User': 'bob'}, b'sysadmin'),
    ('DescribeUserRoles', {'User': 'bob', 'Project': 'p2'}, b'sysadmin'),
    ('DescribeRoles', {}, b'netadmin'),
    ('ModifyProject', {'Name': 'p2', 'Description': 'renamed'}, b'true'),
    ('DescribeProject', {'Name': 'p2'}, b'renamed'),
    ('DescribeProjects', {}, b'p2'),
    ('ModifyUserRole', {'User': 'bob', 'Role': 'sysadmin', 'Project': 'p2',
                        'Operation': 'remove'}, b'true'),
    ('ModifyProjectMember', {'User': 'bob', 'Project': 'p2',
                             'Operation': 'remove'}, b'true'),
    ('DeregisterProject', {'Name': 'p2'}, b'true'),
    ('DeregisterUser', {'Name': 'carol'}, b'true'),
]


def admin_matrix(ec2, auth):
    """Each step is refused to alice (project manager, netadmin) and bob
    (plain member) and then done by admin; the directory ends as it
    began."""
    for action, params, expected in STEPS:
        for user in ('alice', 'bob'):
            result = ec2.call(action, dict(params), user=user, path=ADMIN)
            assert result.status == 403, (action, user, result.body)
            assert result.error_code == 'UnauthorizedOperation'
        result = ec2.call(action, dict(params), user='admin',
                          project='admin', path=ADMIN)
        assert result.status == 200, (action, result.body)
        assert expected in result.body, (action, result.body)
        if action == 'ModifyUserRole' and 'Project' in params and \
                params['Operation'] == 'add':
            assert auth.has_role('bob', 'sysadmin', 'p2')
    assert auth.get_user('carol') is None
    assert auth.get_project('p2') is None
    assert not auth.has_role('bob', 'sysadmin', 'proj')
    assert auth.get_user_roles('bob') == ['sysadmin']


def role_table(ec2, auth):
    """The cloud actions' role checks see the driver's roles."""
    assert ec2.call('DescribeInstances', user='bob').status == 200
    result = ec2.call('CreateSecurityGroup', {'GroupName': 'web',
                                              'GroupDescription': 'w'},
                      user='bob')
    assert result.error_code == 'UnauthorizedOperation'
    auth.add_role('bob', 'netadmin')
    auth.add_role('bob', 'netadmin', 'proj')
    result = ec2.call('CreateSecurityGroup', {'GroupName': 'web',
                                              'GroupDescription': 'w'},
                      user='bob')
    assert result.status == 200, result.body
    # alice manages proj: projectmanager may run instances there
    result = ec2.call('DescribeInstanceAttribute',
                      {'InstanceId': 'i-00000001', 'Attribute': 'kernel'})
    assert result.error_code == 'InvalidInstanceID.NotFound'


def test_admin_actions_by_role(ec2):
    from nova.auth import manager
    admin_matrix(ec2, manager.AuthManager())


def test_cloud_roles(ec2):
    from nova.auth import manager
    role_table(ec2, manager.AuthManager())
