"""The database facade: every caller uses these functions.

``from nova import db; db.service_get(context, service_id)``.  Each call is
passed to the backend named by ``--db_backend`` (``sqlalchemy`` =
:mod:`nova.db.sqlalchemy.api`).  The functions defined here document the
interface; any other public function of the backend (entity modules added
later) is reachable the same way, through the module ``__getattr__``.

Semantics (Diablo's): rows are soft-deleted (``deleted``, ``deleted_at``);
reads skip deleted rows unless ``context.read_deleted`` says otherwise
(False/'no', True/'yes', 'only'); a missing row raises a
:class:`nova.exception.NotFound` subclass.
"""

import importlib

from nova import flags

FLAGS = flags.FLAGS

# Diablo's managers loaded the database API named by --db_driver; ours use
# this module, the one value there is.
flags.DEFINE_string('db_driver', 'nova.db.api',
                    'the driver to use for database access',
                    choices=('nova.db.api',))
flags.DEFINE_string('db_backend', 'sqlalchemy',
                    'The backend to use for db')
flags.DEFINE_boolean('enable_new_services', True,
                     'Services to be added to the available pool on create')
flags.DEFINE_string('instance_name_template', 'instance-%08x',
                    'Template string to be used to generate instance names')
flags.DEFINE_string('volume_name_template', 'volume-%08x',
                    'Template string to be used to generate volume names')
flags.DEFINE_string('snapshot_name_template', 'snapshot-%08x',
                    'Template string to be used to generate snapshot names')
flags.DEFINE_string('vsa_name_template', 'vsa-%08x',
                    'Template string to be used to generate VSA names')

_BACKENDS = {'sqlalchemy': 'nova.db.sqlalchemy.api'}


def get_backend():
    """The backend module named by ``--db_backend``."""
    name = FLAGS.db_backend
    return importlib.import_module(_BACKENDS.get(name, name))


def __getattr__(name):
    if name.startswith('_'):
        raise AttributeError(name)
    try:
        backend = get_backend()
    except ImportError as exc:
        raise AttributeError('%s (db backend %r failed to load: %s)'
                             % (name, FLAGS.db_backend, exc))
    try:
        return getattr(backend, name)
    except AttributeError:
        raise AttributeError("module 'nova.db.api' has no attribute %r"
                             % name) from None


# -- services -------------------------------------------------------------------
def service_get(context, service_id):
    """The service with this id; raises ServiceNotFound."""
    return get_backend().service_get(context, service_id)


def service_get_by_host_and_topic(context, host, topic):
    """The enabled service of ``topic`` on ``host``, or None."""
    return get_backend().service_get_by_host_and_topic(context, host, topic)


def service_get_all(context, disabled=None):
    """All services; ``disabled`` True/False filters on that flag."""
    return get_backend().service_get_all(context, disabled)


def service_get_all_by_topic(context, topic):
    """The enabled services consuming ``topic``."""
    return get_backend().service_get_all_by_topic(context, topic)


def service_get_all_by_host(context, host):
    """Every service on ``host``."""
    return get_backend().service_get_all_by_host(context, host)


def service_get_all_compute_by_host(context, host):
    """The compute services of ``host``; raises ComputeHostNotFound."""
    return get_backend().service_get_all_compute_by_host(context, host)


def service_get_by_args(context, host, binary):
    """The service running ``binary`` on ``host``; HostBinaryNotFound."""
    return get_backend().service_get_by_args(context, host, binary)


def service_create(context, values):
    """Register a service (disabled unless ``--enable_new_services``)."""
    return get_backend().service_create(context, values)


def service_update(context, service_id, values):
    """Change columns of a service."""
    return get_backend().service_update(context, service_id, values)


def service_destroy(context, service_id):
    """Soft-delete a service and its compute nodes."""
    return get_backend().service_destroy(context, service_id)


def service_heartbeat(context, service_id):
    """Bump ``report_count`` and ``updated_at``; ServiceNotFound if gone."""
    return get_backend().service_heartbeat(context, service_id)


# -- compute nodes ----------------------------------------------------------------
def compute_node_get(context, compute_id):
    """The compute node with this id; raises ComputeNodeNotFound."""
    return get_backend().compute_node_get(context, compute_id)


