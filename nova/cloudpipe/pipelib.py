"""Launch a project's cloudpipe: the OpenVPN server instance of its VLAN.

:meth:`CloudPipe.launch_vpn_instance` does what Diablo's did, as the
project's manager:

1. the key pair ``<project><--vpn_key_suffix>`` (private key saved to
   ``<--keys_path>/<user>/<key name>.pem``), unless it exists;
2. the security group ``<project><--vpn_key_suffix>`` admitting udp 1194 and
   icmp from anywhere, unless it exists;
3. the payload: a zip of ``autorun.sh`` (``--boot_script_template``
   rendered with ``--dmz_net``, ``--dmz_mask``, ``--cnt_vpn_clients`` ...),
   ``crl.pem``, ``ca.crt`` (the CA serving the project, see
   ``--use_project_ca``), ``server.key`` and ``server.crt``;
4. an instance of ``--vpn_image_id`` (``--vpn_instance_type``) with that key
   pair and group, and the payload, base64-encoded, as its user data (the
   image's ``rc.local`` fetches it from the metadata service, decodes it,
   unzips it and runs ``autorun.sh``).

Every precondition (project, image, instance type, no VPN running yet) is
checked before anything is created.
"""

import base64
import io
import logging
import os
import string
import zipfile

from nova import context as nova_context
from nova import crypto
from nova import db
from nova import exception
from nova import flags
from nova import utils
from nova.compute import vm_states
from nova.network import manager as network_manager  # noqa: F401 - flags

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.cloudpipe')

flags.DEFINE_string('boot_script_template',
                    utils.abspath('cloudpipe/bootscript.template'),
                    'Template for script to run on cloudpipe instance boot')
flags.DEFINE_string('dmz_net', '10.0.0.0',
                    'Network to push into openvpn config')
flags.DEFINE_string('dmz_mask', '255.255.255.0',
                    'Netmask to push into openvpn config')
flags.DEFINE_string('vpn_instance_type', 'm1.tiny',
                    'Instance type of the cloudpipe VPN instances')

VPN_PORT = 1194
GROUP_DESCRIPTION = 'Group for vpn'
# VPN instances in these states are gone; any other (error too: it still
# holds the project's VPN address) blocks a new launch.
_GONE_STATES = (vm_states.DELETED,)


def vpn_name(project_id):
    """Name of a project's VPN key pair and security group."""
    return '%s%s' % (project_id, FLAGS.vpn_key_suffix)


def is_vpn_instance(instance):
    """Whether ``instance`` was booted from the cloudpipe image."""
    return bool(FLAGS.vpn_image_id) and \
        str(instance['image_ref']) == str(FLAGS.vpn_image_id)


def find_vpn_instance(ctxt, project_id):
    """The project's VPN instance (not deleted), or None."""
    for instance in db.instance_get_all_by_project(ctxt, project_id):
        if is_vpn_instance(instance) and \
                instance['vm_state'] not in _GONE_STATES:
            return instance
    return None


def render_boot_script():
    """``autorun.sh``: the boot script template with this cloud's values."""
    try:
        with open(FLAGS.boot_script_template) as handle:
            template = string.Template(handle.read())
    except OSError as exc:
        raise exception.CloudpipeError(
            project_id='-', reason='cannot read --boot_script_template %s: %s'
            % (FLAGS.boot_script_template, exc.strerror))
    return template.substitute(cc_dmz=FLAGS.ec2_dmz_host,
                               cc_port=FLAGS.ec2_port,
                               dmz_net=FLAGS.dmz_net,
                               dmz_mask=FLAGS.dmz_mask,
                               num_vpn=FLAGS.cnt_vpn_clients)


def _read(path):
    with open(path, 'rb') as handle:
        return handle.read()


