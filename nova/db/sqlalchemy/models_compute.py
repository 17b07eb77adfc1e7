"""Models of the compute side: services, nodes, instances, flavors, VSAs.

Table and column names are Diablo's (2011.3).  Relationships load lazily by
default; query functions that hand out related data eager-load it
(``joinedload``/``selectinload``) because callers use the objects after
their session has closed.
"""

from sqlalchemy import (Boolean, Column, DateTime, Float, ForeignKey, Index,
                        Integer, String, Text, false, true)
from sqlalchemy.orm import backref, relationship

from nova import flags
from nova.db.sqlalchemy.models_base import BASE, table_args

FLAGS = flags.FLAGS


class Service(BASE):
    """A running daemon (nova-compute, nova-network...) on one host."""

    __tablename__ = 'services'
    id = Column(Integer, primary_key=True)
    host = Column(String(255))
    binary = Column(String(255))
    topic = Column(String(255))
    report_count = Column(Integer, nullable=False, default=0)
    disabled = Column(Boolean, default=False)
    availability_zone = Column(String(255), default='nova')


class ComputeNode(BASE):
    """The resources of one compute host, as its nova-compute reports them."""

    __tablename__ = 'compute_nodes'
    id = Column(Integer, primary_key=True)
    service_id = Column(Integer, ForeignKey('services.id'), nullable=True,
                        index=True)
    service = relationship(
        'Service', backref=backref('compute_node'),
        foreign_keys=[service_id],
        primaryjoin='and_(ComputeNode.service_id == Service.id, '
                    'ComputeNode.deleted == False)')
    vcpus = Column(Integer)
    memory_mb = Column(Integer)
    local_gb = Column(Integer)
    vcpus_used = Column(Integer)
    memory_mb_used = Column(Integer)
    local_gb_used = Column(Integer)
    hypervisor_type = Column(Text)
    hypervisor_version = Column(Integer)
    cpu_info = Column(Text, nullable=True)


class InstanceTypes(BASE):
    """A flavor: the size of an instance."""

    __tablename__ = 'instance_types'
    id = Column(Integer, primary_key=True)
    name = Column(String(255), unique=True)
    memory_mb = Column(Integer)
    vcpus = Column(Integer)
    local_gb = Column(Integer)
    flavorid = Column(Integer, unique=True)
    swap = Column(Integer, nullable=False, default=0)
    rxtx_quota = Column(Integer, nullable=False, default=0)
    rxtx_cap = Column(Integer, nullable=False, default=0)


class Instance(BASE):
    """A virtual machine."""

    __tablename__ = 'instances'
    __table_args__ = table_args(
        Index('ix_instances_client_token', 'project_id', 'client_token'))
    _extra_keys = ['name']
    # Diablo's backref was called ``metadata``, a name declarative reserves.
    _item_aliases = {'metadata': 'instance_metadata'}

    id = Column(Integer, primary_key=True, autoincrement=True)
    user_id = Column(String(255))
    project_id = Column(String(255))
    image_ref = Column(String(255))
    kernel_id = Column(String(255))
    ramdisk_id = Column(String(255))
    server_name = Column(String(255))
    launch_index = Column(Integer)
    key_name = Column(String(255))
    key_data = Column(Text)
    power_state = Column(Integer)
    vm_state = Column(String(255))
    task_state = Column(String(255))
    memory_mb = Column(Integer)
    vcpus = Column(Integer)
    local_gb = Column(Integer)
    hostname = Column(String(255))
    host = Column(String(255))
    instance_type_id = Column(Integer)
    instance_type = relationship(
        'InstanceTypes', backref=backref('instances'), lazy='joined',
        primaryjoin='foreign(Instance.instance_type_id) == InstanceTypes.id')
    user_data = Column(Text)
    reservation_id = Column(String(255))
    scheduled_at = Column(DateTime)
    launched_at = Column(DateTime)
    terminated_at = Column(DateTime)
    availability_zone = Column(String(255))
    display_name = Column(String(255))
    display_description = Column(String(255))
    launched_on = Column(Text)
    locked = Column(Boolean)
    os_type = Column(String(255))
    architecture = Column(String(255))
    vm_mode = Column(String(255))
    # Unique so that migrations.instance_uuid can reference it everywhere.
    uuid = Column(String(36), unique=True)
    root_device_name = Column(String(255))
    default_local_device = Column(String(255), nullable=True)
    default_swap_device = Column(String(255), nullable=True)
    config_drive = Column(String(255))
    access_ip_v4 = Column(String(255))
    access_ip_v6 = Column(String(255))
    # Revision 005: RunInstances' ClientToken and two EC2 attributes.
    client_token = Column(String(64))
    disable_terminate = Column(Boolean, default=False,
                               server_default=false())
    shutdown_terminate = Column(Boolean, default=True,
                                server_default=true())

    @property
    def name(self):
        """The hypervisor name, ``--instance_name_template % id``."""
        base_name = FLAGS.instance_name_template % self.id
        if getattr(self, '_rescue', False):
            base_name += '-rescue'
        return base_name


