"""AuthManager over each auth driver: users, projects, roles, keys.

The same tests run on the database driver and on the LDAP driver over its
in-process directory (FakeLdapDriver); tests/integration/test_ldap_slapd.py
runs them again on a real slapd.
"""

import io
import zipfile

import pytest

from nova import exception
from nova import flags
from nova.auth import lockout
from nova.auth import signer

FLAGS = flags.FLAGS


def test_users_and_keys(auth):
    user = auth.create_user('alice')
    assert len(user.access) == 36 and len(user.secret) == 36
    assert auth.get_user_from_access_key(user.access).id == 'alice'
    with pytest.raises(exception.UserExists):
        auth.create_user('alice')
    with pytest.raises(exception.AccessKeyExists):
        auth.create_user('bob', access=user.access)
    auth.create_user('bob', 'bob-access', 'bob-secret', admin=True)
    assert [u.id for u in auth.get_users()] == ['alice', 'bob']
    auth.modify_user('alice', secret_key='new', admin=True)
    assert auth.get_user('alice').secret == 'new'
    assert auth.get_user('alice').admin
    auth.delete_user('bob')
    assert auth.get_user('bob') is None


def test_projects_and_membership(auth):
    auth.create_user('mgr')
    auth.create_user('dev')
    project = auth.create_project('proj', 'mgr', 'a project')
    assert project.member_ids == ['mgr'] and project.description == \
        'a project'
    with pytest.raises(exception.ProjectExists):
        auth.create_project('proj', 'mgr')
    with pytest.raises(exception.UserNotFound):
        auth.create_project('other', 'nobody')
    assert auth.get_project('other') is None
    auth.add_to_project('dev', 'proj')
    assert auth.is_project_member('dev', 'proj')
    assert [p.id for p in auth.get_projects('dev')] == ['proj']
    with pytest.raises(exception.InvalidInput):
        auth.delete_user('mgr')
    auth.remove_from_project('dev', 'proj')
    assert not auth.is_project_member('dev', 'proj')
    auth.delete_project('proj')
    assert auth.get_projects() == []


def test_role_resolution_is_diablos(auth):
    auth.create_user('john')
    auth.create_user('boss')
    auth.create_project('john_project', 'boss')
    auth.add_to_project('john', 'john_project')
    # a project role alone does not count ...
    auth.add_role('john', 'netadmin', 'john_project')
    assert not auth.has_role('john', 'netadmin', 'john_project')
    # ... nor does the global role alone in a project
    auth.remove_role('john', 'netadmin', 'john_project')
    auth.add_role('john', 'netadmin')
    assert auth.has_role('john', 'netadmin')
    assert not auth.has_role('john', 'netadmin', 'john_project')
    # both: the manual's two commands
    auth.add_role('john', 'netadmin', 'john_project')
    assert auth.has_role('john', 'netadmin', 'john_project')
    assert auth.get_active_roles('john', 'john_project') == ['netadmin']
    # projectmanager is implicit
    assert auth.has_role('boss', 'projectmanager', 'john_project')
    assert auth.get_active_roles('boss', 'john_project') == [
        'projectmanager']
    # global roles count everywhere and make admins
    auth.add_role('john', 'itsec')
    assert auth.has_role('john', 'itsec', 'john_project')
    assert auth.is_admin('john') and not auth.is_superuser('john')
    auth.add_role('boss', 'cloudadmin')
    assert auth.is_superuser('boss')
    assert auth.get_active_roles('boss') == ['cloudadmin']


def test_role_errors(auth):
    auth.create_user('u')
    auth.create_user('m')
    auth.create_project('p', 'm')
    with pytest.raises(exception.UserRoleNotFound):
        auth.add_role('u', 'wizard')
    with pytest.raises(exception.InvalidRole):
        auth.add_role('m', 'cloudadmin', 'p')
    with pytest.raises(exception.ProjectMembershipNotFound):
        auth.add_role('u', 'sysadmin', 'p')
    with pytest.raises(exception.ProjectNotFound):
        auth.add_role('u', 'sysadmin', 'nope')
    with pytest.raises(exception.UserNotFound):
        auth.add_role('ghost', 'sysadmin')
    with pytest.raises(exception.InvalidRole):
        auth.has_role('u', 'projectmanager')


def _signed(access, secret, **extra):
    params = {'Action': 'DescribeInstances', 'AWSAccessKeyId': access,
              'SignatureVersion': '2', 'SignatureMethod': 'HmacSHA256',
              'Version': '2009-04-04',
              'Timestamp': signer._utcnow().strftime('%Y-%m-%dT%H:%M:%SZ')}
    params.update(extra)
    params['Signature'] = signer.Signer(secret).generate(
        params, 'POST', '127.0.0.1:8773', '/services/Cloud/')
    return params


