"""Certificate authorities, user certificates, CRLs and key pairs.

Built on the ``cryptography`` library; nothing shells out to openssl, yet the
on-disk layout is the one Diablo's openssl scripts kept, so operators and
openssl tools still find their way around::

    $ca_path/cacert.pem            root CA certificate
    $ca_path/private/cakey.pem     root CA key (owner-only)
    $ca_path/crl.pem               certificate revocation list
    $ca_path/serial, index.txt     next serial; openssl-style CA database
    $ca_path/newcerts/<SERIAL>.pem every certificate signed
    $ca_path/projects/<project>/   the same, per project (--use_project_ca)

The root CA is created on first use.  A project CA is signed by the root CA,
so ``cacert.pem`` handed to users (project CA then root CA) is a chain.
"""

import base64
import binascii
import contextlib
import datetime
import fcntl
import hashlib
import os
import re

from nova import exception
from nova import flags
from nova import utils

FLAGS = flags.FLAGS
flags.DEFINE_string('ca_file', 'cacert.pem', 'Filename of root CA')
flags.DEFINE_string('key_file', os.path.join('private', 'cakey.pem'),
                    'Filename of private key')
flags.DEFINE_string('crl_file', 'crl.pem',
                    'Filename of root Certificate Revocation List')
flags.DEFINE_string('keys_path', '$state_path/keys', 'Where we keep our keys')
flags.DEFINE_string('ca_path', '$state_path/CA', 'Where we keep our root CA')
flags.DEFINE_boolean('use_project_ca', False,
                     'Should we use a CA for each project?')
flags.DEFINE_string('user_cert_subject',
                    '/C=US/ST=California/L=MountainView/O=AnsoLabs/'
                    'OU=NovaDev/CN=%s-%s-%s',
                    'Subject for certificate for users, '
                    '%s for project, user, timestamp')
flags.DEFINE_string('project_cert_subject',
                    '/C=US/ST=California/L=MountainView/O=AnsoLabs/'
                    'OU=NovaDev/CN=project-ca-%s-%s',
                    'Subject for certificate for projects, '
                    '%s for project, timestamp')
flags.DEFINE_string('vpn_cert_subject',
                    '/C=US/ST=California/L=MountainView/O=AnsoLabs/'
                    'OU=NovaDev/CN=project-vpn-%s-%s',
                    'Subject for certificate for vpns, '
                    '%s for project, timestamp')

ROOT_CA_SUBJECT = '/C=US/ST=California/L=Mountain View/O=NOVA ROOT'
CA_DAYS = 3650
CERT_DAYS = 365
CRL_DAYS = 365
USER_KEY_BITS = 2048
FIRST_SERIAL = 0x10


# -- paths ----------------------------------------------------------------------
def ca_folder(project_id=None):
    """The CA directory serving ``project_id`` (the root unless per-project)."""
    if FLAGS.use_project_ca and project_id:
        return os.path.join(FLAGS.ca_path, 'projects', project_id)
    return FLAGS.ca_path


def ca_path(project_id=None):
    """Path of the CA certificate serving ``project_id``."""
    return os.path.join(ca_folder(project_id), FLAGS.ca_file)


def key_path(project_id=None):
    """Path of the CA private key serving ``project_id``."""
    return os.path.join(ca_folder(project_id), FLAGS.key_file)


def crl_path(project_id=None):
    """Path of the CRL of the CA serving ``project_id``."""
    return os.path.join(ca_folder(project_id), FLAGS.crl_file)


# -- small helpers --------------------------------------------------------------
def _x509():
    from cryptography import x509
    return x509


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def write_private_file(path, data, mode=0o600):
    """Write ``data`` to ``path`` readable by the owner only (atomically)."""
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    temp = '%s.tmp%d' % (path, os.getpid())
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data if isinstance(data, bytes) else data.encode())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def parse_subject(text):
    """Turn ``/C=US/ST=California/.../CN=x`` into an ``x509.Name``."""
    x509 = _x509()
    from cryptography.x509.oid import NameOID
    oids = {'C': NameOID.COUNTRY_NAME, 'ST': NameOID.STATE_OR_PROVINCE_NAME,
            'L': NameOID.LOCALITY_NAME, 'O': NameOID.ORGANIZATION_NAME,
            'OU': NameOID.ORGANIZATIONAL_UNIT_NAME,
            'CN': NameOID.COMMON_NAME, 'emailAddress': NameOID.EMAIL_ADDRESS}
    attributes = []
    for part in re.split(r'(?<!\\)/', text.strip()):
        if not part:
            continue
        key, _sep, value = part.partition('=')
        if key not in oids:
            raise exception.InvalidInput(reason='bad subject part %r' % part)
        value = value.replace('\\/', '/')
        if key == 'CN':
            value = value[:64]
        attributes.append(x509.NameAttribute(oids[key], value))
    return x509.Name(attributes)