class VirtualStorageArray(BASE):
    """A virtual storage array (VSA) built of VC instances and volumes."""

    __tablename__ = 'virtual_storage_arrays'
    _extra_keys = ['name']

    id = Column(Integer, primary_key=True, autoincrement=True)
    display_name = Column(String(255))
    display_description = Column(String(255))
    project_id = Column(String(255))
    availability_zone = Column(String(255))
    instance_type_id = Column(Integer, ForeignKey('instance_types.id'),
                              index=True)
    vsa_instance_type = relationship('InstanceTypes',
                                     backref=backref('vsas'))
    image_ref = Column(String(255))
    vc_count = Column(Integer, default=0)
    vol_count = Column(Integer, default=0)
    status = Column(String(255))

    @property
    def name(self):
        """``--vsa_name_template % id``."""
        return FLAGS.vsa_name_template % self.id


class InstanceActions(BASE):
    """A record of an action taken on an instance (and its error)."""

    __tablename__ = 'instance_actions'
    id = Column(Integer, primary_key=True)
    instance_id = Column(Integer, ForeignKey('instances.id'), index=True)
    action = Column(String(255))
    error = Column(Text)


class InstanceMetadata(BASE):
    """A key/value pair attached to an instance."""

    __tablename__ = 'instance_metadata'
    id = Column(Integer, primary_key=True)
    key = Column(String(255))
    value = Column(String(255))
    instance_id = Column(Integer, ForeignKey('instances.id'), nullable=False,
                         index=True)
    instance = relationship(
        'Instance', backref=backref('instance_metadata'),
        foreign_keys=[instance_id],
        primaryjoin='and_(InstanceMetadata.instance_id == Instance.id, '
                    'InstanceMetadata.deleted == False)')


class InstanceTypeExtraSpecs(BASE):
    """A key/value pair attached to a flavor."""

    __tablename__ = 'instance_type_extra_specs'
    id = Column(Integer, primary_key=True)
    key = Column(String(255))
    value = Column(String(255))
    instance_type_id = Column(Integer, ForeignKey('instance_types.id'),
                              nullable=False, index=True)
    instance_type = relationship(
        'InstanceTypes', backref=backref('extra_specs'),
        foreign_keys=[instance_type_id],
        primaryjoin='and_(InstanceTypeExtraSpecs.instance_type_id == '
                    'InstanceTypes.id, '
                    'InstanceTypeExtraSpecs.deleted == False)')


class Migration(BASE):
    """A resize/migration of an instance between hosts."""

    __tablename__ = 'migrations'
    id = Column(Integer, primary_key=True, nullable=False)
    source_compute = Column(String(255))
    dest_compute = Column(String(255))
    dest_host = Column(String(255))
    old_instance_type_id = Column(Integer())
    new_instance_type_id = Column(Integer())
    instance_uuid = Column(String(255), ForeignKey('instances.uuid'),
                           nullable=True, index=True)
    status = Column(String(255))


class ConsolePool(BASE):
    """A console proxy host and its credentials."""

    __tablename__ = 'console_pools'
    id = Column(Integer, primary_key=True)
    address = Column(String(255))
    username = Column(String(255))
    password = Column(String(255))
    console_type = Column(String(255))
    public_hostname = Column(String(255))
    host = Column(String(255))
    compute_host = Column(String(255))


class Console(BASE):
    """A console of an instance, served by a console pool."""

    __tablename__ = 'consoles'
    id = Column(Integer, primary_key=True)
    instance_name = Column(String(255))
    instance_id = Column(Integer)
    password = Column(String(255))
    port = Column(Integer, nullable=True)
    pool_id = Column(Integer, ForeignKey('console_pools.id'), index=True)
    pool = relationship('ConsolePool', backref=backref('consoles'))


class Zone(BASE):
    """A child zone this zone forwards requests to."""

    __tablename__ = 'zones'
    id = Column(Integer, primary_key=True)
    api_url = Column(String(255))
    username = Column(String(255))
    password = Column(String(255))
    weight_offset = Column(Float(), default=0.0)
    weight_scale = Column(Float(), default=1.0)


class AgentBuild(BASE):
    """A guest agent build for a hypervisor/OS/architecture."""

    __tablename__ = 'agent_builds'
    id = Column(Integer, primary_key=True)
    hypervisor = Column(String(255))
    os = Column(String(255))
    architecture = Column(String(255))
    version = Column(String(255))
    url = Column(String(255))
    md5hash = Column(String(255))


class InstanceFault(BASE):
    """Why an instance went to ``error``: what the user is told.

    Not in Diablo (Essex added ``instance_faults`` keyed by uuid); here it
    is keyed by the integer instance id like every other instance table.
    """

    __tablename__ = 'instance_faults'
    id = Column(Integer, primary_key=True, autoincrement=True)
    instance_id = Column(Integer, ForeignKey('instances.id'), nullable=False,
                         index=True)
    code = Column(Integer, nullable=False, default=500)
    message = Column(String(255))
    details = Column(Text)
