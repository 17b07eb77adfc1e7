"""Nova's exception hierarchy.

Every error Nova raises on purpose is a :class:`NovaException` subclass with
a message template filled from keyword arguments.  The APIs translate these
into their own formats (EC2 error codes, OpenStack faults); ``ec2_code`` and
``code`` carry the hints they use.  No traceback ever reaches a client.
"""


class NovaException(Exception):
    """Base class: ``message`` is a %-template filled from the kwargs."""

    message = 'An unknown exception occurred.'
    code = 500
    ec2_code = None

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if 'code' in kwargs:
            self.code = kwargs['code']
        if message is None:
            try:
                message = self.message % kwargs
            except (KeyError, TypeError, ValueError):
                message = self.message
        self.msg = message
        super(NovaException, self).__init__(message)

    def __str__(self):
        return self.msg


# -- generic ---------------------------------------------------------------
class Invalid(NovaException):
    message = 'Unacceptable parameters.'
    code = 400
    ec2_code = 'InvalidParameterValue'


class InvalidInput(Invalid):
    message = 'Invalid input received: %(reason)s'


class InvalidParameterValue(Invalid):
    message = '%(err)s'


class MissingParameter(Invalid):
    message = 'The request must contain the parameter %(param)s'
    ec2_code = 'MissingParameter'


class InvalidRequest(Invalid):
    message = 'The request is invalid.'
    ec2_code = 'InvalidRequest'


class InvalidContentType(Invalid):
    message = 'Invalid content type %(content_type)s.'


class NotAuthorized(NovaException):
    message = 'Not authorized.'
    code = 403
    ec2_code = 'UnauthorizedOperation'


class AdminRequired(NotAuthorized):
    message = 'User does not have admin privileges'


class PolicyNotAuthorized(NotAuthorized):
    message = 'Policy does not allow %(action)s to be performed.'


class NotFound(NovaException):
    message = 'Resource could not be found.'
    code = 404


class AlreadyExists(NovaException):
    message = '%(name)s already exists.'
    code = 409


class Duplicate(NovaException):
    message = 'Duplicate resource.'
    code = 409


class ApiError(NovaException):
    """An error an API handler reports with a code of its own choosing."""

    message = 'Unknown API error.'
    code = 400

    def __init__(self, message='Unknown', code=None):
        self.ec2_code = code
        super(ApiError, self).__init__(message)


class ProcessExecutionError(NovaException):
    """A host command exited with an unexpected status."""

    message = ('%(description)s\nCommand: %(cmd)s\nExit code: %(exit_code)s\n'
               'Stdout: %(stdout)r\nStderr: %(stderr)r')

    def __init__(self, stdout=None, stderr=None, exit_code=None, cmd=None,
                 description=None):
        self.stdout = stdout
        self.stderr = stderr
        self.exit_code = exit_code
        self.cmd = cmd
        super(ProcessExecutionError, self).__init__(
            description=description or 'Unexpected error while running '
            'command.', cmd=cmd, exit_code=exit_code, stdout=stdout,
            stderr=stderr)


class ClassNotFound(NotFound):
    message = 'Class %(class_name)s could not be found: %(exception)s'


# -- database / infrastructure ----------------------------------------------
class DBError(NovaException):
    message = 'Database error: %(reason)s'


class DBUnavailable(NovaException):
    message = 'Database %(url)s unreachable after %(attempts)d attempts: %(reason)s'


class DBMigrationError(NovaException):
    message = 'Database migration failed: %(reason)s'


class RpcUnavailable(NovaException):
    message = 'Message broker %(url)s unreachable after %(attempts)d attempts: %(reason)s'


class RpcTimeout(NovaException):
    message = 'Timeout while waiting on RPC response to %(method)s on %(topic)s.'
    code = 504


# -- services, hosts ----------------------------------------------------------
class ServiceNotFound(NotFound):
    message = 'Service %(service_id)s could not be found.'


class HostNotFound(NotFound):
    message = 'Host %(host)s could not be found.'


class HostBinaryNotFound(NotFound):
    message = 'Could not find binary %(binary)s on host %(host)s.'


class AgentBuildNotFound(NotFound):
    message = ('No agent build for hypervisor %(hypervisor)s, os %(os)s, '
               'architecture %(architecture)s.')