def _new_rsa_key(bits):
    from cryptography.hazmat.primitives.asymmetric import rsa
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _key_pem(key):
    from cryptography.hazmat.primitives import serialization
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def _cert_pem(cert):
    from cryptography.hazmat.primitives import serialization
    return cert.public_bytes(serialization.Encoding.PEM)


def _load_key(path):
    from cryptography.hazmat.primitives import serialization
    with open(path, 'rb') as handle:
        return serialization.load_pem_private_key(handle.read(), None)


def _load_cert(path):
    with open(path, 'rb') as handle:
        return _x509().load_pem_x509_certificate(handle.read())


@contextlib.contextmanager
def _locked(folder, name='.lock'):
    """Serialize changes to one CA folder across processes."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), 'a') as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- certificate authorities -----------------------------------------------------
def _build_ca_cert(subject, key, issuer_name, issuer_key, serial):
    x509 = _x509()
    from cryptography.hazmat.primitives import hashes
    now = _now()
    builder = (x509.CertificateBuilder()
               .subject_name(subject).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(serial)
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                              critical=True)
               .add_extension(x509.KeyUsage(
                   digital_signature=True, content_commitment=False,
                   key_encipherment=False, data_encipherment=False,
                   key_agreement=False, key_cert_sign=True, crl_sign=True,
                   encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                   key.public_key()), critical=False)
               .add_extension(
                   x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       issuer_key.public_key()), critical=False))
    return builder.sign(issuer_key, hashes.SHA256())


def _init_folder(folder):
    for sub in ('certs', 'crl', 'newcerts', 'private', 'projects'):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
    os.chmod(os.path.join(folder, 'private'), 0o700)
    if not os.path.exists(os.path.join(folder, 'serial')):
        write_private_file(os.path.join(folder, 'serial'),
                           '%02X\n' % FIRST_SERIAL)
    if not os.path.exists(os.path.join(folder, 'index.txt')):
        write_private_file(os.path.join(folder, 'index.txt'), '')


def ensure_root_ca():
    """Create the root CA under ``--ca_path`` if it does not exist yet."""
    folder = FLAGS.ca_path
    cert_file = os.path.join(folder, FLAGS.ca_file)
    if os.path.exists(cert_file):
        return cert_file
    with _locked(folder):
        if os.path.exists(cert_file):
            return cert_file
        _init_folder(folder)
        utils.ensure_tree(FLAGS.keys_path, mode=0o700)
        key = _new_rsa_key(2048)
        subject = parse_subject(ROOT_CA_SUBJECT)
        cert = _build_ca_cert(subject, key, subject, key, _next_serial(folder))
        write_private_file(os.path.join(folder, FLAGS.key_file), _key_pem(key))
        write_private_file(cert_file, _cert_pem(cert), mode=0o644)
        _write_crl(folder)
    return cert_file


def ensure_project_ca(project_id):
    """Create the CA of ``project_id`` (signed by the root) if missing."""
    ensure_root_ca()
    folder = os.path.join(FLAGS.ca_path, 'projects', project_id)
    cert_file = os.path.join(folder, FLAGS.ca_file)
    if os.path.exists(cert_file):
        return cert_file
    with _locked(FLAGS.ca_path):
        if os.path.exists(cert_file):
            return cert_file
        _init_folder(folder)
        root_key = _load_key(os.path.join(FLAGS.ca_path, FLAGS.key_file))
        root_cert = _load_cert(os.path.join(FLAGS.ca_path, FLAGS.ca_file))
        key = _new_rsa_key(2048)
        subject = parse_subject(FLAGS.project_cert_subject
                                % (project_id, utils.isotime()))
        serial = _next_serial(FLAGS.ca_path)
        cert = _build_ca_cert(subject, key, root_cert.subject, root_key,
                              serial)
        _record(FLAGS.ca_path, cert)
        write_private_file(os.path.join(folder, FLAGS.key_file), _key_pem(key))
        write_private_file(cert_file, _cert_pem(cert), mode=0o644)
        _write_crl(folder)
    return cert_file


def ensure_ca(project_id=None):
    """Make sure the CA serving ``project_id`` exists; returns its folder."""
    if FLAGS.use_project_ca and project_id:
        ensure_project_ca(project_id)
    else:
        ensure_root_ca()
    return ca_folder(project_id)


def fetch_ca(project_id=None, chain=True):
    """The CA certificate(s) a user of ``project_id`` trusts, as PEM text.

    With ``--use_project_ca`` the project CA followed (when ``chain``) by the
    root CA; otherwise the root CA alone.
    """
    ensure_ca(project_id)
    if not FLAGS.use_project_ca or not project_id:
        chain = False
        project_id = None
    try:
        with open(ca_path(project_id)) as handle:
            text = handle.read()
        if chain:
            with open(ca_path(None)) as handle:
                text += handle.read()
    except OSError:
        raise exception.CryptoCAFileNotFound(project=project_id)
    return text


def fetch_crl(project_id=None):
    """The CRL of the CA serving ``project_id``, as PEM text."""
    try:
        with open(crl_path(project_id)) as handle:
            return handle.read()
    except OSError:
        raise exception.CryptoCRLFileNotFound(project=project_id)


# -- serials and the CA database -----------------------------------------------------
def _next_serial(folder):
    path = os.path.join(folder, 'serial')
    with open(path) as handle:
        serial = int(handle.read().strip() or '%X' % FIRST_SERIAL, 16)
    write_private_file(path, '%02X\n' % (serial + 1))
    return serial


def _record(folder, cert):
    """Append a signed certificate to index.txt and newcerts/."""
    serial = '%02X' % cert.serial_number
    expiry = cert.not_valid_after_utc.strftime('%y%m%d%H%M%SZ')
    subject = '/' + '/'.join(
        '%s=%s' % (attr.rfc4514_attribute_name, attr.value)
        for attr in cert.subject)
    with open(os.path.join(folder, 'index.txt'), 'a') as handle:
        handle.write('V\t%s\t\t%s\tunknown\t%s\n' % (expiry, serial, subject))
    path = os.path.join(folder, 'newcerts', '%s.pem' % serial)
    write_private_file(path, _cert_pem(cert), mode=0o644)
    return path


def _read_index(folder):
    path = os.path.join(folder, 'index.txt')
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [line.rstrip('\n').split('\t') for line in handle if line.strip()]


def _write_index(folder, rows):
    write_private_file(os.path.join(folder, 'index.txt'),
                       ''.join('\t'.join(row) + '\n' for row in rows))


def _write_crl(folder):
    x509 = _x509()
    from cryptography.hazmat.primitives import hashes
    key = _load_key(os.path.join(folder, FLAGS.key_file))
    cert = _load_cert(os.path.join(folder, FLAGS.ca_file))
    now = _now()
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(cert.subject)
               .last_update(now)
               .next_update(now + datetime.timedelta(days=CRL_DAYS)))
    for row in _read_index(folder):
        if row[0] != 'R':
            continue
        when = datetime.datetime.strptime(row[2].split(',')[0],
                                          '%y%m%d%H%M%SZ').replace(
                                              tzinfo=datetime.timezone.utc)
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(int(row[3], 16)).revocation_date(when).build())
    crl = builder.sign(key, hashes.SHA256())
    from cryptography.hazmat.primitives import serialization
    write_private_file(os.path.join(folder, FLAGS.crl_file),
                       crl.public_bytes(serialization.Encoding.PEM),
                       mode=0o644)


# -- signing and user certificates ----------------------------------------------------
def sign_csr(csr_pem, project_id=None):
    """Sign a PEM CSR with the CA serving ``project_id``.

    Returns ``(serial, cert_pem, file_name)``; ``file_name`` is the copy
    under ``newcerts/`` that revocation refers to.
    """
    x509 = _x509()
    from cryptography.hazmat.primitives import hashes
    folder = ensure_ca(project_id)
    if isinstance(csr_pem, str):
        csr_pem = csr_pem.encode()
    csr = x509.load_pem_x509_csr(csr_pem)
    if not csr.is_signature_valid:
        raise exception.InvalidInput(reason='CSR signature is invalid')
    with _locked(folder):
        ca_key = _load_key(os.path.join(folder, FLAGS.key_file))
        ca_cert = _load_cert(os.path.join(folder, FLAGS.ca_file))
        serial = _next_serial(folder)
        now = _now()
        cert = (x509.CertificateBuilder()
                .subject_name(csr.subject).issuer_name(ca_cert.subject)
                .public_key(csr.public_key()).serial_number(serial)
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=CERT_DAYS))
                .add_extension(x509.BasicConstraints(ca=False,
                                                     path_length=None),
                               critical=True)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(
                        ca_key.public_key()), critical=False)
                .sign(ca_key, hashes.SHA256()))
        file_name = _record(folder, cert)
    return serial, _cert_pem(cert).decode(), file_name


def _make_csr(key, subject_text):
    x509 = _x509()
    from cryptography.hazmat.primitives import hashes, serialization
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(parse_subject(subject_text))
           .sign(key, hashes.SHA256()))
    return csr.public_bytes(serialization.Encoding.PEM)


def generate_x509_cert(user_id, project_id, bits=USER_KEY_BITS):
    """A new key and certificate for a user in a project.

    Returns ``(private_key_pem, cert_pem)`` as text and records the
    certificate in the ``certificates`` table for later revocation.
    """
    from nova import context
    from nova import db
    key = _new_rsa_key(bits)
    subject = FLAGS.user_cert_subject % (project_id, user_id, utils.isotime())
    _serial, cert_pem, file_name = sign_csr(_make_csr(key, subject),
                                            project_id)
    db.certificate_create(context.get_admin_context(),
                          {'user_id': user_id, 'project_id': project_id,
                           'file_name': file_name})
    return _key_pem(key).decode(), cert_pem


def generate_vpn_cert(project_id):
    """Key and certificate of a project's VPN server (cloudpipe)."""
    key = _new_rsa_key(2048)
    subject = FLAGS.vpn_cert_subject % (project_id, utils.isotime())
    _serial, cert_pem, _file = sign_csr(_make_csr(key, subject), project_id)
    return _key_pem(key).decode(), cert_pem


