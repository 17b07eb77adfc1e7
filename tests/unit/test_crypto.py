"""nova.crypto: CAs, user certificates, CRLs, key pairs, bundle decryption."""

import base64
import hashlib
import os
import stat
from unittest import mock

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import algorithms, Cipher, modes

from nova import crypto
from nova import flags

FLAGS = flags.FLAGS


@pytest.fixture
def state(tmp_path):
    FLAGS.set('state_path', str(tmp_path))
    recorded = []
    fake_db = mock.MagicMock()
    fake_db.certificate_create.side_effect = \
        lambda ctx, values: recorded.append(values)
    import nova
    with mock.patch.dict('sys.modules', {'nova.db': fake_db}), \
            mock.patch.object(nova, 'db', fake_db, create=True):
        yield tmp_path, recorded, fake_db
    FLAGS.reset('state_path')
    FLAGS.reset('use_project_ca')


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _verify(cert, issuer):
    issuer.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                               padding.PKCS1v15(),
                               cert.signature_hash_algorithm)


def test_root_ca_created_on_first_use(state):
    tmp_path, _, _ = state
    text = crypto.fetch_ca()
    root = x509.load_pem_x509_certificate(text.encode())
    assert root.subject == root.issuer
    assert 'NOVA ROOT' in root.subject.rfc4514_string()
    assert root.extensions.get_extension_for_class(
        x509.BasicConstraints).value.ca
    assert _mode(tmp_path / 'CA' / 'private' / 'cakey.pem') == 0o600
    assert _mode(tmp_path / 'CA' / 'private') == 0o700
    crl = x509.load_pem_x509_crl(crypto.fetch_crl().encode())
    assert len(list(crl)) == 0
    assert crl.is_signature_valid(root.public_key())


def test_user_cert_signed_by_root_and_recorded(state):
    _, recorded, _ = state
    key_pem, cert_pem = crypto.generate_x509_cert('alice', 'proj')
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    root = x509.load_pem_x509_certificate(crypto.fetch_ca('proj').encode())
    _verify(cert, root)
    cn = cert.subject.get_attributes_for_oid(
        x509.oid.NameOID.COMMON_NAME)[0].value
    assert cn.startswith('proj-alice-')
    assert 'BEGIN RSA PRIVATE KEY' in key_pem
    assert recorded[0]['user_id'] == 'alice'
    assert os.path.exists(recorded[0]['file_name'])


def test_project_ca_chain_and_revocation(state):
    tmp_path, recorded, fake_db = state
    FLAGS.set('use_project_ca', True)
    _key, cert_pem = crypto.generate_x509_cert('bob', 'proj')
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    chain = x509.load_pem_x509_certificates(crypto.fetch_ca('proj').encode())
    project_ca, root = chain
    assert 'project-ca-proj-' in project_ca.subject.rfc4514_string()
    _verify(cert, project_ca)
    _verify(project_ca, root)
    fake_db.certificate_get_all_by_user.return_value = [
        dict(recorded[0])]
    crypto.revoke_certs_by_user('bob')
    crl = x509.load_pem_x509_crl(crypto.fetch_crl('proj').encode())
    assert crl.get_revoked_certificate_by_serial_number(
        cert.serial_number) is not None
    assert crl.is_signature_valid(project_ca.public_key())
    index = (tmp_path / 'CA' / 'projects' / 'proj' / 'index.txt').read_text()
    assert index.startswith('R\t')


def test_serials_increase(state):
    serials = set()
    for _ in range(3):
        _k, pem = crypto.generate_x509_cert('u', 'p')
        serials.add(x509.load_pem_x509_certificate(pem.encode())
                    .serial_number)
    assert len(serials) == 3


def test_key_pair_and_fingerprint():
    private, public, fingerprint = crypto.generate_key_pair()
    assert public.startswith('ssh-rsa ')
    blob = base64.b64decode(public.split()[1])
    digest = hashlib.md5(blob).hexdigest()
    assert fingerprint == ':'.join(digest[i:i + 2] for i in range(0, 32, 2))
    assert 'PRIVATE KEY' in private


def test_bundle_decryption_round_trip(state, tmp_path):
    root = x509.load_pem_x509_certificate(crypto.fetch_ca().encode())
    aes_key, iv = os.urandom(16), os.urandom(16)
    enc_key = root.public_key().encrypt(aes_key.hex().encode(),
                                        padding.PKCS1v15()).hex()
    enc_iv = root.public_key().encrypt(iv.hex().encode(),
                                       padding.PKCS1v15()).hex()
    plain = os.urandom(5000)
    padder = sym_padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(aes_key), modes.CBC(iv)).encryptor()
    data = encryptor.update(padder.update(plain) + padder.finalize()) + \
        encryptor.finalize()
    (tmp_path / 'image.encrypted').write_bytes(data)
    crypto.decrypt_image(str(tmp_path / 'image.encrypted'), enc_key, enc_iv,
                         None, str(tmp_path / 'image.tar.gz'))
    assert (tmp_path / 'image.tar.gz').read_bytes() == plain
    assert hashes  # the module's hash classes are importable


def test_parse_subject():
    name = crypto.parse_subject('/C=US/ST=California/O=A/OU=B/CN=x-y-z')
    assert name.rfc4514_string() == 'CN=x-y-z,OU=B,O=A,ST=California,C=US'