def compute_node_get_all(context):
    """Every compute node, with ``service`` loaded."""
    return get_backend().compute_node_get_all(context)


def compute_node_get_by_service(context, service_id):
    """The compute node of a service; raises ComputeHostNotFound."""
    return get_backend().compute_node_get_by_service(context, service_id)


def compute_node_create(context, values):
    """Record a compute node's resources."""
    return get_backend().compute_node_create(context, values)


def compute_node_update(context, compute_id, values):
    """Change a compute node's columns."""
    return get_backend().compute_node_update(context, compute_id, values)


# -- instance types -------------------------------------------------------------
def instance_type_create(context, values):
    """Create a flavor; InstanceTypeExists / InstanceTypeIdExists."""
    return get_backend().instance_type_create(context, values)


def instance_type_get_all(context, inactive=False):
    """``{name: dict}`` of flavors; ``inactive`` adds deleted ones."""
    return get_backend().instance_type_get_all(context, inactive)


def instance_type_get(context, instance_type_id):
    """A flavor (dict) by id; raises InstanceTypeNotFound."""
    return get_backend().instance_type_get(context, instance_type_id)


def instance_type_get_rxtx_cap(context, instance_type_id):
    """A flavor's ``rxtx_cap`` (0 when unset); raises InstanceTypeNotFound."""
    return get_backend().instance_type_get_rxtx_cap(context,
                                                    instance_type_id)


def instance_type_get_by_name(context, name):
    """A flavor (dict) by name; raises InstanceTypeNotFoundByName."""
    return get_backend().instance_type_get_by_name(context, name)


def instance_type_get_by_flavor_id(context, flavor_id):
    """A flavor (dict) by flavorid; raises FlavorNotFound."""
    return get_backend().instance_type_get_by_flavor_id(context, flavor_id)


def instance_type_destroy(context, name):
    """Mark a flavor deleted."""
    return get_backend().instance_type_destroy(context, name)


def instance_type_purge(context, name):
    """Remove a flavor row for good."""
    return get_backend().instance_type_purge(context, name)


def instance_type_extra_specs_get(context, instance_type_id):
    """``{key: value}`` of a flavor's extra specs."""
    return get_backend().instance_type_extra_specs_get(context,
                                                       instance_type_id)


def instance_type_extra_specs_delete(context, instance_type_id, key):
    """Delete one extra spec of a flavor."""
    return get_backend().instance_type_extra_specs_delete(
        context, instance_type_id, key)


def instance_type_extra_specs_update_or_create(context, instance_type_id,
                                               specs):
    """Set extra specs of a flavor from a dict."""
    return get_backend().instance_type_extra_specs_update_or_create(
        context, instance_type_id, specs)


# -- quotas -------------------------------------------------------------------------
def quota_get(context, project_id, resource):
    """A quota row; raises ProjectQuotaNotFound."""
    return get_backend().quota_get(context, project_id, resource)


def quota_get_all_by_project(context, project_id):
    """``{'project_id': id, resource: hard_limit, ...}``."""
    return get_backend().quota_get_all_by_project(context, project_id)


def quota_create(context, project_id, resource, limit):
    """Set a project's limit of a resource."""
    return get_backend().quota_create(context, project_id, resource, limit)


def quota_update(context, project_id, resource, limit):
    """Change a project's limit of a resource."""
    return get_backend().quota_update(context, project_id, resource, limit)


def quota_destroy(context, project_id, resource):
    """Remove a project's limit of a resource."""
    return get_backend().quota_destroy(context, project_id, resource)


def quota_destroy_all_by_project(context, project_id):
    """Remove every limit of a project."""
    return get_backend().quota_destroy_all_by_project(context, project_id)


# -- certificates -------------------------------------------------------------------
def certificate_create(context, values):
    """Record a certificate."""
    return get_backend().certificate_create(context, values)


def certificate_get(context, certificate_id):
    """A certificate by id; raises CertificateNotFound."""
    return get_backend().certificate_get(context, certificate_id)


def certificate_update(context, certificate_id, values):
    """Change columns of a certificate."""
    return get_backend().certificate_update(context, certificate_id, values)


def certificate_destroy(context, certificate_id):
    """Soft-delete a certificate."""
    return get_backend().certificate_destroy(context, certificate_id)