def vpn_folder(project_id):
    """Where the VPN server key and certificate of ``project_id`` live.

    Always ``$ca_path/projects/<project>`` (where Diablo's ``genvpn.sh``
    wrote them), whether or not ``--use_project_ca`` gives the project its
    own CA; the certificate is signed by the CA serving the project.
    """
    return os.path.join(FLAGS.ca_path, 'projects', project_id)


def generate_vpn_files(project_id):
    """Create ``server.key`` and ``server.crt`` of a project's VPN if missing.

    Returns ``(key_path, cert_path)``.  The certificate is signed by the CA
    that signs the project's user certificates (the project CA with
    ``--use_project_ca``, else the root CA), so the VPN server trusts the
    certificates of the project's credentials zip.
    """
    folder = vpn_folder(project_id)
    key_file = os.path.join(folder, 'server.key')
    cert_file = os.path.join(folder, 'server.crt')
    if os.path.exists(cert_file) and os.path.exists(key_file):
        return key_file, cert_file
    ensure_ca(project_id)
    os.makedirs(folder, exist_ok=True)
    # Its own lock file: signing below takes the CA folder's lock, which
    # is this very folder with --use_project_ca.
    with _locked(folder, '.vpn.lock'):
        if os.path.exists(cert_file) and os.path.exists(key_file):
            return key_file, cert_file
        key_pem, cert_pem = generate_vpn_cert(project_id)
        write_private_file(key_file, key_pem)
        write_private_file(cert_file, cert_pem, mode=0o644)
    return key_file, cert_file


