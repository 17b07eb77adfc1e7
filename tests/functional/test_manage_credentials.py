"""The admin manual's first steps, verbatim, through ``nova-manage``.

``nova-manage db sync``, ``user admin``, ``project create``, ``user create``,
``role add`` (global and per project), ``project zipfile``, ``unzip``,
``project environment``; then the certificate chain is checked with
``cryptography``, a user's certificates are revoked and the CRL must list
them.  Bad input gives one line and a non-zero exit, and writes nothing.
"""

import os
import stat
import subprocess
import sys
import zipfile

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

pytestmark = pytest.mark.timeout(300)


class NovaManage(object):
    """Runs ``python -m nova.manage`` against a private state path."""

    def __init__(self, state_path):
        self.state_path = str(state_path)
        self.env = dict(os.environ, PYTHONPATH=REPO)

    def __call__(self, *words, expect=0):
        cmd = [sys.executable, '-m', 'nova.manage',
               '--state_path=%s' % self.state_path,
               '--sql_connection=sqlite:///%s/nova.sqlite'
               % self.state_path] + list(words)
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              env=self.env, cwd=self.state_path,
                              timeout=120)
        if expect is not None:
            assert proc.returncode == expect, (words, proc.stdout,
                                               proc.stderr)
        return proc


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    state = tmp_path_factory.mktemp('state')
    manage = NovaManage(state)
    manage('db', 'sync')
    # VlanManager (the default) gives each project a network with its
    # credentials, so the cloud needs free networks first (admin manual).
    manage('network', 'create', 'private', '10.0.0.0/8', '4', '64')
    return manage, state


def _verify(cert, issuer):
    issuer.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                               padding.PKCS1v15(),
                               cert.signature_hash_algorithm)