class ComputeHostNotFound(HostNotFound):
    message = 'Compute host %(host)s could not be found.'


class ComputeNodeNotFound(NotFound):
    message = 'Compute node %(compute_id)s could not be found.'


class ServiceUnavailable(NovaException):
    message = 'Service is unavailable at this time.'
    code = 503


class NoValidHost(NovaException):
    message = 'No valid host was found. %(reason)s'


# -- instance types, quotas, certificates -----------------------------------
class InstanceTypeNotFound(NotFound):
    message = 'Instance type %(instance_type_id)s could not be found.'


class InstanceTypeNotFoundByName(InstanceTypeNotFound):
    message = 'Instance type with name %(instance_type_name)s could not be found.'


class FlavorNotFound(NotFound):
    message = 'Flavor %(flavor_id)s could not be found.'


class InstanceTypeExists(Duplicate):
    message = 'Instance type %(name)s already exists.'


class InvalidInstanceType(Invalid):
    message = 'Invalid instance type %(name)s.'


class QuotaNotFound(NotFound):
    message = 'Quota could not be found'


class ProjectQuotaNotFound(QuotaNotFound):
    message = 'Quota for project %(project_id)s could not be found.'


class QuotaError(NovaException):
    message = 'Quota exceeded: %(reason)s'
    code = 413


class FloatingIpQuotaExceeded(QuotaError):
    message = 'Quota exceeded: the project may allocate no more floating ips.'
    ec2_code = 'AddressLimitExceeded'


class CertificateNotFound(NotFound):
    message = 'Certificate %(certificate_id)s not found.'


class CryptoCAFileNotFound(NotFound):
    message = 'The CA file for %(project)s could not be found'


class CryptoCRLFileNotFound(NotFound):
    message = 'The CRL file for %(project)s could not be found'


# -- identity, signatures, credentials (deprecated auth) ----------------------
class InvalidSignature(NotAuthorized):
    message = 'Invalid signature: %(reason)s'
    ec2_code = 'SignatureDoesNotMatch'


class RequestExpired(NotAuthorized):
    message = 'Request has expired: %(reason)s'
    ec2_code = 'RequestExpired'


class AccessKeyNotFound(NotFound):
    message = 'Access Key %(access_key)s could not be found.'


class UserNotFound(NotFound):
    message = 'User %(user_id)s could not be found.'


class ProjectNotFound(NotFound):
    message = 'Project %(project_id)s could not be found.'


class ProjectMembershipNotFound(NotFound):
    message = 'User %(user_id)s is not a member of project %(project_id)s.'


class UserRoleNotFound(NotFound):
    message = 'Role %(role_id)s could not be found.'


class UserExists(Duplicate):
    message = 'User %(user)s already exists.'


class ProjectExists(Duplicate):
    message = 'Project %(project)s already exists.'


class AccessKeyExists(Duplicate):
    message = 'Access key %(access_key)s is already in use.'


class InvalidRole(Invalid):
    message = '%(reason)s'


class AuthLockedOut(NotAuthorized):
    message = 'Too many failed authentications.'
    ec2_code = 'AuthFailure'


# -- added by the database layer ------------------------------------------------
class InstanceTypeIdExists(InstanceTypeExists):
    message = 'Instance type with flavorid %(flavor_id)s already exists.'


# -- added by compute (instances, key pairs, security groups) -------------------
class InstanceNotFound(NotFound):
    message = 'Instance %(instance_id)s could not be found.'
    ec2_code = 'InvalidInstanceID.NotFound'


class InstanceInvalidState(Invalid):
    message = ('Instance %(instance_id)s in %(attr)s %(state)s. Cannot '
               '%(method)s while the instance is in this state.')
    code = 409
    ec2_code = 'IncorrectInstanceState'


class InstanceNotRunning(Invalid):
    message = 'Instance %(instance_id)s is not running.'
    ec2_code = 'IncorrectInstanceState'


class InstanceFaultNotFound(NotFound):
    message = 'Instance %(instance_id)s has no fault recorded.'


class KeypairNotFound(NotFound):
    message = 'Keypair %(keypair_name)s not found for user %(user_id)s'
    ec2_code = 'InvalidKeyPair.NotFound'