# -- revocation ----------------------------------------------------------------------
def revoke_cert(project_id, file_name):
    """Revoke the certificate stored at ``file_name`` and rewrite the CRL."""
    folder = ca_folder(project_id)
    if not os.path.isabs(file_name):
        file_name = os.path.join(folder, file_name)
    folder = os.path.dirname(os.path.dirname(file_name)) or folder
    try:
        cert = _load_cert(file_name)
    except OSError:
        raise exception.CertificateNotFound(certificate_id=file_name)
    serial = '%02X' % cert.serial_number
    with _locked(folder):
        rows = _read_index(folder)
        stamp = _now().strftime('%y%m%d%H%M%SZ')
        for row in rows:
            if len(row) > 3 and row[3] == serial and row[0] == 'V':
                row[0] = 'R'
                row[2] = stamp
        _write_index(folder, rows)
        _write_crl(folder)
    return cert.serial_number


def _revoke_rows(certs):
    for cert in certs:
        revoke_cert(cert['project_id'], cert['file_name'])


def revoke_certs_by_user(user_id):
    """Revoke every certificate of a user."""
    from nova import context
    from nova import db
    _revoke_rows(db.certificate_get_all_by_user(
        context.get_admin_context(), user_id))


def revoke_certs_by_project(project_id):
    """Revoke every certificate issued in a project."""
    from nova import context
    from nova import db
    _revoke_rows(db.certificate_get_all_by_project(
        context.get_admin_context(), project_id))


