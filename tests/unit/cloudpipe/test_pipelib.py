"""nova.cloudpipe.pipelib: payload, key pair, security group, launch checks.

The compute API is a recording double here (the functional test
tests/functional/test_cloudpipe.py launches through the real one); the
database, the CA and the key files are real, under ``tmp_path``.
"""

import base64
import io
import os
import stat
import subprocess
import zipfile

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding

from nova import context
from nova import db
from nova import exception
from nova.cloudpipe import pipelib


class RecordingImages(object):
    """Image service double: knows image 7 only."""

    def show(self, _ctxt, image_id):
        if str(image_id) != '7':
            raise exception.ImageNotFound(image_id=image_id)
        return {'id': 7, 'properties': {}}


class RecordingComputeAPI(object):
    """Records ``create`` calls; answers a made-up instance."""

    def __init__(self):
        self.image_service = RecordingImages()
        self.calls = []

    def create(self, ctxt, instance_type, image_href, **kwargs):
        self.calls.append((ctxt, instance_type, image_href, kwargs))
        return [{'id': 42, 'image_ref': str(image_href)}]


@pytest.fixture
def cloud(sqlite_db, set_flags, tmp_path):
    """A database with project ``vpnproj`` managed by ``vpnboss``."""
    from nova.auth import manager
    set_flags(vpn_image_id='7', use_project_ca=True, cnt_vpn_clients=5,
              dmz_net='10.8.0.0', dmz_mask='255.255.0.0',
              ec2_dmz_host='192.0.2.10', ec2_port=8773)
    auth = manager.AuthManager()
    auth.create_user('vpnboss')
    auth.create_user('outsider')
    auth.create_project('vpnproj', 'vpnboss')
    compute = RecordingComputeAPI()
    return pipelib.CloudPipe(compute_api=compute, auth_manager=auth), \
        compute, tmp_path


def _unzip(payload):
    archive = zipfile.ZipFile(io.BytesIO(payload))
    return {name: archive.read(name) for name in archive.namelist()}


def _verify(cert, issuer):
    issuer.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                               padding.PKCS1v15(),
                               cert.signature_hash_algorithm)


def test_boot_script_values(cloud):
    script = pipelib.render_boot_script()
    assert 'export NUM_VPN=5' in script
    assert 'push \\"route 10.8.0.0 255.255.0.0 $GATEWAY\\"' in script
    assert '192.0.2.10:8773' in script
    assert '${' not in script and '$$' not in script
    # Valid shell.
    check = subprocess.run(['sh', '-n'], input=script, text=True,
                           capture_output=True)
    assert check.returncode == 0, check.stderr


def test_boot_script_template_unreadable(cloud, set_flags):
    set_flags(boot_script_template='/nonexistent/boot.template')
    with pytest.raises(exception.CloudpipeError) as err:
        pipelib.render_boot_script()
    assert '/nonexistent/boot.template' in str(err.value)


def test_payload_contents_and_certificates(cloud, tmp_path):
    files = _unzip(pipelib.build_payload('vpnproj'))
    assert sorted(files) == ['autorun.sh', 'ca.crt', 'crl.pem',
                             'server.crt', 'server.key']
    assert b'export NUM_VPN=5' in files['autorun.sh']
    ca = x509.load_pem_x509_certificate(files['ca.crt'])
    server = x509.load_pem_x509_certificate(files['server.crt'])
    key = serialization.load_pem_private_key(files['server.key'], None)
    # The server cert is the project CA's, for the key beside it.
    assert 'project-ca-vpnproj' in ca.subject.rfc4514_string()
    assert 'project-vpn-vpnproj' in server.subject.rfc4514_string()
    _verify(server, ca)
    assert server.public_key().public_numbers() == \
        key.public_key().public_numbers()
    crl = x509.load_pem_x509_crl(files['crl.pem'])
    assert crl.issuer == ca.subject
    folder = tmp_path / 'CA' / 'projects' / 'vpnproj'
    assert (folder / 'server.crt').read_bytes() == files['server.crt']
    assert stat.S_IMODE(os.stat(folder / 'server.key').st_mode) == 0o600
    # A second payload reuses the same VPN certificate.
    again = _unzip(pipelib.build_payload('vpnproj'))
    assert again['server.crt'] == files['server.crt']


def test_payload_without_project_ca_uses_root(cloud, set_flags):
    set_flags(use_project_ca=False)
    files = _unzip(pipelib.build_payload('vpnproj'))
    ca = x509.load_pem_x509_certificate(files['ca.crt'])
    assert 'NOVA ROOT' in ca.subject.rfc4514_string()
    _verify(x509.load_pem_x509_certificate(files['server.crt']), ca)


def test_user_data_is_base64_of_base64(cloud):
    payload = pipelib.build_payload('vpnproj')
    user_data = pipelib.encode_payload(payload)
    served = base64.b64decode(user_data)     # what the metadata serves
    assert base64.b64decode(served) == payload