class KeyPairExists(Duplicate):
    message = 'Key pair %(key_name)s already exists.'
    ec2_code = 'InvalidKeyPair.Duplicate'


class SecurityGroupNotFound(NotFound):
    message = 'Security group %(security_group_id)s not found.'
    ec2_code = 'InvalidGroup.NotFound'


class SecurityGroupNotFoundForProject(SecurityGroupNotFound):
    message = ('Security group %(security_group_id)s not found '
               'for project %(project_id)s.')


class SecurityGroupNotFoundForRule(SecurityGroupNotFound):
    message = 'Security group with rule %(rule_id)s not found.'


class SecurityGroupRuleNotFound(NotFound):
    message = 'Security group rule %(rule_id)s not found.'


class ProviderFirewallRuleExists(Duplicate):
    message = ('A provider firewall rule for %(protocol)s from %(cidr)s '
               'already exists.')


class ProviderFirewallRuleNotFound(NotFound):
    message = 'Provider firewall rule %(rule_id)s not found.'


class SecurityGroupExists(Duplicate):
    message = ('Security group %(security_group_name)s already exists '
               'in project %(project_id)s.')
    ec2_code = 'InvalidGroup.Duplicate'


class SecurityGroupInUse(Invalid):
    message = 'Security group %(security_group_id)s is in use.'
    ec2_code = 'InvalidGroup.InUse'


# -- added by network and image (networks, fixed/floating IPs, images) ----------
class NetworkNotFound(NotFound):
    message = 'Network %(network_id)s could not be found.'


class NetworkNotFoundForCidr(NetworkNotFound):
    message = 'Network with cidr %(cidr)s could not be found.'


class NetworkNotFoundForBridge(NetworkNotFound):
    message = 'Network could not be found for bridge %(bridge)s'


class NetworkNotFoundForProject(NetworkNotFound):
    message = 'Either network uuid %(network_uuid)s is not present or is ' \
              'not assigned to the project %(project_id)s.'


class NoNetworksFound(NotFound):
    message = 'No networks defined.'


class NetworkNotCreated(NovaException):
    message = '%(req)s is required to create a network.'


class NetworkExists(Duplicate):
    message = 'Network %(cidr)s already exists or overlaps network ' \
              '%(other)s.'


class NetworkInUse(Invalid):
    message = 'Network %(network_id)s has addresses in use: %(addresses)s'


class InvalidCidr(Invalid):
    message = 'Invalid CIDR %(cidr)s: %(reason)s'


class FixedIpNotFound(NotFound):
    message = 'No fixed IP associated with id %(id)s.'


class FixedIpNotFoundForAddress(FixedIpNotFound):
    message = 'Fixed ip not found for address %(address)s.'


class FixedIpNotFoundForInstance(FixedIpNotFound):
    message = 'Instance %(instance_id)s has zero fixed ips.'


class FixedIpNotFoundForHost(FixedIpNotFound):
    message = 'Host %(host)s has zero fixed ips.'


class FixedIpAlreadyInUse(Duplicate):
    message = 'Fixed IP address %(address)s is already in use.'


class NoMoreFixedIps(NovaException):
    message = 'Zero fixed ips available.'
    ec2_code = 'InsufficientAddressCapacity'


class NoMoreNetworks(NovaException):
    message = 'No more available networks.'


class NoFixedIpsDefined(NotFound):
    message = 'Zero fixed ips could be found.'


class VirtualInterfaceCreateException(NovaException):
    message = 'Virtual interface creation failed'


class VirtualInterfaceMacAddressException(NovaException):
    message = '5 attempts to create virtual interface with unique mac ' \
              'address failed'


class FloatingIpNotFound(NotFound):
    message = 'Floating ip not found for id %(id)s.'


class FloatingIpNotFoundForAddress(FloatingIpNotFound):
    message = 'Floating ip not found for address %(address)s.'


class FloatingIpExists(Duplicate):
    message = 'Floating ip %(address)s already exists.'


class FloatingIpInUse(Invalid):
    message = 'Floating ip %(address)s is associated with a fixed ip.'
    ec2_code = 'InvalidIPAddress.InUse'


class FloatingIpsUnsupported(Invalid):
    message = ('Floating IPs need --network_manager='
               'nova.network.manager.FlatDHCPManager or VlanManager; this '
               'cloud runs %(manager)s, which has none (as in Diablo).')
    ec2_code = 'UnsupportedOperation'