def revoke_certs_by_user_and_project(user_id, project_id):
    """Revoke a user's certificates in one project."""
    from nova import context
    from nova import db
    _revoke_rows(db.certificate_get_all_by_user_and_project(
        context.get_admin_context(), user_id, project_id))


# -- SSH key pairs --------------------------------------------------------------------
def generate_fingerprint(public_key):
    """Diablo's fingerprint of an OpenSSH public key: MD5, colon hex."""
    try:
        blob = base64.b64decode(public_key.split()[1].encode())
    except (IndexError, binascii.Error, ValueError):
        raise exception.InvalidInput(reason='malformed public key')
    digest = hashlib.md5(blob).hexdigest()
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))


def generate_key_pair(bits=2048):
    """A new SSH key pair: ``(private_key_pem, public_key_openssh, fp)``."""
    from cryptography.hazmat.primitives import serialization
    key = _new_rsa_key(bits)
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH,
        serialization.PublicFormat.OpenSSH).decode()
    return _key_pem(key).decode(), public, generate_fingerprint(public)


# -- decryption (S3 image bundles) -----------------------------------------------------
def decrypt_text(project_id, ciphertext):
    """Decrypt RSA (PKCS#1 v1.5) ciphertext with the cloud's CA key."""
    from cryptography.hazmat.primitives.asymmetric import padding
    ensure_ca(project_id)
    key = _load_key(key_path(project_id))
    try:
        return key.decrypt(ciphertext, padding.PKCS1v15())
    except ValueError as exc:
        raise exception.NovaException('Failed to decrypt text: %s' % exc)


def decrypt_bundle_key_iv(project_id, encrypted_key_hex, encrypted_iv_hex):
    """The AES key and IV of an ec2-bundle-image manifest, as bytes.

    The manifest holds hex of the RSA-encrypted key and IV; each decrypts to
    the hex text of the AES-128 key or IV.
    """
    key_hex = decrypt_text(project_id, bytes.fromhex(encrypted_key_hex))
    iv_hex = decrypt_text(project_id, bytes.fromhex(encrypted_iv_hex))
    return (bytes.fromhex(key_hex.decode().strip()),
            bytes.fromhex(iv_hex.decode().strip()))


def decrypt_image(encrypted_path, encrypted_key_hex, encrypted_iv_hex,
                  project_id, output_path):
    """Decrypt a bundled image (AES-128-CBC, PKCS#7 padding) to a file."""
    from cryptography.hazmat.primitives import padding as sym_padding
    from cryptography.hazmat.primitives.ciphers import (algorithms, Cipher,
                                                        modes)
    key, iv = decrypt_bundle_key_iv(project_id, encrypted_key_hex,
                                    encrypted_iv_hex)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    unpadder = sym_padding.PKCS7(128).unpadder()
    try:
        with open(encrypted_path, 'rb') as source, \
                open(output_path, 'wb') as target:
            for chunk in iter(lambda: source.read(1 << 20), b''):
                target.write(unpadder.update(decryptor.update(chunk)))
            target.write(unpadder.update(decryptor.finalize()))
            target.write(unpadder.finalize())
    except ValueError as exc:
        raise exception.NovaException('Failed to decrypt image: %s' % exc)
