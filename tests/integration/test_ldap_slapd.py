"""The LDAP auth driver against a real slapd (Debian's slapd + ldap-utils).

Each test starts its own slapd with tools/ldap/setup_slapd.sh -- a private
port on 127.0.0.1, its own cn=config and MDB directories under a temporary
directory, the nova schema of etc/nova/ -- and stops and removes it
afterwards (also on failure).  On it run the same matrices the database
driver passes: the AuthManager tests of tests/unit/auth/test_manager.py,
every EC2 admin action by role and the cloud role checks through the EC2
paste app (requests signed with the LDAP users' keys), and the nova-manage
user/project/role commands.
"""

import importlib.util
import os
import shutil
import socket
import subprocess

import pytest

from nova import flags

pytestmark = pytest.mark.integration

FLAGS = flags.FLAGS
TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TESTS)
SETUP = os.path.join(REPO, 'tools', 'ldap', 'setup_slapd.sh')


def _load(name, relative):
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(TESTS, relative))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


manager_tests = _load('ldap_manager_matrix', 'unit/auth/test_manager.py')
admin_tests = _load('ldap_admin_matrix',
                    'unit/api/ec2/test_ec2api_admin_auth_drivers.py')
ec2_helpers = _load('ldap_ec2_helpers', 'unit/api/ec2/conftest.py')
manage_tests = _load('ldap_manage_matrix',
                     'unit/manage/test_auth_manage_drivers.py')


def _slapd_missing():
    for tool in ('slapd', 'slapadd'):
        if not (shutil.which(tool) or os.path.exists('/usr/sbin/' + tool)):
            return ('slapd is not installed (Debian: apt-get install slapd '
                    'ldap-utils)')
    if importlib.util.find_spec('ldap3') is None:
        return "ldap3 is not installed (pip install 'nova[ldap]')"
    return None


def _free_port(preferred=38900):
    for port in [preferred] + list(range(preferred + 1, preferred + 50)):
        with socket.socket() as sock:
            try:
                sock.bind(('127.0.0.1', port))
            except OSError:
                continue
            return port
    pytest.fail('no free port near %d for slapd' % preferred)


@pytest.fixture
def slapd(tmp_path, set_flags, sqlite_db):
    """A private slapd; sets the --ldap_* flags and --auth_driver."""
    missing = _slapd_missing()
    if missing:
        pytest.skip(missing)
    from nova.auth import ldapconn
    from nova.auth import ldapdriver  # noqa: F401 - defines the ldap flags
    from nova.auth import manager  # noqa: F401 - defines auth_driver
    directory = tmp_path / 'slapd'
    port = _free_port()
    try:
        done = subprocess.run([SETUP, 'start', str(directory), str(port)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        values = {}
        for line in done.stdout.splitlines():
            name, _sep, value = line.strip().lstrip('-').partition('=')
            values[name] = value
        assert values['ldap_url'] == 'ldap://127.0.0.1:%d' % port
        set_flags(**values)
        yield values
    finally:
        subprocess.run([SETUP, 'stop', str(directory)], timeout=30)
        shutil.rmtree(str(directory), ignore_errors=True)
        ldapconn.Ldap3Directory._shared.clear()


@pytest.fixture
def auth(slapd):
    from nova.auth import manager
    return manager.AuthManager()


MANAGER_TESTS = ['test_users_and_keys', 'test_projects_and_membership',
                 'test_role_resolution_is_diablos', 'test_role_errors',
                 'test_authenticate', 'test_credentials_zip',
                 'test_signature_versions_can_be_restricted']


@pytest.mark.parametrize('name', MANAGER_TESTS)
def test_auth_manager_matrix(name, auth, request):
    test = getattr(manager_tests, name)
    extra = [request.getfixturevalue(arg) for arg in
             test.__code__.co_varnames[1:test.__code__.co_argcount]]
    test(auth, *extra)


def test_entries_are_in_slapd(auth, slapd):
    auth.create_user('alice', 'ak', 'sk', admin=True)
    auth.create_project('proj', 'alice')
    auth.add_role('alice', 'sysadmin')
    out = subprocess.run(
        ['ldapsearch', '-x', '-LLL', '-H', slapd['ldap_url'],
         '-D', slapd['ldap_user_dn'], '-w', slapd['ldap_password'],
         '-b', 'dc=example,dc=com', '(|(uid=alice)(cn=proj)(cn=sysadmins))',
         'accessKey', 'isNovaAdmin', 'owner', 'member'],
        capture_output=True, text=True, timeout=30) \
        if shutil.which('ldapsearch') else None
    if out is None:
        pytest.skip('ldapsearch is not installed (Debian: ldap-utils)')
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert 'dn: uid=alice,ou=Users,dc=example,dc=com' in text
    assert 'accessKey: ak' in text and 'isNovaAdmin: TRUE' in text
    assert 'dn: cn=proj,ou=Groups,dc=example,dc=com' in text
    assert 'owner: uid=alice,ou=Users,dc=example,dc=com' in text
    assert 'dn: cn=sysadmins,ou=Groups,dc=example,dc=com' in text


@pytest.fixture
def ec2(auth, set_flags):
    from nova import wsgi
    from nova.auth import lockout  # noqa: F401 - defines the lockout flags
    set_flags(memcached_servers=None, lockout_attempts=5)
    users = ec2_helpers.USERS
    auth.create_user('admin', *users['admin'], admin=True)
    auth.create_user('alice', *users['alice'])
    auth.create_user('bob', *users['bob'])
    auth.create_project('proj', 'alice', member_users=['bob'])
    auth.create_project('admin', 'admin')
    auth.add_role('alice', 'netadmin')
    auth.add_role('alice', 'netadmin', 'proj')
    return ec2_helpers.EC2(wsgi.Loader(ec2_helpers.PASTE).load_app('ec2'))


def test_ec2_admin_actions_by_role(ec2, auth):
    admin_tests.admin_matrix(ec2, auth)


def test_ec2_cloud_roles(ec2, auth):
    admin_tests.role_table(ec2, auth)


def test_ec2_signed_with_ldap_keys_sigv2_and_v4(ec2):
    for version in ('v2', 'v4'):
        result = ec2.call('DescribeRegions', user='bob', version=version)
        assert result.status == 200, result.body
    result = ec2.call('DescribeRegions', user='bob', secret='wrong')
    assert result.status in (400, 401, 403)
    assert result.error_code == 'AuthFailure'


def test_nova_manage_commands(slapd, capsys):
    from nova import manage

    def run(*words):
        code = manage.main(['nova-manage'] + list(words))
        out, err = capsys.readouterr()
        return code, out, err

    manage_tests.manage_matrix(run)