def certificate_get_all_by_project(context, project_id):
    """Certificates of a project."""
    return get_backend().certificate_get_all_by_project(context, project_id)


def certificate_get_all_by_user(context, user_id):
    """Certificates of a user."""
    return get_backend().certificate_get_all_by_user(context, user_id)


def certificate_get_all_by_user_and_project(context, user_id, project_id):
    """Certificates of a user in a project."""
    return get_backend().certificate_get_all_by_user_and_project(
        context, user_id, project_id)


# -- instances (compute) ----------------------------------------------------------
def instance_create(context, values):
    """Create an instance (``security_groups`` ids, ``metadata`` dict)."""
    return get_backend().instance_create(context, values)


def instance_get(context, instance_id):
    """An instance with its relations loaded; raises InstanceNotFound."""
    return get_backend().instance_get(context, instance_id)


def instance_get_for_host(context, instance_id):
    """An instance with its flavor and security groups only (what a compute
    host builds and deletes it from); raises InstanceNotFound."""
    return get_backend().instance_get_for_host(context, instance_id)


def instance_get_by_uuid(context, uuid):
    """An instance by uuid; raises InstanceNotFound."""
    return get_backend().instance_get_by_uuid(context, uuid)


def instance_get_all(context):
    """Every instance the context may see, newest first."""
    return get_backend().instance_get_all(context)


def instance_get_all_by_filters(context, filters):
    """Instances matching ``filters`` (see the backend for the keys)."""
    return get_backend().instance_get_all_by_filters(context, filters)


def instance_get_all_by_host(context, host):
    """The live instances of a host."""
    return get_backend().instance_get_all_by_host(context, host)


def instance_get_all_by_project(context, project_id):
    """The live instances of a project."""
    return get_backend().instance_get_all_by_project(context, project_id)


def instance_get_all_by_reservation(context, reservation_id):
    """The live instances of a reservation, by launch index."""
    return get_backend().instance_get_all_by_reservation(context,
                                                         reservation_id)


def instance_update(context, instance_id, values):
    """Change columns (and ``metadata``) of an instance; returns it."""
    return get_backend().instance_update(context, instance_id, values)


def instance_update_columns(context, instance_id, values):
    """Change columns of a live instance in one UPDATE; returns nothing."""
    return get_backend().instance_update_columns(context, instance_id,
                                                 values)


def instance_launch_lock(context, project_id):
    """Serialize quota-checked launches of a project (inside a session)."""
    return get_backend().instance_launch_lock(context, project_id)


def instance_get_states(context, instance_id):
    """``(vm_state, task_state)`` of a live instance."""
    return get_backend().instance_get_states(context, instance_id)


def instance_destroy(context, instance_id, values=None):
    """Soft-delete an instance with its memberships and metadata
    (``values``: further columns set in the same UPDATE)."""
    return get_backend().instance_destroy(context, instance_id, values)


def instance_data_get_for_project(context, project_id):
    """``(count, vcpus, memory_mb)`` of a project's live instances."""
    return get_backend().instance_data_get_for_project(context, project_id)


def instance_fault_create(context, values):
    """Record why an instance failed (instance_id, code, message, details)."""
    return get_backend().instance_fault_create(context, values)


def instance_fault_get_latest(context, instance_id):
    """The newest fault of an instance, or None."""
    return get_backend().instance_fault_get_latest(context, instance_id)


# -- key pairs ----------------------------------------------------------------------
def key_pair_create(context, values):
    """Record a key pair; raises KeyPairExists."""
    return get_backend().key_pair_create(context, values)


def key_pair_get(context, user_id, name):
    """A user's key pair; raises KeypairNotFound."""
    return get_backend().key_pair_get(context, user_id, name)


def key_pair_get_all_by_user(context, user_id):
    """The key pairs of a user."""
    return get_backend().key_pair_get_all_by_user(context, user_id)


def key_pair_destroy(context, user_id, name):
    """Delete a user's key pair; raises KeypairNotFound."""
    return get_backend().key_pair_destroy(context, user_id, name)


def key_pair_destroy_all_by_user(context, user_id):
    """Delete every key pair of a user."""
    return get_backend().key_pair_destroy_all_by_user(context, user_id)