class VlanUnsupported(NovaException):
    message = ('Cannot create VLAN interface %(interface)s on %(parent)s: '
               'this kernel lacks 802.1Q VLAN support (module 8021q): '
               '%(reason)s')


class NoMoreFloatingIps(NovaException):
    message = 'Zero floating ips available.'
    ec2_code = 'AddressLimitExceeded'


class FloatingIpNotAssociated(Invalid):
    message = 'Floating ip %(address)s is not associated.'
    ec2_code = 'InvalidAddress.NotAssociated'


class FloatingIpAlreadyAssociated(Invalid):
    message = ('Floating ip %(address)s is already associated; '
               'disassociate it first.')
    ec2_code = 'Resource.AlreadyAssociated'


class ImageNotFound(NotFound):
    message = 'Image %(image_id)s could not be found.'
    ec2_code = 'InvalidAMIID.NotFound'


class ImageNotAuthorized(NotAuthorized):
    message = 'Not authorized for image %(image_id)s.'


class InvalidImageRef(Invalid):
    message = 'Invalid image href %(image_href)s.'


# -- virt drivers and scheduling ---------------------------------------------
class VirtDriverNotFound(NotFound):
    message = ('No hypervisor driver for --connection_type=%(connection_type)s'
               ': %(reason)s')


class VirtDriverNotAvailable(NovaException):
    message = ('The %(connection_type)s hypervisor driver (%(module)s) is not '
               'available: %(reason)s')


class InstanceExists(Duplicate):
    message = 'Instance %(name)s already exists.'


# -- volumes (nova-volume, EC2 volume actions) ------------------------------------
class VolumeNotFound(NotFound):
    message = 'Volume %(volume_id)s could not be found.'
    ec2_code = 'InvalidVolume.NotFound'


class VolumeNotFoundForInstance(VolumeNotFound):
    message = 'Volume not found for instance %(instance_id)s.'


class SnapshotNotFound(NotFound):
    message = 'Snapshot %(snapshot_id)s could not be found.'
    ec2_code = 'InvalidSnapshot.NotFound'


class ISCSITargetNotFoundForVolume(NotFound):
    message = 'No target id found for volume %(volume_id)s.'


class NoMoreTargets(NovaException):
    message = 'No more free iSCSI targets on host %(host)s.'


class VolumeIsBusy(Invalid):
    message = 'Volume %(volume_name)s is still busy: %(reason)s'
    ec2_code = 'VolumeInUse'


class VolumeInUse(Invalid):
    message = 'Volume %(volume_id)s is %(status)s; it must be available.'
    ec2_code = 'VolumeInUse'


class InvalidVolumeState(Invalid):
    message = 'Volume %(volume_id)s is %(status)s: cannot %(action)s it.'
    ec2_code = 'IncorrectState'


class InvalidSnapshotState(Invalid):
    message = 'Snapshot %(snapshot_id)s is %(status)s: cannot %(action)s it.'
    ec2_code = 'IncorrectState'


class InvalidVolumeSize(Invalid):
    message = 'Invalid volume size %(size)s: %(reason)s'
    ec2_code = 'InvalidParameterValue'


class InvalidDevicePath(Invalid):
    message = 'The supplied device path (%(path)s) is invalid.'
    ec2_code = 'InvalidParameterValue'


class DeviceInUse(Invalid):
    message = 'Device %(device)s of instance %(instance_id)s is in use.'
    ec2_code = 'InvalidParameterValue'


class VolumeZoneMismatch(Invalid):
    message = ('Volume %(volume_id)s is in zone %(volume_zone)s, the '
               'instance in %(instance_zone)s.')
    ec2_code = 'InvalidVolume.ZoneMismatch'


class VolumeBackendError(NovaException):
    message = 'Volume backend error: %(reason)s'


class VolumeDriverNotSupported(NovaException):
    message = '%(what)s is not supported here: %(reason)s'
# -- EC2 tags, attributes and idempotency (issue 14) ---------------------------
class TagLimitExceeded(Invalid):
    message = ('The maximum number of Tags for a resource has been reached '
               '(%(limit)s).')
    ec2_code = 'TagLimitExceeded'