def test_manual_sequence(cloud):
    manage, state = cloud
    out = manage('user', 'admin', 'dub').stdout
    assert out.startswith('export EC2_ACCESS_KEY=')
    manage('project', 'create', 'dubproject', 'dub')
    out = manage('user', 'create', 'john', 'my-access-key',
                 'a-super-secret-key').stdout
    assert out.splitlines() == ['export EC2_ACCESS_KEY=my-access-key',
                                'export EC2_SECRET_KEY=a-super-secret-key']
    manage('project', 'add', 'dubproject', 'john')
    manage('role', 'add', 'john', 'netadmin')
    manage('role', 'add', 'john', 'netadmin', 'dubproject')
    assert manage('role', 'has', 'john', 'netadmin',
                  'dubproject').stdout.strip() == 'True'
    assert manage('role', 'has', 'john', 'sysadmin',
                  'dubproject').stdout.strip() == 'False'

    creds = state / 'creds'
    creds.mkdir()
    networks = manage('network', 'list').stdout
    assert 'dubproject' not in networks
    manage('project', 'zipfile', 'dubproject', 'john',
           str(creds / 'novacreds.zip'))
    zip_path = creds / 'novacreds.zip'
    # VlanManager: the zipfile gave the project its network.
    assert 'dubproject' in manage('network', 'list').stdout
    assert stat.S_IMODE(os.stat(zip_path).st_mode) == 0o600
    subprocess.run(['unzip', '-q', str(zip_path), '-d', str(creds)],
                   check=True) if _have('unzip') else \
        zipfile.ZipFile(zip_path).extractall(creds)
    for name in ('novarc', 'pk.pem', 'cert.pem', 'cacert.pem'):
        assert (creds / name).exists(), name
    rc = (creds / 'novarc').read_text()
    for needle in ('export EC2_ACCESS_KEY="john:dubproject"',
                   'export EC2_SECRET_KEY="a-super-secret-key"',
                   'export EC2_URL="http://', ':8773/services/Cloud"',
                   'export S3_URL="http://', 'export EC2_USER_ID=42',
                   'export EC2_PRIVATE_KEY=${NOVA_KEY_DIR}/pk.pem',
                   'export EC2_CERT=${NOVA_KEY_DIR}/cert.pem',
                   'export NOVA_CERT=${NOVA_KEY_DIR}/cacert.pem',
                   'export EUCALYPTUS_CERT=${NOVA_CERT}',
                   'alias ec2-bundle-image=', 'alias ec2-upload-bundle=',
                   'export NOVA_USERNAME="john"',
                   'export NOVA_PROJECT_ID="dubproject"',
                   'export NOVA_URL="http://'):
        assert needle in rc, needle
    # sourcing it works and points at the unzipped files
    env = subprocess.run(
        ['bash', '-c', '. %s && echo $EC2_CERT && echo $EC2_ACCESS_KEY'
         % (creds / 'novarc')], capture_output=True, text=True, check=True)
    cert_path, access = env.stdout.split()
    assert os.path.samefile(cert_path, creds / 'cert.pem')
    assert access == 'john:dubproject'

    cert = x509.load_pem_x509_certificate((creds / 'cert.pem').read_bytes())
    chain = x509.load_pem_x509_certificates(
        (creds / 'cacert.pem').read_bytes())
    _verify(cert, chain[0])
    cn = cert.subject.get_attributes_for_oid(
        x509.oid.NameOID.COMMON_NAME)[0].value
    assert cn.startswith('dubproject-john-')
    from cryptography.hazmat.primitives import serialization
    key = serialization.load_pem_private_key(
        (creds / 'pk.pem').read_bytes(), None)
    assert key.public_key().public_numbers() == \
        cert.public_key().public_numbers()

    manage('project', 'environment', 'dubproject', 'john')
    assert (state / 'novarc').exists()
    assert stat.S_IMODE(os.stat(state / 'novarc').st_mode) == 0o600

    manage('user', 'revoke', 'john')
    crl = x509.load_pem_x509_crl((state / 'CA' / 'crl.pem').read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(
        cert.serial_number) is not None
    assert crl.is_signature_valid(chain[-1].public_key())


def test_zipfile_without_free_networks_says_so(tmp_path):
    manage = NovaManage(tmp_path)
    manage('db', 'sync')
    manage('user', 'create', 'lonely')
    manage('project', 'create', 'lonelyproj', 'lonely')
    out = manage('project', 'zipfile', 'lonelyproj', 'lonely',
                 str(tmp_path / 'nova.zip'), expect=1)
    assert out.stderr.splitlines() == [
        'ERROR: No more networks available. If this is a new installation, '
        'create some first, e.g.: nova-manage network create pvt '
        '10.0.0.0/8 10 64']
    assert not (tmp_path / 'nova.zip').exists()


def test_project_ca_chain(cloud):
    manage, state = cloud
    manage('user', 'create', 'pcauser')
    manage('project', 'create', 'pcaproj', 'pcauser')
    out = manage('--use_project_ca', 'project', 'zipfile', 'pcaproj',
                 'pcauser', str(state / 'pca.zip'))
    assert out.returncode == 0
    archive = zipfile.ZipFile(state / 'pca.zip')
    cert = x509.load_pem_x509_certificate(archive.read('cert.pem'))
    project_ca, root = x509.load_pem_x509_certificates(
        archive.read('cacert.pem'))
    _verify(cert, project_ca)
    _verify(project_ca, root)
    manage('--use_project_ca', 'user', 'revoke', 'pcauser', 'pcaproj')
    crl = x509.load_pem_x509_crl(
        (state / 'CA' / 'projects' / 'pcaproj' / 'crl.pem').read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(
        cert.serial_number) is not None


@pytest.mark.parametrize('words,message', [
    (('user', 'create', 'dub'), 'already exists'),
    (('project', 'create', 'dubproject', 'dub'), 'already exists'),
    (('project', 'create', 'newproj', 'ghost'), 'ghost'),
    (('role', 'add', 'john', 'wizard'), 'wizard'),
    (('role', 'add', 'john', 'cloudadmin', 'dubproject'), 'global'),
    (('role', 'add', 'dub', 'sysadmin', 'noproject'), 'noproject'),
    (('role', 'add', 'ghost', 'sysadmin'), 'ghost'),
    (('project', 'zipfile', 'noproject', 'dub', 'x.zip'), 'noproject'),
    (('project', 'zipfile', 'dubproject', 'ghost', 'x.zip'), 'ghost'),
    (('project', 'quota', 'dubproject', 'bogus', '1'), 'bogus'),
])
def test_bad_input(cloud, words, message):
    manage, state = cloud
    before = _auth_rows(state)
    proc = manage(*words, expect=None)
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines()
              if 'ERROR' in line or 'error' in line]
    assert len(errors) == 1 and message in errors[0], proc.stderr
    assert 'Traceback' not in proc.stderr
    assert not (state / 'x.zip').exists()
    assert _auth_rows(state) == before


def test_quota_and_listing(cloud):
    manage, _state = cloud
    out = manage('project', 'quota', 'dubproject', 'instances', '20').stdout
    assert 'instances: 20' in out.splitlines()
    out = manage('project', 'quota', 'dubproject', 'ram',
                 'unlimited').stdout
    assert 'ram: unlimited' in out.splitlines()
    assert 'cores: 20' in out.splitlines()
    export = manage('shell', 'export').stdout
    assert "tenant add 'dubproject'" in export
    assert "role grant 'john', 'netadmin', 'dubproject')," in export
    assert manage('account', 'list').stdout.split() == manage(
        'project', 'list').stdout.split()


def _auth_rows(state):
    """Every row of the identity tables (to prove nothing was written)."""
    import sqlite3
    connection = sqlite3.connect(str(state / 'nova.sqlite'))
    try:
        return {table: sorted(connection.execute(
            'SELECT * FROM %s' % table).fetchall())
            for table in ('users', 'projects', 'user_project_association',
                          'user_role_association',
                          'user_project_role_association', 'quotas',
                          'certificates')}
    finally:
        connection.close()


def _have(program):
    from shutil import which
    return which(program) is not None