# -- security groups ----------------------------------------------------------------
def security_group_get(context, security_group_id):
    """A group with rules and instances; raises SecurityGroupNotFound."""
    return get_backend().security_group_get(context, security_group_id)


def security_group_get_by_name(context, project_id, group_name):
    """A project's group; raises SecurityGroupNotFoundForProject."""
    return get_backend().security_group_get_by_name(context, project_id,
                                                    group_name)


def security_group_get_by_project(context, project_id):
    """The groups of a project."""
    return get_backend().security_group_get_by_project(context, project_id)


def security_group_exists(context, project_id, group_name):
    """Whether the project has this group."""
    return get_backend().security_group_exists(context, project_id,
                                               group_name)


def security_group_create(context, values):
    """Create a group; raises SecurityGroupExists."""
    return get_backend().security_group_create(context, values)


def security_group_ensure_default(context):
    """The ``default`` group of the context's project, made if missing."""
    return get_backend().security_group_ensure_default(context)


def security_group_destroy(context, security_group_id):
    """Delete a group, its memberships and the rules naming it."""
    return get_backend().security_group_destroy(context, security_group_id)


def security_group_rule_create(context, values):
    """Add an ingress rule to a group."""
    return get_backend().security_group_rule_create(context, values)


def security_group_rule_get(context, security_group_rule_id):
    """A rule; raises SecurityGroupRuleNotFound."""
    return get_backend().security_group_rule_get(context,
                                                 security_group_rule_id)


def security_group_rule_destroy(context, security_group_rule_id):
    """Delete a rule; raises SecurityGroupRuleNotFound."""
    return get_backend().security_group_rule_destroy(context,
                                                     security_group_rule_id)


def security_group_rule_get_by_security_group(context, security_group_id):
    """The rules of a group."""
    return get_backend().security_group_rule_get_by_security_group(
        context, security_group_id)


def instance_add_security_group(context, instance_id, security_group_id):
    """Put an instance into a group."""
    return get_backend().instance_add_security_group(context, instance_id,
                                                     security_group_id)



# -- nova-network's reads at every boot and delete ----------------------------------
def network_get_all_without_vlan(context):
    """The live networks without a VLAN, by id, as plain dicts."""
    return get_backend().network_get_all_without_vlan(context)


def virtual_interface_get_allocated_networks(context, instance_id):
    """``(vif_network_ids, fixed_ip_network_ids)``: the networks where an
    instance has a virtual interface, and those where it has a fixed IP."""
    return get_backend().virtual_interface_get_allocated_networks(
        context, instance_id)


def virtual_interface_get_network_info(context, instance_id, host=None,
                                       instance_type_id=None):
    """Plain dicts of an instance's virtual interfaces with their network,
    fixed IPs, multi_host DHCP address of ``host`` and flavor rxtx_cap (one
    statement; see the backend for the keys)."""
    return get_backend().virtual_interface_get_network_info(
        context, instance_id, host=host, instance_type_id=instance_type_id)


def fixed_ip_get_addresses_by_instance(context, instance_id):
    """The addresses of an instance's fixed IPs (empty list when none)."""
    return get_backend().fixed_ip_get_addresses_by_instance(context,
                                                            instance_id)


def fixed_ip_deallocate(context, address):
    """Unallocate an address in one UPDATE; a leased one stays with its
    instance until released; raises FixedIpNotFoundForAddress."""
    return get_backend().fixed_ip_deallocate(context, address)


# -- provider firewall rules ----------------------------------------------------
def provider_fw_rule_create(context, values):
    """Record a provider rule; ProviderFirewallRuleExists for a live twin."""
    return get_backend().provider_fw_rule_create(context, values)


def provider_fw_rule_get_all(context):
    """Every live provider firewall rule."""
    return get_backend().provider_fw_rule_get_all(context)


def provider_fw_rule_get_all_by_cidr(context, cidr):
    """The live provider firewall rules of one source CIDR."""
    return get_backend().provider_fw_rule_get_all_by_cidr(context, cidr)


def provider_fw_rule_destroy(context, rule_id):
    """Remove a provider firewall rule (soft delete)."""
    return get_backend().provider_fw_rule_destroy(context, rule_id)

__all__ = [name for name in dir() if not name.startswith('_') and
           name not in ('FLAGS', 'flags', 'importlib')]
