"""The LDAP auth driver's directory layout, schema versions and start-up
check, over the in-process directory (tests/unit/auth/test_manager.py runs
the AuthManager matrix on it)."""

import sys

import pytest

from nova import exception
from nova.auth import fakeldap
from nova.auth import ldapconn
from nova.auth import ldapdriver
from nova.auth import manager
from nova.utils import flagcheck

USERS = 'ou=Users,dc=example,dc=com'
GROUPS = 'ou=Groups,dc=example,dc=com'


@pytest.fixture
def auth(set_flags):
    set_flags(auth_driver='nova.auth.ldapdriver.FakeLdapDriver')
    fakeldap.reset()
    yield manager.AuthManager()
    fakeldap.reset()


def _entry(dn):
    [(found, attrs)] = fakeldap.FakeDirectory().search(
        dn, ldapconn.SCOPE_BASE, '(objectclass=*)')
    return attrs


def test_directory_layout_is_diablos(auth):
    auth.create_user('alice', 'ak', 'sk', admin=True)
    auth.create_user('bob', 'bk', 'bs')
    auth.create_project('proj', 'alice', 'desc', ['bob'])
    auth.add_role('bob', 'netadmin')
    auth.add_role('bob', 'netadmin', 'proj')
    user = _entry('uid=alice,' + USERS)
    assert user['accesskey'] == ['ak'] and user['secretkey'] == ['sk']
    assert user['isnovaadmin'] == ['TRUE']
    assert 'novaUser' in user['objectclass']
    project = _entry('cn=proj,' + GROUPS)
    assert project['owner'] == ['uid=alice,' + USERS]
    assert sorted(project['member']) == ['uid=alice,' + USERS,
                                         'uid=bob,' + USERS]
    assert _entry('cn=netadmins,' + GROUPS)['member'] == ['uid=bob,' + USERS]
    assert _entry('cn=netadmin,cn=proj,' + GROUPS)['member'] == [
        'uid=bob,' + USERS]
    # the last member leaving a role group deletes the group
    auth.remove_role('bob', 'netadmin')
    with pytest.raises(ldapconn.NoSuchObject):
        _entry('cn=netadmins,' + GROUPS)
    # leaving the project drops the roles held there
    auth.remove_from_project('bob', 'proj')
    with pytest.raises(ldapconn.NoSuchObject):
        _entry('cn=netadmin,cn=proj,' + GROUPS)
    assert auth.get_user_roles('bob', 'proj') == []


def test_global_role_groups_follow_the_flags(auth, set_flags):
    set_flags(ldap_cloudadmin='cn=admins,ou=Staff,dc=example,dc=com')
    auth.create_user('carol')
    auth.add_role('carol', 'cloudadmin')
    assert _entry('cn=admins,ou=Staff,dc=example,dc=com')['member'] == [
        'uid=carol,' + USERS]
    assert auth.is_superuser('carol')
    auth.delete_user('carol')
    with pytest.raises(ldapconn.NoSuchObject):
        _entry('cn=admins,ou=Staff,dc=example,dc=com')


def test_filter_values_are_escaped(auth):
    auth.create_user('alice', 'ak', 'sk')
    assert auth.get_user('*') is None
    assert auth.get_user_from_access_key('*') is None
    assert auth.get_user('alice)(uid=*') is None
    assert auth.get_project('*') is None
    auth.create_user('a*b,c', 'odd-key', 'odd-secret')
    assert auth.get_user('a*b,c').access == 'odd-key'
    assert auth.get_user_from_access_key('odd-key').id == 'a*b,c'


def test_schema_version_1(auth, set_flags):
    set_flags(ldap_schema_version=1)
    auth = manager.AuthManager()
    auth.create_user('old', 'ok', 'os', admin=False)
    auth.create_project('legacy', 'old')
    assert _entry('uid=old,' + USERS)['isadmin'] == ['FALSE']
    project = _entry('cn=legacy,' + GROUPS)
    assert 'novaProject' in project['objectclass']
    assert project['projectmanager'] == ['uid=old,' + USERS]
    assert auth.get_project('legacy').project_manager_id == 'old'
    assert auth.is_project_manager('old', 'legacy')


def test_user_modify_only_keeps_the_entry(auth, set_flags):
    set_flags(ldap_user_modify_only=True)
    directory = fakeldap.FakeDirectory()
    directory.add('uid=dana,' + USERS, {
        'objectClass': ['person', 'inetOrgPerson'], 'uid': ['dana'],
        'cn': ['Dana Q'], 'sn': ['Q']})
    with pytest.raises(exception.UserNotFound):
        auth.create_user('erin')
    user = auth.create_user('dana', 'dk', 'ds')
    assert (user.id, user.name, user.access) == ('dana', 'Dana Q', 'dk')
    auth.delete_user('dana')
    assert auth.get_user('dana') is None
    left = _entry('uid=dana,' + USERS)
    assert 'accesskey' not in left and left['cn'] == ['Dana Q']


def test_bad_schema_version_is_refused(set_flags):
    set_flags(ldap_schema_version=3)
    with pytest.raises(ldapconn.LdapUnavailable):
        ldapdriver.FakeLdapDriver()


def test_missing_client_library_refuses_the_start(monkeypatch):
    monkeypatch.setitem(sys.modules, 'ldap3', None)
    problem = flagcheck.value_problem(
        type('Flag', (), {'choices': None, 'importable': True}),
        'nova.auth.ldapdriver.LdapDriver')
    assert "pip install 'nova[ldap]'" in problem
    assert flagcheck.value_problem(
        type('Flag', (), {'choices': None, 'importable': True}),
        'nova.auth.ldapdriver.FakeLdapDriver') is None
    with pytest.raises(ldapconn.LdapUnavailable) as info:
        ldapdriver.LdapDriver()
    assert "nova[ldap]" in str(info.value)


def test_unreachable_server_is_one_clear_error(set_flags):
    pytest.importorskip('ldap3')
    set_flags(ldap_url='ldap://127.0.0.1:1')
    driver = ldapdriver.LdapDriver()
    with pytest.raises(ldapconn.ServerDown):
        driver.get_user('anyone')