def build_payload(project_id):
    """The zip (bytes) the VPN instance unpacks and runs at boot."""
    script = render_boot_script()
    key_file, cert_file = crypto.generate_vpn_files(project_id)
    ca_text = crypto.fetch_ca(project_id, chain=False)
    crl_text = crypto.fetch_crl(project_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as payload:
        payload.writestr('autorun.sh', script)
        payload.writestr('crl.pem', crl_text)
        payload.writestr('server.key', _read(key_file))
        payload.writestr('ca.crt', ca_text)
        payload.writestr('server.crt', _read(cert_file))
    return buffer.getvalue()


def encode_payload(payload):
    """User data for the compute API: base64 of (base64 of the zip).

    The API stores user data base64-encoded and the metadata service serves
    it decoded, so the instance reads one base64 layer, which its
    ``rc.local`` decodes (``openssl enc -d -base64``) to the zip.
    """
    once = base64.encodebytes(payload)
    return base64.b64encode(once).decode('ascii')


class CloudPipe(object):
    """Launches the cloudpipe VPN instances of projects."""

    def __init__(self, compute_api=None, auth_manager=None):
        if compute_api is None:
            from nova.compute import api as compute
            compute_api = compute.API()
        if auth_manager is None:
            from nova.auth import manager
            auth_manager = manager.AuthManager()
        self.compute_api = compute_api
        self.auth_manager = auth_manager

    # -- preconditions ---------------------------------------------------------
    def _project_and_user(self, project_id, user_id):
        project = self.auth_manager.get_project(project_id)
        if project is None:
            raise exception.ProjectNotFound(project_id=project_id)
        user_id = user_id or project.project_manager_id
        if self.auth_manager.get_user(user_id) is None:
            raise exception.UserNotFound(user_id=user_id)
        if not self.auth_manager.is_project_member(user_id, project_id):
            raise exception.InvalidInput(
                reason='user %s is not a member of project %s'
                % (user_id, project_id))
        return project, user_id

    def _check_image(self, ctxt):
        if not FLAGS.vpn_image_id:
            raise exception.CloudpipeImageNotSet()
        try:
            return self.compute_api.image_service.show(ctxt,
                                                       FLAGS.vpn_image_id)
        except exception.NotFound:
            raise exception.CloudpipeImageNotFound(
                image_id=FLAGS.vpn_image_id)

    @staticmethod
    def _check_instance_type():
        from nova.compute import instance_types
        return instance_types.get_instance_type_by_name(
            FLAGS.vpn_instance_type)

    # -- resources ---------------------------------------------------------------
    def setup_key_pair(self, ctxt):
        """Create the project's VPN key pair unless it exists; its name.

        The private key goes to ``<keys_path>/<user>/<name>.pem`` (mode
        0600).  If it cannot be written the key pair is not kept.
        """
        key_name = vpn_name(ctxt.project_id)
        try:
            db.key_pair_get(ctxt, ctxt.user_id, key_name)
            return key_name
        except exception.NotFound:
            pass
        private_key, public_key, fingerprint = crypto.generate_key_pair()
        try:
            db.key_pair_create(ctxt, {'user_id': ctxt.user_id,
                                      'name': key_name,
                                      'public_key': public_key,
                                      'fingerprint': fingerprint})
        except exception.Duplicate:
            return key_name     # another launch made it meanwhile
        path = os.path.join(FLAGS.keys_path, ctxt.user_id,
                            '%s.pem' % key_name)
        try:
            crypto.write_private_file(path, private_key)
        except OSError as exc:
            db.key_pair_destroy(ctxt, ctxt.user_id, key_name)
            raise exception.CloudpipeError(
                project_id=ctxt.project_id,
                reason='cannot save the private key %s: %s'
                % (path, exc.strerror))
        LOG.info('Created key pair %s; private key in %s', key_name, path)
        return key_name

    def setup_security_group(self, ctxt):
        """Create the project's VPN group (udp 1194, icmp) unless it exists."""
        group_name = vpn_name(ctxt.project_id)
        if db.security_group_exists(ctxt, ctxt.project_id, group_name):
            return group_name
        with db.session_scope():
            db.security_group_ensure_default(ctxt)
            group = db.security_group_create(ctxt, {
                'user_id': ctxt.user_id, 'project_id': ctxt.project_id,
                'name': group_name, 'description': GROUP_DESCRIPTION})
            for protocol, port in (('udp', VPN_PORT), ('icmp', -1)):
                db.security_group_rule_create(ctxt, {
                    'parent_group_id': group['id'], 'protocol': protocol,
                    'from_port': port, 'to_port': port,
                    'cidr': '0.0.0.0/0'})
        LOG.info('Created security group %s', group_name)
        return group_name

    # -- launch ------------------------------------------------------------------
    def launch_vpn_instance(self, project_id, user_id=None):
        """Launch the VPN instance of a project; returns the instance.

        Raises ProjectNotFound, UserNotFound, CloudpipeImageNotSet,
        CloudpipeImageNotFound, InstanceTypeNotFoundByName or
        CloudpipeAlreadyRunning before creating anything.
        """
        project, user_id = self._project_and_user(project_id, user_id)
        if not FLAGS.vpn_image_id:
            raise exception.CloudpipeImageNotSet()
        admin = nova_context.get_admin_context()
        running = find_vpn_instance(admin, project.id)
        if running is not None:
            raise exception.CloudpipeAlreadyRunning(
                project_id=project.id, instance_id='i-%08x' % running['id'],
                vm_state=running['vm_state'])
        self._check_image(admin)
        instance_type = self._check_instance_type()
        roles = self.auth_manager.get_active_roles(user_id, project.id)
        ctxt = nova_context.RequestContext(user_id, project.id, roles=roles,
                                           is_admin=False)
        key_name = self.setup_key_pair(ctxt)
        group_name = self.setup_security_group(ctxt)
        user_data = encode_payload(build_payload(project.id))
        instances = self.compute_api.create(
            ctxt, instance_type, FLAGS.vpn_image_id, min_count=1,
            max_count=1, key_name=key_name, security_group=[group_name],
            user_data=user_data)
        instance = instances[0]
        LOG.info('Launched VPN instance i-%08x of project %s',
                 instance['id'], project.id)
        return instance