def test_key_pair_and_group_are_idempotent(cloud, tmp_path):
    pipe, _compute, _tmp = cloud
    ctxt = context.RequestContext('vpnboss', 'vpnproj')
    assert pipe.setup_key_pair(ctxt) == 'vpnproj-vpn'
    pem = tmp_path / 'keys' / 'vpnboss' / 'vpnproj-vpn.pem'
    first = pem.read_bytes()
    assert stat.S_IMODE(os.stat(pem).st_mode) == 0o600
    key = db.key_pair_get(ctxt, 'vpnboss', 'vpnproj-vpn')
    private = serialization.load_pem_private_key(first, None)
    public = private.public_key().public_bytes(
        serialization.Encoding.OpenSSH,
        serialization.PublicFormat.OpenSSH).decode()
    assert key['public_key'] == public
    assert pipe.setup_key_pair(ctxt) == 'vpnproj-vpn'
    assert pem.read_bytes() == first
    assert len(db.key_pair_get_all_by_user(ctxt, 'vpnboss')) == 1

    assert pipe.setup_security_group(ctxt) == 'vpnproj-vpn'
    assert pipe.setup_security_group(ctxt) == 'vpnproj-vpn'
    groups = [g for g in db.security_group_get_by_project(ctxt, 'vpnproj')
              if g['name'] == 'vpnproj-vpn']
    assert len(groups) == 1
    assert groups[0]['description'] == 'Group for vpn'
    rules = sorted((r['protocol'], r['from_port'], r['to_port'], r['cidr'])
                   for r in db.security_group_rule_get_by_security_group(
                       ctxt, groups[0]['id']))
    assert rules == [('icmp', -1, -1, '0.0.0.0/0'),
                     ('udp', 1194, 1194, '0.0.0.0/0')]


def test_key_pair_not_kept_when_private_key_cannot_be_saved(cloud, tmp_path,
                                                           set_flags):
    pipe, _compute, _tmp = cloud
    blocker = tmp_path / 'not-a-dir'
    blocker.write_text('x')
    set_flags(keys_path=str(blocker))
    ctxt = context.RequestContext('vpnboss', 'vpnproj')
    with pytest.raises(exception.CloudpipeError):
        pipe.setup_key_pair(ctxt)
    with pytest.raises(exception.NotFound):
        db.key_pair_get(ctxt, 'vpnboss', 'vpnproj-vpn')


def test_launch_passes_everything_to_compute(cloud):
    pipe, compute, _tmp = cloud
    instance = pipe.launch_vpn_instance('vpnproj')
    assert instance['id'] == 42
    (ctxt, instance_type, image, kwargs), = compute.calls
    assert (ctxt.user_id, ctxt.project_id) == ('vpnboss', 'vpnproj')
    assert not ctxt.is_admin
    assert instance_type['name'] == 'm1.tiny'
    assert str(image) == '7'
    assert kwargs['key_name'] == 'vpnproj-vpn'
    assert kwargs['security_group'] == ['vpnproj-vpn']
    assert (kwargs['min_count'], kwargs['max_count']) == (1, 1)
    files = _unzip(base64.b64decode(base64.b64decode(kwargs['user_data'])))
    assert 'autorun.sh' in files and 'server.crt' in files


@pytest.mark.parametrize('flags_, project, user, error', [
    ({}, 'nosuch', None, exception.ProjectNotFound),
    ({}, 'vpnproj', 'nosuch', exception.UserNotFound),
    ({}, 'vpnproj', 'outsider', exception.InvalidInput),
    ({'vpn_image_id': '0'}, 'vpnproj', None, exception.CloudpipeImageNotSet),
    ({'vpn_image_id': '9'}, 'vpnproj', None,
     exception.CloudpipeImageNotFound),
    ({'vpn_instance_type': 'm9.huge'}, 'vpnproj', None,
     exception.InstanceTypeNotFoundByName),
])
def test_bad_launches_create_nothing(cloud, set_flags, tmp_path, flags_,
                                     project, user, error):
    pipe, compute, _tmp = cloud
    set_flags(**flags_)
    with pytest.raises(error):
        pipe.launch_vpn_instance(project, user)
    assert compute.calls == []
    admin = context.get_admin_context()
    assert db.key_pair_get_all_by_user(admin, 'vpnboss') == []
    assert not db.security_group_exists(admin, 'vpnproj', 'vpnproj-vpn')
    assert not (tmp_path / 'CA' / 'projects' / 'vpnproj' /
                'server.crt').exists()


def test_second_launch_refused_while_one_exists(cloud):
    from nova.db.sqlalchemy import models
    from nova.db.sqlalchemy.session import session_scope
    pipe, compute, _tmp = cloud
    with session_scope() as session:
        session.add(models.Instance(project_id='vpnproj', user_id='vpnboss',
                                    image_ref='7', vm_state='error'))
    with pytest.raises(exception.CloudpipeAlreadyRunning) as err:
        pipe.launch_vpn_instance('vpnproj')
    assert 'i-00000001 (error)' in str(err.value)
    assert compute.calls == []