class InvalidParameterCombination(Invalid):
    message = '%(reason)s'
    ec2_code = 'InvalidParameterCombination'


class OperationNotPermitted(Invalid):
    message = '%(reason)s'
    ec2_code = 'OperationNotPermitted'


class IdempotentParameterMismatch(Invalid):
    message = ('The client token %(token)s was already used with different '
               'parameters.')
    ec2_code = 'IdempotentParameterMismatch'


# -- cloudpipe (the projects' VPN instances) --------------------------------------
class CloudpipeImageNotSet(Invalid):
    message = ('--vpn_image_id is not set: register the cloudpipe image and '
               'put its id (or ami-XXXXXXXX) in --vpn_image_id')


class CloudpipeImageNotFound(NotFound):
    message = ('The cloudpipe image %(image_id)s (--vpn_image_id) could not '
               'be found')
    ec2_code = 'InvalidAMIID.NotFound'


class CloudpipeAlreadyRunning(Duplicate):
    message = ('Project %(project_id)s already has a VPN instance: '
               '%(instance_id)s (%(vm_state)s); terminate it first to '
               'launch another')
    ec2_code = 'InvalidParameterValue'


class CloudpipeError(NovaException):
    message = 'Could not launch the VPN of project %(project_id)s: %(reason)s'


# -- added by resize, rebuild and the OpenStack API's server actions ----------
class MigrationNotFound(NotFound):
    message = 'Migration %(migration_id)s could not be found.'


class MigrationNotFoundByStatus(MigrationNotFound):
    message = ('Migration not found for instance %(instance_id)s with '
               'status %(status)s.')


class CannotResizeToSameSize(Invalid):
    message = 'When resizing, instances must change size!'


class CannotResizeToSmallerSize(Invalid):
    message = 'Resizing to a smaller size is not supported.'


class InstanceIsLocked(Invalid):
    message = ('Instance %(instance_id)s is locked; only an administrator '
               'can %(method)s it.')
    code = 409
    ec2_code = 'IncorrectInstanceState'


class ActionNotSupported(NovaException):
    message = ('The hypervisor of host %(host)s cannot %(action)s '
               'instances.')
    code = 501


# -- hosts (os-hosts), multinic, volume types ----------------------------------
class HostPowerActionNotSupported(NovaException):
    message = 'The hypervisor of host %(host)s cannot %(action)s the host.'
    code = 501


class ComputeHostNotUp(NovaException):
    message = 'Compute host %(host)s is not up.'
    code = 503


class FixedIpNotFoundForSpecificInstance(FixedIpNotFound):
    message = 'Instance %(instance_id)s does not have fixed ip %(ip)s.'


class VolumeTypeNotFound(NotFound):
    message = 'Volume type %(volume_type_id)s could not be found.'


class VolumeTypeNotFoundByName(VolumeTypeNotFound):
    message = 'Volume type with name %(volume_type_name)s could not be found.'


class VolumeTypeExists(Duplicate):
    message = 'Volume Type %(name)s already exists.'


class VolumeTypeExtraSpecsNotFound(NotFound):
    message = ('Volume Type %(volume_type_id)s has no extra specs with key '
               '%(extra_specs_key)s.')


class VirtualStorageArrayNotFound(NotFound):
    message = 'Virtual Storage Array %(id)s could not be found.'


class VirtualStorageArrayNotFoundByName(NotFound):
    message = 'Virtual Storage Array %(name)s could not be found.'


class NoVsaBackend(NovaException):
    message = ('No VSA backend configured: %(action)s needs a Zadara VSA '
               'appliance, which this cloud does not have.')
    code = 501


# -- consoles (VNC through nova-vncproxy) ----------------------------------------
class ConsoleTypeNotSupported(Invalid):
    message = ('%(console_type)s consoles are not supported on '
               '%(hypervisor)s: ask for a VNC console instead.')
    ec2_code = 'UnsupportedOperation'


class ConsoleNotAvailable(NovaException):
    message = 'Instance %(instance_id)s has no VNC console: %(reason)s'
    code = 409
    ec2_code = 'UnsupportedOperation'


class ConsoleProxyNotRunning(NovaException):
    message = ('No nova-vncproxy is running: VNC consoles are not '
               'available.')
    code = 503
    ec2_code = 'Unavailable'