def test_authenticate(auth):
    user = auth.create_user('alice', 'ak', 'sk')
    auth.create_user('eve', 'ek', 'esk')
    auth.create_project('alice', 'alice')
    auth.create_project('proj', 'alice')
    for access, project in (('ak', 'alice'), ('ak:proj', 'proj'),
                            ('alice:proj', 'proj')):
        params = _signed(access, 'sk')
        sig = params.pop('Signature')
        got_user, got_project = auth.authenticate(
            access, sig, params, 'POST', '127.0.0.1:8773',
            '/services/Cloud/')
        assert (got_user.id, got_project.id) == (user.id, project)
    params = _signed('ak:proj', 'wrong')
    with pytest.raises(exception.InvalidSignature):
        auth.authenticate('ak:proj', params.pop('Signature'), params, 'POST',
                          '127.0.0.1:8773', '/services/Cloud/')
    params = _signed('ek:proj', 'esk')
    with pytest.raises(exception.ProjectMembershipNotFound):
        auth.authenticate('ek:proj', params.pop('Signature'), params, 'POST',
                          '127.0.0.1:8773', '/services/Cloud/')
    params = _signed('zz', 'sk')
    with pytest.raises(exception.AccessKeyNotFound):
        auth.authenticate('zz', params.pop('Signature'), params, 'POST',
                          '127.0.0.1:8773', '/services/Cloud/')
    params = _signed('ak:none', 'sk')
    with pytest.raises(exception.ProjectNotFound):
        auth.authenticate('ak:none', params.pop('Signature'), params,
                          'POST', '127.0.0.1:8773', '/services/Cloud/')


def test_credentials_zip(auth):
    auth.create_user('alice', 'ak', 'sk')
    auth.create_project('proj', 'alice')
    archive = zipfile.ZipFile(io.BytesIO(auth.get_credentials('alice',
                                                              'proj')))
    names = sorted(archive.namelist())
    assert names == ['cacert.pem', 'cert.pem', 'novarc', 'pk.pem']
    for info in archive.infolist():
        assert (info.external_attr >> 16) & 0o777 == 0o600
    rc = archive.read('novarc').decode()
    assert 'export EC2_ACCESS_KEY="alice:proj"' in rc
    FLAGS.set('use_deprecated_auth', True)
    try:
        assert 'EC2_ACCESS_KEY="ak:proj"' in auth.get_environment_rc(
            'alice', 'proj')
    finally:
        FLAGS.reset('use_deprecated_auth')


def test_lockout_database_store_is_shared(auth):
    one, two = lockout.Lockout(), lockout.Lockout()
    assert isinstance(one.store, lockout.DbStore)
    for _ in range(FLAGS.lockout_attempts - 1):
        assert not one.record_failure('ak')
    assert two.failures('ak') == FLAGS.lockout_attempts - 1
    assert two.record_failure('ak')
    assert one.is_locked('ak')
    one.reset('ak')
    assert not two.is_locked('ak')


def test_signature_versions_can_be_restricted(auth, set_flags, caplog):
    """Versions 0 and 1 are refused unless the operator re-enables them,
    and each request accepted with them then logs a warning."""
    auth.create_user('vera', 'vk', 'vs')
    auth.create_project('vera', 'vera')
    v1 = _signed('vk', 'vs', SignatureVersion='1')
    v1['Signature'] = signer.Signer('vs').generate(
        dict((k, v) for k, v in v1.items() if k != 'Signature'), 'POST',
        '127.0.0.1:8773', '/services/Cloud/')
    facts = signer.SignedRequest('POST', '127.0.0.1:8773',
                                 '/services/Cloud/', params=v1)
    assert FLAGS.ec2_signature_versions == ['2', '4']
    with pytest.raises(exception.InvalidSignature):
        auth.authenticate_request(facts)
    set_flags(ec2_signature_versions=['0', '1', '2', '4'])
    with caplog.at_level('WARNING', logger='nova.auth.manager'):
        assert auth.authenticate_request(facts)[0].id == 'vera'
        assert auth.authenticate_request(facts)[0].id == 'vera'
    warnings = [r for r in caplog.records
                if 'Signature Version 1' in r.getMessage()]
    assert len(warnings) == 2
    caplog.clear()
    v2 = _signed('vk', 'vs')
    with caplog.at_level('WARNING', logger='nova.auth.manager'):
        assert auth.authenticate_request(signer.SignedRequest(
            'POST', '127.0.0.1:8773', '/services/Cloud/',
            params=v2))[0].id == 'vera'
    assert not caplog.records
